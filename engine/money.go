package engine

import "burndown/money"

// inputAmount asserts that an amount a command carries is within the input
// bound the HTTP edge enforced; a command that breaks it is refused as
// Invalid on every replica alike. Out of bounds it returns zero with the
// error, as the decimal conversion it replaced did: a caller that ignores
// the error (a sum checked elsewhere) keeps the value it always computed,
// so old logs replay to the state they reached.
func inputAmount(a money.Amount) (money.Amount, error) {
	if err := a.CheckInput(); err != nil {
		return money.Amount{}, err
	}
	return a, nil
}
