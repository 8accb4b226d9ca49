package transport

import (
	"strings"

	"burndown/engine"
)

// Usage reads answer only what the statements hold exactly
// (engine/usage_read.go); a query they cannot answer exactly is a 400 that
// names the field to change and what would work.

// Window sizes of the usage reads. Usage is kept per statement period
// (monthly or longer), so HOUR and DAY windows cannot be cut from it.
const (
	windowNone = "NONE"
	windowDay  = "DAY"
	windowHour = "HOUR"
)

// decodeWindowSize reads window_size, refusing HOUR and DAY by value.
func decodeWindowSize(o obj) {
	w := o.enum("window_size", true, windowHour, windowDay, windowNone)
	if (w == windowHour || w == windowDay) && o.r.err == nil {
		o.r.fail(o.sub("window_size"), "%s is not supported by this server: usage is kept per statement period (a month or longer), "+
			"not per %s; use NONE, with starting_on and ending_before on statement period boundaries", w, strings.ToLower(w))
	}
}

// usageGapError is the 400 for a gap. metricField names the metric (its
// billable_metrics entry, or billable_metric_id), keyField its group key.
func usageGapError(g *engine.UsageGap, customerID, metricID, metricField, keyField string) error {
	period := "[" + tsv(g.Start) + ", " + tsv(g.End) + ")"
	switch g.Reason {
	case engine.GapStart:
		return badRequest("starting_on: customer %s's statement period %s holds usage of billable metric %s from before starting_on to after it, "+
			"and usage is kept per statement period: start the window at a period boundary such as %s or %s", customerID, period, metricID, tsv(g.Start), tsv(g.End))
	case engine.GapEnd:
		return badRequest("ending_before: customer %s's statement period %s holds usage of billable metric %s at or after ending_before, "+
			"and usage is kept per statement period: end the window at a period boundary such as %s or %s", customerID, period, metricID, tsv(g.Start), tsv(g.End))
	case engine.GapProducts:
		return badRequest("%s: billable metric %s feeds several products with usage in customer %s's statement period %s (%s); each counted the events "+
			"its rate priced, which may or may not be the same ones, so the metric's own usage is not known exactly: read the products' usage on the invoice",
			metricField, metricID, customerID, period, strings.Join(g.ProductIDs, ", "))
	case engine.GapGroupKey:
		return badRequest("%s: usage of billable metric %s is recorded for product %s, which has no such pricing or presentation group key; "+
			"usage is split only by those", keyField, metricID, strings.Join(g.ProductIDs, ", "))
	case engine.GapContracts:
		return badRequest("starting_on: customer %s has statement periods of two contracts with usage of billable metric %s overlapping in %s; "+
			"both may have rated the same events: choose a window without that span", customerID, metricID, period)
	case engine.GapNoContract:
		return badRequest("current_period: customer %s has no contract in force now, so no current billing period; give starting_on and ending_before", customerID)
	}
	return badRequest("%s: usage of billable metric %s cannot be answered exactly", metricField, metricID)
}

// usageNum renders a usage value: null when it has none (a MAX or LATEST
// metric without usage).
func usageNum(v engine.UsageValue) *num {
	if !v.Known {
		return nil
	}
	n := amountNum(v.Amount)
	return &n
}
