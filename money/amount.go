package money

import (
	"cmp"
	"math"
	"math/big"
	"math/bits"
)

// Bounds of the money type. Inputs (Parse, FromScaled) outside
// them are refused with an error naming the bound, so no event or command can
// make an apply slow or stall a replica.
const (
	// MaxIntegerDigits: accepted inputs have |v| < 10^18.
	MaxIntegerDigits = 18
	// MaxFractionDigits: accepted inputs have at most 12 fractional
	// digits once trailing zeros are trimmed; Mul rounds to this many.
	MaxFractionDigits = 12
	// MaxStringLen: Parse refuses longer strings before looking
	// at them, which bounds its time by a constant.
	MaxStringLen = 64
	// MaxExponentDigits: an exponent with more digits is refused
	// without building the number.
	MaxExponentDigits = 4
	// MaxBinaryMagnitude: DecodeBinary refuses fallback
	// magnitudes longer than this many bytes (about 10^154).
	MaxBinaryMagnitude = 64
)

// Amount is the engine's one exact money and quantity type.
//
// The value is coef × 10^-scale with scale in 0..12. On the common path the
// coefficient is an int64 and no operation allocates. When an exact result
// does not fit an int64 (after aligning scales) it falls back to a *big.Int
// coefficient: slower and allocating, but still exact. The zero value is 0.
//
// Every Amount is canonical: the scale is minimal (no trailing fractional
// zeros) and the big coefficient is used only when the value does not fit
// int64 (excluding math.MinInt64, so negation never overflows). Canonical
// form makes String, AppendBinary and equality independent of history.
// Compare with Equal or Cmp, not ==: == compares fallback pointers.
//
// Add, Sub and Neg are exact. Mul is exact when the exact product has at most
// 12 fractional digits, otherwise it is rounded half-up (away from zero on .5)
// to 12. RoundHalfUp rounds to fewer places (proration). Both use the one
// rounding function, roundHalfUp. No rounding anywhere else.
//
// A big coefficient is never mutated after construction, so Amounts can be
// copied and shared between goroutines freely.
type Amount struct {
	coef int64       // the coefficient when form.big is nil; |coef| <= math.MaxInt64
	form *amountForm // scale and fallback coefficient; nil for scale 0 on the fixed path
}

// amountForm holds what an Amount needs beside an int64 coefficient: kept
// behind a pointer, an Amount is 16 bytes rather than 24, and a customer's
// state holds dozens of them (BenchmarkMemoryPerCustomer). On the fixed path
// the pointer is to the shared read-only entry of fixedForms for its scale,
// so no operation on the fixed path allocates.
type amountForm struct {
	big   *big.Int // fallback coefficient, immutable; nil on the fixed path
	scale uint8    // fractional digits; up to 24 only transiently inside Mul
}

// fixedForms is a read-only table of the fixed path's forms, one per scale
// (0 to 24, the widest scale inside Mul); an Amount points into it and
// nothing writes to it after initialisation.
var fixedForms = func() (f [2*MaxFractionDigits + 1]amountForm) {
	for i := range f {
		f[i].scale = uint8(i)
	}
	return f
}()

// scale returns a's number of fractional digits.
func (a Amount) scale() uint8 {
	if a.form == nil {
		return 0
	}
	return a.form.scale
}

// bigCoef returns a's fallback coefficient, nil on the fixed path.
func (a Amount) bigCoef() *big.Int {
	if a.form == nil {
		return nil
	}
	return a.form.big
}

// fixedOf returns the Amount c × 10^-scale on the fixed path as is (the
// caller makes it canonical). A scale past the table (no caller passes one:
// inputs have at most 12 digits, Mul's products 24) gets a form of its own
// rather than a panic on a replica.
func fixedOf(c int64, scale uint8) Amount {
	switch {
	case scale == 0:
		return Amount{coef: c}
	case int(scale) < len(fixedForms):
		return Amount{coef: c, form: &fixedForms[scale]}
	}
	return Amount{coef: c, form: &amountForm{scale: scale}}
}

// bigOf returns the Amount c × 10^-scale on the fallback path as is.
func bigOf(c *big.Int, scale uint8) Amount {
	return Amount{form: &amountForm{big: c, scale: scale}}
}

