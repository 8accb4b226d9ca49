package cluster

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"burndown/engine"
	"burndown/persist"
)

func idemKey(scope, key, body string) IdempotencyKey {
	return IdempotencyKey{Scope: scope, Key: key, Fingerprint: sha256.Sum256([]byte(body))}
}

func proposeOnce(t testing.TB, n *Node, cmd engine.Command, k IdempotencyKey) engine.Result {
	t.Helper()
	r, err := n.ProposeOnce(ctxT(t, 10*time.Second), cmd, k)
	if err != nil {
		t.Fatalf("propose once %T with %q: %v", cmd, k.Key, err)
	}
	return r
}

func isConflict(r engine.Result) bool {
	return r.Err != nil && r.Err.Code == engine.Conflict && r.Err.Message == ConflictMessage
}

func openSingle(t *testing.T) (nodeSpec, *Node) {
	t.Helper()
	s := newSpec(t, "n1", true)
	n := s.open(t)
	waitLeader(t, n)
	if err := n.SetClock(ctxT(t, 10*time.Second), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return s, n
}

// The same key and request is applied once and answered the same; the same
// key with another request is a conflict; other keys and other scopes are
// independent; a malformed or dangling guard fails loudly and never lets a
// command through unguarded.
func TestIdempotencyReplaysAndConflicts(t *testing.T) {
	_, n := openSingle(t)
	e := n.Engine()
	k := idemKey("/v1/customers", "key-1", `{"name":"a"}`)
	first := proposeOnce(t, n, &engine.CreateCustomer{Name: "a"}, k)
	if first.Err != nil || first.ID == "" {
		t.Fatalf("first: %+v", first)
	}
	again := proposeOnce(t, n, &engine.CreateCustomer{Name: "a"}, k)
	if again.Err != nil || again.ID != first.ID || e.CustomerCount() != 1 {
		t.Fatalf("replay: %+v (first %s), %d customers", again, first.ID, e.CustomerCount())
	}
	other := proposeOnce(t, n, &engine.CreateCustomer{Name: "b"}, idemKey("/v1/customers", "key-1", `{"name":"b"}`))
	if !isConflict(other) || e.CustomerCount() != 1 {
		t.Fatalf("same key, other body: %+v, %d customers", other, e.CustomerCount())
	}
	second := proposeOnce(t, n, &engine.CreateCustomer{Name: "a"}, idemKey("/v1/customers", "key-2", `{"name":"a"}`))
	if second.Err != nil || second.ID == first.ID || e.CustomerCount() != 2 {
		t.Fatalf("another key: %+v, %d customers", second, e.CustomerCount())
	}
	// Scoped by endpoint: the same key on another path is another key.
	ingest := &engine.Ingest{Events: []engine.Event{{TransactionID: "t1", CustomerID: "nobody", EventType: "api", Timestamp: n.Now().UnixNano()}}}
	ki := idemKey("/v1/ingest", "key-1", "ingest body")
	r := proposeOnce(t, n, ingest, ki)
	if r.Ingest == nil || r.Ingest.Rejected[engine.RejectUnknownCustomer] != 1 || e.UnknownCustomerRejects() != 1 {
		t.Fatalf("ingest: %+v, %d rejects", r.Ingest, e.UnknownCustomerRejects())
	}
	r = proposeOnce(t, n, ingest, ki)
	if r.Ingest == nil || r.Ingest.Rejected[engine.RejectUnknownCustomer] != 1 || e.UnknownCustomerRejects() != 1 {
		t.Fatalf("ingest replay: %+v, %d rejects (counted twice?)", r.Ingest, e.UnknownCustomerRejects())
	}
	// Without a key, the same command is applied again.
	mustPropose(t, n, ingest)
	if e.UnknownCustomerRejects() != 2 {
		t.Fatalf("unguarded ingest: %d rejects", e.UnknownCustomerRejects())
	}
	// A business rejection is an answer too, and is replayed as it was.
	bad := &engine.CreateContract{CustomerID: "nobody", RateCardID: "rc"}
	kb := idemKey("/v1/contracts/create", "key-3", "contract")
	r1, r2 := proposeOnce(t, n, bad, kb), proposeOnce(t, n, bad, kb)
	if r1.Err == nil || r1.Err.Code != engine.NotFound || *r1.Err != *r2.Err {
		t.Fatalf("rejection: %+v then %+v", r1.Err, r2.Err)
	}
	for _, bad := range []IdempotencyKey{{Scope: "/x", Key: ""}, {Scope: "/x", Key: "a b"}, {Scope: "/x", Key: strings.Repeat("k", 256)}, {Key: "k"}} {
		if _, err := n.ProposeOnce(ctxT(t, time.Second), &engine.Tick{}, bad); !errors.Is(err, ErrBadIdempotencyKey) {
			t.Fatalf("key %q scope %q: %v", bad.Key, bad.Scope, err)
		}
	}
}

// Retries racing the first request (same entry, same batch, later entries)
// are applied once and all get the first answer.
func TestIdempotencyConcurrentRetries(t *testing.T) {
	_, n := openSingle(t)
	k := idemKey("/v1/customers", "race", "body")
	const tries = 32
	ids := make([]string, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := n.ProposeOnce(ctxT(t, 10*time.Second), &engine.CreateCustomer{Name: "racer"}, k)
			if err != nil || r.Err != nil {
				t.Errorf("try %d: %+v %v", i, r, err)
			}
			ids[i] = r.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("answers differ: %v", ids)
		}
	}
	if c := n.Engine().CustomerCount(); c != 1 {
		t.Fatalf("%d customers created", c)
	}
}

