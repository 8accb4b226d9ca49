package cluster

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"burndown/engine"
	"burndown/money"
	"burndown/persist"
)

// lastCommandVersion returns the kind and version of the last command of
// the node's last log entry.
func lastCommandVersion(t *testing.T, n *Node) (engine.Kind, uint8) {
	t.Helper()
	var l raft.Log
	if err := n.stores.Log.GetLog(n.raft.LastIndex(), &l); err != nil {
		t.Fatal(err)
	}
	cmds, err := persist.EntryCommands(l.Data)
	if err != nil || len(cmds) == 0 {
		t.Fatalf("entry %d: %v", l.Index, err)
	}
	last := cmds[len(cmds)-1]
	return last.Kind, last.Version
}

// A data dir of an earlier release keeps its data format when this release
// opens it: commands are still written as that release reads them, and an
// Idempotency-Key on a cluster command (guard version 2) is refused, until
// the upgrade is finalized. Then the new versions are written, the format
// survives a restart, and FinalizeUpgrade is idempotent.
// openDataDir opens a single node on data and waits until it leads and has
// applied its log.
func openDataDir(t *testing.T, data string) *Node {
	t.Helper()
	n, err := Open(Config{NodeID: "n1", DataDir: data, RaftAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:8080", Bootstrap: true, TestClock: true, Engine: engine.Config{Shards: 2}})
	if err != nil {
		t.Fatal(err)
	}
	waitLeader(t, n)
	if err := n.Barrier(ctxT(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	return n
}

// openOldDataDir opens a copy of v0.4.0's data dir: a cluster upgraded in
// place, not finalized.
func openOldDataDir(t *testing.T) *Node {
	t.Helper()
	data := t.TempDir()
	copyDir(t, filepath.Join("..", "persist", "testdata", "golden", "v0.4.0", "datadir-snap"), data)
	return openDataDir(t, data)
}

func TestFinalizeUpgrade(t *testing.T) {
	data := t.TempDir()
	copyDir(t, filepath.Join("..", "persist", "testdata", "golden", "v0.4.0", "datadir-snap"), data)
	open := func() *Node { return openDataDir(t, data) }
	alert := func(i int) engine.Command {
		return &engine.CreateAlert{CustomerID: "eps", Name: "limit", Type: engine.AlertSpend, Threshold: money.FromInt(int64(1000 + i))}
	}
	n := open()
	if f := n.DataFormat(); f != persist.DataFormatDecimalAmounts {
		t.Fatalf("an earlier release's data dir opened at format %d", f)
	}
	mustPropose(t, n, alert(1))
	if k, v := lastCommandVersion(t, n); k != engine.KindCreateAlert || v != 1 {
		t.Fatalf("before finalizing, create_alert written as kind %d version %d, want version 1", k, v)
	}
	fp := [32]byte{1}
	if _, err := n.ProposeOnce(ctxT(t, 10*time.Second), NewWebhookCreate("http://127.0.0.1:1/h", "s", nil),
		IdempotencyKey{Scope: "/v1/webhooks/create", Key: "k", Fingerprint: fp}); !errors.Is(err, ErrUpgradeNotFinalized) {
		t.Fatalf("a guarded cluster command before finalizing: %v, want ErrUpgradeNotFinalized", err)
	}
	// What releases before v0.5.0 refuse is not proposed before either:
	// an edit using edit_contract version 5 (a rename) too, which written
	// at the versions earlier builds read would lose the name.
	monthly := &engine.CreateAlert{CustomerID: "eps", Name: "month", Type: engine.AlertMonthlyInvoiceTotal, Threshold: money.FromInt(1)}
	action := &engine.ReleasePaymentGate{WorkflowID: "wf", Outcome: engine.GateActionRequired, Provider: engine.ProviderStripe}
	name := "Renamed"
	rename := &engine.EditContract{CustomerID: "cu-e", ContractID: "k-e", UpdateName: &name}
	// A STRIPE gate paid by invoice (stripe_config INVOICE, the API's
	// default): earlier releases would charge a PaymentIntent.
	byInvoice := &engine.EditContract{CustomerID: "cu-e", ContractID: "k-e", AddCommits: []engine.CommitInput{{Type: engine.CommitPrepaid, ProductID: "p-buy",
		PaymentGate: &engine.PaymentGateInput{Type: engine.GateStripe, Stripe: &engine.StripeGateConfig{PaymentType: engine.StripePayInvoice}}}}}
	for _, cmd := range []engine.Command{monthly, action, rename, byInvoice} {
		if _, err := n.Propose(ctxT(t, 10*time.Second), cmd); !errors.Is(err, ErrUpgradeNotFinalized) {
			t.Fatalf("%T before finalizing: %v, want ErrUpgradeNotFinalized", cmd, err)
		}
	}
	for i := 0; i < 2; i++ {
		if err := n.FinalizeUpgrade(ctxT(t, 10*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if f := n.DataFormat(); f != persist.DataFormatCompactAmounts {
		t.Fatalf("format %d after finalizing", f)
	}
	if _, err := n.Propose(ctxT(t, 10*time.Second), rename); err != nil {
		t.Fatal(err)
	}
	if k, v := lastCommandVersion(t, n); k != engine.KindEditContract || v != 5 {
		t.Fatalf("after finalizing, a rename written as kind %d version %d, want edit_contract version 5", k, v)
	}
	mustPropose(t, n, alert(2))
	if k, v := lastCommandVersion(t, n); k != engine.KindCreateAlert || v != 2 {
		t.Fatalf("after finalizing, create_alert written as kind %d version %d, want version 2", k, v)
	}
	mustPropose(t, n, monthly)
	if _, err := n.ProposeOnce(ctxT(t, 10*time.Second), NewWebhookCreate("http://127.0.0.1:1/h", "s", nil),
		IdempotencyKey{Scope: "/v1/webhooks/create", Key: "k", Fingerprint: fp}); err != nil {
		t.Fatalf("a guarded cluster command after finalizing: %v", err)
	}
	if err := n.Snapshot(); err != nil {
		t.Fatal(err)
	}
	n.Close()
	n = open()
	defer n.Close()
	if f := n.DataFormat(); f != persist.DataFormatCompactAmounts {
		t.Fatalf("format %d after a restart", f)
	}
}

// A cluster bootstrapped by this release finalizes itself.
func TestNewClusterIsFinalized(t *testing.T) {
	_, n := openSingle(t)
	eventually(t, 10*time.Second, "the new cluster's data format", func() bool { return n.DataFormat() == persist.LatestDataFormat })
}
