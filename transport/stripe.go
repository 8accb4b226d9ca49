package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
	"github.com/valyala/fasthttp"

	"burndown/cluster"
	"burndown/engine"
	"burndown/money"
)

// STRIPE payment gates (engine/payments.go). The engine queues
// payment_gate.stripe_charge for a STRIPE-gated commit; the leader's
// dispatcher (cluster/dispatch.go) hands it to Stripe.Charge, which
// creates a PaymentIntent for the customer's Stripe customer id (confirm,
// off_session) with the notification id as its Idempotency-Key, so a retry
// by any leader never charges twice. Its answer settles the workflow at
// once (succeeded: paid; requires_action, canceled, a card error: failed
// with the reason) or later, from Stripe's events on POST
// /v1/stripe/webhook (payment_intent.succeeded, payment_intent.
// payment_failed), whose signatures are verified with the endpoint secret.

// StripeWebhookPath is where Stripe sends events.
const StripeWebhookPath = "/v1/stripe/webhook"

// DefaultStripeAPIBase is Stripe's API.
const DefaultStripeAPIBase = "https://api.stripe.com"

// Metadata keys Burndown puts on a PaymentIntent.
const (
	StripeMetaWorkflow = "burndown_workflow_id"
	StripeMetaCustomer = "burndown_customer_id"
	StripeMetaContract = "burndown_contract_id"
)

// StripeConfig configures the Stripe client.
type StripeConfig struct {
	// APIKey is the secret key (sk_...).
	APIKey string
	// APIBase is the API's base URL (default DefaultStripeAPIBase; a
	// stripe-mock in tests).
	APIBase string
	// HTTPClient sends the requests (default: a 30 s timeout).
	HTTPClient *http.Client
}

// Stripe charges STRIPE payment gates and sends finalized invoices
// (stripe_invoice.go). It implements cluster.PaymentCharger.
type Stripe struct {
	sc *stripe.Client
}

var _ cluster.PaymentCharger = (*Stripe)(nil)

// NewStripe returns a Stripe client.
func NewStripe(cfg StripeConfig) (*Stripe, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("stripe: an API key is required")
	}
	base := cfg.APIBase
	if base == "" {
		base = DefaultStripeAPIBase
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("stripe: API base %q: must be an http:// or https:// URL", base)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	// No retries inside the library: the dispatcher retries, with the same
	// idempotency key, on its own schedule and on any leader.
	backend := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL: stripe.String(strings.TrimRight(base, "/")), HTTPClient: hc, MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})
	return &Stripe{sc: stripe.NewClient(cfg.APIKey, stripe.WithBackends(&stripe.Backends{API: backend, Connect: backend, Uploads: backend, MeterEvents: backend}))}, nil
}

// Charge charges a payment_gate.stripe_charge notification's payload. It
// returns the release its answer settles, nil while the outcome is not
// known yet (Stripe's event will tell), or an error to retry later (the
// network, Stripe's 5xx and 429, an authentication or idempotency
// conflict: never the customer's fault).
func (s *Stripe) Charge(ctx context.Context, key string, payload []byte) (*engine.ReleasePaymentGate, error) {
	var note struct {
		Properties engine.StripeCharge `json:"properties"`
	}
	if err := json.Unmarshal(payload, &note); err != nil {
		return nil, fmt.Errorf("stripe: charge payload: %w", err)
	}
	p := note.Properties
	failed := func(reason string) *engine.ReleasePaymentGate {
		return &engine.ReleasePaymentGate{WorkflowID: p.WorkflowID, Outcome: engine.GateFailed, ErrorMessage: reason, Provider: engine.ProviderStripe}
	}
	var total money.Amount
	if err := total.UnmarshalJSON([]byte(p.InvoiceTotal)); err != nil {
		return nil, fmt.Errorf("stripe: invoice_total %q: %w", p.InvoiceTotal, err)
	}
	// Amounts are cents; Stripe charges whole ones, rounded half-up.
	cents, whole := total.RoundHalfUp(0).Int64()
	if !whole {
		return nil, fmt.Errorf("stripe: invoice_total %s: more cents than an int64 holds", total)
	}
	if cents <= 0 {
		return &engine.ReleasePaymentGate{WorkflowID: p.WorkflowID, Outcome: engine.GatePaid, Provider: engine.ProviderStripe}, nil
	}
	pm, err := s.paymentMethod(ctx, p.StripeCustomerID)
	if err != nil {
		return settleError(err, failed)
	}
	if pm == "" {
		return failed("the Stripe customer " + p.StripeCustomerID + " has no payment method"), nil
	}
	params := &stripe.PaymentIntentCreateParams{
		Amount: stripe.Int64(cents), Currency: stripe.String(strings.ToLower(p.InvoiceCurrency)), Customer: stripe.String(p.StripeCustomerID),
		PaymentMethod: stripe.String(pm), Confirm: stripe.Bool(true), OffSession: stripe.Bool(true),
		Description: stripe.String("Burndown " + p.WorkflowType + " " + p.CommitID),
	}
	params.AddMetadata(StripeMetaWorkflow, p.WorkflowID)
	params.AddMetadata(StripeMetaCustomer, p.CustomerID)
	params.AddMetadata(StripeMetaContract, p.ContractID)
	params.SetIdempotencyKey(key)
	pi, err := s.sc.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		return settleError(err, failed)
	}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		return &engine.ReleasePaymentGate{WorkflowID: p.WorkflowID, Outcome: engine.GatePaid, Provider: engine.ProviderStripe}, nil
	case stripe.PaymentIntentStatusRequiresAction:
		return failed("requires_action: the payment needs the customer's authentication, impossible off session"), nil
	case stripe.PaymentIntentStatusCanceled:
		return failed("canceled"), nil
	}
	// processing, requires_payment_method, ...: the event settles it.
	return nil, nil
}

