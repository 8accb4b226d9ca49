package cluster

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"burndown/engine"
	"burndown/persist"
)

// The webhook dispatcher runs on the leader only (started with the tick
// loop). It never slows applies: it reads a copy of the outbox, delivers on
// its own goroutines and reports back through the log (outboxDeliveredCmd),
// in batches. Retries back off exponentially with jitter drawn here, never
// in apply; a Retry-After header is honoured; a 410 Gone disables the
// destination; a delivery that has failed for RetryFor is given up: recorded
// through the log as a failed delivery (outboxFailedCmd), listed by the API
// and replayable (outboxReplayCmd). At most perDestinationFlight deliveries
// are in flight per destination, so a slow receiver holds back only its
// own deliveries.

// DefaultDestinationID names the --webhook-url destination in marks.
const DefaultDestinationID = "default"

// StripeDestinationID names the payment provider in marks: a
// payment_gate.stripe_charge or invoice.stripe_send notification goes to it
// alone (never to a webhook destination), and "delivering" it is charging
// it through Config.Payments and proposing the release its result settles,
// or sending the invoice and proposing the record of Stripe's invoice.
const StripeDestinationID = "stripe"

// forStripe reports whether a notification is the payment provider's.
func forStripe(typ string) bool {
	return typ == engine.NoteStripeCharge || typ == engine.NoteStripeInvoice
}

// chargeTimeout bounds one charge (the provider's answer).
const chargeTimeout = 30 * time.Second

// PaymentCharger charges payment gates for the leader's dispatcher. It runs
// on the leader only, never in apply.
type PaymentCharger interface {
	// Charge makes the charge a payment_gate.stripe_charge notification
	// (its payload) asks for, with the idempotency key (the notification's
	// id, stable across leaders and replays, so a retry never charges
	// twice). It returns the release that settles the workflow now, or
	// nil when the outcome comes later (from the provider's events); an
	// error means "retry later".
	Charge(ctx context.Context, idempotencyKey string, payload []byte) (*engine.ReleasePaymentGate, error)
	// SendInvoice sends the finalized invoice an invoice.stripe_send
	// notification (its payload) carries: a provider invoice with its
	// items, finalized. Every request it makes carries an idempotency key
	// derived from idempotencyKey (the notification's id) and the
	// request's role, so a re-send by any leader creates nothing twice. It
	// returns the record of the provider's invoice to propose; an error
	// means "retry later".
	SendInvoice(ctx context.Context, idempotencyKey string, payload []byte) (*engine.RecordExternalInvoice, error)
}

// Dispatcher tuning; WebhookConfig fields override them.
const (
	defaultRetryBase     = time.Second
	defaultRetryMax      = 15 * time.Minute
	defaultRetryFor      = 72 * time.Hour
	perDestinationFlight = 4
	markBatchWait        = 2 * time.Millisecond
	deliveryTimeout      = 10 * time.Second
)

// WebhookConfig configures the default destination and the dispatcher.
type WebhookConfig struct {
	// URL and Secret are the default destination (--webhook-url and
	// --webhook-secret); URL "" for none.
	URL, Secret string
	// RetryBase is the first retry's delay (doubling up to RetryMax, with
	// jitter); RetryFor how long a delivery is retried before it is given up.
	RetryBase, RetryMax, RetryFor time.Duration
	// Client sends the deliveries (default: a client with a 10 s timeout).
	Client *http.Client
}

