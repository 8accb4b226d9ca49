package money

import (
	"errors"
	"math"
	"math/big"
	"math/rand"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/shopspring/decimal"
)

// refRoundHalfUp rounds d half away from zero to places (>= 0) with big.Int
// arithmetic, independently of Amount's own rounding.
func refRoundHalfUp(d decimal.Decimal, places int32) decimal.Decimal {
	c, e := d.Coefficient(), d.Exponent()
	if e >= -places {
		return d
	}
	div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-places-e)), nil)
	neg := c.Sign() < 0
	q, r := new(big.Int).QuoRem(c.Abs(c), div, new(big.Int))
	if new(big.Int).Lsh(r, 1).Cmp(div) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return decimal.NewFromBigInt(q, -places)
}

// refMul is decimal's exact product rounded half-up to 12 places.
func refMul(x, y decimal.Decimal) decimal.Decimal {
	return refRoundHalfUp(x.Mul(y), MaxFractionDigits)
}

// checkCanonical fails when a breaks the representation invariants.
func checkCanonical(t *testing.T, what string, a Amount) {
	t.Helper()
	switch {
	case a.scale() > MaxFractionDigits:
		t.Fatalf("%s: scale %d", what, a.scale())
	case a.bigCoef() == nil && a.coef == math.MinInt64:
		t.Fatalf("%s: MinInt64 coefficient", what)
	case a.bigCoef() == nil && a.scale() > 0 && a.coef%10 == 0:
		t.Fatalf("%s: trailing zero %d e-%d", what, a.coef, a.scale())
	case a.bigCoef() != nil && a.bigCoef().IsInt64() && a.bigCoef().Int64() != math.MinInt64:
		t.Fatalf("%s: fallback value %s fits int64", what, a.bigCoef())
	case a.bigCoef() != nil && a.scale() > 0 && new(big.Int).Rem(a.bigCoef(), big.NewInt(10)).Sign() == 0:
		t.Fatalf("%s: fallback trailing zero %s e-%d", what, a.bigCoef(), a.scale())
	case a.bigCoef() == nil && a.scale() == 0 && a.form != nil:
		t.Fatalf("%s: integer %d with a form (== would differ from a literal's)", what, a.coef)
	case a.bigCoef() == nil && a.scale() > 0 && a.form != &fixedForms[a.scale()]:
		t.Fatalf("%s: fixed form outside the shared table", what)
	}
}

// checkSame fails unless a is canonical and equals want by value and by
// String.
func checkSame(t *testing.T, what string, a Amount, want decimal.Decimal) {
	t.Helper()
	checkCanonical(t, what, a)
	if !toDecimal(a).Equal(want) || a.String() != want.String() {
		t.Fatalf("%s = %s (%#v), want %s", what, a, a, want)
	}
}

// randomAmount draws a value from a mix of shapes: small, near 10^18 with
// 12 fractional digits, many fractional digits, int64 edges and values that
// only fit the fallback. It builds the decimal from the same coefficient.
func randomAmount(rng *rand.Rand) (Amount, decimal.Decimal) {
	c := new(big.Int)
	scale := 0
	switch rng.Intn(8) {
	case 0:
		c.SetInt64(rng.Int63n(2001) - 1000)
	case 1:
		c.SetInt64(rng.Int63n(1e6))
		scale = rng.Intn(5)
	case 2: // near 10^18, integer or with 12 fractional digits
		c.Sub(pow10Big(18), big.NewInt(rng.Int63n(1e6)+1))
		if rng.Intn(2) == 0 {
			c.Mul(c, pow10Big(12))
			c.Add(c, big.NewInt(rng.Int63n(1e12)))
			scale = 12
		}
	case 3:
		c.SetInt64(rng.Int63())
		scale = 12
	case 4: // int64 edges
		c.SetInt64([]int64{math.MaxInt64, math.MaxInt64 - 1, math.MinInt64, math.MinInt64 + 1, 1 << 62}[rng.Intn(5)])
		scale = rng.Intn(13)
	case 5: // fallback-sized: 20 to 40 digits
		c.Rand(rng, pow10Big(int64(20+rng.Intn(21))))
		scale = rng.Intn(13)
	case 6:
		scale = rng.Intn(13)
	case 7:
		c.SetInt64(rng.Int63n(1e9))
		c.Mul(c, pow10Big(int64(rng.Intn(12))))
		scale = rng.Intn(13)
	}
	if rng.Intn(2) == 0 {
		c.Neg(c)
	}
	d := decimal.NewFromBigInt(c, -int32(scale))
	return bigAmount(new(big.Int).Set(c), scale), d
}