// amountPow10 is a read-only table of 10^0..10^18.
var amountPow10 = [19]int64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
}

// FromInt returns n exactly (engine-internal counts and constants; not
// bounded like parsed inputs).
func FromInt(n int64) Amount {
	if n == math.MinInt64 {
		return bigAmount(big.NewInt(n), 0)
	}
	return Amount{coef: n}
}

// fixedAmount returns c × 10^-scale in canonical form; c must not be
// math.MinInt64.
func fixedAmount(c int64, scale uint8) Amount {
	for scale > 0 && c%10 == 0 {
		c /= 10
		scale--
	}
	if c == 0 {
		return Amount{}
	}
	return fixedOf(c, scale)
}

// bigAmount returns c × 10^-scale in canonical form, demoting to the fixed
// path when it fits. It takes ownership of c.
func bigAmount(c *big.Int, scale int) Amount {
	if scale > 0 && c.Sign() != 0 {
		ten := big.NewInt(10)
		q, r := new(big.Int), new(big.Int)
		for scale > 0 {
			q.QuoRem(c, ten, r)
			if r.Sign() != 0 {
				break
			}
			c, q = q, c
			scale--
		}
	}
	if c.IsInt64() && c.Int64() != math.MinInt64 {
		return fixedAmount(c.Int64(), uint8(scale))
	}
	return bigOf(c, uint8(scale))
}

// pow10Big returns 10^n as a new big.Int.
func pow10Big(n int64) *big.Int {
	if n < int64(len(amountPow10)) {
		return big.NewInt(amountPow10[n])
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil)
}

// scaledBig returns a's coefficient scaled to s fractional digits (s >=
// a.scale()) as a new big.Int the caller owns.
func scaledBig(a Amount, s uint8) *big.Int {
	x := new(big.Int)
	if a.bigCoef() != nil {
		x.Set(a.bigCoef())
	} else {
		x.SetInt64(a.coef)
	}
	if s > a.scale() {
		x.Mul(x, pow10Big(int64(s-a.scale())))
	}
	return x
}

// alignBig returns both coefficients at the larger of the two scales.
func alignBig(a, b Amount) (x, y *big.Int, s uint8) {
	s = max(a.scale(), b.scale())
	return scaledBig(a, s), scaledBig(b, s), s
}

// absU returns |c| as uint64 (correct for every int64).
func absU(c int64) uint64 {
	if c < 0 {
		return uint64(-c)
	}
	return uint64(c)
}

// scaleUp returns c × 10^d when it fits the fixed path.
func scaleUp(c int64, d uint8) (int64, bool) {
	hi, lo := bits.Mul64(absU(c), uint64(amountPow10[d]))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if c < 0 {
		return -int64(lo), true
	}
	return int64(lo), true
}

// alignFixed returns both fixed coefficients at the larger scale, or false
// when one does not fit int64 there.
func alignFixed(a, b Amount) (x, y int64, s uint8, ok bool) {
	switch {
	case a.scale() == b.scale():
		return a.coef, b.coef, a.scale(), true
	case a.scale() < b.scale():
		x, ok = scaleUp(a.coef, b.scale()-a.scale())
		return x, b.coef, b.scale(), ok
	default:
		y, ok = scaleUp(b.coef, a.scale()-b.scale())
		return a.coef, y, a.scale(), ok
	}
}

// addFixed adds two fixed amounts without allocating, or reports false when
// the exact sum needs the fallback.
func addFixed(a, b Amount) (Amount, bool) {
	x, y, s, ok := alignFixed(a, b)
	if !ok {
		return Amount{}, false
	}
	sum := x + y
	if (sum^x)&(sum^y) < 0 || sum == math.MinInt64 {
		return Amount{}, false
	}
	return fixedAmount(sum, s), true
}

// Add returns a + b exactly.
func (a Amount) Add(b Amount) Amount {
	if a.bigCoef() == nil && b.bigCoef() == nil {
		if r, ok := addFixed(a, b); ok {
			return r
		}
	}
	x, y, s := alignBig(a, b)
	return bigAmount(x.Add(x, y), int(s))
}

