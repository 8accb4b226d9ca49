package demo

import "net/url"

// paygoProducts are guide D's usage products: name, event type, price in
// cents and whether it is premium.
var paygoProducts = []struct {
	name, event string
	price       int
	premium     bool
}{
	{"Email generation", "email", 10, false},
	{"Spreadsheet updates", "row_update", 15, false},
	{"Automated reminders", "reminder", 20, true},
	{"Slack integration", "slack_room", 10, true},
}

// playPaygo is seed 004 (SCENARIOS.md D): AutoSales' pay-as-you-go Basic
// plan, an October invoice in arrears, an upgrade to Best.
func (p *player) playPaygo() {
	p.beginGuide("Pay-as-you-go with an upgrade", "seed 004, SCENARIOS.md D", 4)
	if !p.beginStep("AutoSales prices four products and the AI model; First Customer signs up for Basic (premium off)") {
		return
	}
	p.setClock("2024-10-01T00:00:00Z")
	products := map[string]string{}
	rc := p.create("/v1/contract-pricing/rate-cards/create", obj{"name": "AutoSales"})
	var rates []obj
	for _, pr := range paygoProducts {
		m := p.create("/v1/billable-metrics/create", obj{"name": pr.name, "aggregation_type": "COUNT",
			"event_type_filter": obj{"in_values": []string{pr.event}}})
		body := obj{"name": pr.name, "type": "USAGE", "billable_metric_id": m}
		if pr.premium {
			body["tags"] = []string{"premium"}
		}
		products[pr.name] = p.create("/v1/contract-pricing/products/create", body)
		rates = append(rates, obj{"product_id": products[pr.name], "starting_at": p.at("2024-01-01T00:00:00Z"), "entitled": true,
			"rate_type": "FLAT", "price": pr.price})
	}
	aiModel := p.create("/v1/contract-pricing/products/create", obj{"name": "AI model", "type": "FIXED"})
	p.post("/v1/contract-pricing/rate-cards/addRates", obj{"rate_card_id": rc, "rates": rates}, nil)
	cust, alias := p.newCustomer("First Customer", "team@customer.com", obj{"billing_config": obj{
		"billing_provider_type": "stripe", "billing_provider_customer_id": "stripe001", "stripe_collection_method": "send_invoice"}})
	basic := p.create("/v1/contracts/create", obj{"customer_id": cust, "rate_card_id": rc, "starting_at": p.at("2024-10-01T00:00:00Z"),
		"name": "Basic Contract", "overrides": []obj{{"starting_at": p.at("2024-10-01T00:00:00Z"), "entitled": false,
			"applicable_product_tags": []string{"premium"}}}})
	for _, pr := range paygoProducts {
		want := checkResult{Entitled: true, Reason: "ok"}
		if pr.premium {
			want = checkResult{Entitled: false, Reason: "not_entitled"}
		}
		p.expectCheck(pr.name, alias, products[pr.name], want)
	}

	if !p.beginStep("October: 100 emails and 50 row updates, billed in arrears; the invoice is finalized on %s", p.tl.day("2024-11-02T00:00:00Z")) {
		return
	}
	p.setClock("2024-10-15T00:00:00Z")
	p.ingest(p.usage(alias, "email", "d-oct-email", 100, "2024-10-15T00:00:00Z", nil))
	p.ingest(p.usage(alias, "row_update", "d-oct-rows", 50, "2024-10-15T00:00:00Z", nil))
	oct := p.oneInvoice(cust, "October draft", url.Values{"contract_id": {basic}, "starting_on": {p.at("2024-10-01T00:00:00Z")},
		"ending_before": {p.at("2024-11-01T00:00:00Z")}})
	p.expect("October invoice status", oct.Status, "DRAFT")
	p.expect("October invoice total (1000 + 750)", string(oct.Total), "1750")
	p.setClock("2024-11-02T00:00:00Z") // the day's grace for late events is over
	oct = p.oneInvoice(cust, "October finalized", url.Values{"contract_id": {basic}, "status": {"FINALIZED"}})
	p.expect("October invoice status", oct.Status, "FINALIZED")
	p.expect("October invoice total", string(oct.Total), "1750")
	p.ingest(p.usage(alias, "email", "d-late", 1, "2024-10-31T23:00:00Z", nil))
	var rejects struct {
		Data struct {
			Rejects map[string]int64 `json:"rejects"`
		} `json:"data"`
	}
	p.call("GET", "/v1/customers/"+url.PathEscape(cust)+"/rejects", nil, &rejects)
	p.expect("late October event rejected (period_finalized)", itoa64(rejects.Data.Rejects["period_finalized"]), "1")
	oct = p.oneInvoice(cust, "October after the late event", url.Values{"contract_id": {basic}, "status": {"FINALIZED"}})
	p.expect("October invoice total, unchanged", string(oct.Total), "1750")

	if !p.beginStep("The customer upgrades: Basic ends %s, Best runs to %s with a 1000-cent monthly AI model charge",
		p.tl.day("2025-02-01T00:00:00Z"), p.tl.day("2025-08-01T00:00:00Z")) {
		return
	}
	p.setClock("2025-01-15T00:00:00Z")
	p.post("/v1/contracts/updateEndDate", obj{"customer_id": cust, "contract_id": basic, "ending_before": p.at("2025-02-01T00:00:00Z")}, nil)
	// ALL: the charge is billed on the February usage invoice, as the
	// scenario has it (absent, on a SCHEDULED invoice of its own).
	best := p.create("/v1/contracts/create", obj{"customer_id": cust, "rate_card_id": rc, "name": "Best Contract",
		"starting_at": p.at("2025-02-01T00:00:00Z"), "ending_before": p.at("2025-08-01T00:00:00Z"), "scheduled_charges_on_usage_invoices": "ALL",
		"scheduled_charges": []obj{{"product_id": aiModel, "schedule": obj{"recurring_schedule": obj{
			"starting_at": p.at("2025-02-01T00:00:00Z"), "ending_before": p.at("2025-08-01T00:00:00Z"),
			"frequency": "monthly", "amount": 1000, "amount_distribution": "each"}}}}})
	p.setClock("2025-01-31T12:00:00Z")
	p.expectCheck("Automated reminders on Basic", alias, products["Automated reminders"], checkResult{Entitled: false, Reason: "not_entitled"})
	p.ingest(p.usage(alias, "email", "d-jan-email", 10, "2025-01-31T12:00:00Z", nil))

	if !p.beginStep("February on Best: reminders are entitled; the invoice carries the charge and the usage") {
		return
	}
	p.setClock("2025-02-01T00:00:00Z")
	p.expectCheck("Automated reminders on Best", alias, products["Automated reminders"], checkResult{Entitled: true, Reason: "ok"})
	p.ingest(p.usage(alias, "email", "d-feb-email", 10, "2025-02-01T00:00:00Z", nil))
	p.ingest(p.usage(alias, "reminder", "d-feb-reminder", 5, "2025-02-01T00:00:00Z", nil))
	jan := p.oneInvoice(cust, "January", url.Values{"contract_id": {basic}, "starting_on": {p.at("2025-01-01T00:00:00Z")}})
	p.expect("January invoice total on Basic (10 emails)", string(jan.Total), "100")
	feb := p.oneInvoice(cust, "February", url.Values{"contract_id": {best}, "ending_before": {p.at("2025-03-01T00:00:00Z")}})
	p.expect("February invoice total on Best (1000 + 100 + 100)", string(feb.Total), "1200")
}

// oneInvoice lists a customer's invoices with q and expects exactly one.
func (p *player) oneInvoice(customerID, what string, q url.Values) invoice {
	invs := p.invoices(customerID, q)
	p.expect(what+": invoices found", itoa64(int64(len(invs))), "1")
	if len(invs) == 0 {
		return invoice{}
	}
	return invs[0]
}
