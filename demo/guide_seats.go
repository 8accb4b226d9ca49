package demo

import (
	"fmt"
	"net/url"
	"strings"
)

// aiProducts are guide B's AI products: name, event type, AI credits per call.
var aiProducts = []struct {
	name, event string
	price       int
}{{"AI Assistant", "assist", 1}, {"AI Preview", "preview", 2}, {"AI Summary", "summary", 5}}

// seatsCo is guide B's catalog and customer.
type seatsCo struct {
	ai, team, pack, rc, id, alias, contract string
	products                                map[string]string
}

// playSeats is seed 001 (SCENARIOS.md B): a Team Plan per seat with 100
// pooled AI credits per seat per month, a seat added mid-month, the pool
// run dry, a top-up pack bought through a payment gate, the next month's
// grant, and a per-user cap.
func (p *player) playSeats() {
	p.beginGuide("Seats with pooled credits", "seed 001, SCENARIOS.md B", 7)
	if !p.beginStep("SeatsCo's customer takes the Team Plan with 4 seats: 100 AI credits per seat, pooled") {
		return
	}
	p.setClock("2026-04-01T00:00:00Z")
	s := p.seatsCatalog()
	s.id, s.alias = p.newCustomer("SeatsCo customer", "seatsco", nil)
	apr := p.at("2026-04-01T00:00:00Z")
	s.contract = p.create("/v1/contracts/create", obj{"customer_id": s.id, "rate_card_id": s.rc, "starting_at": apr, "prepaid_only": true,
		"subscriptions": []obj{{"temporary_id": "team-plan", "collection_schedule": "ADVANCE", "initial_quantity": 4,
			"subscription_rate": obj{"product_id": s.team, "billing_frequency": "ANNUAL"},
			"proration":         obj{"is_prorated": true, "invoice_behavior": "BILL_IMMEDIATELY"}}},
		"recurring_credits": []obj{{"product_id": s.pack, "name": "Monthly AI credits", "priority": 1, "starting_at": apr,
			"applicable_product_tags": []string{"ai"}, "recurrence_frequency": "MONTHLY",
			"access_amount":   obj{"credit_type_id": s.ai, "unit_price": 100},
			"commit_duration": obj{"value": 1, "unit": "PERIODS"},
			"subscription_config": obj{"subscription_id": "team-plan", "allocation": "POOLED",
				"apply_seat_increase_config": obj{"is_prorated": true}}}}})
	p.expect("AI credit pool", p.check(s.id, s.products["summary"]).Balance, "400")

	if !p.beginStep("On %s a fifth seat: the pool grows by 100 x 15/30, the seat is billed for the rest of the year", p.tl.day("2026-04-16T00:00:00Z")) {
		return
	}
	p.setClock("2026-04-16T00:00:00Z")
	p.post("/v2/contracts/edit", obj{"customer_id": s.id, "contract_id": s.contract, "update_subscriptions": []obj{{
		"subscription_id": p.subscriptionID(s), "quantity_updates": []obj{{"starting_at": p.at("2026-04-16T00:00:00Z"), "quantity_delta": 1}}}}}, nil)
	p.expect("AI credit pool", p.check(s.id, s.products["summary"]).Balance, "450")
	p.expect("subscription lines (10000 x 350/365 for the new seat)", p.subscriptionLines(s.id), "4 x 10000 = 40000; 1 x 10000 = 9589.04")

	if !p.beginStep("Three users draw on the one pool; an alert fires once when it falls to 10") {
		return
	}
	p.create("/v1/alerts/create", obj{"alert_type": "low_remaining_contract_credit_balance_reached", "name": "AI credits low",
		"threshold": 10, "customer_id": s.id, "credit_type_id": s.ai})
	summaries := p.usage(s.alias, "summary", "b-apr", 90, "2026-04-17T00:00:00Z", func(i int) obj {
		return obj{"user_id": []string{"user_1234", "u2", "u3"}[i%3]}
	})
	p.setClock("2026-04-17T00:00:00Z")
	p.ingest(summaries[:88])
	p.expect("AI credit pool after 88 summaries", p.check(s.id, s.products["summary"]).Balance, "10")
	p.webhook(s.id, "alerts.low_remaining_contract_credit_balance_reached")
	p.webhooksSoFar(s.id, "alerts.low_remaining_contract_credit_balance_reached", 1)

	if !p.beginStep("The pool runs dry: every AI product is cut off, the Team Plan is not") {
		return
	}
	p.ingest(summaries[88:])
	for _, ap := range aiProducts {
		p.expectCheck(ap.name, s.id, s.products[ap.event], checkResult{Entitled: false, Reason: "balance_depleted", Balance: "0"})
	}
	p.expectCheck("Team Plan", s.id, s.team, checkResult{Entitled: true, Reason: "ok"})
	p.webhooksSoFar(s.id, "alerts.low_remaining_contract_credit_balance_reached", 1)

	if !p.beginStep("A top-up pack: 1000 AI credits for a year, 8000 cents, paid through a gate") {
		return
	}
	p.setClock("2026-04-20T00:00:00Z")
	pack := p.buyPack(s)
	p.expectCheck("AI Assistant", s.id, s.products["assist"], checkResult{Entitled: true, Reason: "ok", Balance: "1000"})

	if !p.beginStep("May: April's grant expires, 5 x 100 new credits arrive and are used before the pack") {
		return
	}
	p.setClock("2026-05-01T00:00:00Z")
	p.expect("AI credits (pool + pack)", p.check(s.id, s.products["assist"]).Balance, "1500")
	p.ingest(p.usage(s.alias, "assist", "b-may", 3, "2026-05-01T00:00:00Z", func(int) obj { return obj{"user_id": "u2"} }))
	pool, packLeft := p.poolAndPack(s.id, pack)
	p.expect("pool after 3 assists", pool, "497")
	p.expect("top-up pack, untouched", packLeft, "1000")

	if !p.beginStep("A per-seat cap: user_1234 may spend 1000 AI credits a month") {
		return
	}
	p.create("/v1/alerts/create", obj{"alert_type": "spend_threshold_reached", "name": "user_1234 cap", "threshold": 1000,
		"customer_id": s.id, "credit_type_id": s.ai, "block_on_alarm": true, "group_values": []obj{{"key": "user_id", "value": "user_1234"}}})
	p.ingest(p.usage(s.alias, "summary", "b-cap", 200, "2026-05-01T00:00:00Z", func(int) obj { return obj{"user_id": "user_1234"} }))
	p.webhook(s.id, "alerts.spend_threshold_reached")
	p.expectCheck("AI Summary for user_1234", s.id, s.products["summary"], checkResult{Entitled: false, Reason: "limit_reached"}, "user_id", "user_1234")
	p.expectCheck("AI Summary for u2", s.id, s.products["summary"], checkResult{Entitled: true, Reason: "ok"}, "user_id", "u2")
}

