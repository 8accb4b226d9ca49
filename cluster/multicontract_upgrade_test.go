package cluster

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"burndown/engine"
	"burndown/persist"
)

// A cluster upgraded from v0.4.0 refuses a contract overlapping another of
// its customer until the upgrade is finalized, as every v0.4.0 node would
// (the create is written at a version they read and refuse alike), and
// does not propose a usage_filter; once finalized, the overlapping create
// is written at create_contract version 6 and accepted, with its filter.
func TestFinalizeUpgradeAllowsOverlappingContracts(t *testing.T) {
	data := t.TempDir()
	copyDir(t, filepath.Join("..", "persist", "testdata", "golden", "v0.4.0", "datadir-snap"), data)
	n := openDataDir(t, data)
	defer n.Close()
	if f := n.DataFormat(); f != persist.DataFormatDecimalAmounts {
		t.Fatalf("an earlier release's data dir opened at format %d", f)
	}
	addon := func(id string, filter bool) *engine.CreateContract {
		k := &engine.CreateContract{ID: id, CustomerID: "cu-s", RateCardID: "rc", StartingAt: 1773532800000000000} // 2026-03-15
		if filter {
			k.UsageFilter = &engine.UsageFilterInput{GroupKey: "region", GroupValues: []string{"eu"}}
		}
		return k
	}
	res, err := n.Propose(ctxT(t, 10*time.Second), addon("k-s2", false))
	if err != nil || res.Err == nil || !strings.HasPrefix(res.Err.Message, "starting_at: overlaps contract k-s ") {
		t.Fatalf("an overlapping create before finalizing: %v %+v, want refused", err, res.Err)
	}
	if k, v := lastCommandVersion(t, n); k != engine.KindCreateContract || v > 4 {
		t.Fatalf("before finalizing, create_contract written as kind %d version %d", k, v)
	}
	if _, err := n.Propose(ctxT(t, 10*time.Second), addon("k-s3", true)); !errors.Is(err, ErrUpgradeNotFinalized) {
		t.Fatalf("a usage_filter before finalizing: %v, want ErrUpgradeNotFinalized", err)
	}
	if err := n.FinalizeUpgrade(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	mustPropose(t, n, addon("k-s4", true))
	if k, v := lastCommandVersion(t, n); k != engine.KindCreateContract || v != 6 {
		t.Fatalf("after finalizing, create_contract written as kind %d version %d, want 6", k, v)
	}
}
