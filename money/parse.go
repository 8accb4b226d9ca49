package money

import (
	"errors"
	"fmt"
	"math"
	"math/big"
)

// Errors returned by Parse and FromScaled; the API maps them to
// a 400 naming the field. Match them with errors.Is.
var (
	ErrSyntax         = errors.New("not a decimal number")
	ErrTooLong        = errors.New("longer than 64 bytes")
	ErrExponent       = errors.New("exponent has more than 4 digits")
	ErrIntegerDigits  = errors.New("more than 18 integer digits")
	ErrFractionDigits = errors.New("more than 12 fractional digits")
)

// Parse is the strict parser for amounts in events and commands. It
// accepts only -?digits(.digits)?([eE][+-]?digits)? — no '+', spaces,
// underscores, hex, NaN, Inf, leading or trailing '.' — within the bounds
// (MaxAmount* constants). Its time is bounded by a constant: strings over 64
// bytes and exponents over 4 digits are refused before any number is built,
// so "0e999999999" is refused too. It does not allocate for valid inputs
// whose coefficient fits int64.
func Parse(s string) (Amount, error) {
	if len(s) > MaxStringLen {
		return Amount{}, parseError(s, ErrTooLong)
	}
	l, err := scanAmount(s)
	if err == nil {
		var a Amount
		if a, err = l.amount(); err == nil {
			return a, nil
		}
	}
	return Amount{}, parseError(s, err)
}

// MustParse is Parse for tests and constants; it panics on error.
func MustParse(s string) Amount {
	a, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}

// parseError wraps err with a clipped copy of the input.
func parseError(s string, err error) error {
	const clip = 32
	if len(s) > clip {
		s = s[:clip] + "..."
	}
	return fmt.Errorf("amount %q: %w", s, err)
}

// amountLiteral is a syntactically valid literal: the value is
// (−1)^neg × (intPart ++ fracPart) × 10^(exp − len(fracPart)).
type amountLiteral struct {
	neg               bool
	intPart, fracPart string
	exp               int
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// scanAmount checks the grammar and splits s into its parts.
func scanAmount(s string) (amountLiteral, error) {
	var l amountLiteral
	i := 0
	if i < len(s) && s[i] == '-' {
		l.neg = true
		i++
	}
	j := skipDigits(s, i)
	if j == i {
		return l, ErrSyntax
	}
	l.intPart, i = s[i:j], j
	if i < len(s) && s[i] == '.' {
		j = skipDigits(s, i+1)
		if j == i+1 {
			return l, ErrSyntax
		}
		l.fracPart, i = s[i+1:j], j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		var err error
		if l.exp, i, err = scanExponent(s, i+1); err != nil {
			return l, err
		}
	}
	if i != len(s) {
		return l, ErrSyntax
	}
	return l, nil
}

// scanExponent reads [+-]?digits at s[i:], at most 4 digits.
func scanExponent(s string, i int) (exp, next int, err error) {
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	j := skipDigits(s, i)
	switch {
	case j == i:
		return 0, j, ErrSyntax
	case j-i > MaxExponentDigits:
		return 0, j, ErrExponent
	}
	for k := i; k < j; k++ {
		exp = exp*10 + int(s[k]-'0')
	}
	if neg {
		exp = -exp
	}
	return exp, j, nil
}

// amount checks the bounds and builds the canonical Amount.
func (l amountLiteral) amount() (Amount, error) {
	var buf [MaxStringLen]byte
	d := append(append(buf[:0], l.intPart...), l.fracPart...)
	exp := l.exp - len(l.fracPart)
	for len(d) > 0 && d[0] == '0' {
		d = d[1:]
	}
	for len(d) > 0 && d[len(d)-1] == '0' {
		d = d[:len(d)-1]
		exp++
	}
	switch {
	case len(d) == 0:
		return Amount{}, nil
	case len(d)+exp > MaxIntegerDigits:
		return Amount{}, ErrIntegerDigits
	case exp < -MaxFractionDigits:
		return Amount{}, ErrFractionDigits
	}
	scale := max(-exp, 0)
	zeros := max(exp, 0)
	if c, ok := digitsInt64(d, zeros); ok {
		if l.neg {
			c = -c
		}
		return fixedOf(c, uint8(scale)), nil
	}
	c, _ := new(big.Int).SetString(string(d), 10)
	c.Mul(c, pow10Big(int64(zeros)))
	if l.neg {
		c.Neg(c)
	}
	return bigAmount(c, scale), nil
}

// digitsInt64 returns the decimal digits d followed by zeros zeros as an
// int64, or false when that exceeds math.MaxInt64.
func digitsInt64(d []byte, zeros int) (int64, bool) {
	var c int64
	for _, ch := range d {
		v := int64(ch - '0')
		if c > (math.MaxInt64-v)/10 {
			return 0, false
		}
		c = c*10 + v
	}
	if zeros > 0 {
		return scaleUp(c, uint8(zeros))
	}
	return c, true
}

// maxStoredStringLen bounds the text parseStored reads: a stored magnitude
// (MaxBinaryMagnitude bytes, about 155 digits), a sign, a point and 12
// fractional digits fit well within it.
const maxStoredStringLen = 200

// parseStored reads a decimal that durable state may hold beyond the input
// bound (sums written as JSON by MarshalJSON): the strict grammar, at most
// maxStoredStringLen bytes, within the stored bound. Its time is bounded by
// the length limit.
func parseStored(s string) (Amount, error) {
	if len(s) > maxStoredStringLen {
		return Amount{}, ErrTooLong
	}
	l, err := scanAmount(s)
	if err != nil {
		return Amount{}, err
	}
	c, ok := new(big.Int).SetString(l.intPart+l.fracPart, 10)
	if !ok {
		return Amount{}, ErrSyntax
	}
	if l.neg {
		c.Neg(c)
	}
	return FromStoredScaled(c, int64(l.exp)-int64(len(l.fracPart)))
}
