package money

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
)

// ErrBinary is returned by DecodeBinary for malformed input.
var ErrBinary = errors.New("malformed binary amount")

// FromScaled returns c × 10^exp, refusing it unless |v| < 10^18 with at
// most 12 fractional digits (trailing zeros trimmed): the input bound, for a
// number taken apart by another decoder (a legacy log entry's decimal). Its
// time is bounded by the size of c, whatever exp. It takes ownership of c.
func FromScaled(c *big.Int, exp int64) (Amount, error) {
	return amountFromScaled(c, exp, true)
}

// FromStoredScaled is FromScaled for durable state written by an earlier
// build: state holds sums that may exceed the input bound, so it accepts
// what DecodeBinary accepts, at most 12 fractional digits (trailing zeros
// trimmed) and a magnitude of at most MaxBinaryMagnitude bytes, and refuses
// anything else with an error rather than round.
func FromStoredScaled(c *big.Int, exp int64) (Amount, error) {
	return amountFromScaled(c, exp, false)
}

// amountFromScaled returns c × 10^exp exactly, taking ownership of c. With
// input set it applies the input bound (|v| < 10^18), otherwise the stored
// bound (magnitude of at most MaxBinaryMagnitude bytes); both refuse
// more than 12 fractional digits. Its time is bounded by the size of c,
// whatever exp.
func amountFromScaled(c *big.Int, exp int64, input bool) (Amount, error) {
	if c.Sign() == 0 {
		return Amount{}, nil
	}
	if !input {
		// 10^exp alone must fit the stored magnitude: 64 bytes > 10^154.
		if exp > 8*MaxBinaryMagnitude*3/10 || (c.BitLen()+7)/8 > MaxBinaryMagnitude {
			return Amount{}, ErrIntegerDigits
		}
	}
	if exp >= 0 {
		if input && (exp >= MaxIntegerDigits || c.BitLen() > 64) {
			return Amount{}, ErrIntegerDigits
		}
		c.Mul(c, pow10Big(exp))
		exp = 0
	}
	if drop := -exp - MaxFractionDigits; drop > 0 {
		// Digits beyond the 12th must all be zero: c must be a multiple of
		// 10^drop, impossible when 10^drop > 2^bitlen > |c|.
		if 3*drop >= int64(c.BitLen()) {
			return Amount{}, ErrFractionDigits
		}
		r := new(big.Int)
		if c.QuoRem(c, pow10Big(drop), r); r.Sign() != 0 {
			return Amount{}, ErrFractionDigits
		}
		exp = -MaxFractionDigits
	}
	if !input {
		if (c.BitLen()+7)/8 > MaxBinaryMagnitude {
			return Amount{}, ErrIntegerDigits
		}
		return bigAmount(c, int(-exp)), nil
	}
	// Now |d| = |c| × 10^exp with −12 ≤ exp ≤ 0; |d| < 10^18 ⇔ |c| < 10^(18−exp).
	if c.BitLen() > 100 || c.CmpAbs(pow10Big(MaxIntegerDigits-exp)) >= 0 {
		return Amount{}, ErrIntegerDigits
	}
	return bigAmount(c, int(-exp)), nil
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
	if a.bigCoef() == nil {
		return appendPointed(dst, a.coef < 0, strconv.AppendUint(buf[:0], absU(a.coef), 10), int(a.scale()))
	}
	mag := new(big.Int).Abs(a.bigCoef())
	return appendPointed(dst, a.bigCoef().Sign() < 0, mag.Append(buf[:0], 10), int(a.scale()))
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
// MaxBinaryMagnitude bytes are encoded but DecodeBinary refuses
// them; values within the input bounds and their products never come near.
func (a Amount) AppendBinary(dst []byte) []byte {
	if a.bigCoef() == nil {
		return binary.AppendVarint(append(dst, a.scale()), a.coef)
	}
	h := a.scale() | amountBinBig
	if a.bigCoef().Sign() < 0 {
		h |= amountBinNeg
	}
	mag := new(big.Int).Abs(a.bigCoef()).Bytes()
	dst = binary.AppendUvarint(append(dst, h), uint64(len(mag)))
	return append(dst, mag...)
}

// DecodeBinary decodes one amount from the front of b and returns it
// with the number of bytes read. It refuses scales over 12, bad varints and
// fallback magnitudes over MaxBinaryMagnitude bytes.
func DecodeBinary(b []byte) (Amount, int, error) {
	if len(b) == 0 {
		return Amount{}, 0, ErrBinary
	}
	h := b[0]
	scale := h & amountBinScale
	if scale > MaxFractionDigits || h&^(amountBinScale|amountBinBig|amountBinNeg) != 0 {
		return Amount{}, 0, ErrBinary
	}
	if h&amountBinBig == 0 {
		c, n := binary.Varint(b[1:])
		if n <= 0 || h&amountBinNeg != 0 || c == math.MinInt64 {
			return Amount{}, 0, ErrBinary
		}
		return fixedAmount(c, scale), 1 + n, nil
	}
	n, k := binary.Uvarint(b[1:])
	if k <= 0 || n == 0 || n > MaxBinaryMagnitude || uint64(len(b)-1-k) < n {
		return Amount{}, 0, ErrBinary
	}
	end := 1 + k + int(n)
	c := new(big.Int).SetBytes(b[1+k : end])
	if h&amountBinNeg != 0 {
		c.Neg(c)
	}
	return bigAmount(c, int(scale)), end, nil
}

// MarshalBinary encodes a in the package's own compact form (AppendBinary),
// the form every log entry and snapshot section written since v0.5.0 holds.
func (a Amount) MarshalBinary() ([]byte, error) { return a.AppendBinary(nil), nil }

// UnmarshalBinary decodes either binary form exactly: the compact one, or
// the decimal layout every release before v0.5.0 wrote (see
// AppendDecimalLayout). The two cannot be confused (IsDecimalLayout), so a
// log or snapshot of any release decodes without knowing which it holds.
// Values outside the stored bound are refused (see FromStoredScaled).
func (a *Amount) UnmarshalBinary(data []byte) error {
	if IsDecimalLayout(data) {
		v, err := decodeDecimalLayout(data)
		if err != nil {
			return err
		}
		*a = v
		return nil
	}
	v, n, err := DecodeBinary(data)
	if err != nil {
		return err
	}
	if n != len(data) {
		return fmt.Errorf("%w: %d trailing bytes", ErrBinary, len(data)-n)
	}
	*a = v
	return nil
}

// AppendDecimalLayout appends a in the decimal layout releases before
// v0.5.0 wrote (the layout shopspring/decimal's MarshalBinary defines, now
// written here): the exponent as 4 bytes big-endian, then a version and
// sign byte (0x02 positive, 0x03 negative) and the coefficient's magnitude
// big-endian, as big.Int's GobEncode. Zero is written with that byte
// (…, 0x02). persist writes it only for nodes still on an earlier release.
func (a Amount) AppendDecimalLayout(dst []byte) []byte {
	var mag []byte
	neg := false
	if a.bigCoef() == nil {
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], absU(a.coef))
		i := 0
		for i < len(buf) && buf[i] == 0 {
			i++
		}
		mag, neg = buf[i:], a.coef < 0
	} else {
		mag, neg = new(big.Int).Abs(a.bigCoef()).Bytes(), a.bigCoef().Sign() < 0
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(-int32(a.scale())))
	sign := byte(amountGobVersion << 1)
	if neg {
		sign |= 1
	}
	return append(append(dst, sign), mag...)
}

