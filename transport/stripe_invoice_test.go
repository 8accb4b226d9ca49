package transport

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"burndown/effects"
	"burndown/engine"
)

// invoiceWithExternal is an invoice as GET /v1/customers/{id}/invoices
// shows it, with its external_invoice.
type invoiceWithExternal struct {
	ID              string     `json:"id"`
	Status          string     `json:"status"`
	Total           jsonNumber `json:"total"`
	ExternalInvoice *struct {
		BillingProviderType string `json:"billing_provider_type"`
		InvoiceID           string `json:"invoice_id"`
		ExternalStatus      string `json:"external_status"`
		IssuedAtTimestamp   string `json:"issued_at_timestamp"`
	} `json:"external_invoice"`
}

// A usage invoice of a Stripe customer's contract whose
// billing_provider_configuration selects Stripe, finalized by the clock
// passing its period and grace, is sent to stripe-mock (an invoice, one item per line,
// finalized; each request with its own idempotency key derived from the
// notification) by the leader's dispatcher; the first finalization's
// answer is lost (the leader never learns it) and the re-send repeats
// every request with the same keys and bodies. The invoice then shows
// Stripe's invoice as external_invoice, in the list and by id; the draft
// that follows has none.
func TestStripeInvoiceSentWhenFinalized(t *testing.T) {
	rec := &stripeRecorder{loseFinalize: 1}
	e := newStripeEnvWith(t, rec, stripeBilling)
	var k struct {
		Data struct {
			Config *struct {
				BillingProvider string `json:"billing_provider"`
				DeliveryMethod  string `json:"delivery_method"`
			} `json:"customer_billing_provider_configuration"`
		}
	}
	e.ok("POST", "/v1/contracts/get", map[string]any{"customer_id": e.cust, "contract_id": e.contract}, &k)
	if c := k.Data.Config; c == nil || c.BillingProvider != "stripe" || c.DeliveryMethod != "direct_to_billing_provider" {
		t.Fatalf("contract's customer_billing_provider_configuration: %+v", c)
	}
	e.setClock(e.at("2026-01-10T00:00:00Z"))
	ingestAll(e.testEnv, "example-inc", "u", 250, e.at("2026-01-10T00:00:00Z"))
	e.setClock(e.at("2026-02-01T12:00:00Z")) // within the grace period: still a draft
	time.Sleep(100 * time.Millisecond)
	if n := len(rec.sent()); n != 0 {
		t.Fatalf("%d Stripe requests before the invoice is finalized", n)
	}
	e.setClock(e.at("2026-02-02T00:00:00Z"))
	var inv invoiceWithExternal
	deadline := time.Now().Add(15 * time.Second)
	for {
		var out struct{ Data []invoiceWithExternal }
		e.ok("GET", "/v1/customers/"+e.cust+"/invoices", nil, &out)
		if len(out.Data) == 1 && out.Data[0].ExternalInvoice != nil {
			inv = out.Data[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no external_invoice: %+v, Stripe requests %+v", out.Data, rec.sent())
		}
		time.Sleep(20 * time.Millisecond)
	}
	x := inv.ExternalInvoice
	if inv.Status != "FINALIZED" || string(inv.Total) != "250" || x.BillingProviderType != "stripe" || !strings.HasPrefix(x.InvoiceID, "in_") ||
		x.ExternalStatus != "FINALIZED" || x.IssuedAtTimestamp == "" {
		t.Fatalf("invoice %+v external %+v", inv, x)
	}
	var one struct{ Data invoiceWithExternal }
	e.ok("GET", "/v1/customers/"+e.cust+"/invoices/"+inv.ID, nil, &one)
	if one.Data.ExternalInvoice == nil || one.Data.ExternalInvoice.InvoiceID != x.InvoiceID {
		t.Fatalf("by id: %+v", one.Data)
	}

	// The requests: invoice, item, finalize (lost), then all three again
	// with the same keys and bodies.
	time.Sleep(200 * time.Millisecond)
	sent := rec.sent()
	if len(sent) != 6 {
		t.Fatalf("%d Stripe requests, want 6: %+v", len(sent), sent)
	}
	for i, want := range []string{"/v1/invoices", "/v1/invoiceitems", "/v1/invoices/" + x.InvoiceID + "/finalize"} {
		a, b := sent[i], sent[i+3]
		if a.path != want || b.path != want || a.key == "" || a.key != b.key || fmt.Sprint(a.form) != fmt.Sprint(b.form) {
			t.Fatalf("request %d: %s %q %v then %s %q %v, want %s twice, same key and body", i, a.path, a.key, a.form, b.path, b.key, b.form, want)
		}
	}
	base := strings.TrimSuffix(sent[0].key, ":invoice")
	if base == sent[0].key || sent[1].key != base+":item:0" || sent[2].key != base+":finalize" {
		t.Fatalf("keys %q %q %q: want <id>:invoice, <id>:item:0, <id>:finalize", sent[0].key, sent[1].key, sent[2].key)
	}
	for k, want := range map[string]string{"customer": "cus_burndown", "currency": "usd", "auto_advance": "false", "collection_method": "charge_automatically",
		"pending_invoice_items_behavior": "exclude", "metadata[" + effects.StripeMetaInvoice + "]": inv.ID, "metadata[" + effects.StripeMetaCustomer + "]": e.cust} {
		if got := sent[0].form.Get(k); got != want {
			t.Errorf("invoice %s = %q, want %q", k, got, want)
		}
	}
	for k, want := range map[string]string{"customer": "cus_burndown", "currency": "usd", "amount": "250", "description": "API calls",
		"invoice": x.InvoiceID, "metadata[" + effects.StripeMetaLine + "]": "0"} {
		if got := sent[1].form.Get(k); got != want {
			t.Errorf("invoice item %s = %q, want %q", k, got, want)
		}
	}
	if sent[2].form.Get("auto_advance") != "true" {
		t.Errorf("finalize %v: want auto_advance true", sent[2].form)
	}

	// February's draft has no external invoice; nothing more is sent.
	ingestAll(e.testEnv, "example-inc", "f", 1, e.at("2026-02-02T00:00:00Z"))
	var out struct{ Data []invoiceWithExternal }
	e.ok("GET", "/v1/customers/"+e.cust+"/invoices?status=DRAFT", nil, &out)
	if len(out.Data) != 1 || out.Data[0].ExternalInvoice != nil {
		t.Fatalf("draft %+v", out.Data)
	}
	if st, body := e.do("GET", "/v1/customers/"+e.cust+"/invoices/"+out.Data[0].ID, nil); st != 200 || strings.Contains(string(body), "external_invoice") {
		t.Fatalf("draft by id: %d %s", st, body)
	}
	if n := len(rec.sent()); n != 6 {
		t.Fatalf("%d Stripe requests, want 6", n)
	}
}

// A Stripe customer's contract created without a
// billing_provider_configuration (as every contract created before
// create_contract version 4) finalizes its invoices without sending them:
// no Stripe request, no external_invoice, and GET contract shows no
// configuration.
func TestStripeInvoiceNotSentWithoutConfiguration(t *testing.T) {
	rec := &stripeRecorder{}
	e := newStripeEnv(t, rec)
	st, body := e.do("POST", "/v1/contracts/get", map[string]any{"customer_id": e.cust, "contract_id": e.contract})
	if st != 200 || strings.Contains(string(body), "customer_billing_provider_configuration") {
		t.Fatalf("contract: %d %s", st, body)
	}
	e.setClock(e.at("2026-01-10T00:00:00Z"))
	ingestAll(e.testEnv, "example-inc", "u", 250, e.at("2026-01-10T00:00:00Z"))
	e.setClock(e.at("2026-02-02T00:00:00Z"))
	time.Sleep(300 * time.Millisecond)
	var out struct{ Data []invoiceWithExternal }
	e.ok("GET", "/v1/customers/"+e.cust+"/invoices", nil, &out)
	if len(out.Data) != 1 || out.Data[0].Status != "FINALIZED" || string(out.Data[0].Total) != "250" || out.Data[0].ExternalInvoice != nil {
		t.Fatalf("invoices %+v", out.Data)
	}
	if n := len(rec.sent()); n != 0 {
		t.Fatalf("%d Stripe requests for a contract that does not send to Stripe: %+v", n, rec.sent())
	}
}

// contracts/create's billing_provider_configuration: only stripe with
// direct_to_billing_provider (the default delivery_method), for a customer
// with a Stripe customer id; the rest is refused with a 400 naming the
// field.
func TestContractBillingProviderConfigurationRefusals(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	_, _, rc := scenarioACatalog(e)
	stripeCust := e.create("/v1/customers", map[string]any{"name": "S", "customer_billing_provider_configurations": []any{map[string]any{
		"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider", "configuration": map[string]any{"stripe_customer_id": "cus_x"}}}})
	plain := e.create("/v1/customers", map[string]any{"name": "P", "billing_config": map[string]any{"billing_provider_type": "netsuite", "billing_provider_customer_id": "n1"}})
	for _, c := range []struct {
		cust   string
		config map[string]any
		field  string
	}{
		{stripeCust, map[string]any{"billing_provider": "netsuite", "delivery_method": "direct_to_billing_provider"}, "billing_provider_configuration.billing_provider: "},
		{stripeCust, map[string]any{"billing_provider": "stripe", "delivery_method": "aws_sqs"}, "billing_provider_configuration.delivery_method: "},
		{stripeCust, map[string]any{"billing_provider_configuration_id": "7b9a3e1c-0000-4000-8000-000000000000"}, "billing_provider_configuration.billing_provider_configuration_id: "},
		{plain, stripeBilling, "billing_provider_configuration.billing_provider: stripe needs the customer's stripe billing provider configuration"},
	} {
		st, body := e.do("POST", "/v1/contracts/create", map[string]any{"customer_id": c.cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"),
			"billing_provider_configuration": c.config})
		var msg struct{ Message string }
		json.Unmarshal(body, &msg) //nolint:errcheck
		if st != 400 || !strings.HasPrefix(msg.Message, c.field) {
			t.Errorf("%v: %d %s, want 400 %q", c.config, st, body, c.field)
		}
	}
	// Any case, as Metronome; stored as given by the SDK's enum.
	e.create("/v1/contracts/create", map[string]any{"customer_id": stripeCust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"),
		"billing_provider_configuration": map[string]any{"billing_provider": "Stripe", "delivery_method": "DIRECT_TO_BILLING_PROVIDER"}})
}

// sentInvoice waits until the customer's one finalized invoice shows its
// external_invoice, and returns it.
func (e *stripeEnv) sentInvoice() invoiceWithExternal {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var out struct{ Data []invoiceWithExternal }
		e.ok("GET", "/v1/customers/"+e.cust+"/invoices?status=FINALIZED", nil, &out)
		if len(out.Data) == 1 && out.Data[0].ExternalInvoice != nil {
			return out.Data[0]
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no external_invoice: %+v", out.Data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stripe's signed invoice.* events about an invoice Burndown sent move its
// external_status forward only: a failed payment, then paid; a late
// failure, a finalized event or a void after the payment change nothing.
// An invoice event without Burndown's metadata is acknowledged and
// ignored, one naming an invoice Burndown does not have is acknowledged
// (Stripe must not retry it), and a bad signature is refused.
func TestStripeInvoiceEventsMoveExternalStatus(t *testing.T) {
	e := newStripeEnvWith(t, &stripeRecorder{}, stripeBilling)
	e.setClock(e.at("2026-01-10T00:00:00Z"))
	ingestAll(e.testEnv, "example-inc", "u", 250, e.at("2026-01-10T00:00:00Z"))
	e.setClock(e.at("2026-02-02T00:00:00Z"))
	inv := e.sentInvoice()
	stripeID := inv.ExternalInvoice.InvoiceID
	object := func(burndownID string) map[string]any {
		return map[string]any{"id": stripeID, "object": "invoice", "customer": "cus_burndown", "status": "open",
			"metadata": map[string]string{effects.StripeMetaInvoice: burndownID, effects.StripeMetaCustomer: e.cust}}
	}
	event := func(typ, secret string, obj map[string]any) (int, string) {
		st, body := e.signedEvent(typ, "evt_"+typ, obj, secret)
		return st, string(body)
	}
	status := func() string {
		var one struct{ Data invoiceWithExternal }
		e.ok("GET", "/v1/customers/"+e.cust+"/invoices/"+inv.ID, nil, &one)
		return one.Data.ExternalInvoice.ExternalStatus
	}
	if st, body := event("invoice.paid", "whsec_wrong", object(inv.ID)); st != 400 || !strings.Contains(body, "Stripe-Signature") {
		t.Fatalf("bad signature answered %d %s", st, body)
	}
	for _, step := range []struct{ event, want string }{
		{"invoice.payment_failed", engine.ExternalPaymentFailed},
		{"invoice.finalized", engine.ExternalPaymentFailed},
		{"invoice.paid", engine.ExternalPaid},
		{"invoice.payment_failed", engine.ExternalPaid},
		{"invoice.voided", engine.ExternalPaid},
	} {
		if st, body := event(step.event, stripeTestSecret, object(inv.ID)); st != 200 || !strings.Contains(body, `"external_invoice_id":"`+stripeID+`"`) {
			t.Fatalf("%s answered %d %s", step.event, st, body)
		}
		if got := status(); got != step.want {
			t.Fatalf("after %s: external_status %s, want %s", step.event, got, step.want)
		}
	}
	foreign := object("")
	foreign["metadata"] = map[string]string{}
	if st, body := event("invoice.paid", stripeTestSecret, foreign); st != 200 || !strings.Contains(body, "ignored: not a Burndown invoice") {
		t.Fatalf("foreign invoice answered %d %s", st, body)
	}
	if st, body := event("invoice.paid", stripeTestSecret, object("no-such-invoice")); st != 200 || !strings.Contains(body, "ignored: invoice_id") {
		t.Fatalf("unknown invoice answered %d %s", st, body)
	}
	if st, body := event("invoice.upcoming", stripeTestSecret, object(inv.ID)); st != 200 || !strings.Contains(body, "ignored: event type") {
		t.Fatalf("unread event type answered %d %s", st, body)
	}
	if got := status(); got != engine.ExternalPaid {
		t.Fatalf("external_status %s after the ignored events", got)
	}
}

// Voiding an invoice sent to Stripe voids Burndown's at once and Stripe's
// through the leader's dispatcher (POST /v1/invoices/{id}/void, its
// Idempotency-Key derived from the notification), whose answer moves
// external_status to VOID. An invoice Stripe shows as paid cannot be
// voided: the 400 says why and nothing changes.
func TestStripeInvoiceVoided(t *testing.T) {
	for _, paid := range []bool{false, true} {
		rec := &stripeRecorder{}
		e := newStripeEnvWith(t, rec, stripeBilling)
		e.setClock(e.at("2026-01-10T00:00:00Z"))
		ingestAll(e.testEnv, "example-inc", "u", 250, e.at("2026-01-10T00:00:00Z"))
		e.setClock(e.at("2026-02-02T00:00:00Z"))
		inv := e.sentInvoice()
		stripeID := inv.ExternalInvoice.InvoiceID
		if paid {
			obj := map[string]any{"id": stripeID, "object": "invoice", "customer": "cus_burndown", "status": "paid",
				"metadata": map[string]string{effects.StripeMetaInvoice: inv.ID, effects.StripeMetaCustomer: e.cust}}
			if st, body := e.signedEvent("invoice.paid", "evt_paid", obj, stripeTestSecret); st != 200 {
				t.Fatalf("invoice.paid answered %d %s", st, body)
			}
			st, body := e.do("POST", "/v1/invoices/void", map[string]any{"id": inv.ID})
			if st != 400 || !strings.Contains(string(body), "is paid in stripe") {
				t.Fatalf("voiding a paid invoice answered %d %s, want 400 saying it is paid", st, body)
			}
			continue
		}
		e.ok("POST", "/v1/invoices/void", map[string]any{"id": inv.ID}, nil)
		deadline := time.Now().Add(15 * time.Second)
		for {
			var one struct{ Data invoiceWithExternal }
			e.ok("GET", "/v1/customers/"+e.cust+"/invoices/"+inv.ID, nil, &one)
			if one.Data.Status != "VOID" {
				t.Fatalf("invoice status %s after the void", one.Data.Status)
			}
			if one.Data.ExternalInvoice.ExternalStatus == engine.ExternalVoid {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("external_status still %s", one.Data.ExternalInvoice.ExternalStatus)
			}
			time.Sleep(20 * time.Millisecond)
		}
		var voids []stripeCall
		for _, c := range rec.sent() {
			if c.path == "/v1/invoices/"+stripeID+"/void" {
				voids = append(voids, c)
			}
		}
		if len(voids) != 1 || !strings.HasSuffix(voids[0].key, ":void") {
			t.Fatalf("Stripe void requests %+v, want one with a :void idempotency key", voids)
		}
	}
}
