package loadgen

import (
	"testing"
	"time"
)

func TestScheduleDue(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := Schedule{Start: t0, Rate: 4}
	for k, want := range []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond, time.Second} {
		if got := s.Due(uint64(k)).Sub(t0); got != want {
			t.Errorf("Due(%d) = +%v, want +%v", k, got, want)
		}
	}
	big := Schedule{Start: t0, Rate: 100000}
	if got := big.Due(1_000_000).Sub(t0); got != 10*time.Second {
		t.Errorf("Due(1e6) at 100k/s = %v, want 10s", got)
	}
}

func TestScheduleDueBy(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := Schedule{Start: t0, Rate: 4}
	cases := []struct {
		at   time.Duration
		want uint64
	}{
		{-time.Second, 0},
		{0, 1}, // ticket 0 is due at the start
		{249 * time.Millisecond, 1},
		{250 * time.Millisecond, 2},
		{999 * time.Millisecond, 4},
		{time.Second, 5},
	}
	for _, c := range cases {
		if got := s.DueBy(t0.Add(c.at)); got != c.want {
			t.Errorf("DueBy(+%v) = %d, want %d", c.at, got, c.want)
		}
	}
	// DueBy and Due agree: ticket k is due by Due(k) and not a nanosecond before.
	for k := uint64(0); k < 1000; k += 37 {
		s := Schedule{Start: t0, Rate: 3000}
		if s.DueBy(s.Due(k)) < k+1 {
			t.Errorf("ticket %d not due at its own due time", k)
		}
	}
}
