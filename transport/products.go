package transport

import (
	"bytes"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// productState is Metronome's ProductListItemState (initial and current).
type productState struct {
	Name                 string   `json:"name"`
	CreatedAt            string   `json:"created_at"`
	CreatedBy            string   `json:"created_by"`
	BillableMetricID     string   `json:"billable_metric_id,omitempty"`
	Tags                 []string `json:"tags"`
	PricingGroupKey      []string `json:"pricing_group_key,omitempty"`
	PresentationGroupKey []string `json:"presentation_group_key,omitempty"`
	StartingAt           string   `json:"starting_at"`
	IsRefundable         bool     `json:"is_refundable"`
}

// productOut is Metronome's contract-pricing product.
type productOut struct {
	ID           string            `json:"id"`
	Type         string            `json:"type"`
	Initial      productState      `json:"initial"`
	Current      productState      `json:"current"`
	Updates      []struct{}        `json:"updates"`
	CustomFields map[string]string `json:"custom_fields"`
	ArchivedAt   *string           `json:"archived_at"`
}

// createdBy is what responses give as the author of an object.
const createdBy = "burndown"

func renderProduct(p *engine.Product) productOut {
	st := productState{
		Name: p.Name, CreatedAt: tsv(p.CreatedAt), CreatedBy: createdBy, BillableMetricID: p.BillableMetricID,
		Tags: orEmpty(p.Tags), PricingGroupKey: p.PricingGroupKey, PresentationGroupKey: p.PresentationGroupKey,
		StartingAt: tsv(p.CreatedAt), IsRefundable: true,
	}
	return productOut{ID: p.ID, Type: p.Type, Initial: st, Current: st, Updates: []struct{}{}, CustomFields: orEmptyMap(p.CustomFields)}
}

// decodeCreateProduct validates POST /v1/contract-pricing/products/create.
func decodeCreateProduct(body []byte) (*engine.CreateProduct, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	cmd := &engine.CreateProduct{
		Name:                 o.str("name", true),
		Type:                 o.enum("type", true, engine.ProductUsage, engine.ProductFixed, engine.ProductSubscription, engine.ProductComposite),
		BillableMetricID:     o.str("billable_metric_id", false),
		Tags:                 o.strList("tags", false),
		PricingGroupKey:      o.strList("pricing_group_key", false),
		PresentationGroupKey: o.strList("presentation_group_key", false),
		CustomFields:         o.strMap("custom_fields"),
	}
	if r.err == nil {
		switch {
		case cmd.Type == engine.ProductUsage && cmd.BillableMetricID == "":
			r.fail("billable_metric_id", "is required for a USAGE product")
		case cmd.Type != engine.ProductUsage && cmd.BillableMetricID != "":
			r.fail("billable_metric_id", "is only allowed on a USAGE product")
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// createProduct serves POST /v1/contract-pricing/products/create.
func (s *Server) createProduct(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, decodeCreateProduct)
}

// decodeID reads a body {"id": ...} as the get endpoints take.
func (s *Server) decodeID(ctx *fasthttp.RequestCtx, key string) (string, error) {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return "", err
	}
	id := o.str(key, true)
	return id, r.Err()
}

// getProduct serves POST /v1/contract-pricing/products/get {"id"}.
func (s *Server) getProduct(ctx *fasthttp.RequestCtx, _ string) error {
	id, err := s.decodeID(ctx, "id")
	if err != nil {
		return err
	}
	p := s.node.Engine().Catalog().Products[id]
	if p == nil {
		return notFound("id: product %s not found", id)
	}
	return writeData(ctx, renderProduct(p))
}

// optionalBody parses a body that may be empty (list endpoints) as an object.
func (s *Server) optionalBody(ctx *fasthttp.RequestCtx) (obj, *reader, error) {
	body, err := readBody(ctx, s.cfg.MaxBodyBytes)
	if err != nil {
		return obj{}, nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		r := &reader{}
		return obj{r: r, m: map[string]any{}}, r, nil
	}
	return decodeObject(body)
}

// listProducts serves POST /v1/contract-pricing/products/list?limit&next_page.
func (s *Server) listProducts(ctx *fasthttp.RequestCtx, _ string) error {
	limit, offset, err := pageArgs(ctx.QueryArgs(), 25)
	if err != nil {
		return err
	}
	o, r, err := s.optionalBody(ctx)
	if err != nil {
		return err
	}
	// Archiving is not implemented: nothing is archived.
	archived := o.enum("archive_filter", false, "ARCHIVED", "NOT_ARCHIVED", "ALL") == "ARCHIVED"
	if err := r.Err(); err != nil {
		return err
	}
	cat := s.node.Engine().Catalog()
	ids, next := page(cat.ProductOrder, offset, limit)
	if archived {
		ids, next = nil, nil
	}
	out := make([]productOut, 0, len(ids))
	for _, id := range ids {
		out = append(out, renderProduct(cat.Products[id]))
	}
	return writeJSON(ctx, listEnvelope{Data: out, NextPage: next})
}