// seatsCatalog makes the AI credit type, the products and the rate card.
func (p *player) seatsCatalog() seatsCo {
	s := seatsCo{products: map[string]string{}}
	s.ai = p.create("/v1/credit-types/create", obj{"name": "AI credits" + p.tag})
	apr := p.at("2026-04-01T00:00:00Z")
	for _, ap := range aiProducts {
		m := p.create("/v1/billable-metrics/create", obj{"name": ap.name, "aggregation_type": "COUNT",
			"event_type_filter": obj{"in_values": []string{ap.event}}, "group_keys": [][]string{{"user_id"}}})
		s.products[ap.event] = p.create("/v1/contract-pricing/products/create", obj{"name": ap.name, "type": "USAGE",
			"billable_metric_id": m, "tags": []string{"ai"}})
	}
	s.team = p.create("/v1/contract-pricing/products/create", obj{"name": "Team Plan", "type": "SUBSCRIPTION"})
	s.pack = p.create("/v1/contract-pricing/products/create", obj{"name": "AI credits", "type": "FIXED"})
	s.rc = p.create("/v1/contract-pricing/rate-cards/create", obj{"name": "SeatsCo",
		"credit_type_conversions": []obj{{"custom_credit_type_id": s.ai, "fiat_per_custom_credit": 10}}})
	rates := []obj{
		{"product_id": s.team, "starting_at": apr, "entitled": true, "rate_type": "SUBSCRIPTION", "price": 1000,
			"billing_frequency": "MONTHLY", "is_prorated": true, "credit_type_id": usdCents},
		{"product_id": s.team, "starting_at": apr, "entitled": true, "rate_type": "SUBSCRIPTION", "price": 10000,
			"billing_frequency": "ANNUAL", "is_prorated": true, "credit_type_id": usdCents},
	}
	for _, ap := range aiProducts {
		rates = append(rates, obj{"product_id": s.products[ap.event], "starting_at": apr, "entitled": true, "rate_type": "FLAT",
			"price": ap.price, "credit_type_id": s.ai})
	}
	p.post("/v1/contract-pricing/rate-cards/addRates", obj{"rate_card_id": s.rc, "rates": rates}, nil)
	return s
}

