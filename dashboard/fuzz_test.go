package dashboard

import (
	"testing"
	"time"
)

// FuzzVerify feeds Verify arbitrary links (seeded with valid ones to mutate):
// it never panics, and a link it accepts is exactly the one Sign makes of
// the Spec it returns, so no other spelling of a link passes.
func FuzzVerify(f *testing.F) {
	key := []byte("fuzz dashboard key, 32 bytes....")
	now := time.Unix(1_800_000_000, 0)
	for _, s := range []Spec{
		{Customer: "cust-1", Dashboard: CommitsAndCredit, Expires: now.Unix() + 60},
		{Customer: "c", Dashboard: Invoices, Expires: now.Unix() + 1, Options: map[string]string{"show_zero_usage_line_items": "true"}},
		{Customer: "c", Dashboard: Usage, Expires: now.Unix() + 9, Colors: map[string]string{"Gray_dark": "#123456"}},
	} {
		tok, err := Sign(key, s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Add("v1..")
	f.Add("v1.e30.AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		s, err := Verify(key, tok, now)
		if err != nil {
			return
		}
		again, err := Sign(key, s)
		if err != nil {
			t.Fatalf("Verify accepted %q but its Spec does not sign: %v", tok, err)
		}
		if again != tok {
			t.Fatalf("Verify accepted %q, which Sign spells %q", tok, again)
		}
	})
}