func TestAmountPropertiesMatchDecimal(t *testing.T) {
	rng := rand.New(rand.NewSource(20260501))
	for i := 0; i < 100_000; i++ {
		a, da := randomAmount(rng)
		b, db := randomAmount(rng)
		checkSame(t, "a", a, da)
		checkSame(t, "a+b", a.Add(b), da.Add(db))
		checkSame(t, "a-b", a.Sub(b), da.Sub(db))
		checkSame(t, "-a", a.Neg(), da.Neg())
		checkSame(t, "a*b", a.Mul(b), refMul(da, db))
		checkSame(t, "min", a.Min(b), decimal.Min(da, db))
		if got, want := a.Cmp(b), da.Cmp(db); got != want {
			t.Fatalf("Cmp(%s, %s) = %d, want %d", a, b, got, want)
		}
		if a.Equal(b) != da.Equal(db) || a.LessThan(b) != da.LessThan(db) || a.GreaterThan(b) != da.GreaterThan(db) {
			t.Fatalf("Equal/LessThan/GreaterThan(%s, %s) disagree with decimal", a, b)
		}
		if a.Sign() != da.Sign() || a.IsZero() != da.IsZero() || a.IsPositive() != da.IsPositive() || a.IsNegative() != da.IsNegative() {
			t.Fatalf("Sign/IsZero/IsPositive/IsNegative(%s) disagree with decimal", a)
		}
		places := int32(rng.Intn(14))
		checkSame(t, "round", a.RoundHalfUp(places), refRoundHalfUp(da, places))
		checkEdgeConversions(t, a, da)
	}
}

// checkEdgeConversions: values within the input bounds convert from decimal
// and parse from their string; values outside are refused.
func checkEdgeConversions(t *testing.T, a Amount, d decimal.Decimal) {
	t.Helper()
	inBounds := d.Abs().LessThan(decimal.New(1, MaxIntegerDigits))
	fromDec, err := fromDecimal(d)
	if inBounds != (err == nil) {
		t.Fatalf("fromDecimal(%s): err %v, in bounds %v", d, err, inBounds)
	}
	if err == nil {
		checkSame(t, "AmountFromDecimal", fromDec, d)
	}
	if s := d.String(); len(s) <= MaxStringLen {
		parsed, err := Parse(s)
		if inBounds != (err == nil) {
			t.Fatalf("Parse(%s): err %v, in bounds %v", s, err, inBounds)
		}
		if err == nil {
			checkSame(t, "Parse", parsed, d)
		}
	}
}

func TestAmountRoundHalfUp(t *testing.T) {
	for _, c := range []struct {
		in     string
		places int32
		want   string
	}{
		{"2.345", 2, "2.35"}, {"-2.345", 2, "-2.35"}, {"2.344999", 2, "2.34"},
		{"0.005", 2, "0.01"}, {"-0.005", 2, "-0.01"}, {"0.0049", 2, "0"},
		{"1.5", 0, "2"}, {"-1.5", 0, "-2"}, {"2.5", 0, "3"},
		{"150", -2, "200"}, {"-149", -2, "-100"}, {"1.25", 5, "1.25"},
		{"999999999999999999.999999999999", 11, "1000000000000000000"},
		{"999999999999999999.999999999999", -18, "1000000000000000000"},
		{"499999999999999999.99", -18, "0"},
	} {
		got := MustParse(c.in).RoundHalfUp(c.places)
		checkSame(t, c.in, got, decimal.RequireFromString(c.want))
	}
	// Hostile places return at once.
	big := MustParse("123456789012345678.123456789012").Mul(MustParse("123456789012345678"))
	start := time.Now()
	for _, p := range []int32{math.MinInt32, -1 << 20, math.MaxInt32} {
		for _, a := range []Amount{big, MustParse("-7.5")} {
			r := a.RoundHalfUp(p)
			if p < 0 && !r.IsZero() {
				t.Fatalf("%s.RoundHalfUp(%d) = %s, want 0", a, p, r)
			}
		}
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("hostile RoundHalfUp took %v", d)
	}
}