// subscriptionID reads the id of the contract's one subscription.
func (p *player) subscriptionID(s seatsCo) string {
	var out struct {
		Data struct {
			Subscriptions []struct {
				ID string `json:"id"`
			} `json:"subscriptions"`
		} `json:"data"`
	}
	p.post("/v1/contracts/get", obj{"customer_id": s.id, "contract_id": s.contract}, &out)
	if len(out.Data.Subscriptions) == 0 {
		p.fail(fmt.Errorf("contract %s has no subscription", s.contract))
		return ""
	}
	return out.Data.Subscriptions[0].ID
}

// subscriptionLines lists the subscription lines of every invoice as
// "quantity x unit price = total".
func (p *player) subscriptionLines(customerID string) string {
	var lines []string
	for _, inv := range p.invoices(customerID, url.Values{}) {
		for _, l := range inv.LineItems {
			if l.Type == "subscription" {
				lines = append(lines, fmt.Sprintf("%s x %s = %s", l.Quantity, l.UnitPrice, l.Total))
			}
		}
	}
	return strings.Join(lines, "; ")
}

// buyPack buys the top-up pack through an EXTERNAL gate and returns its
// commit id once paid.
func (p *player) buyPack(s seatsCo) string {
	p.post("/v2/contracts/edit", obj{"customer_id": s.id, "contract_id": s.contract, "add_commits": []obj{{
		"type": "PREPAID", "product_id": s.pack, "name": "Top-up pack", "priority": 10, "applicable_product_tags": []string{"ai"},
		"access_schedule": obj{"credit_type_id": s.ai, "schedule_items": []obj{{"amount": 1000,
			"starting_at": p.at("2026-04-20T00:00:00Z"), "ending_before": p.at("2027-04-20T00:00:00Z")}}},
		"invoice_schedule":    obj{"schedule_items": []obj{{"timestamp": p.at("2026-04-20T00:00:00Z"), "amount": 8000}}},
		"payment_gate_config": obj{"payment_gate_type": "EXTERNAL"}}}}, nil)
	initiate := p.webhook(s.id, "payment_gate.external_initiate")
	p.expect("invoice_total of the pack", initiate.prop("invoice_total"), "8000")
	p.expectCheck("AI Summary while unpaid", s.id, s.products["summary"], checkResult{Entitled: false, Reason: "balance_depleted", Balance: "0"})
	p.release(initiate.prop("workflow_id"), "paid")
	p.expect("payment_status", p.webhook(s.id, "payment_gate.payment_status").prop("payment_status"), "paid")
	return initiate.prop("commit_id")
}

// poolAndPack reads the pooled credit's balance and the pack's.
func (p *player) poolAndPack(customerID, packID string) (pool, pack string) {
	for _, b := range p.balances(customerID) {
		switch {
		case b.ID == packID:
			pack = string(b.Balance)
		case b.Type == "CREDIT":
			pool = string(b.Balance)
		}
	}
	return pool, pack
}
