package transport

import (
	"errors"
	"strings"
	"testing"
)

// The reader spells out a field's path only when an error names it; these
// bodies put the fault at each depth and kind of step (a key, an array
// position, an absent object, a null where an object belongs) and check
// the path the message names.
func TestDecodeErrorsNameTheWholePath(t *testing.T) {
	item := `{"amount":100,"starting_at":"2026-01-01T00:00:00Z","ending_before":"2027-01-01T00:00:00Z"}`
	commit := func(schedule string) string {
		return `{"type":"PREPAID","product_id":"p","access_schedule":` + schedule + `}`
	}
	contract := func(commits ...string) string {
		return `{"customer_id":"c","rate_card_id":"r","starting_at":"2026-01-01T00:00:00Z","commits":[` + strings.Join(commits, ",") + `]}`
	}
	good := commit(`{"schedule_items":[` + item + `]}`)
	cases := []struct {
		name, body, want string
	}{
		{"unknown key deep in the second commit",
			contract(good, commit(`{"schedule_items":[`+item+`,{"amount":1,"starting_at":"2026-01-01T00:00:00Z","ending_before":"2027-01-01T00:00:00Z","ending_beforr":"x"}]}`)),
			"commits[1].access_schedule.schedule_items[1].ending_beforr: is not supported by this server yet (did you mean ending_before?)"},
		{"required object absent",
			contract(good, `{"type":"PREPAID","product_id":"p"}`),
			"commits[1].access_schedule: is required"},
		{"null where a commit belongs",
			contract(good, `null`),
			"commits[1]: expected an object, got null"},
		{"string where an object belongs",
			contract(commit(`"soon"`)),
			"commits[0].access_schedule: expected an object, got a string"},
		{"bad value in an array of strings",
			`{"name":"n","ingest_aliases":["a",7]}`,
			"ingest_aliases[1]: expected a string, got a number"},
		{"unknown key at the root",
			`{"name":"n","ingest_aliases":["a"],"nmae":"x"}`,
			"nmae: is not supported by this server yet"},
	}
	decoders := map[bool]func([]byte) error{
		true:  func(b []byte) error { _, err := decodeCreateContract(b); return err },
		false: func(b []byte) error { _, err := decodeCreateCustomer(b); return err },
	}
	for _, tc := range cases {
		err := decoders[strings.Contains(tc.body, "customer_id")]([]byte(tc.body))
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status != 400 || ae.Message != tc.want {
			t.Errorf("%s: got %v, want 400 %q", tc.name, err, tc.want)
		}
	}
	if err := decoders[true]([]byte(contract(good, good))); err != nil {
		t.Fatalf("a good contract: %v", err)
	}
}
