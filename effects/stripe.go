package effects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"

	"burndown/engine"
	"burndown/money"
	"burndown/telemetry"
)

// STRIPE payment gates (engine/payments.go). The engine queues
// payment_gate.stripe_charge for a STRIPE-gated commit; the leader's
// dispatcher (dispatch.go, provider.go) hands it to Stripe.Charge, which
// creates a PaymentIntent for the customer's Stripe customer id (confirm,
// off_session) with the notification id as its Idempotency-Key, so a retry
// by any leader never charges twice. Its answer settles the workflow at
// once (succeeded: paid; canceled, a card error: failed with the reason;
// requires_action: pending on the customer's action, which the engine
// announces with payment_gate.payment_pending_action_required,
// engine/payment_action.go) or later, from Stripe's events on POST
// /v1/stripe/webhook (payment_intent.succeeded, payment_intent.
// payment_failed), which package transport receives and verifies.

// DefaultStripeAPIBase is Stripe's API.
const DefaultStripeAPIBase = "https://api.stripe.com"

// Metadata keys Burndown puts on a PaymentIntent (Stripe's events carry
// them back to transport's /v1/stripe/webhook).
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
	// Metrics times each request to Stripe (nil: not recorded).
	Metrics *telemetry.Metrics
}

// Stripe charges STRIPE payment gates and sends finalized invoices
// (stripe_invoice.go). It implements PaymentCharger.
type Stripe struct {
	sc *stripe.Client
}

var _ PaymentCharger = (*Stripe)(nil)

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
	if cfg.Metrics != nil {
		timed := *hc
		timed.Transport = &timedTransport{next: hc.Transport, metrics: cfg.Metrics}
		hc = &timed
	}
	// No retries inside the library: the dispatcher retries, with the same
	// idempotency key, on its own schedule and on any leader.
	backend := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL: stripe.String(strings.TrimRight(base, "/")), HTTPClient: hc, MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})
	return &Stripe{sc: stripe.NewClient(cfg.APIKey, stripe.WithBackends(&stripe.Backends{API: backend, Connect: backend, Uploads: backend, MeterEvents: backend}))}, nil
}

// Charge charges a payment_gate.stripe_charge notification's payload
// (through a Stripe invoice when its payment_type is INVOICE:
// stripe_purchase.go). It
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
	if p.PaymentType == engine.StripePayInvoice {
		return s.chargeByInvoice(ctx, key, p, cents, pm) // stripe_purchase.go
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
		return ActionRequired(p.WorkflowID, pi), nil
	case stripe.PaymentIntentStatusCanceled:
		return failed("canceled"), nil
	}
	// processing, requires_payment_method, ...: the event settles it.
	return nil, nil
}

// ActionRequired is the release of a PaymentIntent that needs the
// customer's action (the charge's answer, or Stripe's
// payment_intent.requires_action event): the workflow stays pending, the
// action (Stripe's next_action type) and the PaymentIntent named in its
// notification.
func ActionRequired(workflowID string, pi *stripe.PaymentIntent) *engine.ReleasePaymentGate {
	action := "requires_action"
	if pi.NextAction != nil && pi.NextAction.Type != "" {
		action = string(pi.NextAction.Type)
	}
	return &engine.ReleasePaymentGate{WorkflowID: workflowID, Outcome: engine.GateActionRequired, ErrorMessage: action,
		PaymentIntentID: pi.ID, Provider: engine.ProviderStripe}
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
			return failed(StripeErrorReason(se)), nil
		case se.Type == stripe.ErrorTypeInvalidRequest && (se.HTTPStatusCode == http.StatusBadRequest || se.HTTPStatusCode == http.StatusNotFound):
			return failed(StripeErrorReason(se)), nil
		}
	}
	return nil, err
}

// StripeErrorReason is the reason a failed payment is settled with, from
// Stripe's error: its message (or code) and decline code.
func StripeErrorReason(se *stripe.Error) string {
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