// SignWebhook returns the Metronome-Webhook-Signature of a body sent with
// the given X-Metronome-Date: the lowercase hex HMAC-SHA256, keyed by the
// destination's secret, of the date, a newline and the raw body.
func SignWebhook(secret, date string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(date))
	m.Write([]byte{'\n'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// delivery is the dispatcher's state of one (notification, destination).
type delivery struct {
	inflight  bool
	delivered bool
	// failed: given up; the failure is being recorded through the log.
	failed   bool
	attempts int
	next     time.Time
	first    time.Time
}

type deliveryKey struct{ note, dest string }

type deliveryResult struct {
	key        deliveryKey
	ok, gone   bool
	retryAfter time.Duration
}

type dispatcher struct {
	n       *Node
	cfg     WebhookConfig
	state   map[deliveryKey]*delivery
	results chan deliveryResult
	flight  map[string]int // per destination
	marks   []DeliveryMark
	// failures are given-up deliveries to record, before any later mark.
	failures []DeliveryFailure
	marked   map[string]bool // notifications marked done, not yet gone from the outbox
	gone     map[string]bool // destinations disabled locally (default) or by a proposal in flight
	wg       sync.WaitGroup
}

// dispatchLoop delivers the outbox while this node leads.
func (n *Node) dispatchLoop(ctx context.Context) {
	cfg := n.cfg.Webhooks
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = defaultRetryBase
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = defaultRetryMax
	}
	if cfg.RetryFor <= 0 {
		cfg.RetryFor = defaultRetryFor
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: deliveryTimeout}
	}
	d := &dispatcher{n: n, cfg: cfg, state: map[deliveryKey]*delivery{}, results: make(chan deliveryResult, 256),
		flight: map[string]int{}, marked: map[string]bool{}, gone: map[string]bool{}}
	defer d.wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	// proposing answers, when the proposal in flight ends, with the
	// failures and marks it failed to record (none on success), to be
	// proposed again.
	var proposing chan pendingMarks
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.fsm.outbox.notify:
		case r := <-d.results:
			d.finish(r)
		case <-timer.C:
		case failed := <-proposing:
			proposing = nil
			d.failures = append(failed.failures, d.failures...)
			d.marks = append(failed.marks, d.marks...)
		}
		// Drain what else has finished.
		for more := true; more; {
			select {
			case r := <-d.results:
				d.finish(r)
			default:
				more = false
			}
		}
		next := d.round(ctx)
		if proposing == nil && (len(d.marks) > 0 || len(d.failures) > 0) {
			p := pendingMarks{marks: d.marks, failures: d.failures}
			d.marks, d.failures = nil, nil
			done := make(chan pendingMarks, 1)
			proposing = done
			go func() {
				time.Sleep(markBatchWait) // let a burst's marks gather
				if len(p.failures) > 0 {
					if _, err := n.prop.propose(ctx, &outboxFailedCmd{Failures: p.failures}, 0); err != nil {
						if ctx.Err() == nil {
							n.log.Warn("recording failed webhook deliveries failed; retrying", "err", err)
						}
						done <- p
						return
					}
				}
				if len(p.marks) > 0 {
					if _, err := n.prop.propose(ctx, &outboxDeliveredCmd{Marks: p.marks}, 0); err != nil {
						if ctx.Err() == nil {
							n.log.Warn("recording webhook deliveries failed; retrying", "err", err)
						}
						done <- pendingMarks{marks: p.marks}
						return
					}
				}
				done <- pendingMarks{}
			}()
		}
		wait := 250 * time.Millisecond
		if !next.IsZero() {
			wait = max(time.Until(next), time.Millisecond)
		}
		timer.Reset(wait)
	}
}

// pendingMarks are the failures and marks of one proposal.
type pendingMarks struct {
	marks    []DeliveryMark
	failures []DeliveryFailure
}

// destinations returns the destinations deliveries go to now.
func (d *dispatcher) destinations(st *persist.OutboxState) []*persist.WebhookDestination {
	var out []*persist.WebhookDestination
	if d.cfg.URL != "" && !d.gone[DefaultDestinationID] {
		out = append(out, &persist.WebhookDestination{ID: DefaultDestinationID, URL: d.cfg.URL, Secret: d.cfg.Secret})
	}
	for _, dst := range st.Destinations {
		if dst.ArchivedAt == 0 && dst.DisabledAt == 0 && !d.gone[dst.ID] {
			out = append(out, dst)
		}
	}
	return out
}

