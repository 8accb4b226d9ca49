package cluster

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"burndown/engine"
	"burndown/money"
	"burndown/persist"
)

// The command table is one table: engine and cluster kinds never collide,
// every name is unique, every cluster spec round-trips through the log's
// codec at the version it declares, and only client-facing commands (and
// engine commands but the tick) may be guarded.
func TestCommandTable(t *testing.T) {
	codec, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]engine.Kind{}
	for _, sp := range engine.Commands() {
		names[sp.Name] = sp.Kind
	}
	for _, sp := range clusterSpecs {
		if sp == nil {
			continue
		}
		if k, dup := names[sp.Name]; dup {
			t.Errorf("%s: name used by kind %d too", sp.Name, k)
		}
		names[sp.Name] = sp.Kind
		if engine.Spec(sp.Kind) != nil {
			t.Errorf("%s: kind %d is an engine kind too", sp.Name, sp.Kind)
		}
		cmd := sp.New()
		if g, ok := cmd.(*idemGuardCmd); ok {
			g.Cluster = true // a guard of an engine command is written at version 1 (TestGuardVersions)
		}
		enc, err := codec.EncodeCommand(cmd)
		if err != nil {
			t.Fatalf("%s: %v", sp.Name, err)
		}
		if enc.Kind != sp.Kind || enc.Version != sp.Version {
			t.Errorf("%s: written as kind %d version %d, want %d/%d", sp.Name, enc.Kind, enc.Version, sp.Kind, sp.Version)
		}
		if got := guardable(sp.New()); got != sp.ClientFacing {
			t.Errorf("%s: guardable %v, client-facing %v", sp.Name, got, sp.ClientFacing)
		}
	}
	if guardable(&engine.Tick{}) || !guardable(&engine.CreateCustomer{}) {
		t.Error("the tick must not be guardable; engine commands must")
	}
}

// An Idempotency-Key covers cluster commands a client sends as it covers
// engine commands: a retried webhook creation makes one destination and is
// answered with its id; the same key with another body is a conflict.
func TestGuardCoversClusterCommands(t *testing.T) {
	codec, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(engine.Config{Shards: 1})
	defer e.Close()
	f := newFSM(e, codec)
	fp, other := sha256.Sum256([]byte("a")), sha256.Sum256([]byte("b"))
	guard := func(fp [32]byte) engine.Command {
		return &idemGuardCmd{Scope: "/v1/webhooks/create", Key: "k", Fingerprint: fp[:], Cluster: true}
	}
	create := NewWebhookCreate("http://127.0.0.1:1/hook", "s", nil)
	rs := applyEntries(t, f, codec, [][]engine.Command{
		{guard(fp), create},
		{guard(fp), create, guard(other), create},
	})
	first := rs[0][1]
	if first.Err != nil || first.ID == "" || rs[1][1].ID != first.ID || !isConflict(rs[1][3]) {
		t.Fatalf("results %+v", rs)
	}
	if n := len(f.outbox.view().Destinations); n != 1 {
		t.Fatalf("%d destinations, want 1", n)
	}
}

