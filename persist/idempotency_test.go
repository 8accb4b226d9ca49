package persist

import (
	"bytes"
	"crypto/sha256"
	"reflect"
	"testing"

	"burndown/engine"
)

func sampleIdempotency() []*IdempotencyRecord {
	fp := sha256.Sum256([]byte("POST\x00/v1/customers\x00{}"))
	a := &IdempotencyRecord{Scope: "/v1/customers", Key: "k-1", Fingerprint: fp[:], At: 1_700_000_000_000_000_000}
	a.SetResult(engine.Result{ID: "c-1"})
	b := &IdempotencyRecord{Scope: "/v1/ingest", Key: "k-1", Fingerprint: fp[:], At: 1_700_000_000_000_000_001}
	b.SetResult(engine.Result{Ingest: &engine.IngestOutcome{Accepted: 2, Duplicates: 1,
		Rejected: map[engine.RejectReason]int{engine.RejectUnknownCustomer: 3}}})
	c := &IdempotencyRecord{Scope: "/v1/customers", Key: "k-2", Fingerprint: fp[:], At: 1_700_000_000_000_000_002}
	c.SetResult(engine.Result{Err: &engine.Error{Code: engine.Conflict, Message: "ingest_aliases[0]: taken"}})
	return []*IdempotencyRecord{a, b, c}
}

// The idempotency section round-trips every answer shape, in order, and a
// snapshot without records has no section 7 at all.
func TestSnapshotKeepsIdempotencyRecords(t *testing.T) {
	e := buildEngine(t, 2)
	defer e.Close()
	recs := sampleIdempotency()
	b := snapshotBytes(t, e, ClusterMeta{Idempotency: recs})
	_, meta, err := ReadSnapshot(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(meta.Idempotency, recs) {
		t.Fatalf("records after a round trip:\n%+v\nwant\n%+v", meta.Idempotency, recs)
	}
	for i, r := range recs {
		if got, want := meta.Idempotency[i].Result(), r.Result(); !reflect.DeepEqual(got, want) {
			t.Fatalf("record %d answers %+v, want %+v", i, got, want)
		}
	}
	if got := recs[1].Result().Ingest.Rejected[engine.RejectUnknownCustomer]; got != 3 {
		t.Fatalf("ingest outcome lost its rejects: %d", got)
	}
	without := snapshotBytes(t, e, ClusterMeta{})
	if len(without) >= len(b) {
		t.Fatal("records did not add to the snapshot")
	}
	_, meta, err = ReadSnapshot(bytes.NewReader(without))
	if err != nil || meta.Idempotency != nil {
		t.Fatalf("snapshot without keys restored %v (%v)", meta.Idempotency, err)
	}
}

// A record no build writes (bad key, short fingerprint, a key twice) is
// refused with an error.
func TestSnapshotRefusesBadIdempotencyRecords(t *testing.T) {
	e := buildEngine(t, 2)
	defer e.Close()
	for name, mutate := range map[string]func([]*IdempotencyRecord) []*IdempotencyRecord{
		"empty key": func(r []*IdempotencyRecord) []*IdempotencyRecord { r[0].Key = ""; return r },
		"space":     func(r []*IdempotencyRecord) []*IdempotencyRecord { r[0].Key = "a b"; return r },
		"long key": func(r []*IdempotencyRecord) []*IdempotencyRecord {
			r[0].Key = string(bytes.Repeat([]byte("k"), 256))
			return r
		},
		"no scope":    func(r []*IdempotencyRecord) []*IdempotencyRecord { r[0].Scope = ""; return r },
		"fingerprint": func(r []*IdempotencyRecord) []*IdempotencyRecord { r[0].Fingerprint = r[0].Fingerprint[:31]; return r },
		"twice":       func(r []*IdempotencyRecord) []*IdempotencyRecord { return append(r, r[0]) },
	} {
		b := snapshotBytes(t, e, ClusterMeta{Idempotency: mutate(sampleIdempotency())})
		if _, _, err := ReadSnapshot(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestValidIdempotencyKey(t *testing.T) {
	for key, ok := range map[string]bool{
		"a": true, "5f0c6a2e-9a3b-4b8e-8f3e-2b1c0d9e8f7a": true, "~!#$%&'*+-.^_`|": true,
		"": false, " ": false, "a b": false, "é": false, "a\x7f": false, "a\n": false,
		string(bytes.Repeat([]byte("k"), 255)): true, string(bytes.Repeat([]byte("k"), 256)): false,
	} {
		if ValidIdempotencyKey(key) != ok {
			t.Errorf("ValidIdempotencyKey(%q) = %v", key, !ok)
		}
	}
}