// round starts the deliveries that are due and queues the marks of the
// notifications every destination has; it returns the earliest retry time.
func (d *dispatcher) round(ctx context.Context) time.Time {
	st := d.n.fsm.outbox.view()
	hooks := d.destinations(st)
	stripe := []*persist.WebhookDestination{{ID: StripeDestinationID}}
	now := time.Now()
	var next time.Time
	live := make(map[string]bool, len(st.Records))
	for _, r := range st.Records {
		live[r.ID] = true
		if d.marked[r.ID] {
			continue
		}
		complete := true
		dests := hooks
		if forStripe(r.Type) {
			dests = stripe
		}
		for _, dst := range dests {
			if len(dst.EventTypes) > 0 && !slices.Contains(dst.EventTypes, r.Type) {
				continue
			}
			if len(r.Only) > 0 && !slices.Contains(r.Only, dst.ID) {
				continue
			}
			k := deliveryKey{r.ID, dst.ID}
			ds := d.state[k]
			if slices.Contains(r.Delivered, dst.ID) || (ds != nil && ds.delivered) {
				continue
			}
			complete = false
			if ds != nil && ds.failed {
				continue // done once the failure is recorded (r.Delivered)
			}
			if ds == nil {
				ds = &delivery{first: now}
				d.state[k] = ds
			}
			if ds.inflight || d.flight[dst.ID] >= perDestinationFlight {
				continue
			}
			if ds.next.After(now) {
				if next.IsZero() || ds.next.Before(next) {
					next = ds.next
				}
				continue
			}
			if ds.attempts > 0 && now.Sub(ds.first) > d.cfg.RetryFor {
				d.n.log.Warn("webhook delivery given up", "notification", r.ID, "destination", dst.ID, "attempts", ds.attempts)
				ds.failed = true
				d.failures = append(d.failures, DeliveryFailure{Notification: r.ID, Destination: dst.ID, Attempts: ds.attempts})
				continue
			}
			ds.inflight = true
			ds.attempts++
			d.flight[dst.ID]++
			d.wg.Add(1)
			switch {
			case dst.ID == StripeDestinationID && r.Type == engine.NoteStripeInvoice:
				go d.callProvider(ctx, k, r, "sending an invoice to Stripe", d.invoiceRecorded, sendFinalizedInvoice)
			case dst.ID == StripeDestinationID:
				go d.callProvider(ctx, k, r, "charging a STRIPE payment gate", d.workflowSettled, chargeGate)
			default:
				go d.send(ctx, k, dst, r.Payload)
			}
		}
		if complete {
			d.marked[r.ID] = true
			d.marks = append(d.marks, DeliveryMark{Notification: r.ID})
		}
	}
	// Forget what has left the outbox.
	for k := range d.state {
		if !live[k.note] {
			delete(d.state, k)
		}
	}
	for id := range d.marked {
		if !live[id] {
			delete(d.marked, id)
		}
	}
	return next
}

// send posts one signed delivery.
func (d *dispatcher) send(ctx context.Context, k deliveryKey, dst *persist.WebhookDestination, body []byte) {
	defer d.wg.Done()
	res := deliveryResult{key: k}
	defer func() {
		select {
		case d.results <- res:
		case <-ctx.Done():
		}
	}()
	date := time.Now().UTC().Format(http.TimeFormat)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dst.URL, bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Burndown")
	req.Header.Set("X-Metronome-Date", date)
	req.Header.Set("Date", date)
	req.Header.Set("Metronome-Webhook-Signature", SignWebhook(dst.Secret, date, body))
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		return
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		res.ok = true
	case resp.StatusCode == http.StatusGone:
		res.gone = true
	default:
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			res.retryAfter = time.Duration(s) * time.Second
		}
	}
}

// providerSend makes a request to the payment provider for an outbox
// notification with its idempotency key and returns the command recording
// the provider's answer (nil: nothing to record now, e.g. a payment whose
// outcome comes by event).
type providerSend func(ctx context.Context, p PaymentCharger, key string, payload []byte) (engine.Command, error)

// chargeGate charges a STRIPE gate; its answer is the release that settles
// the workflow (if it settles now).
func chargeGate(ctx context.Context, p PaymentCharger, key string, payload []byte) (engine.Command, error) {
	rel, err := p.Charge(ctx, key, payload)
	if err != nil || rel == nil {
		return nil, err
	}
	rel.Provider = engine.ProviderStripe
	return rel, nil
}

// sendFinalizedInvoice sends a finalized invoice to Stripe; its answer is
// the record of Stripe's invoice.
func sendFinalizedInvoice(ctx context.Context, p PaymentCharger, key string, payload []byte) (engine.Command, error) {
	rec, err := p.SendInvoice(ctx, key, payload)
	if err != nil || rec == nil {
		return nil, err
	}
	return rec, nil
}

// callProvider makes a provider call for a notification, unless settled
// says its business is already recorded here (a settled workflow, a
// recorded invoice: nothing to send, even once the provider has forgotten
// the idempotency key), and proposes the command recording its answer. The call is done once that command is
// applied; if this leader dies before, the next one calls again with the
// same idempotency keys (the provider answers with the first call's
// results) and proposes the record again (releases and invoice records
// are idempotent).
func (d *dispatcher) callProvider(ctx context.Context, k deliveryKey, r *persist.OutboxRecord, what string, settled func(context.Context, []byte) bool, send providerSend) {
	defer d.wg.Done()
	res := deliveryResult{key: k}
	defer func() {
		select {
		case d.results <- res:
		case <-ctx.Done():
		}
	}()
	p := d.n.cfg.Payments
	if p == nil {
		d.n.log.Warn(what+" waits: no Stripe client is configured (--stripe-api-key)", "notification", r.ID)
		return
	}
	if settled(ctx, r.Payload) {
		res.ok = true
		return
	}
	key := r.ID
	if r.NotificationID != "" {
		key = r.NotificationID // a replay calls as the original did
	}
	cctx, cancel := context.WithTimeout(ctx, chargeTimeout)
	cmd, err := send(cctx, p, key, r.Payload)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			d.n.log.Warn(what+" failed; retrying", "notification", r.ID, "err", err)
		}
		return
	}
	if cmd != nil {
		out, err := d.n.prop.propose(ctx, cmd, 0)
		if err != nil {
			if ctx.Err() == nil {
				d.n.log.Warn("recording the answer to "+what+" failed; retrying", "notification", r.ID, "err", err)
			}
			return
		}
		if out.Err != nil {
			d.n.log.Warn("the answer to "+what+" was refused", "notification", r.ID, "err", out.Err.Message)
		}
	}
	res.ok = true
}