// paymentMethod is the Stripe customer's payment method to charge: its
// invoice default, or its first saved one.
func (s *Stripe) paymentMethod(ctx context.Context, customer string) (string, error) {
	c, err := s.sc.V1Customers.Retrieve(ctx, customer, nil)
	if err != nil {
		return "", err
	}
	if c.InvoiceSettings != nil && c.InvoiceSettings.DefaultPaymentMethod != nil && c.InvoiceSettings.DefaultPaymentMethod.ID != "" {
		return c.InvoiceSettings.DefaultPaymentMethod.ID, nil
	}
	lp := &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(customer)}
	lp.Limit = stripe.Int64(1)
	for pm, err := range s.sc.V1Customers.ListPaymentMethods(ctx, lp) {
		if err != nil {
			return "", err
		}
		return pm.ID, nil
	}
	return "", nil
}

// settleError maps a Stripe error: a declined card, an invalid request
// (amount too small, no such customer) fail the payment with Stripe's
// message; anything else is retried.
func settleError(err error, failed func(string) *engine.ReleasePaymentGate) (*engine.ReleasePaymentGate, error) {
	var se *stripe.Error
	if errors.As(err, &se) {
		switch {
		case se.Type == stripe.ErrorTypeCard, se.HTTPStatusCode == http.StatusPaymentRequired:
			return failed(stripeReason(se)), nil
		case se.Type == stripe.ErrorTypeInvalidRequest && (se.HTTPStatusCode == http.StatusBadRequest || se.HTTPStatusCode == http.StatusNotFound):
			return failed(stripeReason(se)), nil
		}
	}
	return nil, err
}

func stripeReason(se *stripe.Error) string {
	msg := se.Msg
	if msg == "" {
		msg = string(se.Code)
	}
	if se.DeclineCode != "" {
		msg += " (" + string(se.DeclineCode) + ")"
	}
	if msg == "" {
		msg = "payment failed"
	}
	return msg
}

// stripeWebhook serves POST /v1/stripe/webhook. It is authenticated by the
// Stripe-Signature header (the endpoint secret), not the admin token.
// payment_intent.succeeded and payment_intent.payment_failed settle the
// workflow named in the PaymentIntent's metadata; invoice.finalized,
// invoice.payment_failed, invoice.marked_uncollectible, invoice.paid and
// invoice.voided move the external_status of the usage invoice named in
// the invoice's metadata (forward only: engine/stripe_invoice.go). Other
// events, and objects that are not Burndown's, are acknowledged and
// ignored.
func (s *Server) stripeWebhook(ctx *fasthttp.RequestCtx) {
	if !ctx.IsPost() {
		ctx.Response.Header.Set("Allow", fasthttp.MethodPost)
		writeError(ctx, &apiError{Status: fasthttp.StatusMethodNotAllowed, Message: "method: only POST is allowed on " + StripeWebhookPath})
		return
	}
	if s.cfg.StripeWebhookSecret == "" {
		writeError(ctx, notFound("path: %s is not configured (--stripe-webhook-secret)", StripeWebhookPath))
		return
	}
	body, err := readBody(ctx, s.cfg.MaxBodyBytes)
	if err != nil {
		writeError(ctx, err)
		return
	}
	ev, err := webhook.ConstructEventWithOptions(body, string(ctx.Request.Header.Peek("Stripe-Signature")), s.cfg.StripeWebhookSecret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		writeError(ctx, badRequest("Stripe-Signature: %v", err))
		return
	}
	if !s.node.IsLeader() {
		s.forward(ctx)
		return
	}
	if outcome, ok := stripePaymentOutcome(string(ev.Type)); ok {
		s.stripePaymentEvent(ctx, &ev, outcome)
		return
	}
	if status, ok := stripeInvoiceStatus(string(ev.Type)); ok {
		s.stripeInvoiceEvent(ctx, &ev, status)
		return
	}
	ackStripe(ctx, "ignored: event type "+string(ev.Type))
}

