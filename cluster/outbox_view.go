package cluster

import (
	"slices"

	"burndown/persist"
)

// Reads of the replicated outbox, for the leader's dispatcher (package
// effects) and the API (package transport). They return copies in this
// package's own types, never the table's records: a reader cannot change
// what the FSM owns, and needs no import of persist's durable layouts.

// OutboxRecord is one notification waiting in the outbox until every
// destination has it. Payload, Delivered and Only are shared with the
// table, which never writes them in place: read them, never write them.
type OutboxRecord struct {
	ID         string
	Type       string
	CustomerID string
	Payload    []byte
	Index      uint64 // the log entry that produced it
	At         int64  // that entry's stamped time
	// Delivered lists the destinations that have it (marked through the
	// log).
	Delivered []string
	// Only, when set, restricts the record to these destinations: a
	// replayed failed delivery goes to its destination alone.
	Only []string
	// NotificationID is a replayed record's notification id (its
	// payload's); "" for the original record, whose ID it is.
	NotificationID string
}

// WebhookDestination is a replicated webhook destination (/v1/webhooks).
type WebhookDestination struct {
	ID         string
	URL        string
	Secret     string
	EventTypes []string // empty: every type
	CreatedAt  int64
	ArchivedAt int64
	// DisabledAt is set when the destination answered 410 Gone.
	DisabledAt int64
}

// FailedDelivery is a delivery the leader's dispatcher gave up on, kept
// until it is replayed or pushed out by MaxFailedDeliveries.
type FailedDelivery struct {
	ID             string // derived from the log entry that recorded it
	NotificationID string
	DestinationID  string
	Type           string
	CustomerID     string
	Payload        []byte
	Attempts       int
	FailedAt       int64 // stamped time of the entry that recorded it
}

// OutboxView is what the dispatcher reads on each round: the records still
// in the outbox, in log order, and every replicated destination (archived
// and disabled ones included).
type OutboxView struct {
	Records      []OutboxRecord
	Destinations []WebhookDestination
}

// Outbox returns a copy of the outbox and the destinations.
func (n *Node) Outbox() OutboxView {
	st := n.fsm.outbox.view()
	v := OutboxView{Records: make([]OutboxRecord, len(st.Records))}
	for i, r := range st.Records {
		v.Records[i] = OutboxRecord{ID: r.ID, Type: r.Type, CustomerID: r.CustomerID, Payload: r.Payload, Index: r.Index, At: r.At,
			Delivered: r.Delivered, Only: r.Only, NotificationID: r.NotificationID}
	}
	v.Destinations = destinationsOf(st.Destinations)
	return v
}

func destinationsOf(dests []*persist.WebhookDestination) []WebhookDestination {
	out := make([]WebhookDestination, len(dests))
	for i, d := range dests {
		out[i] = WebhookDestination{ID: d.ID, URL: d.URL, Secret: d.Secret, EventTypes: slices.Clone(d.EventTypes),
			CreatedAt: d.CreatedAt, ArchivedAt: d.ArchivedAt, DisabledAt: d.DisabledAt}
	}
	return out
}

// OutboxChanged receives (coalesced) when notifications arrive in the
// outbox, deliveries fail or are replayed, a destination is created, or a
// snapshot is restored: the dispatcher reads Outbox again. It has one
// reader, the leader's dispatcher.
func (n *Node) OutboxChanged() <-chan struct{} { return n.fsm.outbox.notify }

// Webhooks returns the replicated webhook destinations (archived included).
func (n *Node) Webhooks() []WebhookDestination {
	t := n.fsm.outbox
	t.mu.Lock()
	dests := t.dests // replaced, never written in place
	t.mu.Unlock()
	return destinationsOf(dests)
}

// FailedDeliveries returns the replicated failed deliveries, oldest first.
func (n *Node) FailedDeliveries() []FailedDelivery {
	st := n.fsm.outbox.view()
	out := make([]FailedDelivery, len(st.Failed))
	for i, f := range st.Failed {
		out[i] = FailedDelivery{ID: f.ID, NotificationID: f.NotificationID, DestinationID: f.DestinationID, Type: f.Type,
			CustomerID: f.CustomerID, Payload: f.Payload, Attempts: f.Attempts, FailedAt: f.FailedAt}
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