// invoiceRecorded reports whether the invoice a stripe_send names already
// has its provider invoice recorded (false when that cannot be read).
func (d *dispatcher) invoiceRecorded(ctx context.Context, payload []byte) bool {
	var note struct {
		Properties engine.StripeInvoice `json:"properties"`
	}
	if json.Unmarshal(payload, &note) != nil {
		return false
	}
	rd, ok, _ := d.n.eng.ReadCustomer(ctx, note.Properties.CustomerID)
	if !ok {
		return false
	}
	if k := rd.Customer.Contract(note.Properties.ContractID); k != nil {
		if inv := k.Invoice(note.Properties.InvoiceID); inv != nil {
			return inv.External != nil
		}
	}
	return false
}

// workflowSettled reports whether the workflow a stripe_charge names is
// settled here (false when that cannot be read). A workflow settled by
// Stripe's event is not charged again, even once Stripe has forgotten the
// idempotency key (after 24 hours).
func (d *dispatcher) workflowSettled(ctx context.Context, payload []byte) bool {
	var note struct {
		Properties engine.StripeCharge `json:"properties"`
	}
	if json.Unmarshal(payload, &note) != nil {
		return false
	}
	rd, ok, _ := d.n.eng.ReadCustomer(ctx, note.Properties.CustomerID)
	if !ok {
		return false
	}
	if _, wf := rd.Customer.Workflow(note.Properties.WorkflowID); wf != nil {
		return wf.Status != engine.GatePending
	}
	return false
}

// finish records a delivery's outcome.
func (d *dispatcher) finish(r deliveryResult) {
	d.flight[r.key.dest]--
	ds := d.state[r.key]
	if ds == nil {
		return
	}
	ds.inflight = false
	switch {
	case r.ok:
		ds.delivered = true
		d.marks = append(d.marks, DeliveryMark{Notification: r.key.note, Destination: r.key.dest})
	case r.gone:
		d.disable(r.key.dest)
	default:
		delay := d.cfg.RetryBase << min(ds.attempts-1, 30)
		if delay <= 0 || delay > d.cfg.RetryMax {
			delay = d.cfg.RetryMax
		}
		delay = delay/2 + time.Duration(rand.Int64N(int64(delay/2)+1)) // jitter: half to full
		if r.retryAfter > delay {
			delay = r.retryAfter
		}
		ds.next = time.Now().Add(delay)
	}
}

// disable stops deliveries to a destination that answered 410 Gone: the
// default one for this leader's term, a replicated one for good.
func (d *dispatcher) disable(id string) {
	if d.gone[id] {
		return
	}
	d.gone[id] = true
	d.n.log.Warn("webhook destination answered 410 Gone: disabled", "destination", id)
	if id == DefaultDestinationID {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := d.n.prop.propose(ctx, &webhookDisableCmd{ID: id}, 0); err != nil {
			d.n.log.Warn("disabling a webhook destination failed", "destination", id, "err", err)
		}
	}()
}

// Webhooks returns the replicated webhook destinations (archived included).
func (n *Node) Webhooks() []persist.WebhookDestination {
	st := n.fsm.outbox.view()
	out := make([]persist.WebhookDestination, len(st.Destinations))
	for i, d := range st.Destinations {
		out[i] = *d
	}
	return out
}

// FailedDeliveries returns the replicated failed deliveries, oldest first.
func (n *Node) FailedDeliveries() []persist.FailedDelivery {
	st := n.fsm.outbox.view()
	out := make([]persist.FailedDelivery, len(st.Failed))
	for i, f := range st.Failed {
		out[i] = *f
	}
	return out
}

// OutboxStats returns how many notifications wait in the outbox and how
// many the bound dropped.
func (n *Node) OutboxStats() (size int64, dropped uint64) {
	n.fsm.outbox.mu.Lock()
	dropped = n.fsm.outbox.dropped
	n.fsm.outbox.mu.Unlock()
	return n.fsm.outbox.size.Load(), dropped
}
