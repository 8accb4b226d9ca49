package engine

import (
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"strconv"

	"github.com/shopspring/decimal"
)

// ErrAmountBinary is returned by DecodeAmountBinary for malformed input.
var ErrAmountBinary = errors.New("malformed binary amount")

// AmountFromDecimal converts a decimal from the API edge, refusing it unless
// |d| < 10^18 with at most 12 fractional digits (trailing zeros trimmed). Its
// time is bounded by the size of d's coefficient, whatever its exponent.
func AmountFromDecimal(d decimal.Decimal) (Amount, error) {
	c := d.Coefficient()
	if c.Sign() == 0 {
		return Amount{}, nil
	}
	exp := int64(d.Exponent())
	if exp >= 0 {
		if exp >= MaxAmountIntegerDigits || c.BitLen() > 64 {
			return Amount{}, ErrAmountIntegerDigits
		}
		c.Mul(c, pow10Big(exp))
		exp = 0
	}
	if drop := -exp - MaxAmountFractionDigits; drop > 0 {
		// Digits beyond the 12th must all be zero: c must be a multiple of
		// 10^drop, impossible when 10^drop > 2^bitlen > |c|.
		if 3*drop >= int64(c.BitLen()) {
			return Amount{}, ErrAmountFractionDigits
		}
		r := new(big.Int)
		if c.QuoRem(c, pow10Big(drop), r); r.Sign() != 0 {
			return Amount{}, ErrAmountFractionDigits
		}
		exp = -MaxAmountFractionDigits
	}
	// Now |d| = |c| × 10^exp with −12 ≤ exp ≤ 0; |d| < 10^18 ⇔ |c| < 10^(18−exp).
	if c.BitLen() > 100 || c.CmpAbs(pow10Big(MaxAmountIntegerDigits-exp)) >= 0 {
		return Amount{}, ErrAmountIntegerDigits
	}
	return bigAmount(c, int(-exp)), nil
}

// Decimal returns a as a decimal.Decimal, for the API edge and for tests
// that prove the two equal.
func (a Amount) Decimal() decimal.Decimal {
	if a.big != nil {
		return decimal.NewFromBigInt(a.big, -int32(a.scale))
	}
	return decimal.New(a.coef, -int32(a.scale))
}

// String returns the canonical decimal string, the same as
// decimal.Decimal's String for the same value: "0.5", "-3", "1999".
func (a Amount) String() string {
	var buf [40]byte
	return string(a.AppendString(buf[:0]))
}

// AppendString appends String() to dst; it does not allocate on the fixed
// path (JSON hot path).
func (a Amount) AppendString(dst []byte) []byte {
	var buf [24]byte
	if a.big == nil {
		return appendPointed(dst, a.coef < 0, strconv.AppendUint(buf[:0], absU(a.coef), 10), int(a.scale))
	}
	mag := new(big.Int).Abs(a.big)
	return appendPointed(dst, a.big.Sign() < 0, mag.Append(buf[:0], 10), int(a.scale))
}

// appendPointed appends the digits with a decimal point scale digits from
// the right: ("5", 1) → "0.5", ("1999", 0) → "1999".
func appendPointed(dst []byte, neg bool, digits []byte, scale int) []byte {
	if neg {
		dst = append(dst, '-')
	}
	if scale == 0 {
		return append(dst, digits...)
	}
	if n := len(digits) - scale; n > 0 {
		dst = append(dst, digits[:n]...)
		dst = append(dst, '.')
		return append(dst, digits[n:]...)
	}
	dst = append(dst, '0', '.')
	for i := len(digits); i < scale; i++ {
		dst = append(dst, '0')
	}
	return append(dst, digits...)
}

// Binary encoding, for the snapshot codec. The first byte holds the scale
// (bits 0-3), amountBinBig and, for the fallback only, amountBinNeg.
// Fixed: then the coefficient as a zig-zag varint (1 + 1..10 bytes).
// Fallback: then the magnitude's length as a uvarint (1..64) and the
// magnitude, big-endian.
const (
	amountBinScale = 0x0f
	amountBinBig   = 0x10
	amountBinNeg   = 0x20
)

// AppendBinary appends a's compact binary encoding to dst. Canonical form
// makes equal values encode to equal bytes. Fallback magnitudes over
// MaxAmountBinaryMagnitude bytes are encoded but DecodeAmountBinary refuses
// them; values within the input bounds and their products never come near.
func (a Amount) AppendBinary(dst []byte) []byte {
	if a.big == nil {
		return binary.AppendVarint(append(dst, a.scale), a.coef)
	}
	h := a.scale | amountBinBig
	if a.big.Sign() < 0 {
		h |= amountBinNeg
	}
	mag := new(big.Int).Abs(a.big).Bytes()
	dst = binary.AppendUvarint(append(dst, h), uint64(len(mag)))
	return append(dst, mag...)
}

// DecodeAmountBinary decodes one amount from the front of b and returns it
// with the number of bytes read. It refuses scales over 12, bad varints and
// fallback magnitudes over MaxAmountBinaryMagnitude bytes.
func DecodeAmountBinary(b []byte) (Amount, int, error) {
	if len(b) == 0 {
		return Amount{}, 0, ErrAmountBinary
	}
	h := b[0]
	scale := h & amountBinScale
	if scale > MaxAmountFractionDigits || h&^(amountBinScale|amountBinBig|amountBinNeg) != 0 {
		return Amount{}, 0, ErrAmountBinary
	}
	if h&amountBinBig == 0 {
		c, n := binary.Varint(b[1:])
		if n <= 0 || h&amountBinNeg != 0 || c == math.MinInt64 {
			return Amount{}, 0, ErrAmountBinary
		}
		return fixedAmount(c, scale), 1 + n, nil
	}
	n, k := binary.Uvarint(b[1:])
	if k <= 0 || n == 0 || n > MaxAmountBinaryMagnitude || uint64(len(b)-1-k) < n {
		return Amount{}, 0, ErrAmountBinary
	}
	end := 1 + k + int(n)
	c := new(big.Int).SetBytes(b[1+k : end])
	if h&amountBinNeg != 0 {
		c.Neg(c)
	}
	return bigAmount(c, int(scale)), end, nil
}
