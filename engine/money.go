package engine

import "burndown/money"

// inputAmount asserts that an amount a command carries is within the input
// bound the HTTP edge enforced; a command that breaks it is refused as
// Invalid on every replica alike.
func inputAmount(a money.Amount) (money.Amount, error) {
	return a, a.CheckInput()
}
