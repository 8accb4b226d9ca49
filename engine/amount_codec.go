package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
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
	return amountFromScaled(d.Coefficient(), int64(d.Exponent()), true)
}

// AmountFromStoredDecimal converts a decimal read from durable state written
// by an earlier build (snapshot customer layout 1, msgpack). State holds sums
// that may exceed the input bound, so it accepts what DecodeAmountBinary
// accepts: at most 12 fractional digits (trailing zeros trimmed) and a
// magnitude of at most MaxAmountBinaryMagnitude bytes. It refuses anything
// else with an error rather than round.
func AmountFromStoredDecimal(d decimal.Decimal) (Amount, error) {
	return amountFromScaled(d.Coefficient(), int64(d.Exponent()), false)
}

// amountFromScaled returns c × 10^exp exactly, taking ownership of c. With
// input set it applies the input bound (|v| < 10^18), otherwise the stored
// bound (magnitude of at most MaxAmountBinaryMagnitude bytes); both refuse
// more than 12 fractional digits. Its time is bounded by the size of c,
// whatever exp.
func amountFromScaled(c *big.Int, exp int64, input bool) (Amount, error) {
	if c.Sign() == 0 {
		return Amount{}, nil
	}
	if !input {
		// 10^exp alone must fit the stored magnitude: 64 bytes > 10^154.
		if exp > 8*MaxAmountBinaryMagnitude*3/10 || (c.BitLen()+7)/8 > MaxAmountBinaryMagnitude {
			return Amount{}, ErrAmountIntegerDigits
		}
	}
	if exp >= 0 {
		if input && (exp >= MaxAmountIntegerDigits || c.BitLen() > 64) {
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
	if !input {
		if (c.BitLen()+7)/8 > MaxAmountBinaryMagnitude {
			return Amount{}, ErrAmountIntegerDigits
		}
		return bigAmount(c, int(-exp)), nil
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

// MarshalBinary encodes a the way decimal.Decimal's MarshalBinary does — the
// exponent as 4 bytes big-endian, then big.Int's GobEncode of the
// coefficient (a version and sign byte, then the magnitude big-endian) — so
// msgpack encodings of the state keep their format and decimal can read
// them. Canonical form gives equal values equal bytes; zero is written with
// an allocated coefficient (…, 0x02), as persist's canonical decimal encoder
// wrote it.
func (a Amount) MarshalBinary() ([]byte, error) {
	var mag []byte
	neg := false
	if a.big == nil {
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], absU(a.coef))
		i := 0
		for i < len(buf) && buf[i] == 0 {
			i++
		}
		mag, neg = buf[i:], a.coef < 0
	} else {
		mag, neg = new(big.Int).Abs(a.big).Bytes(), a.big.Sign() < 0
	}
	out := make([]byte, 5, 5+len(mag))
	binary.BigEndian.PutUint32(out, uint32(-int32(a.scale)))
	out[4] = amountGobVersion << 1
	if neg {
		out[4] |= 1
	}
	return append(out, mag...), nil
}

// amountGobVersion is big.Int's GobEncode version.
const amountGobVersion = 1

// UnmarshalBinary decodes decimal.Decimal's binary encoding (and
// MarshalBinary's) exactly, refusing values outside the stored bound (see
// AmountFromStoredDecimal).
func (a *Amount) UnmarshalBinary(data []byte) error {
	if len(data) < 4 {
		return fmt.Errorf("%w: %d bytes, want at least 4", ErrAmountBinary, len(data))
	}
	exp := int64(int32(binary.BigEndian.Uint32(data)))
	c := new(big.Int)
	if g := data[4:]; len(g) > 0 {
		if g[0]>>1 != amountGobVersion {
			return fmt.Errorf("%w: coefficient version %d", ErrAmountBinary, g[0]>>1)
		}
		if len(g)-1 > MaxAmountBinaryMagnitude {
			return fmt.Errorf("%w: coefficient of %d bytes", ErrAmountIntegerDigits, len(g)-1)
		}
		c.SetBytes(g[1:])
		if g[0]&1 != 0 {
			c.Neg(c)
		}
	}
	v, err := amountFromScaled(c, exp, false)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// MarshalJSON writes a as a quoted decimal string, as decimal.Decimal does.
func (a Amount) MarshalJSON() ([]byte, error) {
	var buf [48]byte
	b := append(buf[:0], '"')
	b = a.AppendString(b)
	return append(b, '"'), nil
}

// UnmarshalJSON reads a quoted or bare decimal string, as decimal.Decimal
// does ("null" leaves a unchanged). Inputs within the input bound take the
// strict parser; other decimal syntax is accepted within the stored bound,
// so any state MarshalJSON wrote reads back.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if v, err := ParseAmount(s); err == nil {
		*a = v
		return nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("amount %q: %w", s, ErrAmountSyntax)
	}
	v, err := AmountFromStoredDecimal(d)
	if err != nil {
		return fmt.Errorf("amount %q: %w", s, err)
	}
	*a = v
	return nil
}
