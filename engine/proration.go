package engine

import "burndown/money"

// Proration.
//
// Every prorated amount in the engine (a subscription charge for part of a
// billing period, a seat added mid-period, the grant of a recurring credit or
// commit for a first or last period cut short by its term) is computed by
// prorate, in one place, as
//
//	amount × (remaining time of the period / length of the whole period)
//
// exactly (times in nanoseconds, UTC; calendar periods, so April has 30 days
// and a year 365 or 366), then rounded half-up (half away from zero) to 2
// decimal places of the amount's unit by money.Amount.RoundHalfUp. For USD (cents)
// that is hundredths of a cent; for a custom pricing unit, hundredths of the
// unit. Checked by hand: one seat of an ANNUAL subscription at 10000 cents
// added on 2026-04-16 00:00 of the term 2026-04-01 to 2027-04-01 is
// 10000 × 350/365 = 9589.0410… → 9589.04; 100 credits per seat granted for
// the rest of April from the same instant are 100 × 15/30 = 50. A whole
// period is never prorated (the fraction is 1 and the amount is kept as is).

// prorationPlaces is the number of decimal places of the unit prorated
// amounts are rounded to.
const prorationPlaces = 2

// prorate returns amount × remaining / length, rounded half-up to 2 decimal
// places of the unit. remaining >= length returns amount unchanged;
// remaining <= 0 returns zero.
func prorate(amount money.Amount, remaining, length int64) money.Amount {
	if length <= 0 || remaining >= length {
		return amount
	}
	if remaining <= 0 {
		return money.Amount{}
	}
	g := gcd64(remaining, length)
	remaining, length = remaining/g, length/g
	// The exact quotient, cut one digit past the places kept (which decides
	// the rounding exactly), rounded half-up by the engine's one rounding
	// function.
	cut := amount.Mul(money.FromInt(remaining)).DivTrunc(length, prorationPlaces+1)
	return cut.RoundHalfUp(prorationPlaces)
}

func gcd64(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	if a < 0 {
		return -a
	}
	if a == 0 {
		return 1
	}
	return a
}
