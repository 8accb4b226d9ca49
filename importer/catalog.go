package importer

import (
	"context"
	"fmt"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
)

// metrics copies the active billable metrics.
func (r *run) metrics(ctx context.Context) error {
	list := func(a *api) ([]metric, error) {
		out, err := collect[metronome.V1BillableMetricListResponse, metric](a.sdk.V1.BillableMetrics.ListAutoPaging(ctx, metronome.V1BillableMetricListParams{}))
		if err != nil {
			return nil, fmt.Errorf("%s: list billable metrics: %w", a.name, err)
		}
		return out, nil
	}
	src, err := list(r.src)
	if err != nil {
		return err
	}
	dst, err := list(r.dst)
	if err != nil {
		return err
	}
	imported := markedIDs(dst, func(m metric) (string, map[string]string) { return m.ID, m.CustomFields })
	c := r.rep.kind(kindMetrics)
	for _, m := range src {
		c.Source++
		if id, ok := imported[m.ID]; ok {
			r.mapID(kindMetrics, m.ID, id)
			c.Existing++
			continue
		}
		body := map[string]any{"name": m.Name, "aggregation_type": m.AggregationType, "custom_fields": marked(m.CustomFields, m.ID)}
		setIf(body, "aggregation_key", m.AggregationKey)
		if len(m.EventTypeFilter) > 0 {
			body["event_type_filter"] = compact(m.EventTypeFilter)
		}
		if len(m.PropertyFilters) > 0 {
			var pf []map[string]any
			for _, f := range m.PropertyFilters {
				pf = append(pf, compact(f))
			}
			body["property_filters"] = pf
		}
		if len(m.GroupKeys) > 0 {
			body["group_keys"] = m.GroupKeys
		}
		id, err := r.create(ctx, kindMetrics, "v1/billable-metrics/create", m.ID, body)
		if err != nil {
			return fmt.Errorf("billable metric %s (%q): %w", m.ID, m.Name, err)
		}
		r.mapID(kindMetrics, m.ID, id)
		c.Created++
	}
	return nil
}

// products copies the active products, composites last (they name others).
func (r *run) products(ctx context.Context) error {
	list := func(a *api) ([]product, error) {
		out, err := collect[metronome.V1ContractProductListResponse, product](a.sdk.V1.Contracts.Products.ListAutoPaging(ctx, metronome.V1ContractProductListParams{}))
		if err != nil {
			return nil, fmt.Errorf("%s: list products: %w", a.name, err)
		}
		return out, nil
	}
	src, err := list(r.src)
	if err != nil {
		return err
	}
	dst, err := list(r.dst)
	if err != nil {
		return err
	}
	imported := markedIDs(dst, func(p product) (string, map[string]string) { return p.ID, p.CustomFields })
	c := r.rep.kind(kindProducts)
	for _, composites := range []bool{false, true} {
		for _, p := range src {
			if (p.Type == "COMPOSITE") != composites {
				continue
			}
			c.Source++
			if id, ok := imported[p.ID]; ok {
				r.mapID(kindProducts, p.ID, id)
				c.Existing++
				continue
			}
			body, err := r.productBody(p)
			if err == nil {
				var id string
				if id, err = r.create(ctx, kindProducts, "v1/contract-pricing/products/create", p.ID, body); err == nil {
					r.mapID(kindProducts, p.ID, id)
					c.Created++
				}
			}
			if err != nil {
				return fmt.Errorf("product %s (%q): %w", p.ID, p.Current.Name, err)
			}
		}
	}
	return nil
}

func (r *run) productBody(p product) (map[string]any, error) {
	t := p.Current
	body := map[string]any{"name": t.Name, "type": p.Type, "custom_fields": marked(p.CustomFields, p.ID)}
	if t.BillableMetricID != "" {
		id := r.target(kindMetrics, t.BillableMetricID)
		if id == "" {
			return nil, fmt.Errorf("its billable metric %s is not an active metric of the source", t.BillableMetricID)
		}
		body["billable_metric_id"] = id
	}
	for key, l := range map[string][]string{"tags": t.Tags, "pricing_group_key": t.PricingGroupKey,
		"presentation_group_key": t.PresentationGroupKey, "composite_tags": t.CompositeTags} {
		if len(l) > 0 {
			body[key] = l
		}
	}
	if len(t.CompositeProductIDs) > 0 {
		ids, err := r.productIDs(t.CompositeProductIDs)
		if err != nil {
			return nil, err
		}
		body["composite_product_ids"] = ids
	}
	if len(t.QuantityConversion) > 0 {
		body["quantity_conversion"] = compact(t.QuantityConversion)
	}
	if len(t.QuantityRounding) > 0 {
		body["quantity_rounding"] = compact(t.QuantityRounding)
	}
	return body, nil
}

// productIDs maps source product ids to the target's.
func (r *run) productIDs(ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		t, err := r.productID(id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (r *run) productID(id string) (string, error) {
	if t := r.target(kindProducts, id); t != "" {
		return t, nil
	}
	return "", fmt.Errorf("product %s is not an active product of the source", id)
}

// markedIDs indexes the target objects that carry the import mark by the
// source id they carry.
func markedIDs[T any](list []T, of func(T) (string, map[string]string)) map[string]string {
	out := map[string]string{}
	for _, o := range list {
		id, fields := of(o)
		if src := fields[SourceIDField]; src != "" {
			out[src] = id
		}
	}
	return out
}

// compact is m without its null entries (the API shows absent options as
// null; a create takes them absent).
func compact(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

func setIf(body map[string]any, key, v string) {
	if v != "" {
		body[key] = v
	}
}
