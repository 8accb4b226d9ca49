package demo

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// A number read back that differs from SCENARIOS.md's is a *Mismatch that
// names the step, the value, what was read and what was expected; equal
// numbers in other spellings are not.
func TestCheckReportsAWrongNumber(t *testing.T) {
	err := Check("guide 2/5 (Prepaid), step 4/6", "balance after 1500 calls", "501", "500")
	var m *Mismatch
	if !errors.As(err, &m) || m.Got != "501" || m.Want != "500" {
		t.Fatalf("Check(501, 500) = %v, want a *Mismatch", err)
	}
	want := "guide 2/5 (Prepaid), step 4/6: balance after 1500 calls is 501, but SCENARIOS.md expects 500"
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	for _, same := range [][2]string{{"2000", "2000"}, {"2000.0", "2000"}, {"9589.04", "9589.040"}, {"-0", "0"}, {"true (ok)", "true (ok)"}} {
		if err := Check("w", "v", same[0], same[1]); err != nil {
			t.Errorf("Check(%q, %q) = %v, want nil", same[0], same[1], err)
		}
	}
	for _, diff := range [][2]string{{"9589.04", "9589.05"}, {"false (limit_reached)", "false (balance_depleted)"}, {"", "0"}} {
		if Check("w", "v", diff[0], diff[1]) == nil {
			t.Errorf("Check(%q, %q) passed", diff[0], diff[1])
		}
	}
}

// The first mismatch sticks: the player prints no "ok" for it, plays no
// further step, and its error is the *Mismatch.
func TestPlayerStopsAtTheFirstMismatch(t *testing.T) {
	var out bytes.Buffer
	p := &player{out: &out, guides: 5}
	p.beginGuide("Prepaid credits behind a payment gate", "seed 000", 2)
	p.beginStep("first")
	p.expect("balance", "2000", "2000")
	p.expect("balance after 1500 calls", "600", "500")
	if p.beginStep("second") {
		t.Error("a step began after a mismatch")
	}
	p.expect("later", "1", "2")
	var m *Mismatch
	if !errors.As(p.err, &m) || m.What != "balance after 1500 calls" || !strings.Contains(m.Where, "guide 1/5 (Prepaid credits behind a payment gate), step 1/2") {
		t.Fatalf("err = %v", p.err)
	}
	if strings.Contains(out.String(), "600") || strings.Contains(out.String(), "second") || !strings.Contains(out.String(), "2000  ok") {
		t.Errorf("output:\n%s", out.String())
	}
}
