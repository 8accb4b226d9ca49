package cluster

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"burndown/engine"
	"burndown/persist"
)

// The replicated outbox. Applying an entry never performs a side effect: the
// notifications the engine produced (engine.TakeNotifications) are appended
// here, on every replica, in log order, with the ids the engine derived from
// the log. The leader's dispatcher (package effects) reads them
// (outbox_view.go), delivers them and proposes outboxDeliveredCmd marks in
// batches (NewDeliveryMarks); a record leaves the outbox once the
// dispatcher marks it done. A new leader sends again whatever is not marked:
// delivery is at least once, and the receiver dedupes on the stable id.
//
// Webhook destinations made through the API are replicated here too; the
// --webhook-url destination is configuration, the same on every node.

// MaxOutboxRecords bounds the outbox. When an apply would exceed it, the
// oldest records are dropped (and counted) rather than the apply refused: a
// dead receiver must never stop ingest. The bound is applied identically on
// every replica.
const MaxOutboxRecords = 100_000

// Cluster-layer command kinds of the outbox; stable forever.
const (
	kindWebhookCreate   engine.Kind = persist.FirstClusterKind + 10
	kindWebhookArchive  engine.Kind = persist.FirstClusterKind + 11
	kindOutboxDelivered engine.Kind = persist.FirstClusterKind + 12
	kindWebhookDisable  engine.Kind = persist.FirstClusterKind + 13
	kindOutboxFailed    engine.Kind = persist.FirstClusterKind + 14
	kindOutboxReplay    engine.Kind = persist.FirstClusterKind + 15
)

// MaxFailedDeliveries bounds the failed deliveries kept for listing and
// replay; past it the oldest are forgotten (identically on every replica).
const MaxFailedDeliveries = 10_000

// DeliveryFailure says the dispatcher gave up delivering a notification to
// a destination after Attempts attempts.
type DeliveryFailure struct {
	Notification string `msgpack:"Notification"`
	Destination  string `msgpack:"Destination"`
	Attempts     int    `msgpack:"Attempts"`
}

// outboxFailedCmd records given-up deliveries: each becomes a failed
// delivery (listed, replayable) and counts as handled for its record.
type outboxFailedCmd struct {
	Failures []DeliveryFailure `msgpack:"Failures"`
}

// outboxReplayCmd puts failed deliveries back in the outbox: the one with
// ID, or (ID "") every one that failed at or after Since.
type outboxReplayCmd struct {
	ID    string `msgpack:"ID"`
	Since int64  `msgpack:"Since"`
}

// NewDeliveriesReplay returns the command /v1/webhooks/deliveries/replay
// proposes: the failed delivery id, or every failure since a time. Its
// result's ID is the number of deliveries replayed, in decimal.
func NewDeliveriesReplay(id string, since int64) engine.Command {
	return &outboxReplayCmd{ID: id, Since: since}
}

// webhookCreateCmd adds a destination; its id derives from the log position.
type webhookCreateCmd struct {
	URL        string   `msgpack:"URL"`
	Secret     string   `msgpack:"Secret"`
	EventTypes []string `msgpack:"EventTypes"`
}

// webhookArchiveCmd archives a destination.
type webhookArchiveCmd struct {
	ID string `msgpack:"ID"`
}

// webhookDisableCmd disables a destination that answered 410 Gone.
type webhookDisableCmd struct {
	ID string `msgpack:"ID"`
}

// DeliveryMark says a destination has a notification, or (Destination "")
// that the notification is done and leaves the outbox.
type DeliveryMark struct {
	Notification string `msgpack:"Notification"`
	Destination  string `msgpack:"Destination"`
}

// outboxDeliveredCmd carries the dispatcher's marks.
type outboxDeliveredCmd struct {
	Marks []DeliveryMark `msgpack:"Marks"`
}

func (*webhookCreateCmd) Kind() engine.Kind   { return kindWebhookCreate }
func (*webhookArchiveCmd) Kind() engine.Kind  { return kindWebhookArchive }
func (*webhookDisableCmd) Kind() engine.Kind  { return kindWebhookDisable }
func (*outboxDeliveredCmd) Kind() engine.Kind { return kindOutboxDelivered }
func (*outboxFailedCmd) Kind() engine.Kind    { return kindOutboxFailed }
func (*outboxReplayCmd) Kind() engine.Kind    { return kindOutboxReplay }

// NewWebhookCreate returns the command /v1/webhooks/create proposes; its
// result's ID is the destination's.
func NewWebhookCreate(url, secret string, eventTypes []string) engine.Command {
	return &webhookCreateCmd{URL: url, Secret: secret, EventTypes: eventTypes}
}

