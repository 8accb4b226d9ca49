package money

import "math/big"

// DivRoundHalfUp returns a / n rounded half-up to places fractional digits
// (a scheduled charge split into n items): the quotient is cut toward zero
// one digit past places, which decides the rounding exactly, and rounded by
// the package's one rounding function. n must not be zero.
func (a Amount) DivRoundHalfUp(n int64, places int) Amount {
	return a.DivTrunc(n, places+1).roundHalfUp(int64(places))
}

// DivTrunc returns a / n cut toward zero to places fractional digits
// (proration's exact quotient before its one rounding). n must not be zero.
func (a Amount) DivTrunc(n int64, places int) Amount {
	num := scaledBig(a, a.scale())
	den := big.NewInt(n)
	if k := places - int(a.scale()); k > 0 {
		num.Mul(num, pow10Big(int64(k)))
	} else if k < 0 {
		den.Mul(den, pow10Big(int64(-k)))
	}
	num.Quo(num, den)
	return bigAmount(num, places)
}

// Int64 returns a as an int64 when it is a whole number that fits one
// (whole cents sent to a payment provider).
func (a Amount) Int64() (int64, bool) {
	if a.bigCoef() != nil || a.scale() != 0 {
		return 0, false
	}
	return a.coef, true
}
