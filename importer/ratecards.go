package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
)

// rateCards copies the rate cards and, for each, the rates the target's
// card lacks.
func (r *run) rateCards(ctx context.Context) error {
	list := func(a *api) ([]rateCard, error) {
		out, err := collect[metronome.V1ContractRateCardListResponse, rateCard](a.sdk.V1.Contracts.RateCards.ListAutoPaging(ctx, metronome.V1ContractRateCardListParams{Body: map[string]any{}}))
		if err != nil {
			return nil, fmt.Errorf("%s: list rate cards: %w", a.name, err)
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
	times, err := r.rateLookupTimes(ctx)
	if err != nil {
		return err
	}
	imported := markedIDs(dst, func(rc rateCard) (string, map[string]string) { return rc.ID, rc.CustomFields })
	c := r.rep.kind(kindRateCards)
	for _, rc := range src {
		c.Source++
		r.fiat[rc.ID] = rc.FiatCreditType.ID
		id, ok := imported[rc.ID]
		if ok {
			c.Existing++
		} else {
			body, err := r.rateCardBody(rc)
			if err == nil {
				id, err = r.create(ctx, kindRateCards, "v1/contract-pricing/rate-cards/create", rc.ID, body)
			}
			if err != nil {
				return fmt.Errorf("rate card %s (%q): %w", rc.ID, rc.Name, err)
			}
			c.Created++
		}
		r.mapID(kindRateCards, rc.ID, id)
		if err := r.rates(ctx, rc, id, times); err != nil {
			return fmt.Errorf("rate card %s (%q): %w", rc.ID, rc.Name, err)
		}
	}
	r.rep.progress(r.out, kindRates)
	return nil
}

func (r *run) rateCardBody(rc rateCard) (map[string]any, error) {
	body := map[string]any{"name": rc.Name, "custom_fields": marked(rc.CustomFields, rc.ID)}
	setIf(body, "description", rc.Description)
	fiat, err := r.creditTypeID(rc.FiatCreditType.ID)
	if err != nil {
		return nil, err
	}
	setIf(body, "fiat_credit_type_id", fiat)
	var conv []map[string]any
	for _, cv := range rc.CreditTypeConversions {
		ct, err := r.creditTypeID(cv.CustomCreditType.ID)
		if err != nil {
			return nil, err
		}
		conv = append(conv, map[string]any{"custom_credit_type_id": ct, "fiat_per_custom_credit": cv.FiatPerCustomCredit})
	}
	if conv != nil {
		body["credit_type_conversions"] = conv
	}
	if len(rc.Aliases) > 0 {
		body["aliases"] = rc.Aliases
	}
	return body, nil
}

// rateLookupTimes are the times the rates of every card are asked for: the
// API answers the rates in force at one time, so the import asks at a time
// long past, now, and the start of every source contract, then at the end
// of every rate found (rates.go follows them). A rate that starts after a
// gap in a product's schedule and after all of these is not found: the
// summary says so.
func (r *run) rateLookupTimes(ctx context.Context) ([]time.Time, error) {
	times := []time.Time{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), r.cfg.Now}
	if err := r.loadSourceContracts(ctx); err != nil {
		return nil, err
	}
	for _, list := range r.sourceContracts {
		for _, k := range list {
			if t, err := time.Parse(time.RFC3339Nano, k.Current.StartingAt); err == nil {
				times = append(times, t)
			}
		}
	}
	return times, nil
}

// rateKey identifies a rate within a card: its product, start and pricing
// group values (the target's product id).
func rateKey(productID, startingAt string, groups map[string]string) string {
	keys := make([]string, 0, len(groups))
	for k, v := range groups {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	return productID + "|" + normTime(startingAt) + "|" + strings.Join(keys, ",")
}

// normTime is an RFC 3339 time in UTC, so equal times compare equal.
func normTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// rates adds to the target's card (targetID) the source card's rates it
// lacks, in one addRates call.
func (r *run) rates(ctx context.Context, rc rateCard, targetID string, times []time.Time) error {
	src, err := allRates(ctx, r.src, rc.ID, times)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	if !isDry(targetID) {
		dst, err := allRates(ctx, r.dst, targetID, times)
		if err != nil {
			return err
		}
		for _, rt := range dst {
			have[rateKey(rt.ProductID, rt.StartingAt, rt.PricingGroupValues)] = true
		}
	}
	c := r.rep.kind(kindRates)
	var missing []map[string]any
	for _, rt := range src {
		c.Source++
		pid, err := r.productID(rt.ProductID)
		if err != nil {
			return err
		}
		if have[rateKey(pid, rt.StartingAt, rt.PricingGroupValues)] {
			c.Existing++
			continue
		}
		body, err := r.rateBody(rt, pid)
		if err != nil {
			return err
		}
		missing = append(missing, body)
		c.Created++
	}
	if len(missing) == 0 || r.cfg.DryRun {
		return nil
	}
	body := map[string]any{"rate_card_id": targetID, "rates": missing}
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode rates: %w", err)
	}
	sum := sha256.Sum256(raw)
	return r.dst.post(ctx, "v1/contract-pricing/rate-cards/addRates", body, nil, idempotencyKey(kindRates, rc.ID+"."+hex.EncodeToString(sum[:12])))
}

func (r *run) rateBody(rt rate, productID string) (map[string]any, error) {
	body := map[string]any{"product_id": productID, "starting_at": rt.StartingAt, "rate_type": rt.Rate.RateType}
	setIf(body, "ending_before", rt.EndingBefore)
	setIf(body, "billing_frequency", rt.BillingFrequency)
	ct, err := r.creditTypeID(rt.Rate.CreditType.ID)
	if err != nil {
		return nil, err
	}
	setIf(body, "credit_type_id", ct)
	if rt.Entitled != nil {
		body["entitled"] = *rt.Entitled
	}
	if rt.Rate.IsProrated != nil && *rt.Rate.IsProrated {
		body["is_prorated"] = true // only subscription rates take it; false is the default
	}
	if len(rt.PricingGroupValues) > 0 {
		body["pricing_group_values"] = rt.PricingGroupValues
	}
	if rt.Rate.Price != nil {
		body["price"] = rt.Rate.Price
	}
	if rt.Rate.Quantity != nil {
		body["quantity"] = rt.Rate.Quantity
	}
	if len(rt.Rate.Tiers) > 0 {
		var tiers []map[string]any
		for _, t := range rt.Rate.Tiers {
			tiers = append(tiers, compact(t))
		}
		body["tiers"] = tiers
	}
	return body, nil
}

// allRates is every rate of the card found by asking at times and then at
// the end of each rate found, each rate once.
func allRates(ctx context.Context, a *api, cardID string, times []time.Time) ([]rate, error) {
	queue := slices.Clone(times)
	asked := map[string]bool{}
	seen := map[string]bool{}
	var out []rate
	for len(queue) > 0 && len(asked) < 1000 {
		at := queue[0].UTC()
		queue = queue[1:]
		if asked[at.Format(time.RFC3339Nano)] {
			continue
		}
		asked[at.Format(time.RFC3339Nano)] = true
		got, err := collect[metronome.V1ContractRateCardRateListResponse, rate](a.sdk.V1.Contracts.RateCards.Rates.ListAutoPaging(ctx,
			metronome.V1ContractRateCardRateListParams{RateCardID: cardID, At: at}))
		if err != nil {
			return nil, fmt.Errorf("%s: rates of card %s at %s: %w", a.name, cardID, at.Format(time.RFC3339), err)
		}
		for _, rt := range got {
			k := rateKey(rt.ProductID, rt.StartingAt, rt.PricingGroupValues)
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, rt)
			if t, err := time.Parse(time.RFC3339Nano, rt.EndingBefore); err == nil {
				queue = append(queue, t)
			}
		}
	}
	return out, nil
}
