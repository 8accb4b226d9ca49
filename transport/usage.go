package transport

import (
	"context"
	"strconv"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// POST /v1/usage: each listed (or every) customer's usage of each listed
// (or every) billable metric over one window (window_size NONE; see
// usage_gap.go), from what rating recorded (engine/usage_read.go).

// Bounds of a usage read: customer_ids, billable_metrics and a group's
// values, and the items of one page.
const (
	maxUsageCustomers   = 100
	maxUsageMetrics     = 100
	maxUsageGroupValues = 200
	usagePageSize       = 100
)

// usageMetricQuery is one billable_metrics entry.
type usageMetricQuery struct {
	id, groupKey string
	values       []string // requested group values (nil: all seen)
	field        string   // its path, for errors ("billable_metrics" when every metric)
}

type usageQuery struct {
	from, before engine.Nanos
	customers    []string // nil: every customer
	metrics      []usageMetricQuery
	offset       int
}

// usageOut is Metronome's UsageBatchAggregate.
type usageOut struct {
	CustomerID         string          `json:"customer_id"`
	BillableMetricID   string          `json:"billable_metric_id"`
	BillableMetricName string          `json:"billable_metric_name"`
	StartTimestamp     string          `json:"start_timestamp"`
	EndTimestamp       string          `json:"end_timestamp"`
	Value              *num            `json:"value"`
	Groups             map[string]*num `json:"groups,omitempty"`
}

func (s *Server) decodeUsageQuery(ctx *fasthttp.RequestCtx) (usageQuery, error) {
	var q usageQuery
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return q, err
	}
	q.from = o.time("starting_on", true)
	q.before = o.time("ending_before", true)
	decodeWindowSize(o)
	if r.err == nil && q.before <= q.from {
		r.fail("ending_before", "must be after starting_on")
	}
	q.customers = boundedStrings(o, "customer_ids", maxUsageCustomers)
	for i, m := range o.objects("billable_metrics", false, maxUsageMetrics) {
		mq := usageMetricQuery{id: m.str("id", true), field: index("billable_metrics", i) + ".id"}
		if g, ok := m.object("group_by", false); ok {
			mq.groupKey = g.str("key", true)
			mq.values = boundedStrings(g, "values", maxUsageGroupValues)
		}
		q.metrics = append(q.metrics, mq)
	}
	if err := r.Err(); err != nil {
		return q, err
	}
	q.offset, err = usageCursor(ctx, false)
	return q, err
}

// boundedStrings reads an optional list of at most max non-empty strings.
func boundedStrings(o obj, key string, max int) []string {
	if a, _ := o.list(key, false, max); a == nil {
		return nil
	}
	return o.strList(key, false)
}

// usageCursor reads the query string of a usage read: next_page (an item
// offset this server issued) and, with limit, limit; any other parameter
// but consistency is refused by name.
func usageCursor(ctx *fasthttp.RequestCtx, withLimit bool) (int, error) {
	var err error
	ctx.QueryArgs().VisitAll(func(k, _ []byte) {
		switch string(k) {
		case "next_page", "consistency":
		case "limit":
			if withLimit {
				return
			}
			fallthrough
		default:
			if err == nil {
				err = badRequest("%s: is not supported by this server yet", k)
			}
		}
	})
	if err != nil {
		return 0, err
	}
	v := ctx.QueryArgs().Peek("next_page")
	if len(v) == 0 {
		return 0, nil
	}
	n, perr := strconv.Atoi(string(v))
	if perr != nil || n < 0 {
		return 0, badRequest("next_page: not a cursor this server issued")
	}
	return n, nil
}

// resolveUsageTargets checks the listed customers and metrics exist
// (404 naming the entry) and lists every metric when none is.
func (s *Server) resolveUsageTargets(q *usageQuery, cat *engine.Catalog) error {
	eng := s.node.Engine()
	for i, id := range q.customers {
		h := eng.LookupCustomer(id)
		if h == nil {
			return notFound("%s: customer %s not found", index("customer_ids", i), id)
		}
		q.customers[i] = h.ID
	}
	for _, m := range q.metrics {
		if cat.Metrics[m.id] == nil {
			return notFound("%s: billable metric %s not found", m.field, m.id)
		}
		if err := checkGroupKey(cat, m, groupKeyField(m.field)); err != nil {
			return err
		}
	}
	if q.metrics == nil {
		for _, id := range cat.MetricOrder {
			q.metrics = append(q.metrics, usageMetricQuery{id: id, field: "billable_metrics"})
		}
	}
	return nil
}