// NewWebhookArchive returns the command /v1/webhooks/archive proposes.
func NewWebhookArchive(id string) engine.Command { return &webhookArchiveCmd{ID: id} }

// NewDeliveryMarks returns the command the leader's dispatcher proposes to
// record deliveries: each mark says a destination has a notification, or
// (Destination "") that the notification is done and leaves the outbox.
func NewDeliveryMarks(marks []DeliveryMark) engine.Command { return &outboxDeliveredCmd{Marks: marks} }

// NewDeliveryFailures returns the command the leader's dispatcher proposes
// to record deliveries it gave up on: each becomes a failed delivery
// (FailedDeliveries, replayable) and counts as handled for its record.
func NewDeliveryFailures(failures []DeliveryFailure) engine.Command {
	return &outboxFailedCmd{Failures: failures}
}

// NewWebhookDisable returns the command the leader's dispatcher proposes
// when a replicated destination answered 410 Gone: it is disabled for good.
func NewWebhookDisable(id string) engine.Command { return &webhookDisableCmd{ID: id} }

// outboxTable is the replicated outbox and destinations. The FSM goroutine
// writes it; the dispatcher and the API read copies under mu.
type outboxTable struct {
	mu      sync.Mutex
	dests   []*persist.WebhookDestination
	recs    []*persist.OutboxRecord
	byID    map[string]*persist.OutboxRecord
	dropped uint64
	// failed holds the failed deliveries, oldest first; replaced, never
	// written in place.
	failed []*persist.FailedDelivery
	size   atomic.Int64
	// notify wakes the dispatcher when records arrive.
	notify chan struct{}
}

func newOutboxTable() *outboxTable {
	return &outboxTable{byID: map[string]*persist.OutboxRecord{}, notify: make(chan struct{}, 1)}
}

func (t *outboxTable) wake() {
	select {
	case t.notify <- struct{}{}:
	default:
	}
}

// add appends the notifications of applied entries.
func (t *outboxTable) add(notes []engine.Notification) {
	if len(notes) == 0 {
		return
	}
	recs := make([]*persist.OutboxRecord, len(notes))
	for i, n := range notes {
		recs[i] = &persist.OutboxRecord{ID: n.ID, Type: n.Type, CustomerID: n.CustomerID, Payload: n.Payload, Index: n.Index, At: n.At}
	}
	t.mu.Lock()
	t.addLocked(recs)
	t.mu.Unlock()
	t.wake()
}

// addLocked appends records (t.mu held), keeping the bound.
func (t *outboxTable) addLocked(recs []*persist.OutboxRecord) {
	for _, r := range recs {
		if _, dup := t.byID[r.ID]; dup {
			continue // an id is derived from a log position: cannot happen
		}
		t.recs = append(t.recs, r)
		t.byID[r.ID] = r
	}
	for len(t.byID) > MaxOutboxRecords {
		old := t.recs[0]
		t.recs = t.recs[1:]
		if _, ok := t.byID[old.ID]; ok {
			delete(t.byID, old.ID)
			t.dropped++
		}
	}
	t.compact()
	t.size.Store(int64(len(t.byID)))
}

// fail records given-up deliveries (entry index, stamped at): each is kept
// as a failed delivery with the record's payload, and its destination
// counts as handled for the record. A record already gone is skipped.
func (t *outboxTable) fail(c *outboxFailedCmd, index uint64, pos int, at engine.Nanos) {
	t.mu.Lock()
	next := slices.Clone(t.failed)
	for k, f := range c.Failures {
		r := t.byID[f.Notification]
		if r == nil || slices.Contains(r.Delivered, f.Destination) {
			continue
		}
		r.Delivered = append(slices.Clip(r.Delivered), f.Destination)
		note := r.ID
		if r.NotificationID != "" {
			note = r.NotificationID // a replay failed again
		}
		next = append(next, &persist.FailedDelivery{
			ID:             engine.DeriveID("delivery_failure", strconv.FormatUint(index, 10), strconv.Itoa(pos), strconv.Itoa(k)),
			NotificationID: note, DestinationID: f.Destination, Type: r.Type, CustomerID: r.CustomerID,
			Payload: r.Payload, Attempts: f.Attempts, FailedAt: at,
		})
	}
	if over := len(next) - MaxFailedDeliveries; over > 0 {
		next = slices.Clone(next[over:])
	}
	t.failed = next
	t.mu.Unlock()
	t.wake()
}

