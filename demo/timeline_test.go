package demo

import (
	"testing"
	"time"
)

// The guides' dates move by whole multiples of four years, just enough to
// follow the clock, so a seat's proration over a year keeps its 365 days.
func TestTimelineFollowsTheClock(t *testing.T) {
	for _, tc := range []struct {
		clock string
		years int
	}{
		{"1970-01-01T00:00:00Z", 0},
		{"2024-10-01T00:00:00Z", 0},
		{"2024-10-01T00:00:01Z", 4},
		{"2027-01-01T00:00:00Z", 4},
		{"2031-06-01T00:00:00Z", 8},
	} {
		tl := timelineAfter(mustParse(tc.clock))
		if tl.years != tc.years {
			t.Errorf("clock %s: shift %d years, want %d", tc.clock, tl.years, tc.years)
		}
		seat, renewal := mustParse(tl.at("2026-04-16T00:00:00Z")), mustParse(tl.at("2027-04-01T00:00:00Z"))
		if days := renewal.Sub(seat) / (24 * time.Hour); days != 350 {
			t.Errorf("clock %s: %d days from the fifth seat to the renewal, want 350", tc.clock, days)
		}
	}
}