// Sub returns a − b exactly.
func (a Amount) Sub(b Amount) Amount {
	if a.bigCoef() == nil && b.bigCoef() == nil {
		if r, ok := addFixed(a, fixedOf(-b.coef, b.scale())); ok {
			return r
		}
	}
	x, y, s := alignBig(a, b)
	return bigAmount(x.Sub(x, y), int(s))
}

// Neg returns −a exactly.
func (a Amount) Neg() Amount {
	if a.bigCoef() == nil {
		return fixedOf(-a.coef, a.scale())
	}
	return bigOf(new(big.Int).Neg(a.bigCoef()), a.scale())
}

// Mul returns a × b, exact when the product has at most 12 fractional
// digits and rounded half-up to 12 otherwise.
func (a Amount) Mul(b Amount) Amount {
	if a.bigCoef() == nil && b.bigCoef() == nil {
		hi, lo := bits.Mul64(absU(a.coef), absU(b.coef))
		if hi == 0 && lo <= math.MaxInt64 {
			c := int64(lo)
			if (a.coef < 0) != (b.coef < 0) {
				c = -c
			}
			return fixedAmount(c, a.scale()+b.scale()).roundHalfUp(MaxFractionDigits)
		}
	}
	p := scaledBig(a, a.scale())
	p.Mul(p, scaledBig(b, b.scale()))
	return bigAmount(p, int(a.scale())+int(b.scale())).roundHalfUp(MaxFractionDigits)
}

// RoundHalfUp returns a rounded to places fractional digits, half away from
// zero (2.345 → 2.35, −2.345 → −2.35 at 2 places); used for proration.
// Negative places round to tens, hundreds, …; places >= 12 return a.
func (a Amount) RoundHalfUp(places int32) Amount {
	return a.roundHalfUp(int64(places))
}

// roundHalfUp rounds half away from zero (see roundMode).
func (a Amount) roundHalfUp(places int64) Amount { return a.roundMode(places, HalfUp) }

// RoundingMode says which way Round moves a value with dropped digits.
type RoundingMode uint8

// The rounding modes; HalfUp is the only one used for money arithmetic.
const (
	HalfUp  RoundingMode = iota // half away from zero: Mul, Quo, proration, HALF_UP
	Ceiling                     // toward +infinity: a product's ROUND_UP
	Floor                       // toward -infinity: a product's ROUND_DOWN
)

// Round returns a rounded to places fractional digits by mode (a product's
// quantity rounding). Its time is bounded by the size of a, whatever places.
func (a Amount) Round(places int64, mode RoundingMode) Amount { return a.roundMode(places, mode) }

// roundMode is the engine's only rounding: drop the digits beyond places
// and, by mode, increase the magnitude by one unit of the last kept place
// (half-up: when the dropped part is at least half of it; ceiling/floor:
// when any dropped digit is non-zero and the value is positive/negative).
// Its time is bounded by the size of a, whatever places is.
func (a Amount) roundMode(places int64, mode RoundingMode) Amount {
	if places >= int64(a.scale()) {
		return a
	}
	drop := int64(a.scale()) - places
	bump := func(rNonZero, atLeastHalf bool, sign int) bool {
		switch mode {
		case Ceiling:
			return rNonZero && sign > 0
		case Floor:
			return rNonZero && sign < 0
		}
		return atLeastHalf
	}
	if a.bigCoef() == nil && places >= 0 && drop < int64(len(amountPow10)) {
		p := amountPow10[drop]
		q, r := a.coef/p, a.coef%p
		ar := int64(absU(r))
		if bump(r != 0, ar >= p-ar, int(sign64(a.coef))) {
			q += sign64(a.coef)
		}
		return fixedAmount(q, uint8(places))
	}
	c := scaledBig(a, a.scale())
	if mode == HalfUp && 3*drop >= int64(c.BitLen())+1 {
		return Amount{} // |a| < 2^(bitlen) ≤ 10^drop / 2: rounds to zero
	}
	p := pow10Big(drop)
	q, r := new(big.Int).QuoRem(c, p, new(big.Int))
	rNonZero := r.Sign() != 0
	if bump(rNonZero, r.Abs(r).Lsh(r, 1).Cmp(p) >= 0, c.Sign()) {
		q.Add(q, big.NewInt(int64(c.Sign())))
	}
	if places < 0 {
		q.Mul(q, pow10Big(-places))
		places = 0
	}
	return bigAmount(q, int(places))
}