func TestAmountMulRounding(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"0.000001", "0.0000005", "0.000000000001"}, // 5e-13 rounds up
		{"0.000001", "0.0000004", "0"},
		{"-0.000001", "0.0000005", "-0.000000000001"},
		{"0.1", "0.1", "0.01"},
		{"3", "-0.5", "-1.5"},
		{"999999999999999999", "999999999999999999", "999999999999999998000000000000000001"},
		{"0.000000000005", "0.1", "0.000000000001"},
		{"0.000000000005", "-0.1", "-0.000000000001"},
		{"0.000000000004", "0.1", "0"},
		// Both many-digit: the exact product needs the fallback, the rounded one does not.
		// exact: 138698.367765541838232056090136
		{"123456.789012345678", "1.123456789012", "138698.367765541838"},
		{"-123456.789012345678", "1.123456789012", "-138698.367765541838"},
	} {
		a, b := MustParse(c.a), MustParse(c.b)
		want := decimal.RequireFromString(c.want)
		checkSame(t, c.a+"*"+c.b, a.Mul(b), want)
	}
}

func TestParseAmountTable(t *testing.T) {
	ok := map[string]string{
		"0": "0", "-0": "0", "1e3": "1000", "1E3": "1000", "1e+3": "1000", "1.50": "1.5",
		"000123": "123", "-3": "-3", "1999": "1999", "0.5": "0.5", "12.5e-1": "1.25",
		"999999999999999999": "999999999999999999", "-999999999999999999.999999999999": "-999999999999999999.999999999999",
		"0.000000000001": "0.000000000001", "1.0000000000000000": "1", "1e-12": "0.000000000001",
		"0.0e9999": "0", "100e-14": "0.000000000001", "9223372036854775807e-12": "9223372.036854775807",
		"9223372036854775808e-12": "9223372.036854775808", "1e17": "100000000000000000",
	}
	for in, want := range ok {
		a, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		checkSame(t, in, a, decimal.RequireFromString(want))
	}
	huge := strings.Repeat("9", 200000)
	bad := map[string]error{
		"": ErrSyntax, "+1": ErrSyntax, "NaN": ErrSyntax, "nan": ErrSyntax,
		"Inf": ErrSyntax, "-Infinity": ErrSyntax, "0x10": ErrSyntax, "1_000": ErrSyntax,
		" 1": ErrSyntax, "1 ": ErrSyntax, ".5": ErrSyntax, "5.": ErrSyntax, "-": ErrSyntax,
		"1e": ErrSyntax, "1e+": ErrSyntax, "1.2.3": ErrSyntax, "--1": ErrSyntax, "1,5": ErrSyntax,
		"١": ErrSyntax, "1e3.5": ErrSyntax,
		"1e-2147483648": ErrExponent, "9e999999999": ErrExponent, "1e-4000000": ErrExponent,
		"0e999999999": ErrExponent, "1e00001": ErrExponent,
		huge: ErrTooLong, "0." + strings.Repeat("0", 63): ErrTooLong,
		"1e18": ErrIntegerDigits, "1000000000000000000": ErrIntegerDigits, "-1e9999": ErrIntegerDigits,
		"0.0000000000001": ErrFractionDigits, "1e-13": ErrFractionDigits, "1.0000000000001": ErrFractionDigits,
		"1e-9999": ErrFractionDigits,
	}
	for in, want := range bad {
		start := time.Now()
		a, err := Parse(in)
		if d := time.Since(start); d > 10*time.Millisecond {
			t.Errorf("Parse(%.20q) took %v", in, d)
		}
		if !errors.Is(err, want) || !a.IsZero() {
			t.Errorf("Parse(%.20q) = %v, %v; want %v", in, a, err, want)
		}
		if err != nil && len(err.Error()) > 100 {
			t.Errorf("error too long: %d bytes", len(err.Error()))
		}
	}
}

