package transport

import (
	"context"
	"strconv"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// POST /v1/usage/groups: one customer's usage of one billable metric over
// one window (window_size NONE, or the current billing period), split by
// the values of a group key (usage.go, engine/usage_read.go).

// usageGroupOut is Metronome's PagedUsageAggregate; group_key and
// group_value are null without group_by, group_value null for events
// without the property.
type usageGroupOut struct {
	StartingOn   string            `json:"starting_on"`
	EndingBefore string            `json:"ending_before"`
	GroupKey     *string           `json:"group_key"`
	GroupValue   *string           `json:"group_value"`
	Group        map[string]string `json:"group,omitempty"`
	Value        *num              `json:"value"`
}

type usageGroupsQuery struct {
	customerID string
	metric     usageMetricQuery
	usage      engine.UsageQuery
	limit      int
	offset     int
}

func (s *Server) decodeUsageGroups(ctx *fasthttp.RequestCtx) (usageGroupsQuery, error) {
	var q usageGroupsQuery
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return q, err
	}
	q.customerID = o.str("customer_id", true)
	q.metric = usageMetricQuery{id: o.str("billable_metric_id", true), field: "billable_metric_id"}
	decodeWindowSize(o)
	q.usage.StartingOn = o.time("starting_on", false)
	q.usage.EndingBefore = o.time("ending_before", false)
	q.usage.CurrentPeriod, _ = o.boolean("current_period", false)
	if g, ok := o.object("group_by", false); ok {
		q.metric.groupKey = g.str("key", true)
		q.metric.values = boundedStrings(g, "values", maxUsageGroupValues)
	}
	if r.err == nil {
		checkUsageWindow(r, q.usage)
	}
	if err := r.Err(); err != nil {
		return q, err
	}
	q.usage.MetricID, q.usage.GroupKey = q.metric.id, q.metric.groupKey
	if q.offset, err = usageCursor(ctx, true); err != nil {
		return q, err
	}
	q.limit, _, err = pageArgs(ctx.QueryArgs(), usagePageSize)
	return q, err
}

// checkUsageWindow asks for current_period or both window bounds.
func checkUsageWindow(r *reader, u engine.UsageQuery) {
	given := u.StartingOn != 0 || u.EndingBefore != 0
	switch {
	case u.CurrentPeriod && given:
		r.fail("current_period", "give current_period or starting_on and ending_before, not both")
	case u.CurrentPeriod:
	case u.StartingOn == 0:
		r.fail("starting_on", "is required (or current_period: true)")
	case u.EndingBefore == 0:
		r.fail("ending_before", "is required (or current_period: true)")
	case u.EndingBefore <= u.StartingOn:
		r.fail("ending_before", "must be after starting_on")
	}
}

// listUsageGroups serves POST /v1/usage/groups?limit&next_page.
func (s *Server) listUsageGroups(ctx *fasthttp.RequestCtx, _ string) error {
	q, err := s.decodeUsageGroups(ctx)
	if err != nil {
		return err
	}
	eng := s.node.Engine()
	if eng.Catalog().Metrics[q.metric.id] == nil {
		return notFound("billable_metric_id: billable metric %s not found", q.metric.id)
	}
	if err := checkGroupKey(eng.Catalog(), q.metric, "group_by.key"); err != nil {
		return err
	}
	h := eng.LookupCustomer(q.customerID)
	if h == nil {
		return notFound("customer_id: customer %s not found", q.customerID)
	}
	rctx, cancel := context.WithTimeout(context.Background(), s.readTimeout())
	defer cancel()
	answers, found, err := eng.MetricUsage(rctx, h.ID, []engine.UsageQuery{q.usage})
	if err != nil {
		return unavailable("customer %s: the replica is busy, read timed out; retry", h.ID)
	}
	if !found {
		return notFound("customer_id: customer %s not found", q.customerID)
	}
	a := answers[0]
	if a.Gap != nil {
		return usageGapError(a.Gap, h.ID, q.metric.id, "billable_metric_id", "group_by.key")
	}
	rows := usageGroupRows(a, q.metric)
	var next *string
	if q.offset >= len(rows) {
		rows = nil
	} else {
		rows = rows[q.offset:]
	}
	if len(rows) > q.limit {
		rows = rows[:q.limit]
		n := strconv.Itoa(q.offset + q.limit)
		next = &n
	}
	return writeJSON(ctx, listEnvelope{Data: orEmpty(rows), NextPage: next})
}

// usageGroupRows is one row per requested value (null without usage), or
// per value seen (missing last), or one ungrouped row without group_by.
func usageGroupRows(a engine.UsageAnswer, m usageMetricQuery) []usageGroupOut {
	row := func(value *string, v *num) usageGroupOut {
		r := usageGroupOut{StartingOn: tsv(a.StartingOn), EndingBefore: tsv(a.EndingBefore), GroupValue: value, Value: v}
		if m.groupKey != "" {
			key := m.groupKey
			r.GroupKey = &key
			if value != nil {
				r.Group = map[string]string{key: *value}
			}
		}
		return r
	}
	if m.groupKey == "" {
		return []usageGroupOut{row(nil, usageNum(a.Value))}
	}
	var rows []usageGroupOut
	if m.values != nil {
		seen := map[string]engine.UsageValue{}
		for _, g := range a.Groups {
			if !g.Missing {
				seen[g.Value] = g.Usage
			}
		}
		for _, v := range m.values {
			val := v
			var n *num
			if u, ok := seen[v]; ok {
				n = usageNum(u)
			}
			rows = append(rows, row(&val, n))
		}
		return rows
	}
	for _, g := range a.Groups {
		var val *string
		if !g.Missing {
			v := g.Value
			val = &v
		}
		rows = append(rows, row(val, usageNum(g.Usage)))
	}
	return rows
}
