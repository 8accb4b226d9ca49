package transport

import (
	"slices"
	"strings"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

type conversionOut struct {
	CustomCreditType creditTypeRef `json:"custom_credit_type"`
	// FiatPerCustomCredit is a string in Metronome's responses (not a number).
	FiatPerCustomCredit string `json:"fiat_per_custom_credit"`
}

// rateCardOut is Metronome's rate card.
type rateCardOut struct {
	ID                    string            `json:"id"`
	Name                  string            `json:"name"`
	Description           string            `json:"description,omitempty"`
	CreatedAt             string            `json:"created_at"`
	CreatedBy             string            `json:"created_by"`
	FiatCreditType        creditTypeRef     `json:"fiat_credit_type"`
	CreditTypeConversions []conversionOut   `json:"credit_type_conversions"`
	CustomFields          map[string]string `json:"custom_fields"`
	Aliases               []aliasOut        `json:"aliases"`
}

// aliasOut is one of a rate card's aliases.
type aliasOut struct {
	Name         string `json:"name"`
	StartingAt   string `json:"starting_at,omitempty"`
	EndingBefore string `json:"ending_before,omitempty"`
}

func renderAliases(in []engine.RateCardAlias) []aliasOut {
	out := make([]aliasOut, 0, len(in))
	for _, a := range in {
		o := aliasOut{Name: a.Name}
		if a.StartingAt != 0 {
			o.StartingAt = tsv(a.StartingAt)
		}
		if a.EndingBefore != 0 {
			o.EndingBefore = tsv(a.EndingBefore)
		}
		out = append(out, o)
	}
	return out
}

func renderRateCard(cat *engine.Catalog, rc *engine.RateCard) rateCardOut {
	out := rateCardOut{
		ID: rc.ID, Name: rc.Name, Description: rc.Description, CreatedAt: tsv(rc.CreatedAt), CreatedBy: createdBy,
		FiatCreditType: creditTypeOf(cat, rc.FiatCreditTypeID), CreditTypeConversions: []conversionOut{},
		CustomFields: orEmptyMap(rc.CustomFields), Aliases: renderAliases(rc.Aliases),
	}
	for _, c := range rc.CreditTypeConversions {
		out.CreditTypeConversions = append(out.CreditTypeConversions, conversionOut{
			CustomCreditType: creditTypeOf(cat, c.CustomCreditTypeID), FiatPerCustomCredit: c.FiatPerCustomCredit.String(),
		})
	}
	return out
}

// decodeCreateRateCard validates POST /v1/contract-pricing/rate-cards/create.
func decodeCreateRateCard(body []byte) (*engine.CreateRateCard, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	cmd := &engine.CreateRateCard{
		Name:             o.str("name", true),
		Description:      o.str("description", false),
		FiatCreditTypeID: o.str("fiat_credit_type_id", false),
		CustomFields:     o.strMap("custom_fields"),
	}
	for _, c := range o.objects("credit_type_conversions", false, 100) {
		f, ok := c.amount("fiat_per_custom_credit", true, true)
		if ok && !f.IsPositive() {
			r.fail(c.sub("fiat_per_custom_credit"), "must be greater than zero")
		}
		cmd.CreditTypeConversions = append(cmd.CreditTypeConversions, engine.CreditTypeConversion{
			CustomCreditTypeID: c.str("custom_credit_type_id", true), FiatPerCustomCredit: f,
		})
	}
	for _, a := range o.objects("aliases", false, 100) {
		al := engine.RateCardAlias{Name: a.str("name", true), StartingAt: a.time("starting_at", false), EndingBefore: a.time("ending_before", false)}
		if al.EndingBefore != 0 && al.EndingBefore <= al.StartingAt && r.err == nil {
			r.fail(a.sub("ending_before"), "must be after starting_at")
		}
		cmd.Aliases = append(cmd.Aliases, al)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// createRateCard serves POST /v1/contract-pricing/rate-cards/create.
func (s *Server) createRateCard(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, decodeCreateRateCard)
}

// getRateCard serves POST /v1/contract-pricing/rate-cards/get {"id"}.
func (s *Server) getRateCard(ctx *fasthttp.RequestCtx, _ string) error {
	id, err := s.decodeID(ctx, "id")
	if err != nil {
		return err
	}
	cat := s.node.Engine().Catalog()
	rc := cat.RateCards[id]
	if rc == nil {
		return notFound("id: rate card %s not found", id)
	}
	return writeData(ctx, renderRateCard(cat, rc))
}

// listRateCards serves POST /v1/contract-pricing/rate-cards/list?limit&next_page.
func (s *Server) listRateCards(ctx *fasthttp.RequestCtx, _ string) error {
	limit, offset, err := pageArgs(ctx.QueryArgs(), 25)
	if err != nil {
		return err
	}
	if _, r, err := s.optionalBody(ctx); err != nil {
		return err
	} else if err := r.Err(); err != nil {
		return err
	}
	cat := s.node.Engine().Catalog()
	ids, next := page(cat.RateCardOrder, offset, limit)
	out := make([]rateCardOut, 0, len(ids))
	for _, id := range ids {
		out = append(out, renderRateCard(cat, cat.RateCards[id]))
	}
	return writeJSON(ctx, listEnvelope{Data: out, NextPage: next})
}

// decodeRate validates one rate of addRate / addRates.
func decodeRate(o obj) engine.RateInput {
	// commit_rate is refused (not read): every rate's commit rate is its
	// list price, which is what a commit's rate_type relies on.
	in := engine.RateInput{
		ProductID:    o.str("product_id", true),
		StartingAt:   o.time("starting_at", true),
		EndingBefore: o.time("ending_before", false),
		RateType:     o.enum("rate_type", true, engine.RateFlat, engine.RateSubscription, engine.RateTiered, engine.RatePercentage),
		CreditTypeID: o.str("credit_type_id", false),
	}
	in.Entitled, _ = o.boolean("entitled", true)
	if in.EndingBefore != 0 && in.EndingBefore <= in.StartingAt && o.r.err == nil {
		o.r.fail(o.sub("ending_before"), "must be after starting_at")
	}
	in.PricingGroupValues = o.strMap("pricing_group_values")
	switch in.RateType {
	case engine.RateTiered:
		in.Tiers = decodeTiers(o, "tiers")
	case engine.RatePercentage:
		// The fraction (0..1) of a COMPOSITE product's covered spend; the
		// engine checks the product and the bound.
		in.Price, _ = o.amount("price", true, true)
	case engine.RateFlat:
		in.Price, _ = o.amount("price", true, true)
		// A FLAT rate with a billing_frequency is how Metronome documents
		// a SUBSCRIPTION product's price; the engine refuses it on any
		// other product.
		in.BillingFrequency = o.frequency("billing_frequency", false, "MONTHLY", "QUARTERLY", "ANNUAL", "WEEKLY")
	case engine.RateSubscription:
		// Subscription terms belong to subscriptions (which contracts refuse
		// for now); they are only meaningful, and only read, on this type.
		in.Price, _ = o.amount("price", true, true)
		in.BillingFrequency = o.frequency("billing_frequency", false, "MONTHLY", "QUARTERLY", "ANNUAL", "WEEKLY")
		in.Quantity = o.amountPtr("quantity", true)
		in.IsProrated, _ = o.boolean("is_prorated", false)
		if in.BillingFrequency == "" && o.r.err == nil {
			o.r.fail(o.sub("billing_frequency"), "is required for a SUBSCRIPTION rate")
		}
	}
	return in
}

// frequency reads a billing frequency, one of allowed in any case; YEARLY,
// the hybrid-model guide's spelling, is ANNUAL where ANNUAL is allowed.
func (o obj) frequency(key string, required bool, allowed ...string) string {
	if s, _ := o.m[key].(string); strings.EqualFold(s, "YEARLY") && slices.Contains(allowed, engine.FrequencyAnnual) {
		o.mark(key)
		return engine.FrequencyAnnual
	}
	return o.enum(key, required, allowed...)
}

// decodeTiers reads a TIERED rate's tiers: every tier but the last has a
// positive size, the last none.
func decodeTiers(o obj, key string) []engine.Tier {
	list := o.objects(key, true, 100)
	out := make([]engine.Tier, 0, len(list))
	for i, t := range list {
		tier := engine.Tier{Size: t.amountPtr("size", true)}
		tier.Price, _ = t.amount("price", true, true)
		switch {
		case o.r.err != nil:
		case tier.Size == nil && i != len(list)-1:
			o.r.fail(t.sub("size"), "is required on every tier but the last")
		case tier.Size != nil && i == len(list)-1:
			o.r.fail(t.sub("size"), "the last tier is open and has no size")
		case tier.Size != nil && !tier.Size.IsPositive():
			o.r.fail(t.sub("size"), "must be greater than zero")
		}
		out = append(out, tier)
	}
	if len(list) == 0 && o.r.err == nil {
		o.r.fail(o.sub(key), "a TIERED rate needs at least one tier")
	}
	return out
}

type tierOut struct {
	Size  *num `json:"size,omitempty"`
	Price num  `json:"price"`
}

func renderTiers(in []engine.Tier) []tierOut {
	out := make([]tierOut, 0, len(in))
	for _, t := range in {
		out = append(out, tierOut{Size: numPtr(t.Size), Price: num(t.Price)})
	}
	return out
}

// rateOut is the answer of addRate.
type rateOut struct {
	RateType           string            `json:"rate_type"`
	Price              *num              `json:"price,omitempty"`
	CreditType         creditTypeRef     `json:"credit_type"`
	IsProrated         bool              `json:"is_prorated"`
	Quantity           *num              `json:"quantity,omitempty"`
	BillingFrequency   string            `json:"billing_frequency,omitempty"`
	Entitled           bool              `json:"entitled"`
	Tiers              []tierOut         `json:"tiers,omitempty"`
	PricingGroupValues map[string]string `json:"pricing_group_values,omitempty"`
}

// addRate serves POST /v1/contract-pricing/rate-cards/addRate.
func (s *Server) addRate(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	cmd := &engine.AddRates{RateCardID: o.str("rate_card_id", true)}
	cmd.Rates = []engine.RateInput{decodeRate(o)}
	if err := r.Err(); err != nil {
		return err
	}
	if _, err := s.propose(ctx, cmd); err != nil {
		return err
	}
	cat := s.node.Engine().Catalog()
	in := cmd.Rates[0]
	ct := in.CreditTypeID
	if ct == "" {
		if rc := cat.RateCards[cmd.RateCardID]; rc != nil {
			ct = rc.FiatCreditTypeID
		}
	}
	out := rateOut{RateType: in.RateType, CreditType: creditTypeOf(cat, ct), IsProrated: in.IsProrated,
		Quantity: numPtr(in.Quantity), BillingFrequency: in.BillingFrequency, Entitled: in.Entitled}
	if in.RateType == engine.RateTiered {
		out.Tiers = renderTiers(in.Tiers)
	} else {
		p := num(in.Price)
		out.Price = &p
	}
	out.PricingGroupValues = in.PricingGroupValues
	return writeData(ctx, out)
}

// addRates serves POST /v1/contract-pricing/rate-cards/addRates.
func (s *Server) addRates(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	cmd := &engine.AddRates{RateCardID: o.str("rate_card_id", true)}
	for _, ro := range o.objects("rates", true, 1000) {
		cmd.Rates = append(cmd.Rates, decodeRate(ro))
	}
	if err := r.Err(); err != nil {
		return err
	}
	if _, err := s.propose(ctx, cmd); err != nil {
		return err
	}
	return writeID(ctx, cmd.RateCardID)
}
