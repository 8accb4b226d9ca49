package loadgen

import (
	"fmt"
	"math/rand/v2"
)

// Zipf draws customer indexes in [0, N) with a Zipf distribution: index 0 is the
// hottest customer, and P(k) is proportional to (1+k)^-s. It is not safe for
// concurrent use; give each worker its own.
type Zipf struct {
	n uint64
	z *rand.Zipf
}

// NewZipf returns a sampler over n customers with exponent s (> 1) seeded by seed.
func NewZipf(n int, s float64, seed uint64) (*Zipf, error) {
	if n < 1 {
		return nil, fmt.Errorf("zipf: need at least one customer, got %d", n)
	}
	if !(s > 1) {
		return nil, fmt.Errorf("zipf: exponent must be > 1, got %v", s)
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return &Zipf{n: uint64(n), z: rand.NewZipf(r, s, 1, uint64(n-1))}, nil
}

// Next returns the next customer index, always in [0, N).
func (z *Zipf) Next() int {
	return int(z.z.Uint64())
}

// N returns the number of customers sampled over.
func (z *Zipf) N() int { return int(z.n) }
