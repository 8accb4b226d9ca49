package demo

import (
	"fmt"
	"time"
)

// firstDate is the earliest date of any guide (SCENARIOS.md D starts then).
const firstDate = "2024-10-01T00:00:00Z"

// timeline moves every date of SCENARIOS.md forward by the same whole number
// of years: a node's test clock never goes backwards, so on a node whose
// clock is already past the guides' dates (a second run against --target)
// they are played later. The shift is a multiple of four years, which keeps
// each guide's leap days (a seat's proration counts the days of a year).
type timeline struct{ years int }

// timelineAfter returns the smallest shift that puts firstDate at or after now.
func timelineAfter(now time.Time) timeline {
	first := mustParse(firstDate)
	tl := timeline{}
	for first.AddDate(tl.years, 0, 0).Before(now) {
		tl.years += 4
	}
	return tl
}

// at returns the date of SCENARIOS.md ts, moved by the shift, in RFC 3339.
func (tl timeline) at(ts string) string {
	return mustParse(ts).AddDate(tl.years, 0, 0).Format(time.RFC3339)
}

// day is at's date only, for narration.
func (tl timeline) day(ts string) string { return tl.at(ts)[:10] }

func mustParse(ts string) time.Time {
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		panic(fmt.Sprintf("demo: bad date %q in a guide: %v", ts, err)) // a constant of this package
	}
	return t
}