// stripePaymentOutcome is the outcome a PaymentIntent event settles a
// STRIPE gate's workflow with (false: not an event Burndown reads).
func stripePaymentOutcome(eventType string) (string, bool) {
	switch eventType {
	case "payment_intent.succeeded":
		return engine.GatePaid, true
	case "payment_intent.payment_failed":
		return engine.GateFailed, true
	}
	return "", false
}

// stripeInvoiceStatus is the external_status an invoice event moves a sent
// invoice to (false: not an event Burndown reads).
func stripeInvoiceStatus(eventType string) (string, bool) {
	switch eventType {
	case "invoice.finalized":
		return engine.ExternalFinalized, true
	case "invoice.payment_failed":
		return engine.ExternalPaymentFailed, true
	case "invoice.marked_uncollectible":
		return engine.ExternalUncollectible, true
	case "invoice.paid":
		return engine.ExternalPaid, true
	case "invoice.voided":
		return engine.ExternalVoid, true
	}
	return "", false
}

// ackStripe answers Stripe 200 for an event it must not retry.
func ackStripe(ctx *fasthttp.RequestCtx, note string) {
	writeJSON(ctx, map[string]any{"received": true, "note": note}) //nolint:errcheck
}

// stripePaymentEvent settles the workflow of a PaymentIntent event.
func (s *Server) stripePaymentEvent(ctx *fasthttp.RequestCtx, ev *stripe.Event, outcome string) {
	var pi stripe.PaymentIntent
	if ev.Data == nil || json.Unmarshal(ev.Data.Raw, &pi) != nil {
		writeError(ctx, badRequest("data.object: not a payment_intent"))
		return
	}
	wf := pi.Metadata[StripeMetaWorkflow]
	if wf == "" {
		ackStripe(ctx, "ignored: not a Burndown payment")
		return
	}
	cmd := &engine.ReleasePaymentGate{WorkflowID: wf, Outcome: outcome, Provider: engine.ProviderStripe}
	if outcome == engine.GateFailed {
		cmd.ErrorMessage = "payment failed"
		if pi.LastPaymentError != nil {
			cmd.ErrorMessage = stripeReason(pi.LastPaymentError)
		}
	}
	res, ok := s.proposeStripeEvent(ctx, cmd)
	if !ok {
		return
	}
	status := ""
	if res.Gate != nil {
		status = res.Gate.Status
	}
	writeJSON(ctx, map[string]any{"received": true, "workflow_id": wf, "payment_gate_status": status}) //nolint:errcheck
}

// stripeInvoiceEvent records the status of an invoice event on the usage
// invoice Burndown sent (or records the invoice, when the event comes
// before the dispatcher's own record).
func (s *Server) stripeInvoiceEvent(ctx *fasthttp.RequestCtx, ev *stripe.Event, status string) {
	var inv stripe.Invoice
	if ev.Data == nil || json.Unmarshal(ev.Data.Raw, &inv) != nil || inv.ID == "" {
		writeError(ctx, badRequest("data.object: not an invoice"))
		return
	}
	ours, customer := inv.Metadata[StripeMetaInvoice], inv.Metadata[StripeMetaCustomer]
	if ours == "" || customer == "" {
		ackStripe(ctx, "ignored: not a Burndown invoice")
		return
	}
	cmd := &engine.RecordExternalInvoice{CustomerID: customer, InvoiceID: ours, Provider: engine.ProviderStripeBilling, ExternalID: inv.ID, Status: status}
	if inv.StatusTransitions != nil && inv.StatusTransitions.FinalizedAt > 0 && inv.StatusTransitions.FinalizedAt < 1<<33 {
		cmd.IssuedAt = inv.StatusTransitions.FinalizedAt * 1e9
	}
	if _, ok := s.proposeStripeEvent(ctx, cmd); !ok {
		return
	}
	writeJSON(ctx, map[string]any{"received": true, "invoice_id": ours, "external_invoice_id": inv.ID}) //nolint:errcheck
}

// proposeStripeEvent proposes the command a Stripe event asks for. It
// answers Stripe itself unless the command was applied: a 5xx (or a
// forward to the leader) so Stripe retries, or a 200 "ignored" when the
// engine refused the command (not ours: unknown, another gate type,
// another invoice), which Stripe must not retry.
func (s *Server) proposeStripeEvent(ctx *fasthttp.RequestCtx, cmd engine.Command) (engine.Result, bool) {
	pctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	res, err := s.node.Propose(pctx, cmd)
	cancel()
	if err != nil {
		if perr := proposeError(err); errors.Is(perr, errNotLeaderForward) {
			s.forward(ctx)
		} else {
			writeError(ctx, perr) // 5xx: Stripe retries
		}
		return engine.Result{}, false
	}
	if res.Err != nil {
		ackStripe(ctx, "ignored: "+res.Err.Message)
		return engine.Result{}, false
	}
	return res, true
}
