package effects

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"burndown/cluster"
	"burndown/engine"
	"burndown/telemetry"
)

// The dispatcher runs on the leader only (each term handed out by
// Node.AwaitLeadership). It never slows applies: it reads a copy of the
// outbox, delivers on its own goroutines and reports back through the log
// (cluster.NewDeliveryMarks), in batches. Retries back off exponentially
// with jitter (backoff.go); a Retry-After header is honoured; a 410 Gone
// disables the destination; a delivery that has failed for RetryFor is
// given up: recorded through the log as a failed delivery
// (cluster.NewDeliveryFailures), listed by the API and replayable. At most
// perDestinationFlight deliveries are in flight per destination, so a slow
// receiver holds back only its own deliveries.

// Node is what the dispatcher needs from a cluster member: the seam
// between the replicated state (package cluster) and the effects it
// causes. *cluster.Node is one.
type Node interface {
	// AwaitLeadership blocks until this node leads with its outbox caught
	// up, and returns a context that ends with that leadership.
	AwaitLeadership(ctx context.Context) (context.Context, error)
	// Outbox returns a copy of the notifications waiting and the
	// replicated destinations.
	Outbox() cluster.OutboxView
	// OutboxChanged receives when the outbox may have changed.
	OutboxChanged() <-chan struct{}
	// Propose replicates a command (delivery marks and failures, a
	// destination disabled, a provider's answer) and returns its result
	// once applied.
	Propose(ctx context.Context, cmd engine.Command) (engine.Result, error)
	// Engine reads what is already recorded (a settled workflow, a
	// recorded invoice) before a provider is called again.
	Engine() *engine.Engine
}

var _ Node = (*cluster.Node)(nil)

// Config configures a Dispatcher.
type Config struct {
	// Webhooks is the default destination and the retry schedule.
	Webhooks WebhookConfig
	// Payments charges STRIPE payment gates and sends finalized invoices
	// to Stripe (nil: none configured; such charges and invoices wait,
	// and are given up after RetryFor like a webhook).
	Payments PaymentCharger
	Logger   *slog.Logger // may be nil: no logs
	// Metrics counts webhook deliveries by outcome and times the delivered
	// ones (nil: not recorded).
	Metrics *telemetry.Metrics
}

// Dispatcher tuning.
const (
	perDestinationFlight = 4
	markBatchWait        = 2 * time.Millisecond
)

// Dispatcher delivers a node's outbox while the node leads.
type Dispatcher struct {
	node Node
	cfg  Config
	log  *slog.Logger
}

// NewDispatcher returns a dispatcher for node; Run starts it.
func NewDispatcher(node Node, cfg Config) *Dispatcher {
	cfg.Webhooks = cfg.Webhooks.withDefaults()
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Dispatcher{node: node, cfg: cfg, log: log}
}

// Run delivers the outbox during every term this node leads, until ctx
// ends (it returns nil) or the node is closed (cluster.ErrClosed).
// Everything it started has finished when it returns.
func (d *Dispatcher) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		term, err := d.node.AwaitLeadership(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		// The term's context, ended by ctx too.
		tctx, cancel := context.WithCancel(term)
		stop := context.AfterFunc(ctx, cancel)
		d.term(tctx)
		stop()
		cancel()
	}
	return nil
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
	key deliveryKey
	deliveryAnswer
}

// termState is the dispatcher's state for one term: a new leader starts
// from what the log recorded.
type termState struct {
	*Dispatcher
	state   map[deliveryKey]*delivery
	results chan deliveryResult
	flight  map[string]int // per destination
	marks   []cluster.DeliveryMark
	// failures are given-up deliveries to record, before any later mark.
	failures []cluster.DeliveryFailure
	marked   map[string]bool // notifications marked done, not yet gone from the outbox
	gone     map[string]bool // destinations disabled locally (default) or by a proposal in flight
	wg       sync.WaitGroup
}