// replay puts failed deliveries back in the outbox, each as a new record
// (its id derived from the entry) for its destination alone, carrying the
// notification's payload and so its id: the receiver dedupes as ever.
// An id that is not a failed delivery is a 404; a time matching none
// replays nothing. The result's ID is the count replayed.
func (t *outboxTable) replay(c *outboxReplayCmd, index uint64, pos int, at engine.Nanos) engine.Result {
	t.mu.Lock()
	var keep []*persist.FailedDelivery
	var recs []*persist.OutboxRecord
	for _, f := range t.failed {
		if (c.ID != "" && f.ID != c.ID) || (c.ID == "" && f.FailedAt < c.Since) {
			keep = append(keep, f)
			continue
		}
		recs = append(recs, &persist.OutboxRecord{
			ID:   engine.DeriveID("replay", strconv.FormatUint(index, 10), strconv.Itoa(pos), strconv.Itoa(len(recs))),
			Type: f.Type, CustomerID: f.CustomerID, Payload: f.Payload, Index: index, At: at, Only: []string{f.DestinationID},
			NotificationID: f.NotificationID,
		})
	}
	if c.ID != "" && len(recs) == 0 {
		t.mu.Unlock()
		return engine.Result{Err: &engine.Error{Code: engine.NotFound, Message: "id: failed delivery " + c.ID + " not found"}}
	}
	t.failed = keep
	t.addLocked(recs)
	t.mu.Unlock()
	t.wake()
	return engine.Result{ID: strconv.Itoa(len(recs))}
}

// compact drops the records marked done from the ordered list once they are
// a good part of it (a done record is only removed from byID at once).
func (t *outboxTable) compact() {
	if len(t.recs) > 2*len(t.byID)+64 || (len(t.byID) == 0 && len(t.recs) > 0) {
		t.recs = slices.DeleteFunc(slices.Clone(t.recs), func(r *persist.OutboxRecord) bool { return t.byID[r.ID] != r })
	}
}

// mark applies delivery marks.
func (t *outboxTable) mark(marks []DeliveryMark) {
	t.mu.Lock()
	for _, m := range marks {
		r := t.byID[m.Notification]
		if r == nil {
			continue
		}
		if m.Destination == "" {
			delete(t.byID, r.ID)
			continue
		}
		if !slices.Contains(r.Delivered, m.Destination) {
			// Copy on write: the dispatcher and snapshots hold the old slice.
			r.Delivered = append(slices.Clip(r.Delivered), m.Destination)
		}
	}
	t.compact()
	t.size.Store(int64(len(t.byID)))
	t.mu.Unlock()
}

func (t *outboxTable) createDest(c *webhookCreateCmd, index uint64, pos int, at engine.Nanos) engine.Result {
	id := engine.DeriveID("webhook", strconv.FormatUint(index, 10), strconv.Itoa(pos))
	t.mu.Lock()
	t.dests = append(slices.Clip(t.dests), &persist.WebhookDestination{ID: id, URL: c.URL, Secret: c.Secret, EventTypes: c.EventTypes, CreatedAt: at})
	t.mu.Unlock()
	t.wake()
	return engine.Result{ID: id}
}

func (t *outboxTable) setDest(id string, at engine.Nanos, disable bool) engine.Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, d := range t.dests {
		if d.ID != id || d.ArchivedAt != 0 {
			continue
		}
		nd := *d
		if disable {
			nd.DisabledAt = at
		} else {
			nd.ArchivedAt = at
		}
		next := slices.Clone(t.dests)
		next[i] = &nd
		t.dests = next
		return engine.Result{ID: id}
	}
	return engine.Result{Err: &engine.Error{Code: engine.NotFound, Message: "id: webhook " + id + " not found"}}
}

// view returns the state for a snapshot or the dispatcher: the records still
// in the outbox in order, and the destinations. Records are shared; they
// are never written in place once added (marks copy their Delivered slice).
func (t *outboxTable) view() *persist.OutboxState {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := &persist.OutboxState{Destinations: t.dests, Dropped: t.dropped, Records: make([]*persist.OutboxRecord, 0, len(t.byID)), Failed: t.failed}
	for _, r := range t.recs {
		if t.byID[r.ID] == r {
			cp := *r
			st.Records = append(st.Records, &cp)
		}
	}
	return st
}

func (t *outboxTable) restore(st *persist.OutboxState) {
	t.mu.Lock()
	t.dests, t.recs, t.byID, t.dropped, t.failed = nil, nil, map[string]*persist.OutboxRecord{}, 0, nil
	if st != nil {
		t.dests, t.recs, t.dropped, t.failed = st.Destinations, st.Records, st.Dropped, st.Failed
		for _, r := range t.recs {
			t.byID[r.ID] = r
		}
	}
	t.size.Store(int64(len(t.byID)))
	t.mu.Unlock()
	t.wake()
}
