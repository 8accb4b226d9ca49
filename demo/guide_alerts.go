package demo

// playAlerts is seed 003 (SCENARIOS.md C): soft and hard spend limits an end
// user sets, an invoice-total limit after credits, a commit-balance alert,
// and the next period resetting them. The webhooks arrive at the demo's own
// receiver, which verifies each signature.
func (p *player) playAlerts() {
	p.beginGuide("Spend alerts with a webhook receiver", "seed 003, SCENARIOS.md C", 5)
	if !p.beginStep("A PayGo customer sets a soft limit of 5000 and a hard limit of 10000 cents") {
		return
	}
	p.setClock("2026-01-05T00:00:00Z")
	p.say("webhook receiver: %s (signatures checked with the destination's secret)", p.rcv.url)
	metric := p.create("/v1/billable-metrics/create", obj{"name": "units", "aggregation_type": "COUNT",
		"event_type_filter": obj{"in_values": []string{"unit"}}})
	product := p.create("/v1/contract-pricing/products/create", obj{"name": "Units", "type": "USAGE", "billable_metric_id": metric})
	fixed := p.create("/v1/contract-pricing/products/create", obj{"name": "Prepayment", "type": "FIXED"})
	rc := p.create("/v1/contract-pricing/rate-cards/create", obj{"name": "Limits"})
	start := p.at("2026-01-01T00:00:00Z")
	p.post("/v1/contract-pricing/rate-cards/addRate", obj{"rate_card_id": rc, "product_id": product, "starting_at": start,
		"entitled": true, "rate_type": "FLAT", "price": 100}, nil)
	cust, alias := p.newCustomer("Limits Co", "limits-co", nil)
	p.create("/v1/contracts/create", obj{"customer_id": cust, "rate_card_id": rc, "starting_at": start})
	spend := func(name string, threshold int, hard bool) string {
		return p.create("/v1/alerts/create", obj{"alert_type": "spend_threshold_reached", "name": name, "threshold": threshold,
			"customer_id": cust, "credit_type_id": usdCents, "block_on_alarm": hard})
	}
	soft := spend("SOFT spend threshold", 5000, false)
	hard := spend("HARD spend threshold", 10000, true)
	p.ingest(p.usage(alias, "unit", "c-60", 60, "2026-01-05T00:00:00Z", nil))
	ev := p.webhook(cust, "alerts.spend_threshold_reached")
	p.printEvent(ev)
	p.expect("alert that fired at 6000", ev.prop("alert_id"), soft)
	p.expectCheck("Units", alias, product, checkResult{Entitled: true, Reason: "ok"})
	p.ingest(p.usage(alias, "unit", "c-40", 40, "2026-01-05T00:00:00Z", nil))
	ev = p.webhook(cust, "alerts.spend_threshold_reached")
	p.expect("alert that fired at 10000", ev.prop("alert_id"), hard)
	p.expect("spend_threshold_reached webhooks", itoa64(int64(p.rcv.count(cust, "alerts.spend_threshold_reached"))), "2")
	p.expectCheck("Units", alias, product, checkResult{Entitled: false, Reason: "limit_reached"})

	if !p.beginStep("The user raises the hard limit to 20000: the old alert is archived, a new one made") {
		return
	}
	p.post("/v1/alerts/archive", obj{"id": hard}, nil)
	hard2 := spend("HARD spend threshold", 20000, true)
	p.expectCheck("Units", alias, product, checkResult{Entitled: true, Reason: "ok"})
	states := p.alertStates(cust)
	p.expect("soft limit", states[soft], "in_alarm")
	p.expect("new hard limit", states[hard2], "ok")

	if !p.beginStep("Invoice-total limit of 10000 after a 5000 credit: it fires at 15000 of spend, not before") {
		return
	}
	credited, calias := p.newCustomer("Credited Co", "credited-co", nil)
	p.create("/v1/contracts/create", obj{"customer_id": credited, "rate_card_id": rc, "starting_at": start,
		"credits": []obj{{"product_id": fixed, "access_schedule": obj{"schedule_items": []obj{
			{"amount": 5000, "starting_at": start, "ending_before": p.at("2027-01-01T00:00:00Z")}}}}}})
	inv := p.create("/v1/alerts/create", obj{"alert_type": "invoice_total_reached", "name": "$100 usage invoice total", "threshold": 10000,
		"customer_id": credited, "credit_type_id": usdCents, "invoice_types_filter": []string{"USAGE"}})
	usage := p.usage(calias, "unit", "c-credited", 150, "2026-01-05T00:00:00Z", nil)
	p.ingest(usage[:149])
	p.expect("invoice-total alert at 14900 of spend", p.alertStates(credited)[inv], "ok")
	p.ingest(usage[149:])
	ev = p.webhook(credited, "alerts.invoice_total_reached")
	p.expect("invoice_total when it fired", ev.prop("invoice_total"), "10000")

	if !p.beginStep("Commit-balance alert at 500 on a prepaid commit of 2000") {
		return
	}
	pre, palias := p.newCustomer("Committed Co", "committed-co", nil)
	p.create("/v1/contracts/create", obj{"customer_id": pre, "rate_card_id": rc, "starting_at": start,
		"commits": []obj{{"type": "PREPAID", "product_id": fixed, "access_schedule": obj{"schedule_items": []obj{
			{"amount": 2000, "starting_at": start, "ending_before": p.at("2027-01-01T00:00:00Z")}}}}}})
	low := p.create("/v1/alerts/create", obj{"alert_type": "low_remaining_commit_balance_reached", "name": "Commitment balance",
		"threshold": 500, "customer_id": pre, "credit_type_id": usdCents})
	units := p.usage(palias, "unit", "c-committed", 15, "2026-01-05T00:00:00Z", nil)
	p.ingest(units[:14])
	p.expect("commit-balance alert at 600 remaining", p.alertStates(pre)[low], "ok")
	p.ingest(units[14:])
	ev = p.webhook(pre, "alerts.low_remaining_commit_balance_reached")
	p.expect("remaining_balance when it fired", ev.prop("remaining_balance"), "500")

	if !p.beginStep("A new month: the spend limits return to ok") {
		return
	}
	p.setClock("2026-02-01T00:00:00Z")
	states = p.alertStates(cust)
	p.expect("soft limit", states[soft], "ok")
	p.expect("hard limit", states[hard2], "ok")
}

// alertStates maps each of a customer's alerts to its customer_status.
func (p *player) alertStates(customerID string) map[string]string {
	var out struct {
		Data []struct {
			CustomerStatus *string `json:"customer_status"`
			Alert          struct {
				ID string `json:"id"`
			} `json:"alert"`
		} `json:"data"`
	}
	p.post("/v1/customer-alerts/list", obj{"customer_id": customerID}, &out)
	states := map[string]string{}
	for _, a := range out.Data {
		if a.CustomerStatus != nil {
			states[a.Alert.ID] = *a.CustomerStatus
		}
	}
	return states
}