// term delivers the outbox until ctx (the term) ends.
func (d *Dispatcher) term(ctx context.Context) {
	t := &termState{Dispatcher: d, state: map[deliveryKey]*delivery{}, results: make(chan deliveryResult, 256),
		flight: map[string]int{}, marked: map[string]bool{}, gone: map[string]bool{}}
	defer t.wg.Wait()
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
		case <-d.node.OutboxChanged():
		case r := <-t.results:
			t.finish(r)
		case <-timer.C:
		case failed := <-proposing:
			proposing = nil
			t.failures = append(failed.failures, t.failures...)
			t.marks = append(failed.marks, t.marks...)
		}
		// Drain what else has finished.
		for more := true; more; {
			select {
			case r := <-t.results:
				t.finish(r)
			default:
				more = false
			}
		}
		next := t.round(ctx)
		if proposing == nil && (len(t.marks) > 0 || len(t.failures) > 0) {
			p := pendingMarks{marks: t.marks, failures: t.failures}
			t.marks, t.failures = nil, nil
			done := make(chan pendingMarks, 1)
			proposing = done
			go func() {
				time.Sleep(markBatchWait) // let a burst's marks gather
				if len(p.failures) > 0 {
					if _, err := d.node.Propose(ctx, cluster.NewDeliveryFailures(p.failures)); err != nil {
						if ctx.Err() == nil {
							d.log.Warn("recording failed webhook deliveries failed; retrying", "err", err)
						}
						done <- p
						return
					}
				}
				if len(p.marks) > 0 {
					if _, err := d.node.Propose(ctx, cluster.NewDeliveryMarks(p.marks)); err != nil {
						if ctx.Err() == nil {
							d.log.Warn("recording webhook deliveries failed; retrying", "err", err)
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
	marks    []cluster.DeliveryMark
	failures []cluster.DeliveryFailure
}

// destinations returns the destinations deliveries go to now.
func (t *termState) destinations(st cluster.OutboxView) []cluster.WebhookDestination {
	var out []cluster.WebhookDestination
	if t.cfg.Webhooks.URL != "" && !t.gone[DefaultDestinationID] {
		out = append(out, cluster.WebhookDestination{ID: DefaultDestinationID, URL: t.cfg.Webhooks.URL, Secret: t.cfg.Webhooks.Secret})
	}
	for _, dst := range st.Destinations {
		if dst.ArchivedAt == 0 && dst.DisabledAt == 0 && !t.gone[dst.ID] {
			out = append(out, dst)
		}
	}
	return out
}

// round starts the deliveries that are due and queues the marks of the
// notifications every destination has; it returns the earliest retry time.
func (t *termState) round(ctx context.Context) time.Time {
	st := t.node.Outbox()
	hooks := t.destinations(st)
	stripe := []cluster.WebhookDestination{{ID: StripeDestinationID}}
	now := time.Now()
	var next time.Time
	live := make(map[string]bool, len(st.Records))
	for _, r := range st.Records {
		live[r.ID] = true
		if t.marked[r.ID] {
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
			ds := t.state[k]
			if slices.Contains(r.Delivered, dst.ID) || (ds != nil && ds.delivered) {
				continue
			}
			complete = false
			if ds != nil && ds.failed {
				continue // done once the failure is recorded (r.Delivered)
			}
			if ds == nil {
				ds = &delivery{first: now}
				t.state[k] = ds
			}
			if ds.inflight || t.flight[dst.ID] >= perDestinationFlight {
				continue
			}
			if ds.next.After(now) {
				if next.IsZero() || ds.next.Before(next) {
					next = ds.next
				}
				continue
			}
			if ds.attempts > 0 && now.Sub(ds.first) > t.cfg.Webhooks.RetryFor {
				t.log.Warn("webhook delivery given up", "notification", r.ID, "destination", dst.ID, "attempts", ds.attempts)
				t.countOutcome(dst.ID, telemetry.WebhookDropped, ds.first)
				ds.failed = true
				t.failures = append(t.failures, cluster.DeliveryFailure{Notification: r.ID, Destination: dst.ID, Attempts: ds.attempts})
				continue
			}
			ds.inflight = true
			ds.attempts++
			t.flight[dst.ID]++
			t.wg.Add(1)
			switch {
			case dst.ID == StripeDestinationID && r.Type == engine.NoteStripeVoid:
				go t.callProvider(ctx, k, r, "voiding an invoice in Stripe", t.voidRecorded, voidSentInvoice)
			case dst.ID == StripeDestinationID && r.Type == engine.NoteStripeInvoice:
				go t.callProvider(ctx, k, r, "sending an invoice to Stripe", t.invoiceRecorded, sendFinalizedInvoice)
			case dst.ID == StripeDestinationID:
				go t.callProvider(ctx, k, r, "charging a STRIPE payment gate", t.workflowSettled, chargeGate)
			default:
				go t.send(ctx, k, dst, r.Payload)
			}
		}
		if complete {
			t.marked[r.ID] = true
			t.marks = append(t.marks, cluster.DeliveryMark{Notification: r.ID})
		}
	}
	// Forget what has left the outbox.
	for k := range t.state {
		if !live[k.note] {
			delete(t.state, k)
		}
	}
	for id := range t.marked {
		if !live[id] {
			delete(t.marked, id)
		}
	}
	return next
}

// report hands a delivery's result to the term's loop.
func (t *termState) report(ctx context.Context, res deliveryResult) {
	select {
	case t.results <- res:
	case <-ctx.Done():
	}
}

// send posts one signed delivery.
func (t *termState) send(ctx context.Context, k deliveryKey, dst cluster.WebhookDestination, body []byte) {
	defer t.wg.Done()
	t.report(ctx, deliveryResult{key: k, deliveryAnswer: deliverWebhook(ctx, t.cfg.Webhooks.Client, dst, body)})
}

// finish records a delivery's outcome.
func (t *termState) finish(r deliveryResult) {
	t.flight[r.key.dest]--
	ds := t.state[r.key]
	if ds == nil {
		return
	}
	ds.inflight = false
	switch {
	case r.ok:
		t.countOutcome(r.key.dest, telemetry.WebhookDelivered, ds.first)
		ds.delivered = true
		t.marks = append(t.marks, cluster.DeliveryMark{Notification: r.key.note, Destination: r.key.dest})
	case r.gone:
		t.countOutcome(r.key.dest, telemetry.WebhookDropped, ds.first)
		t.disable(r.key.dest)
	default:
		t.countOutcome(r.key.dest, telemetry.WebhookFailed, ds.first)
		ds.next = time.Now().Add(retryDelay(t.cfg.Webhooks.RetryBase, t.cfg.Webhooks.RetryMax, ds.attempts, r.retryAfter))
	}
}

// countOutcome counts a webhook delivery's outcome; calls to Stripe are
// counted by their own series (stripe_timing.go).
func (t *termState) countOutcome(dest, outcome string, first time.Time) {
	if dest != StripeDestinationID {
		t.cfg.Metrics.WebhookOutcome(outcome, first)
	}
}

// disable stops deliveries to a destination that answered 410 Gone: the
// default one for this leader's term, a replicated one for good.
func (t *termState) disable(id string) {
	if t.gone[id] {
		return
	}
	t.gone[id] = true
	t.log.Warn("webhook destination answered 410 Gone: disabled", "destination", id)
	if id == DefaultDestinationID {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := t.node.Propose(ctx, cluster.NewWebhookDisable(id)); err != nil {
			t.log.Warn("disabling a webhook destination failed", "destination", id, "err", err)
		}
	}()
}