// The fsm decides within one entry too; a guard that guards nothing or is
// malformed (no build writes one) fails loudly and never lets a command
// through unguarded.
func TestIdempotencyWithinOneEntry(t *testing.T) {
	codec, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(engine.Config{Shards: 2})
	defer e.Close()
	f := newFSM(e, codec)
	fp := sha256.Sum256([]byte("x"))
	other := sha256.Sum256([]byte("y"))
	guard := func(key string, fp [32]byte) engine.Command {
		return &idemGuardCmd{Scope: "/v1/customers", Key: key, Fingerprint: fp[:]}
	}
	entry := func(index uint64, cmds ...engine.Command) *raft.Log {
		buf := persist.AppendEntryHeader(nil, 1_000, len(cmds))
		for _, c := range cmds {
			enc, err := codec.EncodeCommand(c)
			if err != nil {
				t.Fatal(err)
			}
			buf = persist.AppendCommand(buf, enc)
		}
		return &raft.Log{Index: index, Type: raft.LogCommand, Data: buf}
	}
	out := f.ApplyBatch([]*raft.Log{
		entry(1, guard("k", fp), &engine.CreateCustomer{Name: "a"}, guard("k", fp), &engine.CreateCustomer{Name: "a"},
			guard("k", other), &engine.CreateCustomer{Name: "b"}),
		entry(2, guard("k", fp), &engine.CreateCustomer{Name: "a"}, guard("dangling", fp)),
		entry(3, guard("bad key", fp), &engine.CreateCustomer{Name: "c"}, guard("k2", fp), guard("k3", fp), &engine.CreateCustomer{Name: "d"}),
	})
	r1, r2 := out[0].([]engine.Result), out[1].([]engine.Result)
	if r1[1].ID == "" || r1[3].ID != r1[1].ID || !isConflict(r1[5]) || r2[1].ID != r1[1].ID {
		t.Fatalf("results: %+v %+v", r1, r2)
	}
	// Entry 2's dangling guard fails alone. Entry 3: the malformed guard
	// fails with c, which is not applied (never unguarded); the guard
	// followed by a guard fails alone; d is created under k3.
	r3 := out[2].([]engine.Result)
	if r2[2].Err != errGuardsNothing || r3[0].Err != errMalformedGuard || r3[1].Err != errMalformedGuard ||
		r3[2].Err != errGuardsNothing || r3[3].Err != nil || r3[4].ID == "" {
		t.Fatalf("entry 2 and 3 results: %+v %+v", r2, r3)
	}
	if c := e.CustomerCount(); c != 2 {
		t.Fatalf("%d customers, want 2", c)
	}
	if len(f.idem.byKey) != 2 || f.idem.byKey[persist.IdempotencyTableKey("/v1/customers", "k3")] == nil {
		t.Fatalf("table holds %d keys", len(f.idem.byKey))
	}
}

