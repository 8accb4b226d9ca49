package dashboard

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	testKey = bytes.Repeat([]byte{7}, 32)
	now     = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
)

func testSpec() Spec {
	return Spec{Customer: "c-1", Dashboard: CommitsAndCredit, Expires: now.Add(time.Hour).Unix(),
		Colors: map[string]string{"Primary_medium": "#112233"}, Options: map[string]string{},
		GroupKeys: []GroupKey{{Name: "region", DisplayName: "Region", Values: map[string]string{"eu": "Europe"}}}}
}

// A signed token verifies to the spec it was made from, and only before
// its expiry.
func TestSignVerify(t *testing.T) {
	tok, err := Sign(testKey, testSpec())
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(testKey, tok, now)
	if err != nil || got.Customer != "c-1" || got.Dashboard != CommitsAndCredit || got.Colors["Primary_medium"] != "#112233" || got.GroupKeys[0].Values["eu"] != "Europe" {
		t.Fatalf("verify: %+v %v", got, err)
	}
	if _, err := Verify(testKey, tok, now.Add(time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("at the expiry: %v, want ErrExpired", err)
	}
	if _, err := Verify(bytes.Repeat([]byte{8}, 32), tok, now); !errors.Is(err, ErrSignature) {
		t.Fatalf("another key: %v, want ErrSignature", err)
	}
	if strings.Contains(tok, string(testKey)) || strings.Contains(tok, base64.RawURLEncoding.EncodeToString(testKey)) {
		t.Fatal("the token holds the key")
	}
}

// resign replaces the token's payload with the spec changed by edit, keeping
// the original MAC: what someone without the key can do.
func resign(t *testing.T, tok string, edit func(*Spec)) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var s Spec
	if err := json.Unmarshal(payload, &s); err != nil {
		t.Fatal(err)
	}
	edit(&s)
	b, _ := json.Marshal(s)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
}

// Changing any signed component (customer, dashboard, expiry, colors,
// options, group keys) or any byte of the MAC fails the signature.
func TestVerifyRefusesTampering(t *testing.T) {
	tok, err := Sign(testKey, testSpec())
	if err != nil {
		t.Fatal(err)
	}
	edits := map[string]func(*Spec){
		"customer":   func(s *Spec) { s.Customer = "c-2" },
		"dashboard":  func(s *Spec) { s.Dashboard = Invoices },
		"expiry":     func(s *Spec) { s.Expires += 86400 * 365 },
		"colors":     func(s *Spec) { s.Colors["Primary_medium"] = "#000000" },
		"options":    func(s *Spec) { s.Options = map[string]string{"contract_id": "k"} },
		"group keys": func(s *Spec) { s.GroupKeys[0].DisplayName = "Zone" },
	}
	for name, edit := range edits {
		if _, err := Verify(testKey, resign(t, tok, edit), now); !errors.Is(err, ErrSignature) {
			t.Errorf("%s changed: %v, want ErrSignature", name, err)
		}
	}
	mac := []byte(tok[strings.LastIndexByte(tok, '.')+1:])
	for i := range mac {
		bad := bytes.Clone(mac)
		bad[i] ^= 'A' ^ 'B'
		if bad[i] == mac[i] || !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", rune(bad[i])) {
			bad[i] = 'A'
			if mac[i] == 'A' {
				bad[i] = 'B'
			}
		}
		forged := tok[:strings.LastIndexByte(tok, '.')+1] + string(bad)
		if _, err := Verify(testKey, forged, now); err == nil {
			t.Fatalf("MAC byte %d changed: accepted", i)
		}
	}
}

// Malformed tokens are refused as such, never with a panic.
func TestVerifyRefusesMalformed(t *testing.T) {
	tok, _ := Sign(testKey, testSpec())
	for _, bad := range []string{"", "v1", "v1.", "v1..", "v2" + tok[2:], tok + ".x", "v1.!!!." + tok[strings.LastIndexByte(tok, '.')+1:],
		tok[:strings.LastIndexByte(tok, '.')+1] + "short", strings.Repeat("a", MaxTokenLen+1)} {
		if _, err := Verify(testKey, bad, now); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSignature) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	// A payload that is signed but names no valid dashboard is malformed.
	s := testSpec()
	s.Dashboard = "credits"
	odd, err := Sign(testKey, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(testKey, odd, now); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unknown dashboard: %v", err)
	}
	if _, err := Verify(nil, tok, now); !errors.Is(err, ErrMalformed) {
		t.Fatalf("no key: %v", err)
	}
	// base64 decoding skips line breaks: a link with one inside its MAC
	// must not verify as a second spelling of the same link.
	dot := strings.LastIndexByte(tok, '.')
	for _, brk := range []string{"\r", "\n", "\r\n"} {
		if _, err := Verify(testKey, tok[:dot+3]+brk+tok[dot+3:], now); !errors.Is(err, ErrMalformed) {
			t.Errorf("a %q inside the MAC: %v, want ErrMalformed", brk, err)
		}
	}
}

// A spec too large for a URL is refused when signing.
func TestSignRefusesLongLinks(t *testing.T) {
	s := testSpec()
	s.GroupKeys[0].Values = map[string]string{}
	for i := 0; i < 200; i++ {
		s.GroupKeys[0].Values[strings.Repeat("k", 5)+string(rune('a'+i%26))+strings.Repeat("x", i)] = "v"
	}
	if _, err := Sign(testKey, s); err == nil {
		t.Fatal("a token longer than MaxTokenLen was signed")
	}
}

// The invoices options decide which invoices are listed.
func TestInvoiceFilter(t *testing.T) {
	f := Spec{Options: map[string]string{"invoice_status_filter": "DRAFT", "contract_id": "k1"}}.Filter()
	if !f.Shows("k1", "DRAFT", "USAGE") || !f.Shows("k1", "DRAFT", "SCHEDULED") || f.Shows("k1", "FINALIZED", "USAGE") || f.Shows("k2", "DRAFT", "USAGE") {
		t.Fatalf("filter %+v", f)
	}
	if (Spec{Options: map[string]string{"hide_voided_invoices": "true"}}).Filter().Shows("k", "VOID", "USAGE") {
		t.Fatal("a voided invoice shown")
	}
	if sched := (Spec{Options: map[string]string{"invoice_type": "SCHEDULED"}}).Filter(); sched.Shows("k", "DRAFT", "USAGE") || !sched.Shows("k", "DRAFT", "SCHEDULED") {
		t.Fatal("invoice_type SCHEDULED shows a usage invoice, or not a SCHEDULED one")
	}
	if (Spec{Options: map[string]string{"invoice_type": "USAGE"}}).Filter().Shows("k", "DRAFT", "SCHEDULED") {
		t.Fatal("a SCHEDULED invoice shown for USAGE")
	}
	if p, badKey := CheckOption(Usage, "contract_id", "k"); p == "" || !badKey {
		t.Fatal("an invoices option accepted for usage")
	}
	if p, badKey := CheckOption(Invoices, "invoice_type", "NOPE"); p == "" || badKey {
		t.Fatal("a bad value accepted")
	}
}
