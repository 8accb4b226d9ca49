package loadgen

import (
	"math"
	"time"
)

// Schedule is the open-loop timetable: ticket k (counting from 0) is due at
// Start + k/Rate seconds. Tickets are handed out in order to whichever worker is
// free, and each operation's latency is measured from its ticket's due time.
type Schedule struct {
	Start time.Time
	Rate  float64 // operations per second, > 0
}

// Due returns the intended start time of ticket k.
func (s Schedule) Due(k uint64) time.Time {
	return s.Start.Add(time.Duration(float64(k) * float64(time.Second) / s.Rate))
}

// DueBy returns how many tickets are due at or before t: the number of operations
// an ideal client would have started by then.
func (s Schedule) DueBy(t time.Time) uint64 {
	if t.Before(s.Start) {
		return 0
	}
	// Estimate, then correct so the answer agrees exactly with Due's rounding.
	k := uint64(math.Floor(t.Sub(s.Start).Seconds() * s.Rate))
	for k > 0 && s.Due(k).After(t) {
		k--
	}
	for !s.Due(k + 1).After(t) {
		k++
	}
	return k + 1
}