// A key proposed on one leader is known to the next: a retry after a
// failover is answered from the replicated record, not applied again.
func TestIdempotencyAcrossLeaderFailover(t *testing.T) {
	_, nodes := startThree(t)
	leader := nodes[0]
	if err := leader.SetClock(ctxT(t, 10*time.Second), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	k := idemKey("/v1/customers", "failover", "body")
	first := proposeOnce(t, leader, &engine.CreateCustomer{Name: "f"}, k)
	ki := idemKey("/v1/ingest", "failover", "ingest")
	ingest := &engine.Ingest{Events: []engine.Event{{TransactionID: "t", CustomerID: "nobody", EventType: "api", Timestamp: leader.Now().UnixNano()}}}
	proposeOnce(t, leader, ingest, ki)
	converge(t, leader, nodes...)
	if err := leader.Close(); err != nil {
		t.Fatal(err)
	}
	next := waitLeader(t, nodes[1], nodes[2])
	again := proposeOnce(t, next, &engine.CreateCustomer{Name: "f"}, k)
	if again.Err != nil || again.ID != first.ID || next.Engine().CustomerCount() != 1 {
		t.Fatalf("after failover: %+v (first %s), %d customers", again, first.ID, next.Engine().CustomerCount())
	}
	if r := proposeOnce(t, next, ingest, ki); r.Ingest == nil || next.Engine().UnknownCustomerRejects() != 1 {
		t.Fatalf("ingest after failover: %+v, %d rejects", r.Ingest, next.Engine().UnknownCustomerRejects())
	}
	if r := proposeOnce(t, next, &engine.CreateCustomer{Name: "g"}, idemKey("/v1/customers", "failover", "other")); !isConflict(r) {
		t.Fatalf("other body after failover: %+v", r)
	}
	follower := nodes[1]
	if follower == next {
		follower = nodes[2]
	}
	converge(t, next, follower)
}

// The table survives a snapshot: a node restarted from its snapshot, a
// backup restored into a fresh cluster, and an fsm restored from a
// snapshot all still know the keys.
func TestIdempotencySnapshotRestore(t *testing.T) {
	s, n := openSingle(t)
	k := idemKey("/v1/customers", "snap", "body")
	first := proposeOnce(t, n, &engine.CreateCustomer{Name: "s"}, k)
	if err := n.Snapshot(); err != nil {
		t.Fatal(err)
	}
	var backup bytes.Buffer
	if err := n.Backup(&backup); err != nil {
		t.Fatal(err)
	}
	_, meta, err := persist.ReadSnapshot(bytes.NewReader(backup.Bytes()))
	if err != nil || len(meta.Idempotency) != 1 || meta.Idempotency[0].ID != first.ID {
		t.Fatalf("backup holds %+v (%v)", meta.Idempotency, err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n = s.open(t) // resumes from the snapshot: the guarded entry is not replayed
	waitLeader(t, n)
	if r := proposeOnce(t, n, &engine.CreateCustomer{Name: "s"}, k); r.ID != first.ID || n.Engine().CustomerCount() != 1 {
		t.Fatalf("after restart: %+v, %d customers", r, n.Engine().CustomerCount())
	}

	b := newSpec(t, "b1", true).open(t)
	waitLeader(t, b)
	if err := b.Restore(ctxT(t, 20*time.Second), bytes.NewReader(backup.Bytes())); err != nil {
		t.Fatal(err)
	}
	if r := proposeOnce(t, b, &engine.CreateCustomer{Name: "s"}, k); r.ID != first.ID || b.Engine().CustomerCount() != 1 {
		t.Fatalf("after restoring a backup: %+v, %d customers", r, b.Engine().CustomerCount())
	}
	if r := proposeOnce(t, b, &engine.CreateCustomer{Name: "t"}, idemKey("/v1/customers", "snap", "other")); !isConflict(r) {
		t.Fatalf("other body after restore: %+v", r)
	}
}

// Keys are kept IdempotencyRetention of stamped time, then forgotten: the
// same request is applied anew.
func TestIdempotencyExpiresAfter24Hours(t *testing.T) {
	_, n := openSingle(t)
	t0 := n.Now()
	k := idemKey("/v1/customers", "day", "body")
	first := proposeOnce(t, n, &engine.CreateCustomer{Name: "d"}, k)
	// The record is stamped with the entry's time, which is t0 under a test clock.
	if err := n.SetClock(ctxT(t, 10*time.Second), t0.Add(IdempotencyRetention-time.Nanosecond)); err != nil {
		t.Fatal(err)
	}
	if r := proposeOnce(t, n, &engine.CreateCustomer{Name: "d"}, k); r.ID != first.ID {
		t.Fatalf("a nanosecond before 24 h: %+v", r)
	}
	if err := n.SetClock(ctxT(t, 10*time.Second), t0.Add(IdempotencyRetention)); err != nil {
		t.Fatal(err)
	}
	r := proposeOnce(t, n, &engine.CreateCustomer{Name: "d"}, k)
	if r.Err != nil || r.ID == first.ID || n.Engine().CustomerCount() != 2 {
		t.Fatalf("after 24 h: %+v, %d customers", r, n.Engine().CustomerCount())
	}
	// The new record is kept from its own time.
	if r2 := proposeOnce(t, n, &engine.CreateCustomer{Name: "d"}, k); r2.ID != r.ID {
		t.Fatalf("replay of the new record: %+v", r2)
	}
}

// At its bound the table refuses new keys (nothing applied) and keeps
// answering the keys it holds; room comes back as keys expire.
func TestIdempotencyTableBound(t *testing.T) {
	_, n := openSingle(t)
	n.fsm.idem.setBounds(2, MaxIdempotencyBytes)
	t0 := n.Now()
	a := proposeOnce(t, n, &engine.CreateCustomer{Name: "a"}, idemKey("/v1/customers", "a", "a"))
	proposeOnce(t, n, &engine.CreateCustomer{Name: "b"}, idemKey("/v1/customers", "b", "b"))
	if _, err := n.ProposeOnce(ctxT(t, 10*time.Second), &engine.CreateCustomer{Name: "c"}, idemKey("/v1/customers", "c", "c")); !errors.Is(err, ErrIdempotencyFull) {
		t.Fatalf("a third key: %v", err)
	}
	if c := n.Engine().CustomerCount(); c != 2 {
		t.Fatalf("%d customers: the refused command was applied", c)
	}
	if r := proposeOnce(t, n, &engine.CreateCustomer{Name: "a"}, idemKey("/v1/customers", "a", "a")); r.ID != a.ID {
		t.Fatalf("a held key at the bound: %+v", r)
	}
	mustPropose(t, n, &engine.CreateCustomer{Name: "no key"}) // unaffected
	if err := n.SetClock(ctxT(t, 10*time.Second), t0.Add(IdempotencyRetention)); err != nil {
		t.Fatal(err)
	}
	if r := proposeOnce(t, n, &engine.CreateCustomer{Name: "c"}, idemKey("/v1/customers", "c", "c")); r.Err != nil || r.ID == "" {
		t.Fatalf("after expiry: %+v", r)
	}
}

// A long error message is cut in the record, and the first answer is the
// cut one too, so every answer to the key is the same.
func TestIdempotencyLongAnswerIsCutForAll(t *testing.T) {
	tbl := newIdemTable()
	rec := &persist.IdempotencyRecord{Scope: "/s", Key: "k", Fingerprint: make([]byte, 32)}
	tbl.add(rec)
	long := strings.Repeat("é", maxAnswerMessage)
	got := tbl.answered(rec, engine.Result{Err: &engine.Error{Code: engine.Invalid, Message: long}})
	if len(got.Err.Message) > maxAnswerMessage || !strings.HasSuffix(got.Err.Message, " (cut)") || got.Err.Message != rec.Result().Err.Message {
		t.Fatalf("cut to %d bytes: %q...", len(got.Err.Message), got.Err.Message[:20])
	}
	if !strings.HasPrefix(long, strings.TrimSuffix(got.Err.Message, " (cut)")) || tbl.bytes != rec.Size() {
		t.Fatal("cut mid-rune or not counted")
	}
}