func TestAmountFromDecimalBounds(t *testing.T) {
	for _, c := range []struct {
		d    decimal.Decimal
		want error
	}{
		{decimal.New(1, 18), ErrIntegerDigits},
		{decimal.New(1, math.MaxInt32), ErrIntegerDigits},
		{decimal.New(1, math.MinInt32), ErrFractionDigits},
		{decimal.New(1, -13), ErrFractionDigits},
		{decimal.NewFromBigInt(pow10Big(100000), -100000), nil}, // exactly 1
		{decimal.NewFromBigInt(pow10Big(100000), -99982), ErrIntegerDigits},
		{decimal.NewFromBigInt(pow10Big(100000), -99983), nil},
		{decimal.New(15, -14), ErrFractionDigits},
		{decimal.New(1500, -14), nil},
		{decimal.New(-999999999999999999, 0), nil},
	} {
		start := time.Now()
		a, err := fromDecimal(c.d)
		if time.Since(start) > 50*time.Millisecond {
			t.Errorf("fromDecimal(exp %d) took %v", c.d.Exponent(), time.Since(start))
		}
		if !errors.Is(err, c.want) {
			t.Fatalf("fromDecimal(coef bits %d, exp %d) = %v, %v; want %v", c.d.Coefficient().BitLen(), c.d.Exponent(), a, err, c.want)
		}
		if err == nil {
			checkSame(t, "AmountFromDecimal", a, c.d)
		}
	}
}

func TestAmountBinaryRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	var buf []byte
	var want []Amount
	for i := 0; i < 20_000; i++ {
		a, _ := randomAmount(rng)
		if i%3 == 0 {
			b, _ := randomAmount(rng)
			a = a.Mul(b)
		}
		want = append(want, a)
		buf = a.AppendBinary(buf)
	}
	for i, w := range want {
		got, n, err := DecodeBinary(buf)
		if err != nil || n == 0 {
			t.Fatalf("#%d: decode %s: %v", i, w, err)
		}
		checkSame(t, "decoded", got, toDecimal(w))
		if again := got.AppendBinary(nil); string(again) != string(buf[:n]) {
			t.Fatalf("#%d: %s re-encodes differently", i, w)
		}
		buf = buf[n:]
	}
	if len(buf) != 0 {
		t.Fatalf("%d bytes left", len(buf))
	}
	if got := (Amount{}).AppendBinary(nil); string(got) != "\x00\x00" {
		t.Fatalf("zero encodes as %x", got)
	}
}