// Quo returns a ÷ b rounded half-up to 12 fractional digits (a product's
// DIVIDE quantity conversion); b must not be zero. The quotient is
// truncated at 13 digits first: truncation keeps whether the dropped part is
// at least half, so the result is the exact quotient rounded half-up.
func (a Amount) Quo(b Amount) Amount {
	if b.IsZero() {
		panic("engine: Amount.Quo by zero")
	}
	const extra = MaxFractionDigits + 1
	num := scaledBig(a, a.scale())
	num.Mul(num, pow10Big(int64(extra)+int64(b.scale())-int64(a.scale())))
	den := scaledBig(b, b.scale())
	num.Quo(num, den)
	return bigAmount(num, extra).roundHalfUp(MaxFractionDigits)
}

func sign64(c int64) int64 {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

// Sign returns −1, 0 or +1.
func (a Amount) Sign() int {
	if a.bigCoef() != nil {
		return a.bigCoef().Sign()
	}
	return int(sign64(a.coef))
}

// IsZero reports a == 0.
func (a Amount) IsZero() bool { return a.bigCoef() == nil && a.coef == 0 }

// IsPositive reports a > 0.
func (a Amount) IsPositive() bool { return a.Sign() > 0 }

// IsNegative reports a < 0.
func (a Amount) IsNegative() bool { return a.Sign() < 0 }

// Cmp returns −1, 0 or +1 as a is less than, equal to or greater than b.
func (a Amount) Cmp(b Amount) int {
	if a.bigCoef() == nil && b.bigCoef() == nil {
		if a.scale() == b.scale() {
			return cmp.Compare(a.coef, b.coef)
		}
		return cmpFixedScaled(a, b)
	}
	x, y, _ := alignBig(a, b)
	return x.Cmp(y)
}

// cmpFixedScaled compares fixed amounts of different scales in 128 bits, so
// it never allocates.
func cmpFixedScaled(a, b Amount) int {
	sa, sb := sign64(a.coef), sign64(b.coef)
	if sa != sb || sa == 0 {
		return cmp.Compare(sa, sb)
	}
	s := max(a.scale(), b.scale())
	ah, al := bits.Mul64(absU(a.coef), uint64(amountPow10[s-a.scale()]))
	bh, bl := bits.Mul64(absU(b.coef), uint64(amountPow10[s-b.scale()]))
	m := cmp.Compare(al, bl)
	if ah != bh {
		m = cmp.Compare(ah, bh)
	}
	return m * int(sa)
}

// Equal reports a == b by value.
func (a Amount) Equal(b Amount) bool { return a.Cmp(b) == 0 }

// LessThan reports a < b.
func (a Amount) LessThan(b Amount) bool { return a.Cmp(b) < 0 }

// GreaterThan reports a > b.
func (a Amount) GreaterThan(b Amount) bool { return a.Cmp(b) > 0 }

// Min returns the smaller of a and b (a when equal).
func (a Amount) Min(b Amount) Amount {
	if b.Cmp(a) < 0 {
		return b
	}
	return a
}

// Scale returns a's number of fractional digits in canonical form (0 to 12):
// rating uses it to know when a product could need rounding.
func (a Amount) Scale() uint8 { return a.scale() }

// CheckInput reports whether a is within the input bound (|a| < 10^18; the
// fractional bound holds for every canonical Amount), so the engine can
// assert on every replica what the HTTP edge already checked: a command
// decoded from the log carries amounts read within the wider stored bound.
func (a Amount) CheckInput() error {
	if a.bigCoef() == nil {
		if a.scale() == 0 && absU(a.coef) >= uint64(amountPow10[MaxIntegerDigits]) {
			return ErrIntegerDigits
		}
		return nil
	}
	if new(big.Int).Abs(a.bigCoef()).Cmp(pow10Big(MaxIntegerDigits+int64(a.scale()))) >= 0 {
		return ErrIntegerDigits
	}
	return nil
}

// Coefficient returns c with a = c × 10^-Scale() as a new big.Int, for
// codecs of formats that store a coefficient and an exponent.
func (a Amount) Coefficient() *big.Int {
	if a.bigCoef() != nil {
		return new(big.Int).Set(a.bigCoef())
	}
	return big.NewInt(a.coef)
}
