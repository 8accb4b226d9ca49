package money

import (
	"testing"

	"github.com/shopspring/decimal"
)

var (
	benchAmountSink  Amount
	benchDecimalSink decimal.Decimal
)

// Typical hot-path operands: a running total in cents and a line spend.
const benchX, benchY = "12345.678", "-0.000125"

func BenchmarkAmountAdd(b *testing.B) {
	b.Run("Amount", func(b *testing.B) {
		x, y := MustParse(benchX), MustParse(benchY)
		b.ReportAllocs()
		for b.Loop() {
			benchAmountSink = x.Add(y)
		}
	})
	b.Run("Decimal", func(b *testing.B) {
		x, y := decimal.RequireFromString(benchX), decimal.RequireFromString(benchY)
		b.ReportAllocs()
		for b.Loop() {
			benchDecimalSink = x.Add(y)
		}
	})
}

func BenchmarkAmountMul(b *testing.B) {
	b.Run("Amount", func(b *testing.B) {
		x, y := MustParse(benchX), MustParse(benchY)
		b.ReportAllocs()
		for b.Loop() {
			benchAmountSink = x.Mul(y)
		}
	})
	b.Run("Decimal", func(b *testing.B) {
		x, y := decimal.RequireFromString(benchX), decimal.RequireFromString(benchY)
		b.ReportAllocs()
		for b.Loop() {
			benchDecimalSink = x.Mul(y)
		}
	})
	b.Run("AmountFallback", func(b *testing.B) {
		x, y := MustParse("123456789012.123456789012"), MustParse("987654321.987654321")
		b.ReportAllocs()
		for b.Loop() {
			benchAmountSink = x.Mul(y)
		}
	})
}

func BenchmarkParseAmount(b *testing.B) {
	const s = "-12345.678901234567"
	b.Run("Amount", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			benchAmountSink, _ = Parse(s)
		}
	})
	b.Run("Decimal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			benchDecimalSink, _ = decimal.NewFromString(s)
		}
	})
}
