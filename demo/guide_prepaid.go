package demo

// exampleInc is guide A's customer, which guide 3 and the epilogue go on with.
type exampleInc struct {
	id, alias, contract, api, purchase string
}

// playPrepaid is seed 000 (SCENARIOS.md A, steps 1-6): Example Inc buys
// credits through an EXTERNAL payment gate, uses them down to zero and is
// cut off; a failed purchase grants nothing.
func (p *player) playPrepaid() exampleInc {
	var x exampleInc
	p.beginGuide("Prepaid credits behind a payment gate", "seed 000, SCENARIOS.md A.1-6", 6)
	if !p.beginStep("Example Inc signs up on a prepaid-only contract: no credits yet, so no access") {
		return x
	}
	p.setClock("2026-01-02T00:00:00Z")
	metric := p.create("/v1/billable-metrics/create", obj{"name": "api_calls", "aggregation_type": "COUNT",
		"event_type_filter": obj{"in_values": []string{"api_call"}}})
	x.api = p.create("/v1/contract-pricing/products/create", obj{"name": "API calls", "type": "USAGE", "billable_metric_id": metric})
	x.purchase = p.create("/v1/contract-pricing/products/create", obj{"name": "Credit purchase", "type": "FIXED"})
	rc := p.create("/v1/contract-pricing/rate-cards/create", obj{"name": "Prepaid"})
	p.post("/v1/contract-pricing/rate-cards/addRate", obj{"rate_card_id": rc, "product_id": x.api, "starting_at": p.at("2026-01-01T00:00:00Z"),
		"entitled": true, "rate_type": "FLAT", "price": 1}, nil)
	x.id, x.alias = p.newCustomer("Example Inc", "example-inc", obj{"customer_billing_provider_configurations": []obj{{
		"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
		"configuration": obj{"stripe_customer_id": "cus_example", "stripe_collection_method": "charge_automatically"}}}})
	x.contract = p.create("/v1/contracts/create", obj{"customer_id": x.id, "rate_card_id": rc, "starting_at": p.at("2026-01-01T00:00:00Z"), "prepaid_only": true})
	p.expectCheck("API calls", x.alias, x.api, checkResult{Entitled: false, Reason: "balance_depleted", Balance: "0"})

	if !p.beginStep("Example Inc clicks 'purchase 2000 credits': the payment starts, the credits wait for it") {
		return x
	}
	p.buyCredits(x, 2000)
	initiate := p.webhook(x.id, "payment_gate.external_initiate")
	p.expect("invoice_total of the payment", initiate.prop("invoice_total"), "2000")
	p.expectCheck("API calls", x.alias, x.api, checkResult{Entitled: false, Reason: "balance_depleted", Balance: "0"})

	if !p.beginStep("The payment provider confirms: the gate is released as paid") {
		return x
	}
	p.release(initiate.prop("workflow_id"), "paid")
	status := p.webhook(x.id, "payment_gate.payment_status")
	p.expect("payment_status", status.prop("payment_status"), "paid")
	p.expectCheck("API calls", x.alias, x.api, checkResult{Entitled: true, Reason: "ok", Balance: "2000"})

	if !p.beginStep("1500 API calls in 15 requests of 100, then the same 15 requests again (a client retrying)") {
		return x
	}
	calls := p.usage(x.alias, "api_call", "a-use", 1500, "2026-01-02T00:00:00Z", nil)
	p.ingest(calls)
	p.expect("balance after 1500 calls", p.check(x.alias, x.api).Balance, "500")
	p.ingest(calls)
	p.expect("balance after the retries (same transaction ids)", p.check(x.alias, x.api).Balance, "500")

	if !p.beginStep("An alert at a balance of 0; 600 more calls run the balance out: Example Inc is cut off") {
		return x
	}
	p.create("/v1/alerts/create", obj{"alert_type": "low_remaining_contract_credit_and_commit_balance_reached", "name": "Out of credits",
		"threshold": 0, "customer_id": x.id, "credit_type_id": usdCents})
	p.ingest(p.usage(x.alias, "api_call", "a-more", 600, "2026-01-02T00:00:00Z", nil))
	p.webhook(x.id, "alerts.low_remaining_contract_credit_and_commit_balance_reached")
	p.webhooksSoFar(x.id, "alerts.low_remaining_contract_credit_and_commit_balance_reached", 1)
	p.expectCheck("API calls", x.alias, x.api, checkResult{Entitled: false, Reason: "balance_depleted", Balance: "0"})
	draft := p.draftTotal(x.id, x.contract)
	p.expect("overage on the draft usage invoice", draft, "100")

	if !p.beginStep("A second purchase of 1000 fails at the payment provider: the commit is voided") {
		return x
	}
	p.buyCredits(x, 1000)
	second := p.webhook(x.id, "payment_gate.external_initiate")
	p.release(second.prop("workflow_id"), "failed")
	failed := p.webhook(x.id, "payment_gate.payment_status")
	p.expect("payment_status", failed.prop("payment_status"), "failed")
	gate := ""
	for _, b := range p.balances(x.id) {
		if b.ID == second.prop("commit_id") || (second.prop("commit_id") == "" && b.PaymentGateStatus == "failed") {
			gate = b.PaymentGateStatus + ", balance " + string(b.Balance)
		}
	}
	p.expect("the 1000 commit", gate, "failed, balance 0")
	p.expectCheck("API calls", x.alias, x.api, checkResult{Entitled: false, Reason: "balance_depleted", Balance: "0"})
	return x
}

// usdCents is the credit type of US cents.
const usdCents = "2714e483-4ff1-48e4-9e25-ac732e8f24f2"

// buyCredits adds a prepaid commit of amount, for a year, behind an
// EXTERNAL payment gate.
func (p *player) buyCredits(x exampleInc, amount int) {
	p.post("/v2/contracts/edit", obj{"customer_id": x.id, "contract_id": x.contract, "add_commits": []obj{{
		"type": "PREPAID", "product_id": x.purchase, "payment_gate_config": obj{"payment_gate_type": "EXTERNAL"},
		"access_schedule": obj{"schedule_items": []obj{{"amount": amount,
			"starting_at": p.at("2026-01-01T00:00:00Z"), "ending_before": p.at("2027-01-01T00:00:00Z")}}}}}}, nil)
}

// release settles an EXTERNAL payment-gate workflow as paid or failed.
func (p *player) release(workflowID, outcome string) {
	p.post("/v1/contracts/commits/threshold-billing/release", obj{"workflow_id": workflowID, "outcome": outcome}, nil)
	p.say("gate %s released as %s", workflowID, outcome)
}

// draftTotal is the total of the contract's draft usage invoice.
func (p *player) draftTotal(customerID, contractID string) string {
	for _, inv := range p.invoices(customerID, map[string][]string{"contract_id": {contractID}, "status": {"DRAFT"}}) {
		return string(inv.Total)
	}
	return "no draft invoice"
}