// A guard of an engine command is written at version 1 with the bytes
// every earlier release wrote; a guard of a cluster command at version 2,
// which earlier releases refuse rather than apply the command unguarded. A
// guard naming the wrong layer is malformed: its command is not applied.
func TestGuardVersions(t *testing.T) {
	codec, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	fp := sha256.Sum256([]byte("a"))
	engineGuard := &idemGuardCmd{Scope: "/v1/customers", Key: "k", Fingerprint: fp[:]}
	enc, err := codec.EncodeCommand(engineGuard)
	if err != nil {
		t.Fatal(err)
	}
	old, err := persist.Marshal(&struct {
		Scope       string `msgpack:"Scope"`
		Key         string `msgpack:"Key"`
		Fingerprint []byte `msgpack:"Fingerprint"`
	}{engineGuard.Scope, engineGuard.Key, engineGuard.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	if enc.Version != 1 || !bytes.Equal(enc.Body, old) {
		t.Fatalf("engine guard written at version %d as %x, want version 1 as %x", enc.Version, enc.Body, old)
	}
	clusterGuard := *engineGuard
	clusterGuard.Cluster = true
	if enc, err := codec.EncodeCommand(&clusterGuard); err != nil || enc.Version != 2 {
		t.Fatalf("cluster guard written at version %d (%v), want 2", enc.Version, err)
	}
	e := engine.New(engine.Config{Shards: 1})
	defer e.Close()
	f := newFSM(e, codec)
	rs := applyEntries(t, f, codec, [][]engine.Command{
		{engineGuard, NewWebhookCreate("http://127.0.0.1:1/h", "s", nil)},
		{&clusterGuard, &engine.CreateCustomer{Name: "x"}},
	})
	if rs[0][1].Err != errMalformedGuard || rs[1][1].Err != errMalformedGuard {
		t.Fatalf("guards of the wrong layer: %+v", rs)
	}
	if len(f.outbox.view().Destinations) != 0 || e.CustomerCount() != 0 {
		t.Fatal("a command behind a guard of the wrong layer was applied")
	}
}

// applyEntries applies each list of commands as one entry, in one batch,
// and returns their results.
func applyEntries(t testing.TB, f *fsm, codec *persist.Codec, entries [][]engine.Command) [][]engine.Result {
	t.Helper()
	var logs []*raft.Log
	for i, cmds := range entries {
		logs = append(logs, encodeEntry(t, codec, uint64(i+1), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixNano(), cmds))
	}
	var out [][]engine.Result
	for _, r := range f.ApplyBatch(logs) {
		out = append(out, r.([]engine.Result))
	}
	return out
}

func encodeEntry(t testing.TB, codec *persist.Codec, index uint64, at engine.Nanos, cmds []engine.Command) *raft.Log {
	t.Helper()
	buf := persist.AppendEntryHeader(nil, at, len(cmds))
	for _, c := range cmds {
		enc, err := codec.EncodeCommand(c)
		if err != nil {
			t.Fatal(err)
		}
		buf = persist.AppendCommand(buf, enc)
	}
	return &raft.Log{Index: index, Type: raft.LogCommand, Data: buf}
}

// randomClusterLog returns a log of n entries mixing engine commands (a
// catalog, customers with spend alerts, usage that crosses them and so
// fills the outbox) with every cluster command, guarded or not, some
// malformed or dangling guards among them. It is generated against an
// oracle fsm, so marks, failures, replays and archives name real outbox
// records, failed deliveries and destinations as often as unknown ones.
func randomClusterLog(t testing.TB, codec *persist.Codec, seed int64, n int) []*raft.Log {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	e := engine.New(engine.Config{Shards: 2})
	defer e.Close()
	oracle := newFSM(e, codec)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	at := start
	var logs []*raft.Log
	add := func(cmds ...engine.Command) {
		l := encodeEntry(t, codec, uint64(len(logs)+1), at, cmds)
		oracle.ApplyBatch([]*raft.Log{l})
		logs = append(logs, l)
	}
	add(&engine.CreateMetric{ID: "m1", Name: "units", Aggregation: engine.AggSum, AggregationKey: "n",
		EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"api"}}},
		&engine.CreateProduct{ID: "p1", Name: "API", Type: engine.ProductUsage, BillableMetricID: "m1"},
		&engine.CreateRateCard{ID: "rc1", Name: "std"},
		&engine.AddRates{RateCardID: "rc1", Rates: []engine.RateInput{{ProductID: "p1", StartingAt: start, Entitled: true,
			RateType: engine.RateFlat, Price: money.FromInt(1)}}})
	for len(logs) < n {
		at += rng.Int63n(int64(3 * time.Hour))
		var cmds []engine.Command
		for k := rng.Intn(4) + 1; k > 0; k-- {
			cmds = append(cmds, randomClusterStep(rng, oracle, at, len(logs))...)
		}
		add(cmds...)
	}
	return logs
}

