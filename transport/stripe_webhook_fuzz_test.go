package transport

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"
	"github.com/valyala/fasthttp"

	"burndown/effects"
)

// FuzzStripeWebhook signs arbitrary bodies with the endpoint secret and
// serves them on POST /v1/stripe/webhook: past the signature every byte is
// Stripe's (or an attacker's holding the secret), so the handler must never
// panic, and must answer 200 (acknowledged, applied or ignored) or a 4xx
// with a message, never a 5xx (which Stripe would retry for days). The
// seeds are the events Burndown reads, about objects it does not have.
func FuzzStripeWebhook(f *testing.F) {
	event := func(typ string, object map[string]any) []byte {
		b, _ := json.Marshal(map[string]any{"id": "evt_1", "object": "event", "type": typ, "api_version": "2020-08-27",
			"created": 1767225600, "data": map[string]any{"object": object}})
		return b
	}
	f.Add(event("payment_intent.succeeded", map[string]any{"id": "pi_1", "object": "payment_intent", "metadata": map[string]string{effects.StripeMetaWorkflow: "wf"}}))
	f.Add(event("payment_intent.payment_failed", map[string]any{"id": "pi_1", "object": "payment_intent",
		"metadata": map[string]string{effects.StripeMetaWorkflow: "wf"}, "last_payment_error": map[string]any{"code": "card_declined", "message": "no"}}))
	f.Add(event("invoice.paid", map[string]any{"id": "in_1", "object": "invoice",
		"metadata": map[string]string{effects.StripeMetaInvoice: "inv", effects.StripeMetaCustomer: "cust"}, "status_transitions": map[string]any{"finalized_at": 1767225600}}))
	f.Add(event("invoice.voided", map[string]any{"id": "", "object": "invoice"}))
	f.Add(event("invoice.paid", map[string]any{"id": "in_1", "object": "invoice", "metadata": "not an object"}))
	f.Add(event("customer.created", map[string]any{"id": "cus_1"}))
	f.Add([]byte(`{"type":"invoice.paid","data":null}`))
	f.Add([]byte(`{"type":"invoice.paid","data":{"object":[1,2]}}`))
	f.Add([]byte(`not json`))

	node := newFakeNode(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := &Server{cfg: Config{MaxBodyBytes: DefaultMaxBodyBytes, StripeWebhookSecret: stripeTestSecret, WriteTimeout: time.Second}, node: node}
	f.Fuzz(func(t *testing.T, body []byte) {
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: stripeTestSecret})
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod(fasthttp.MethodPost)
		ctx.Request.SetRequestURI(StripeWebhookPath)
		ctx.Request.Header.Set("Stripe-Signature", signed.Header)
		ctx.Request.SetBody(body)
		srv.stripeWebhook(&ctx)
		st, answer := ctx.Response.StatusCode(), ctx.Response.Body()
		var out map[string]any
		if err := json.Unmarshal(answer, &out); err != nil {
			t.Fatalf("status %d: answer is not JSON: %q", st, answer)
		}
		switch {
		case st == fasthttp.StatusOK:
			if out["received"] != true {
				t.Fatalf("200 without received: %s", answer)
			}
		case st >= 400 && st < 500:
			if msg, _ := out["message"].(string); msg == "" || !strings.Contains(msg, ":") {
				t.Fatalf("%d without a message naming the field: %s", st, answer)
			}
		default:
			t.Fatalf("status %d for a signed body: %s", st, answer)
		}
	})
}
