package money

import (
	"bytes"
	"encoding/json"
	"math/big"
	"math/rand"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// Amount's decimal layout (AppendDecimalLayout) and JSON are decimal.Decimal's,
// so what earlier releases wrote reads back exactly and each reads the other's;
// UnmarshalBinary tells the layout from the compact form by itself.
func TestAmountEncodingsMatchDecimal(t *testing.T) {
	for _, s := range []string{"0", "1", "-1", "50.75", "0.75", "-60", "0.000000000001", "123456789012345678.5",
		"-999999999999999999.999999999999", "100000000000000000000000000000000000001.25"} {
		d := decimal.RequireFromString(s)
		a, err := FromStoredScaled(d.Coefficient(), int64(d.Exponent()))
		if err != nil {
			t.Fatal(err)
		}
		if a.String() != d.String() {
			t.Errorf("%s: String %q, decimal %q", s, a.String(), d.String())
		}
		ab := a.AppendDecimalLayout(nil)
		db, _ := d.MarshalBinary()
		if len(db) == 4 {
			db = append(db, 0x02) // decimal's nil coefficient, written as persist's canon does
		}
		if !bytes.Equal(ab, db) {
			t.Errorf("%s: binary %x, decimal %x", s, ab, db)
		}
		var back decimal.Decimal
		if err := back.UnmarshalBinary(ab); err != nil || !back.Equal(d) {
			t.Errorf("%s: decimal reads Amount's binary as %s (%v)", s, back, err)
		}
		// Non-canonical decimals (trailing zeros) read back to the same value.
		padded := decimal.NewFromBigInt(new(big.Int).Mul(d.Coefficient(), big.NewInt(1000)), d.Exponent()-3)
		pb, _ := padded.MarshalBinary()
		var got Amount
		if err := got.UnmarshalBinary(pb); err != nil || !got.Equal(a) {
			t.Errorf("%s: Amount reads decimal's %x as %s (%v)", s, pb, got, err)
		}
		aj, _ := json.Marshal(a)
		dj, _ := json.Marshal(d)
		if !bytes.Equal(aj, dj) {
			t.Errorf("%s: JSON %s, decimal %s", s, aj, dj)
		}
		var fromJSON Amount
		if err := json.Unmarshal(dj, &fromJSON); err != nil || !fromJSON.Equal(a) {
			t.Errorf("%s: JSON %s read as %s (%v)", s, dj, fromJSON, err)
		}
	}
	var zero decimal.Decimal
	zb, _ := zero.MarshalBinary() // 4 bytes: nil coefficient
	var z Amount
	if err := z.UnmarshalBinary(zb); err != nil || !z.IsZero() {
		t.Errorf("zero decimal read as %s (%v)", z, err)
	}
	for _, bad := range []decimal.Decimal{decimal.New(1, -13), decimal.New(1, 400)} {
		b, _ := bad.MarshalBinary()
		var a Amount
		if err := a.UnmarshalBinary(b); err == nil {
			t.Errorf("%s decoded as %s, want refused", bad, a)
		}
	}
	if err := new(Amount).UnmarshalBinary([]byte{0, 0, 0, 0, 0x04, 1}); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("bad gob version: %v", err)
	}
}

// Every amount round-trips through both binary forms, and UnmarshalBinary
// tells them apart on its own: the compact form never looks like the decimal
// layout, and the other way round.
func TestBinaryFormsAreTellApart(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 100_000; i++ {
		a, _ := randomAmount(rng)
		compact, _ := a.MarshalBinary()
		legacy := a.AppendDecimalLayout(nil)
		if IsDecimalLayout(compact) || !IsDecimalLayout(legacy) {
			t.Fatalf("%s: compact %x decimal-looking %v, decimal %x decimal-looking %v", a, compact, IsDecimalLayout(compact), legacy, IsDecimalLayout(legacy))
		}
		for _, b := range [][]byte{compact, legacy} {
			var got Amount
			if err := got.UnmarshalBinary(b); err != nil || !got.Equal(a) {
				t.Fatalf("%s: %x read as %s (%v)", a, b, got, err)
			}
		}
	}
	if err := new(Amount).UnmarshalBinary([]byte{0x01, 0x02, 0x00}); err == nil {
		t.Error("trailing bytes after a compact amount were accepted")
	}
}