// randomClusterStep returns one step of the random cluster log: a command,
// or a guard and the command it guards.
func randomClusterStep(rng *rand.Rand, oracle *fsm, at engine.Nanos, entry int) []engine.Command {
	st := oracle.outbox.view()
	pick := func(ids []string) string {
		if len(ids) == 0 || rng.Intn(4) == 0 {
			return fmt.Sprint("unknown-", rng.Intn(3))
		}
		return ids[rng.Intn(len(ids))]
	}
	var notes, dests, failed []string
	for _, r := range st.Records {
		notes = append(notes, r.ID)
	}
	for _, d := range st.Destinations {
		dests = append(dests, d.ID)
	}
	for _, fd := range st.Failed {
		failed = append(failed, fd.ID)
	}
	cust := fmt.Sprint("c", rng.Intn(4))
	switch rng.Intn(16) {
	case 0:
		return []engine.Command{&nodeMetaCmd{ID: fmt.Sprint("n", rng.Intn(3)), HTTPAddr: fmt.Sprint("127.0.0.1:", 8000+rng.Intn(9)), Remove: rng.Intn(3) == 0}}
	case 1:
		return []engine.Command{NewWebhookCreate(fmt.Sprint("http://127.0.0.1:1/", rng.Intn(5)), "secret", nil)}
	case 2:
		return []engine.Command{NewWebhookArchive(pick(dests))}
	case 3:
		return []engine.Command{&webhookDisableCmd{ID: pick(dests)}}
	case 4:
		dest := ""
		if rng.Intn(2) == 0 {
			dest = pick(dests)
		}
		return []engine.Command{&outboxDeliveredCmd{Marks: []DeliveryMark{{Notification: pick(notes), Destination: dest}}}}
	case 5:
		return []engine.Command{&outboxFailedCmd{Failures: []DeliveryFailure{{Notification: pick(notes), Destination: pick(dests), Attempts: 1 + rng.Intn(5)}}}}
	case 6:
		if rng.Intn(2) == 0 {
			return []engine.Command{NewDeliveriesReplay(pick(failed), 0)}
		}
		return []engine.Command{NewDeliveriesReplay("", at-rng.Int63n(int64(24*time.Hour)))}
	case 7: // a guarded command: engine or client-facing cluster command
		fp := sha256.Sum256([]byte{byte(rng.Intn(2))})
		g := &idemGuardCmd{Scope: "/s", Key: fmt.Sprint("k", rng.Intn(4)), Fingerprint: fp[:]}
		if rng.Intn(6) == 0 {
			g.Fingerprint = g.Fingerprint[:7] // malformed
		}
		var next engine.Command = &engine.CreateCustomer{Name: fmt.Sprint("g", entry)}
		switch rng.Intn(3) {
		case 0:
			next = NewWebhookCreate("http://127.0.0.1:1/g", "s", nil)
		case 1:
			next = NewDeliveriesReplay(pick(failed), 0)
		}
		g.Cluster = clusterSpecOf(next.Kind()) != nil
		if rng.Intn(8) == 0 {
			g.Cluster = !g.Cluster // names the wrong layer: malformed
		}
		return []engine.Command{g, next}
	case 12:
		return []engine.Command{&dataFormatCmd{Format: persist.DataFormat(rng.Intn(3))}} // 2: newer than this release
	case 13:
		hash := sha256.Sum256([]byte{byte(rng.Intn(8))}) // few secrets: some are recorded twice
		scope := []string{ScopeRead, ScopeWrite, ScopeAdmin, "root"}[rng.Intn(4)]
		return []engine.Command{NewTokenCreate(fmt.Sprint("t", rng.Intn(5)), scope, hash)}
	case 14:
		var ids []string
		for _, tok := range oracle.tokens.view() {
			ids = append(ids, tok.ID)
		}
		return []engine.Command{NewTokenRevoke(pick(ids))}
	case 15: // no randomness drawn: the other cases' sequence stays
		key := sha256.Sum256([]byte(fmt.Sprint("dashboard-", entry)))
		return []engine.Command{&dashboardKeyCmd{Key: key[:]}}
	case 8: // a guard that guards nothing
		fp := sha256.Sum256([]byte("x"))
		return []engine.Command{&idemGuardCmd{Scope: "/s", Key: "dangling", Fingerprint: fp[:]}}
	case 9:
		return []engine.Command{&engine.CreateCustomer{ID: cust, Name: cust, IngestAliases: []string{"alias-" + cust}},
			&engine.CreateContract{CustomerID: cust, RateCardID: "rc1", StartingAt: at - int64(time.Hour)}}
	case 10:
		return []engine.Command{&engine.CreateAlert{CustomerID: cust, Name: fmt.Sprint("a", entry), Type: engine.AlertSpend,
			Threshold: money.FromInt(int64(1 + rng.Intn(20))), EvaluateOnCreate: true}}
	case 11:
		return []engine.Command{&engine.Ingest{Events: []engine.Event{{TransactionID: fmt.Sprint("t", entry, "-", rng.Intn(1000)),
			CustomerID: "alias-" + cust, EventType: "api", Timestamp: at, Properties: map[string]string{"n": fmt.Sprint(1 + rng.Intn(15))}}}}}
	}
	return []engine.Command{&engine.Tick{}}
}

