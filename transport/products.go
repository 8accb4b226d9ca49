package transport

import (
	"bytes"

	"github.com/valyala/fasthttp"

	"burndown/engine"
	"burndown/money"
)

// productState is Metronome's ProductListItemState (initial and current).
type productState struct {
	Name                 string                 `json:"name"`
	CreatedAt            string                 `json:"created_at"`
	CreatedBy            string                 `json:"created_by"`
	BillableMetricID     string                 `json:"billable_metric_id,omitempty"`
	Tags                 []string               `json:"tags"`
	PricingGroupKey      []string               `json:"pricing_group_key,omitempty"`
	PresentationGroupKey []string               `json:"presentation_group_key,omitempty"`
	StartingAt           string                 `json:"starting_at"`
	IsRefundable         bool                   `json:"is_refundable"`
	QuantityConversion   *quantityConversionOut `json:"quantity_conversion,omitempty"`
	QuantityRounding     *quantityRoundingOut   `json:"quantity_rounding,omitempty"`
	CompositeProductIDs  []string               `json:"composite_product_ids,omitempty"`
	CompositeTags        []string               `json:"composite_tags,omitempty"`
}

type quantityConversionOut struct {
	ConversionFactor num    `json:"conversion_factor"`
	Operation        string `json:"operation"`
	Name             string `json:"name,omitempty"`
}

type quantityRoundingOut struct {
	DecimalPlaces  int32  `json:"decimal_places"`
	RoundingMethod string `json:"rounding_method"`
}

// roundingMethods maps Metronome's rounding_method to the engine's.
var roundingMethods = map[string]string{"ROUND_UP": engine.RoundUp, "ROUND_DOWN": engine.RoundDown, "ROUND_HALF_UP": engine.RoundHalfUpMode, "HALF_UP": engine.RoundHalfUpMode}

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
		CompositeProductIDs: p.CompositeProductIDs, CompositeTags: p.CompositeTags,
	}
	if qc := p.QuantityConversion; qc != nil {
		st.QuantityConversion = &quantityConversionOut{ConversionFactor: num(qc.ConversionFactor), Operation: qc.Operation, Name: qc.Name}
	}
	if qr := p.QuantityRounding; qr != nil {
		m := qr.RoundingMethod
		if m == engine.RoundHalfUpMode {
			m = "ROUND_HALF_UP"
		}
		st.QuantityRounding = &quantityRoundingOut{DecimalPlaces: qr.DecimalPlaces, RoundingMethod: m}
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
		CompositeProductIDs:  o.strList("composite_product_ids", false),
		CompositeTags:        o.strList("composite_tags", false),
	}
	if qc, ok := o.object("quantity_conversion", false); ok {
		f, _ := qc.amount("conversion_factor", true, true)
		if r.err == nil && !f.IsPositive() {
			r.fail(qc.sub("conversion_factor"), "must be greater than zero")
		}
		cmd.QuantityConversion = &engine.QuantityConversion{ConversionFactor: f,
			Operation: qc.enum("operation", true, engine.ConvertMultiply, engine.ConvertDivide), Name: qc.str("name", false)}
	}
	if qr, ok := o.object("quantity_rounding", false); ok {
		places, _ := qr.integer("decimal_places", true, 0, money.MaxFractionDigits)
		method := qr.enum("rounding_method", true, "ROUND_UP", "ROUND_DOWN", "ROUND_HALF_UP", "HALF_UP")
		cmd.QuantityRounding = &engine.QuantityRounding{DecimalPlaces: int32(places), RoundingMethod: roundingMethods[method]}
	}
	if r.err == nil {
		switch {
		case cmd.Type != engine.ProductUsage && (cmd.QuantityConversion != nil || cmd.QuantityRounding != nil):
			r.fail("quantity_conversion", "is only allowed on a USAGE product")
		case cmd.Type == engine.ProductUsage && cmd.BillableMetricID == "":
			r.fail("billable_metric_id", "is required for a USAGE product")
		case cmd.Type != engine.ProductUsage && cmd.BillableMetricID != "":
			r.fail("billable_metric_id", "is only allowed on a USAGE product")
		case cmd.Type != engine.ProductComposite && len(cmd.CompositeProductIDs) > 0:
			r.fail("composite_product_ids", "is only allowed on a COMPOSITE product")
		case cmd.Type != engine.ProductComposite && len(cmd.CompositeTags) > 0:
			r.fail("composite_tags", "is only allowed on a COMPOSITE product")
		case cmd.Type == engine.ProductComposite && len(cmd.CompositeProductIDs) == 0 && len(cmd.CompositeTags) == 0:
			r.fail("composite_product_ids", "a COMPOSITE product needs composite_product_ids or composite_tags")
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
