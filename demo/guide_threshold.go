package demo

// playThreshold is seed 002: threshold billing (SCENARIOS.md E) for a
// pay-as-you-go customer, then auto-recharge (A.7) for Example Inc.
func (p *player) playThreshold(x exampleInc) {
	p.beginGuide("Threshold billing and auto-recharge", "seed 002, SCENARIOS.md E and A.7", 5)
	if !p.beginStep("PayGo Co is billed each time its unbilled spend reaches 10000 cents") {
		return
	}
	rc := p.create("/v1/contract-pricing/rate-cards/create", obj{"name": "Threshold billing"})
	p.post("/v1/contract-pricing/rate-cards/addRate", obj{"rate_card_id": rc, "product_id": x.api, "starting_at": p.at("2026-01-01T00:00:00Z"),
		"entitled": true, "rate_type": "FLAT", "price": 1}, nil)
	cust, alias := p.newCustomer("PayGo Co", "paygo-co", nil)
	contract := p.create("/v1/contracts/create", obj{"customer_id": cust, "rate_card_id": rc, "starting_at": p.at("2026-01-01T00:00:00Z"),
		"spend_threshold_configuration": obj{"is_enabled": true, "threshold_amount": 10000,
			"commit": obj{"product_id": x.purchase, "name": "Threshold charge"}, "payment_gate_config": obj{"payment_gate_type": "EXTERNAL"}}})
	p.ingest(p.usage(alias, "api_call", "e-first", 10000, "2026-01-02T00:00:00Z", nil))
	p.webhook(cust, "payment_gate.threshold_reached")
	initiate := p.webhook(cust, "payment_gate.external_initiate")
	p.expect("invoice_total of the threshold charge", initiate.prop("invoice_total"), "10000")
	p.release(initiate.prop("workflow_id"), "paid")
	p.expect("payment_status", p.webhook(cust, "payment_gate.payment_status").prop("payment_status"), "paid")
	p.expect("outstanding spend (draft invoice total)", p.draftTotal(cust, contract), "0")

	if !p.beginStep("Spend crosses 10000 again: exactly one more charge, and this payment fails") {
		return
	}
	p.ingest(p.usage(alias, "api_call", "e-second", 10000, "2026-01-02T00:00:00Z", nil))
	again := p.webhook(cust, "payment_gate.external_initiate")
	p.webhooksSoFar(cust, "payment_gate.threshold_reached", 2)
	p.release(again.prop("workflow_id"), "failed")
	p.expect("payment_status", p.webhook(cust, "payment_gate.payment_status").prop("payment_status"), "failed")
	p.expect("paid threshold commits (nothing issued on failure)", p.paidCommits(cust), "1")

	if !p.beginStep("Example Inc buys 2000 again (paid) and turns on auto-recharge: below 500, back to 2000") {
		return
	}
	p.buyCredits(x, 2000)
	p.rechargeTo2000(x, "2000")
	p.post("/v2/contracts/edit", obj{"customer_id": x.id, "contract_id": x.contract,
		"add_prepaid_balance_threshold_configuration": obj{"is_enabled": true, "threshold_amount": 500, "recharge_to_amount": 2000,
			"commit": obj{"product_id": x.purchase, "name": "Auto-recharge"}, "payment_gate_config": obj{"payment_gate_type": "EXTERNAL"}}}, nil)
	p.say("auto-recharge on; the balance is above 500, so nothing is charged yet")

	if !p.beginStep("1500 calls bring the balance to 500: one recharge of exactly 2000 - 500") {
		return
	}
	p.ingest(p.usage(x.alias, "api_call", "a7-first", 1500, "2026-01-02T00:00:00Z", nil))
	p.rechargeTo2000(x, "1500")

	if !p.beginStep("The next recharge fails: auto-recharge turns itself off; turning it back on recharges at once") {
		return
	}
	p.ingest(p.usage(x.alias, "api_call", "a7-second", 1500, "2026-01-02T00:00:00Z", nil))
	failed := p.webhook(x.id, "payment_gate.external_initiate")
	p.release(failed.prop("workflow_id"), "failed")
	status := p.webhook(x.id, "payment_gate.payment_status")
	p.expect("payment_status", status.prop("payment_status"), "failed")
	p.expect("auto-recharge is_enabled (in that webhook)", status.prop("is_enabled"), "false")
	p.post("/v2/contracts/edit", obj{"customer_id": x.id, "contract_id": x.contract,
		"update_prepaid_balance_threshold_configuration": obj{"is_enabled": true}}, nil)
	p.say("auto-recharge edited back to is_enabled: true")
	p.rechargeTo2000(x, "1500")
}

// rechargeTo2000 takes a purchase's initiate webhook, expects its amount,
// pays it and expects a balance of 2000.
func (p *player) rechargeTo2000(x exampleInc, amount string) {
	initiate := p.webhook(x.id, "payment_gate.external_initiate")
	p.expect("amount charged (invoice_total)", initiate.prop("invoice_total"), amount)
	p.release(initiate.prop("workflow_id"), "paid")
	p.expect("payment_status", p.webhook(x.id, "payment_gate.payment_status").prop("payment_status"), "paid")
	p.expectCheck("API calls", x.alias, x.api, checkResult{Entitled: true, Reason: "ok", Balance: "2000"})
}

// paidCommits counts the customer's commits whose payment gate is paid.
func (p *player) paidCommits(customerID string) string {
	n := int64(0)
	for _, b := range p.balances(customerID) {
		if b.PaymentGateStatus == "paid" {
			n++
		}
	}
	return itoa64(n)
}
