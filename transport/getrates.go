package transport

import (
	"sort"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// rateScheduleOut is one entry of getRates: a product's rate in force at
// the asked time (one per distinct pricing_group_values).
type rateScheduleOut struct {
	ProductID           string            `json:"product_id"`
	ProductName         string            `json:"product_name"`
	ProductTags         []string          `json:"product_tags"`
	ProductCustomFields map[string]string `json:"product_custom_fields"`
	StartingAt          string            `json:"starting_at"`
	EndingBefore        string            `json:"ending_before,omitempty"`
	Entitled            bool              `json:"entitled"`
	Rate                rateOut           `json:"rate"`
	PricingGroupValues  map[string]string `json:"pricing_group_values,omitempty"`
	BillingFrequency    string            `json:"billing_frequency,omitempty"`
}

// rateSelector is one of getRates' selectors; a rate is listed when it
// matches any selector (every field a selector gives must hold).
type rateSelector struct {
	productID string
	tags      []string
	exact     map[string]string // pricing_group_values: the rate's values are exactly these
	partial   map[string]string // partial_pricing_group_values: the rate has at least these
}

func (sel *rateSelector) matches(p *engine.Product, r *engine.Rate) bool {
	if sel.productID != "" && sel.productID != p.ID {
		return false
	}
	if len(sel.tags) > 0 && !anyTag(p.Tags, sel.tags) {
		return false
	}
	if sel.exact != nil && !sameMap(sel.exact, r.PricingGroupValues) {
		return false
	}
	for k, v := range sel.partial {
		if got, ok := r.PricingGroupValues[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func anyTag(have, want []string) bool {
	for _, w := range want {
		for _, h := range have {
			if h == w {
				return true
			}
		}
	}
	return false
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if got, ok := b[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// groupKey renders pricing_group_values canonically.
func groupKey(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(strconv.Quote(k))
		b.WriteByte('=')
		b.WriteString(strconv.Quote(m[k]))
		b.WriteByte(';')
	}
	return b.String()
}

// ratesAt lists the rates of rc in force at t, per product in the order
// rates were first added to the card and, per product, one per distinct
// pricing_group_values (the latest started, then the latest added, wins:
// the rate rating uses), in order of first appearance.
func ratesAt(cat *engine.Catalog, rc *engine.RateCard, t engine.Nanos, sels []rateSelector) []rateScheduleOut {
	var out []rateScheduleOut
	for _, pid := range rc.ProductOrder {
		p := cat.Products[pid]
		if p == nil {
			continue
		}
		var order []string
		won := map[string]*engine.Rate{}
		rates := rc.Rates[pid]
		for i := range rates {
			r := &rates[i]
			if r.StartingAt > t {
				break
			}
			if r.EndingBefore != 0 && t >= r.EndingBefore {
				continue
			}
			key := groupKey(r.PricingGroupValues)
			if won[key] == nil {
				order = append(order, key)
			}
			won[key] = r // ordered by StartingAt then Seq: the last wins
		}
		for _, key := range order {
			r := won[key]
			if len(sels) > 0 {
				match := false
				for i := range sels {
					if sels[i].matches(p, r) {
						match = true
						break
					}
				}
				if !match {
					continue
				}
			}
			out = append(out, renderScheduledRate(cat, rc, p, r))
		}
	}
	return out
}

func renderScheduledRate(cat *engine.Catalog, rc *engine.RateCard, p *engine.Product, r *engine.Rate) rateScheduleOut {
	ct := r.CreditTypeID
	if ct == "" {
		ct = rc.FiatCreditTypeID
	}
	ro := rateOut{RateType: r.RateType, CreditType: creditTypeOf(cat, ct), IsProrated: r.IsProrated,
		Quantity: numPtr(r.Quantity), BillingFrequency: r.BillingFrequency, Entitled: r.Entitled,
		PricingGroupValues: r.PricingGroupValues}
	if r.RateType == engine.RateTiered {
		ro.Tiers = renderTiers(r.Tiers)
	} else {
		pr := num(r.Price)
		ro.Price = &pr
	}
	out := rateScheduleOut{
		ProductID: p.ID, ProductName: p.Name, ProductTags: orEmpty(p.Tags), ProductCustomFields: orEmptyMap(p.CustomFields),
		StartingAt: tsv(r.StartingAt), Entitled: r.Entitled, Rate: ro, PricingGroupValues: r.PricingGroupValues,
		BillingFrequency: r.BillingFrequency,
	}
	if r.EndingBefore != 0 {
		out.EndingBefore = tsv(r.EndingBefore)
	}
	return out
}

// getRates serves POST /v1/contract-pricing/rate-cards/getRates?limit&next_page
// {rate_card_id, at, selectors?}: the rate card's rates in force at `at`
// (list rates; a contract's overrides are not applied), read from this
// node's catalog.
func (s *Server) getRates(ctx *fasthttp.RequestCtx, _ string) error {
	limit, offset, err := pageArgs(ctx.QueryArgs(), 100)
	if err != nil {
		return err
	}
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	id := o.str("rate_card_id", true)
	at := o.time("at", true)
	var sels []rateSelector
	for _, so := range o.objects("selectors", false, 100) {
		sel := rateSelector{productID: so.str("product_id", false), tags: so.strList("product_tags", false),
			partial: so.strMap("partial_pricing_group_values")}
		if so.has("pricing_group_values") {
			sel.exact = so.strMap("pricing_group_values")
			if sel.exact == nil {
				sel.exact = map[string]string{}
			}
		}
		sels = append(sels, sel)
	}
	if err := r.Err(); err != nil {
		return err
	}
	cat := s.node.Engine().Catalog()
	rc := cat.RateCards[id]
	if rc == nil {
		return notFound("rate_card_id: rate card %s not found", id)
	}
	all := ratesAt(cat, rc, at, sels)
	var next *string
	switch {
	case offset >= len(all):
		all = nil
	case offset+limit < len(all):
		n := strconv.Itoa(offset + limit)
		next, all = &n, all[offset:offset+limit]
	default:
		all = all[offset:]
	}
	if all == nil {
		all = []rateScheduleOut{}
	}
	return writeJSON(ctx, listEnvelope{Data: all, NextPage: next})
}