func TestDecodeAmountBinaryRefuses(t *testing.T) {
	long := append([]byte{amountBinBig, 65}, make([]byte, 65)...)
	long[2] = 1
	for name, b := range map[string][]byte{
		"empty":          nil,
		"scale 13":       {13, 2},
		"unknown bit":    {0x40, 2},
		"neg bit fixed":  {amountBinNeg, 2},
		"truncated":      {0, 0x80},
		"varint overrun": {0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
		"min int64":      binaryVarint(math.MinInt64),
		"big no length":  {amountBinBig},
		"big zero len":   {amountBinBig, 0},
		"big 65 bytes":   long,
		"big short":      {amountBinBig, 3, 1, 2},
		"big huge len":   {amountBinBig, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	} {
		if a, n, err := DecodeBinary(b); !errors.Is(err, ErrBinary) {
			t.Errorf("%s: decoded %s (%d bytes), want error", name, a, n)
		}
	}
	// A non-canonical but valid encoding decodes to the canonical value.
	a, _, err := DecodeBinary(append([]byte{amountBinBig | 2}, 1, 100))
	if err != nil || a.String() != "1" || a.bigCoef() != nil {
		t.Fatalf("non-canonical decode = %#v, %v", a, err)
	}
}

func binaryVarint(c int64) []byte {
	b := []byte{0}
	for u := uint64(c<<1) ^ uint64(c>>63); ; u >>= 7 {
		if u < 0x80 {
			return append(b, byte(u))
		}
		b = append(b, byte(u)|0x80)
	}
}

func TestAmountFixedPathDoesNotAllocate(t *testing.T) {
	a, b := MustParse("12345.678"), MustParse("-0.000125")
	var sink Amount
	var buf [64]byte
	for name, f := range map[string]func(){
		"Add":          func() { sink = a.Add(b) },
		"Sub":          func() { sink = a.Sub(b) },
		"Mul":          func() { sink = a.Mul(b) },
		"Cmp":          func() { _ = a.Cmp(b) },
		"RoundHalfUp":  func() { sink = a.RoundHalfUp(2) },
		"Parse":        func() { sink, _ = Parse("-12345.678901234567") },
		"AppendString": func() { _ = a.AppendString(buf[:0]) },
		"AppendBinary": func() { _ = a.AppendBinary(buf[:0]) },
		"Decode":       func() { sink, _, _ = DecodeBinary([]byte{3, 0x80, 0x01}) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs", name, n)
		}
	}
	_ = sink
}

func TestAmountZeroValue(t *testing.T) {
	var z Amount
	if !z.IsZero() || z.String() != "0" || !z.Equal(FromInt(0)) || !z.Equal(MustParse("-0.000")) {
		t.Fatalf("zero value is not 0")
	}
	checkSame(t, "MinInt64", FromInt(math.MinInt64), decimal.New(math.MinInt64, 0))
	checkSame(t, "-MinInt64", FromInt(math.MinInt64).Neg(), decimal.New(math.MinInt64, 0).Neg())
}

// fromDecimal is FromScaled on the reference decimal's parts.
func fromDecimal(d decimal.Decimal) (Amount, error) {
	return FromScaled(d.Coefficient(), int64(d.Exponent()))
}

// toDecimal converts a to the reference decimal, to compare the two.
func toDecimal(a Amount) decimal.Decimal {
	if a.bigCoef() != nil {
		return decimal.NewFromBigInt(a.bigCoef(), -int32(a.scale()))
	}
	return decimal.New(a.coef, -int32(a.scale()))
}

// An Amount is two words: a customer's state holds dozens of them, so a
// third word costs tens of megabytes a million customers over.
func TestAmountIsTwoWords(t *testing.T) {
	if n := unsafe.Sizeof(Amount{}); n != 16 {
		t.Fatalf("Amount is %d bytes, want 16", n)
	}
}

// Equal values on the fixed path are == as well (their forms are the shared
// table's), which is what a struct holding amounts compared with == needs.
func TestFixedAmountsCompareWithDoubleEquals(t *testing.T) {
	for _, s := range []string{"0", "1", "-7.5", "0.000000000001", "123456789012345678"} {
		a, b := MustParse(s), MustParse(s).Add(FromInt(0))
		if a != b {
			t.Errorf("%s: parsed %#v and computed %#v differ under ==", s, a, b)
		}
	}
}

// A quotient cut at more places than the table of forms holds is still an
// amount, not a panic (DivTrunc's places come from the engine, and a
// replica must not crash on an arithmetic path).
func TestDivTruncPastTheFormTable(t *testing.T) {
	got := MustParse("0.000000000001").DivTrunc(1_000_000_000_000_000_000, 30) // 10^-30: coefficient 1
	if want := "0." + strings.Repeat("0", 29) + "1"; got.String() != want {
		t.Fatalf("10^-12 / 10^18 cut at 30 places = %s, want %s", got, want)
	}
	if got.Cmp(Amount{}) <= 0 {
		t.Fatalf("%s compares as not positive", got)
	}
}