// listUsage serves POST /v1/usage?next_page: one item per customer and
// metric, customers in the order given (or of creation), 100 a page.
func (s *Server) listUsage(ctx *fasthttp.RequestCtx, _ string) error {
	q, err := s.decodeUsageQuery(ctx)
	if err != nil {
		return err
	}
	cat := s.node.Engine().Catalog()
	if err := s.resolveUsageTargets(&q, cat); err != nil {
		return err
	}
	out := []usageOut{}
	var next *string
	nm := len(q.metrics)
	if nm == 0 {
		return writeJSON(ctx, listEnvelope{Data: out})
	}
	customers, total := s.usagePageCustomers(q, nm)
	first := q.offset / nm
	for ci, cust := range customers {
		items, err := s.customerUsage(cust, q, cat)
		if err != nil {
			return err
		}
		for mi, it := range items {
			if i := (first+ci)*nm + mi; i >= q.offset && len(out) < usagePageSize {
				out = append(out, it)
			}
		}
	}
	if end := q.offset + len(out); end < total*nm {
		n := strconv.Itoa(end)
		next = &n
	}
	return writeJSON(ctx, listEnvelope{Data: out, NextPage: next})
}

// usagePageCustomers lists the customers a page's items come from, and
// how many customers the whole query covers.
func (s *Server) usagePageCustomers(q usageQuery, nm int) ([]string, int) {
	first, last := q.offset/nm, (q.offset+usagePageSize-1)/nm
	if q.customers == nil {
		return s.node.Engine().CustomerIDs(first, last-first+1)
	}
	if first >= len(q.customers) {
		return nil, len(q.customers)
	}
	return q.customers[first:min(last+1, len(q.customers))], len(q.customers)
}

// customerUsage reads one customer's items, one per metric.
func (s *Server) customerUsage(customerID string, q usageQuery, cat *engine.Catalog) ([]usageOut, error) {
	qs := make([]engine.UsageQuery, len(q.metrics))
	for i, m := range q.metrics {
		qs[i] = engine.UsageQuery{MetricID: m.id, StartingOn: q.from, EndingBefore: q.before, GroupKey: m.groupKey}
	}
	rctx, cancel := context.WithTimeout(context.Background(), s.readTimeout())
	defer cancel()
	answers, found, err := s.node.Engine().MetricUsage(rctx, customerID, qs)
	if err != nil {
		return nil, unavailable("customer %s: the replica is busy, read timed out; retry", customerID)
	}
	if !found {
		return nil, notFound("customer_ids: customer %s not found", customerID)
	}
	out := make([]usageOut, len(answers))
	for i, a := range answers {
		m := q.metrics[i]
		if a.Gap != nil {
			return nil, usageGapError(a.Gap, customerID, m.id, m.field, groupKeyField(m.field))
		}
		out[i] = usageOut{CustomerID: customerID, BillableMetricID: m.id, StartTimestamp: tsv(q.from), EndTimestamp: tsv(q.before), Value: usageNum(a.Value)}
		if mt := cat.Metrics[m.id]; mt != nil {
			out[i].BillableMetricName = mt.Name
		}
		if m.groupKey != "" {
			groups, err := usageGroups(a.Groups, m, customerID)
			if err != nil {
				return nil, err
			}
			out[i].Groups = groups
		}
	}
	return out, nil
}

// checkGroupKey refuses a group key no product of the metric splits its
// usage by.
func checkGroupKey(cat *engine.Catalog, m usageMetricQuery, field string) error {
	if m.groupKey != "" && !cat.MetricGroupKey(m.id, m.groupKey) {
		return badRequest("%s: %s is not a pricing or presentation group key of a product billable metric %s feeds; usage is split only by those", field, m.groupKey, m.id)
	}
	return nil
}

// groupKeyField is the group_by.key path of a billable_metrics entry.
func groupKeyField(metricField string) string {
	if len(metricField) > 3 && metricField[len(metricField)-3:] == ".id" {
		return metricField[:len(metricField)-3] + ".group_by.key"
	}
	return metricField
}

// usageGroups is an item's groups: each requested value (null without
// usage), or every value seen (events without the property count in the
// item's value only), at most maxUsageGroupValues.
func usageGroups(groups []engine.GroupUsage, m usageMetricQuery, customerID string) (map[string]*num, error) {
	out := map[string]*num{}
	if m.values != nil {
		for _, v := range m.values {
			out[v] = nil
		}
		for _, g := range groups {
			if _, asked := out[g.Value]; asked && !g.Missing {
				out[g.Value] = usageNum(g.Usage)
			}
		}
		return out, nil
	}
	for _, g := range groups {
		if !g.Missing {
			out[g.Value] = usageNum(g.Usage)
		}
	}
	if len(out) > maxUsageGroupValues {
		return nil, badRequest("%s: customer %s has %d values of group key %s for billable metric %s, more than %d: list the values to read in group_by.values",
			groupKeyField(m.field), customerID, len(out), m.groupKey, m.id, maxUsageGroupValues)
	}
	return out, nil
}