// amountGobVersion is big.Int's GobEncode version.
const amountGobVersion = 1

// IsDecimalLayout reports whether b holds an amount in the decimal layout
// rather than the compact form. A decimal layout is at least 4 bytes and,
// for every exponent the stored bound admits, starts 0xFF (negative) or
// 0x00 0x00 (zero or positive). A compact encoding never starts 0xFF (not
// a valid header), and one starting 0x00 0x00 is the 2-byte zero.
func IsDecimalLayout(b []byte) bool {
	return len(b) >= 4 && (b[0] == 0xFF || (b[0] == 0x00 && b[1] == 0x00))
}

// decodeDecimalLayout decodes the decimal layout exactly, refusing values
// outside the stored bound.
func decodeDecimalLayout(data []byte) (Amount, error) {
	exp := int64(int32(binary.BigEndian.Uint32(data)))
	c := new(big.Int)
	if g := data[4:]; len(g) > 0 {
		if g[0]>>1 != amountGobVersion {
			return Amount{}, fmt.Errorf("%w: coefficient version %d", ErrBinary, g[0]>>1)
		}
		if len(g)-1 > MaxBinaryMagnitude {
			return Amount{}, fmt.Errorf("%w: coefficient of %d bytes", ErrIntegerDigits, len(g)-1)
		}
		c.SetBytes(g[1:])
		if g[0]&1 != 0 {
			c.Neg(c)
		}
	}
	return amountFromScaled(c, exp, false)
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
	if v, err := Parse(s); err == nil {
		*a = v
		return nil
	}
	v, err := parseStored(s)
	if err != nil {
		return fmt.Errorf("amount %q: %w", s, err)
	}
	*a = v
	return nil
}
