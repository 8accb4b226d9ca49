package persist

import (
	"bytes"
	"reflect"
	"testing"

	"burndown/engine"
	"burndown/money"
)

// The outbox section (8) round-trips the destinations, the waiting
// notifications and the dropped count; a snapshot with none has no section,
// and a consume's answer survives in an idempotency record.
func TestSnapshotKeepsOutbox(t *testing.T) {
	e := buildEngine(t, 2)
	defer e.Close()
	st := &OutboxState{
		Destinations: []*WebhookDestination{{ID: "w1", URL: "http://x", Secret: "s", EventTypes: []string{"alerts.spend_threshold_reached"}, CreatedAt: 5, DisabledAt: 6}},
		Records: []*OutboxRecord{{ID: "n1", Type: "alerts.spend_threshold_reached", CustomerID: "c", Payload: []byte(`{"id":"n1"}`), Index: 9, At: 10, Delivered: []string{"default"}},
			{ID: "n2", Type: "t", Payload: []byte(`{}`), Index: 11},
			{ID: "r1", Type: "t", Payload: []byte(`{"id":"n0"}`), Index: 12, Only: []string{"w1"}, NotificationID: "n0"}},
		Dropped: 3,
		Failed: []*FailedDelivery{{ID: "f1", NotificationID: "n0", DestinationID: "default", Type: "t", CustomerID: "c", Payload: []byte(`{"id":"n0"}`),
			Attempts: 7, FailedAt: 13}},
	}
	b := snapshotBytes(t, e, ClusterMeta{Outbox: st})
	_, meta, err := ReadSnapshot(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(meta.Outbox, st) {
		t.Fatalf("outbox after a round trip:\n%+v\nwant\n%+v", meta.Outbox, st)
	}
	_, meta, err = ReadSnapshot(bytes.NewReader(snapshotBytes(t, e, ClusterMeta{Outbox: &OutboxState{}})))
	if err != nil || meta.Outbox != nil {
		t.Fatalf("empty outbox restored %v (%v)", meta.Outbox, err)
	}

	r := &IdempotencyRecord{}
	want := engine.Result{Check: &engine.CheckAnswer{Entitled: true, Reason: "ok", Balance: money.MustParse("12.5"), CreditTypeID: engine.USDCreditTypeID},
		Ingest: &engine.IngestOutcome{Accepted: 1}}
	r.SetResult(want)
	if got := r.Result(); !reflect.DeepEqual(got, want) {
		t.Fatalf("consume answer %+v, want %+v", got, want)
	}
}
