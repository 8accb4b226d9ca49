package demo

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Mismatch is a value read back from the API that differs from what
// SCENARIOS.md expects: the demo stops on the first one and exits non-zero.
type Mismatch struct {
	// Where is the guide and step, What the value's name.
	Where, What string
	Got, Want   string
}

func (m *Mismatch) Error() string {
	return fmt.Sprintf("%s: %s is %s, but SCENARIOS.md expects %s", m.Where, m.What, m.Got, m.Want)
}

// Check compares a value read back from the API with the expected one and
// returns a *Mismatch when they differ. Numbers compare by value ("2000",
// "2000.0" and "2e3" are equal), anything else as text.
func Check(where, what, got, want string) error {
	if sameValue(got, want) {
		return nil
	}
	return &Mismatch{Where: where, What: what, Got: got, Want: want}
}

func sameValue(a, b string) bool {
	x, okA := new(big.Rat).SetString(strings.TrimSpace(a))
	y, okB := new(big.Rat).SetString(strings.TrimSpace(b))
	if okA && okB {
		return x.Cmp(y) == 0
	}
	return a == b
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
