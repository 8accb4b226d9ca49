package persist

import (
	"errors"
	"fmt"
)

// OutboxRecord is one notification waiting in the cluster's replicated
// outbox (cluster/outbox.go) until every destination has it: the webhook
// payload an applied entry produced, with its stable id.
type OutboxRecord struct {
	ID         string `msgpack:"ID"`
	Type       string `msgpack:"Type"`
	CustomerID string `msgpack:"CustomerID"`
	Payload    []byte `msgpack:"Payload"`
	Index      uint64 `msgpack:"Index"` // the log entry that produced it
	At         int64  `msgpack:"At"`    // that entry's stamped time
	// Delivered lists the destinations that acknowledged it (marked by
	// the leader's dispatcher through the log).
	Delivered []string `msgpack:"Delivered"`
	// Only, when set, restricts the record to these destinations: a
	// replayed failed delivery goes to its destination alone. Its ID is
	// then the replay's; Payload keeps the notification's own id.
	Only []string `msgpack:"Only,omitempty"`
	// NotificationID is a replayed record's notification id (its payload's).
	NotificationID string `msgpack:"NotificationID,omitempty"`
}

// FailedDelivery is a delivery the leader's dispatcher gave up on (its
// retries ran out), kept, replicated, until it is replayed or pushed out by
// the bound (cluster.MaxFailedDeliveries).
type FailedDelivery struct {
	// ID derives from the log entry that recorded the failure.
	ID             string `msgpack:"ID"`
	NotificationID string `msgpack:"NotificationID"`
	DestinationID  string `msgpack:"DestinationID"`
	Type           string `msgpack:"Type"`
	CustomerID     string `msgpack:"CustomerID"`
	Payload        []byte `msgpack:"Payload"`
	Attempts       int    `msgpack:"Attempts"`
	// FailedAt is the stamped time of the entry that recorded the failure.
	FailedAt int64 `msgpack:"FailedAt"`
}

// WebhookDestination is a replicated webhook destination
// (/v1/webhooks/create).
type WebhookDestination struct {
	ID         string   `msgpack:"ID"`
	URL        string   `msgpack:"URL"`
	Secret     string   `msgpack:"Secret"`
	EventTypes []string `msgpack:"EventTypes"` // empty: every type
	CreatedAt  int64    `msgpack:"CreatedAt"`
	ArchivedAt int64    `msgpack:"ArchivedAt"`
	// DisabledAt is set when the destination answered 410 Gone.
	DisabledAt int64 `msgpack:"DisabledAt"`
}

// OutboxState is the outbox and the destinations as a snapshot holds them
// (section 8, version 1: one msgpack chunk). Dropped counts notifications
// the bound pushed out before they were delivered.
type OutboxState struct {
	Destinations []*WebhookDestination `msgpack:"Destinations"`
	Records      []*OutboxRecord       `msgpack:"Records"`
	Dropped      uint64                `msgpack:"Dropped"`
	// Failed lists the failed deliveries, oldest first (added after
	// version 1 was first written: older snapshots have none).
	Failed []*FailedDelivery `msgpack:"Failed,omitempty"`
}

// sectionOutbox holds the cluster layer's outbox and webhook destinations
// (OutboxState, msgpack), one chunk; written only when there is something.
const sectionOutbox sectionTag = 8

const outboxVersion = 1

func writeOutbox(sw *sectionWriter, st *OutboxState) error {
	if st == nil || (len(st.Destinations) == 0 && len(st.Records) == 0 && st.Dropped == 0 && len(st.Failed) == 0) {
		return nil
	}
	b, err := Marshal(st)
	if err != nil {
		return err
	}
	return sw.section(sectionOutbox, outboxVersion, b)
}

func readOutbox(sr *sectionReader, version uint64, meta *ClusterMeta) error {
	if version != outboxVersion {
		return fmt.Errorf("unknown outbox version %d", version)
	}
	if meta.Outbox != nil {
		return errors.New("a second outbox section")
	}
	b, err := sr.only()
	if err != nil {
		return err
	}
	st := new(OutboxState)
	if err := Unmarshal(b, st); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, r := range st.Records {
		if r == nil || r.ID == "" || seen[r.ID] {
			return fmt.Errorf("record %d: missing or repeated id", i)
		}
		seen[r.ID] = true
	}
	meta.Outbox = st
	return nil
}
