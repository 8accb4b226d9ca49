package cluster

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"burndown/engine"
	"burndown/persist/golden"
)

// copyDir copies a fixture data dir, so the test never changes the fixture.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An operator upgrades in place: a data dir written by an earlier release
// (v0.1.0's, log only and snapshot plus log; later ones' snapshot plus log;
// v0.4.0's two snapshots, the later one with customer layout 9 and the
// outbox's Stripe notifications, plus log) starts under this build with every
// balance, ledger, invoice, entitlement and dedup entry intact, and a resent
// event is still a duplicate.
func TestUpgradeDataDirs(t *testing.T) {
	for _, c := range []struct {
		dir         string
		stripeSends int // invoice.stripe_send records its outbox holds
	}{
		{dir: "v0.1.0/datadir-log"}, {dir: "v0.1.0/datadir-snap"}, {dir: "v0.2.0/datadir-snap"}, {dir: "v0.3.0/datadir-snap"},
		{dir: "v0.4.0/datadir-snap", stripeSends: 1}, {dir: "v0.5.0/datadir-snap", stripeSends: 1},
	} {
		dir, wantSends := c.dir, c.stripeSends
		t.Run(dir, func(t *testing.T) {
			fixture := filepath.Join("..", "persist", "testdata", "golden", filepath.Dir(dir))
			dir := filepath.Base(dir)
			want, err := os.ReadFile(filepath.Join(fixture, dir+".summary.txt"))
			if err != nil {
				t.Fatal(err)
			}
			data := t.TempDir()
			copyDir(t, filepath.Join(fixture, dir), data)
			n, err := Open(Config{NodeID: "n1", DataDir: data, RaftAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:8080", Bootstrap: true, TestClock: true, Engine: engine.Config{Shards: 3}})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			waitLeader(t, n)
			if err := n.Barrier(ctxT(t, 30*time.Second)); err != nil {
				t.Fatal(err)
			}
			got, err := golden.Summary(n.Engine())
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Fatalf("state after upgrade differs:\n--- got\n%s\n--- want\n%s", got, want)
			}
			// v0.4.0's outbox (in its late snapshot) still holds
			// the invoice it queued for Stripe, which no leader sent (no
			// Stripe client), and nothing queued it again.
			sends := 0
			for _, r := range n.fsm.outbox.view().Records {
				if r.Type == engine.NoteStripeInvoice {
					sends++
				}
			}
			if sends != wantSends {
				t.Fatalf("%d invoice.stripe_send in the outbox, want %d", sends, wantSends)
			}
			// Epsilon's events e-0..e-2 were stamped 2026-03-02, in a draft
			// period: resent, they are duplicates; a new one is rated.
			at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).UnixNano()
			r := mustPropose(t, n, &engine.Ingest{Events: []engine.Event{
				{TransactionID: "e-0", CustomerID: "eps", EventType: "api_call", Timestamp: at},
				{TransactionID: "e-2", CustomerID: "eps", EventType: "api_call", Timestamp: at},
				{TransactionID: "e-new", CustomerID: "eps", EventType: "api_call", Timestamp: at},
			}})
			if r.Ingest.Duplicates != 2 || r.Ingest.Accepted != 1 {
				t.Fatalf("resent events after upgrade: %+v, want 2 duplicates and 1 accepted", r.Ingest)
			}
		})
	}
}