// Every command of the table appears in the random cluster log.
func TestRandomClusterLogCoversEveryCommand(t *testing.T) {
	codec, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[engine.Kind]bool{}
	guardedCluster := false
	for seed := int64(1); seed <= 3; seed++ {
		for _, l := range randomClusterLog(t, codec, seed, 120) {
			_, cmds, err := codec.DecodeEntry(l.Data)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range cmds {
				seen[c.Kind()] = true
				if i > 0 && cmds[i-1].Kind() == kindIdemGuard && clusterSpecOf(c.Kind()) != nil && c.Kind() != kindIdemGuard {
					guardedCluster = true
				}
			}
		}
	}
	for _, sp := range clusterSpecs {
		if sp != nil && !seen[sp.Kind] {
			t.Errorf("randomClusterLog never emits %s (kind %d): add it to the generator", sp.Name, sp.Kind)
		}
	}
	if !guardedCluster {
		t.Error("randomClusterLog never guards a cluster command")
	}
}

// The random cluster log applies to the same answers and the same snapshot
// bytes whether raft hands it over in one batch, entry by entry with a
// snapshot and restore half way, or in random splits.
func TestRandomClusterLogIsDeterministic(t *testing.T) {
	codec, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	for seed := int64(1); seed <= 3; seed++ {
		logs := randomClusterLog(t, codec, seed, 120)
		whole, wholeState := applySplit(t, codec, logs, []int{len(logs)}, -1)
		rng := rand.New(rand.NewSource(seed))
		var splits []int
		for rest := len(logs); rest > 0; {
			k := min(rest, 1+rng.Intn(9))
			splits, rest = append(splits, k), rest-k
		}
		for _, run := range []struct {
			splits  []int
			restore int
		}{{splits, -1}, {ones(len(logs)), len(logs) / 2}} {
			got, state := applySplit(t, codec, logs, run.splits, run.restore)
			if !reflect.DeepEqual(got, whole) {
				t.Fatalf("seed %d: answers differ with batches %v (restore at %d)", seed, run.splits, run.restore)
			}
			if !bytes.Equal(state, wholeState) {
				t.Fatalf("seed %d: state differs with batches %v (restore at %d)", seed, run.splits, run.restore)
			}
		}
	}
}

func ones(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

// applySplit applies logs to a fresh fsm in batches of the given sizes,
// moving to a new fsm restored from a snapshot after restoreAt logs (-1:
// never), and returns every answer and the final snapshot's bytes.
func applySplit(t testing.TB, codec *persist.Codec, logs []*raft.Log, splits []int, restoreAt int) ([][]engine.Result, []byte) {
	t.Helper()
	newF := func() *fsm {
		e := engine.New(engine.Config{Shards: 2})
		t.Cleanup(e.Close)
		return newFSM(e, codec)
	}
	f := newF()
	var out [][]engine.Result
	done := 0
	for _, k := range splits {
		for _, r := range f.ApplyBatch(logs[done : done+k]) {
			rs, _ := r.([]engine.Result)
			out = append(out, rs)
		}
		done += k
		if done == restoreAt {
			next := newF()
			if err := next.Restore(nopCloser{bytes.NewBuffer(fsmState(t, f))}); err != nil {
				t.Fatal(err)
			}
			f = next
		}
	}
	return out, fsmState(t, f)
}

// fsmState is the fsm's snapshot, written to bytes.
func fsmState(t testing.TB, f *fsm) []byte {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	var buf bytes.Buffer
	if err := persist.WriteSnapshot(&buf, snap.(*fsmSnapshot).snap, snap.(*fsmSnapshot).meta); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
