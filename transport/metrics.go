package transport

import (
	"strconv"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

type eventTypeFilterOut struct {
	InValues    []string `json:"in_values,omitempty"`
	NotInValues []string `json:"not_in_values,omitempty"`
}

type propertyFilterOut struct {
	Name        string   `json:"name"`
	Exists      *bool    `json:"exists,omitempty"`
	InValues    []string `json:"in_values,omitempty"`
	NotInValues []string `json:"not_in_values,omitempty"`
}

// metricOut is Metronome's billable metric.
type metricOut struct {
	ID              string              `json:"id"`
	Name            string              `json:"name"`
	AggregationType string              `json:"aggregation_type"`
	AggregationKey  string              `json:"aggregation_key,omitempty"`
	EventTypeFilter *eventTypeFilterOut `json:"event_type_filter,omitempty"`
	PropertyFilters []propertyFilterOut `json:"property_filters"`
	GroupKeys       [][]string          `json:"group_keys"`
	CustomFields    map[string]string   `json:"custom_fields"`
	ArchivedAt      *string             `json:"archived_at"`
}

func renderMetric(m *engine.Metric) metricOut {
	out := metricOut{
		ID: m.ID, Name: m.Name, AggregationType: m.Aggregation, AggregationKey: m.AggregationKey,
		PropertyFilters: []propertyFilterOut{}, GroupKeys: orEmpty(m.GroupKeys), CustomFields: orEmptyMap(m.CustomFields),
	}
	if f := m.EventTypeFilter; f != nil {
		out.EventTypeFilter = &eventTypeFilterOut{InValues: f.InValues, NotInValues: f.NotInValues}
	}
	for _, p := range m.PropertyFilters {
		out.PropertyFilters = append(out.PropertyFilters, propertyFilterOut{Name: p.Name, Exists: p.Exists, InValues: p.InValues, NotInValues: p.NotInValues})
	}
	return out
}

// decodeCreateMetric validates POST /v1/billable-metrics/create.
func decodeCreateMetric(body []byte) (*engine.CreateMetric, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	cmd := &engine.CreateMetric{
		Name:           o.str("name", true),
		Aggregation:    o.enum("aggregation_type", false, engine.AggCount, engine.AggSum, engine.AggMax, engine.AggUnique, engine.AggLatest),
		AggregationKey: o.str("aggregation_key", false),
		CustomFields:   o.strMap("custom_fields"),
	}
	if cmd.Aggregation == "" {
		cmd.Aggregation = engine.AggCount
	}
	switch {
	case r.err != nil:
	case cmd.Aggregation == engine.AggCount && cmd.AggregationKey != "":
		r.fail("aggregation_key", "is not used by aggregation_type COUNT")
	case cmd.Aggregation != engine.AggCount && cmd.AggregationKey == "":
		r.fail("aggregation_key", "is required for aggregation_type %s", cmd.Aggregation)
	}
	if f, ok := o.object("event_type_filter", false); ok {
		cmd.EventTypeFilter = &engine.EventTypeFilter{InValues: f.strList("in_values", false), NotInValues: f.strList("not_in_values", false)}
	}
	for _, p := range o.objects("property_filters", false, 100) {
		cmd.PropertyFilters = append(cmd.PropertyFilters, engine.PropertyFilter{
			Name: p.str("name", true), Exists: p.boolPtr("exists"),
			InValues: p.strList("in_values", false), NotInValues: p.strList("not_in_values", false),
		})
	}
	gk, path := o.list("group_keys", false, 100)
	for i, v := range gk {
		inner, ok := v.([]any)
		if !ok {
			r.fail(index(path, i), "expected an array of strings, got %s", jsonType(v))
			break
		}
		keys := make([]string, 0, len(inner))
		for j, k := range inner {
			keys = append(keys, r.str(k, index(index(path, i), j), true))
		}
		cmd.GroupKeys = append(cmd.GroupKeys, keys)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// createMetric serves POST /v1/billable-metrics/create.
func (s *Server) createMetric(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, decodeCreateMetric)
}

// getMetric serves GET /v1/billable-metrics/{id}.
func (s *Server) getMetric(ctx *fasthttp.RequestCtx, id string) error {
	m := s.node.Engine().Catalog().Metrics[id]
	if m == nil {
		return notFound("billable_metric_id: billable metric %s not found", id)
	}
	return writeData(ctx, renderMetric(m))
}

// listMetrics serves GET /v1/billable-metrics?limit&next_page.
func (s *Server) listMetrics(ctx *fasthttp.RequestCtx, _ string) error {
	limit, offset, err := pageArgs(ctx.QueryArgs(), 25)
	if err != nil {
		return err
	}
	cat := s.node.Engine().Catalog()
	ids, next := page(cat.MetricOrder, offset, limit)
	out := make([]metricOut, 0, len(ids))
	for _, id := range ids {
		out = append(out, renderMetric(cat.Metrics[id]))
	}
	return writeJSON(ctx, listEnvelope{Data: out, NextPage: next})
}

// page cuts one page out of an ordered id list; next is nil on the last page.
func page(ids []string, offset, limit int) ([]string, *string) {
	if offset >= len(ids) {
		return nil, nil
	}
	end := offset + limit
	if end >= len(ids) {
		return ids[offset:], nil
	}
	n := strconv.Itoa(end)
	return ids[offset:end], &n
}
