package transport

import "testing"

// onboardingContract is the contract the bench's scale scenario creates for
// every customer: a rate card and three prepaid commits.
const onboardingContract = `{"customer_id":"8f14e45f-ceea-467f-a0e6-7a5a3b0f0c11","rate_card_id":"3c59dc04-8d8d-4f6d-9b0b-0f0c8a3b1e22","starting_at":"2026-12-03T00:00:00Z","commits":[` +
	`{"type":"PREPAID","product_id":"a87ff679-a2f3-471d-8181-a67b7542122c","access_schedule":{"schedule_items":[{"amount":1000000000000,"starting_at":"2026-12-03T00:00:00Z","ending_before":"2036-12-03T00:00:00Z"}]}},` +
	`{"type":"PREPAID","product_id":"a87ff679-a2f3-471d-8181-a67b7542122c","access_schedule":{"schedule_items":[{"amount":1000000000000,"starting_at":"2026-12-03T00:00:00Z","ending_before":"2036-12-03T00:00:00Z"}]}},` +
	`{"type":"PREPAID","product_id":"a87ff679-a2f3-471d-8181-a67b7542122c","access_schedule":{"schedule_items":[{"amount":1000000000000,"starting_at":"2026-12-03T00:00:00Z","ending_before":"2036-12-03T00:00:00Z"}]}}]}`

// BenchmarkDecodeCreateContract is the control plane's decode cost for one
// onboarding contract (JSON to a command, every field checked).
func BenchmarkDecodeCreateContract(b *testing.B) {
	body := []byte(onboardingContract)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeCreateContract(body); err != nil {
			b.Fatal(err)
		}
	}
}
