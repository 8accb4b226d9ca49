package money

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// strictAmount is Parse's grammar, written independently of it.
var strictAmount = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]{1,4})?$`)

// parseBound is far above Parse's real cost (well under a microsecond)
// and far below what an unbounded parse of a hostile input would take, with
// room for the fuzzer's instrumentation on a loaded machine.
const parseBound = 50 * time.Millisecond

// FuzzParseAmount: never panics, returns within the bound, agrees with
// decimal.NewFromString whenever it accepts, and accepts every in-bounds
// string of the strict grammar.
func FuzzParseAmount(f *testing.F) {
	f.Add(strings.Repeat("9", 200000))
	f.Add("1" + strings.Repeat("0", 18))
	f.Fuzz(func(t *testing.T, s string) {
		start := time.Now()
		a, err := Parse(s)
		if d := time.Since(start); d > parseBound {
			t.Fatalf("Parse(%.40q) took %v", s, d)
		}
		grammar := len(s) <= MaxStringLen && strictAmount.MatchString(s)
		if err != nil {
			if !a.IsZero() {
				t.Fatalf("error %v with non-zero %s", err, a)
			}
			if grammar {
				d, derr := decimal.NewFromString(s)
				if _, ferr := fromDecimal(d); derr == nil && ferr == nil {
					t.Fatalf("Parse(%q) refused an in-bounds value: %v", s, err)
				}
			}
			return
		}
		if !grammar {
			t.Fatalf("Parse(%q) accepted a string outside the grammar", s)
		}
		d, derr := decimal.NewFromString(s)
		if derr != nil {
			t.Fatalf("decimal refuses %q: %v", s, derr)
		}
		checkSame(t, s, a, d)
	})
}

// FuzzAmountArith compares Add, Sub, Mul and Cmp with decimal for every
// pair of strings that parse.
func FuzzAmountArith(f *testing.F) {
	f.Fuzz(func(t *testing.T, x, y string) {
		a, err := Parse(x)
		if err != nil {
			return
		}
		b, err := Parse(y)
		if err != nil {
			return
		}
		da, db := toDecimal(a), toDecimal(b)
		checkSame(t, "a+b", a.Add(b), da.Add(db))
		checkSame(t, "a-b", a.Sub(b), da.Sub(db))
		checkSame(t, "a*b", a.Mul(b), refMul(da, db))
		ab := a.Mul(b)
		checkSame(t, "a*b*b", ab.Mul(b), refMul(refMul(da, db), db))
		checkSame(t, "a*b+a", ab.Add(a), refMul(da, db).Add(da))
		if got, want := a.Cmp(b), da.Cmp(db); got != want {
			t.Fatalf("Cmp(%s, %s) = %d, want %d", a, b, got, want)
		}
		if got, want := ab.Cmp(a), refMul(da, db).Cmp(da); got != want {
			t.Fatalf("Cmp(%s, %s) = %d, want %d", ab, a, got, want)
		}
	})
}

// FuzzAmountBinary feeds arbitrary bytes to UnmarshalBinary: it must not
// panic, and whatever it accepts must read back equal from both binary
// forms it can be written in.
func FuzzAmountBinary(f *testing.F) {
	huge := FromInt(999999999999999999).Mul(FromInt(999999999999999999)) // a sum past the input bound
	for _, a := range []Amount{FromInt(0), FromInt(-1), MustParse("0.5"), MustParse("123456789012345678.123456789012"), huge.Neg()} {
		c, _ := a.MarshalBinary()
		f.Add(c)
		f.Add(a.AppendDecimalLayout(nil))
	}
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xf4, 0x03, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Amount
		if err := a.UnmarshalBinary(b); err != nil {
			return
		}
		compact, _ := a.MarshalBinary()
		for _, enc := range [][]byte{compact, a.AppendDecimalLayout(nil)} {
			var back Amount
			if err := back.UnmarshalBinary(enc); err != nil || !back.Equal(a) {
				t.Fatalf("%x read as %s, written as %x, read back as %s (%v)", b, a, enc, back, err)
			}
		}
	})
}
