package cluster

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"burndown/engine"
	"burndown/persist/golden"
)

var updateGolden = flag.Bool("update-golden", false, "write the newest fixture set's cluster-log.bin and cluster-summary.txt (only for a new set: fixtures are never rewritten)")

// clusterGoldenSet is the set whose cluster log this build writes with
// -update-golden; sets before it have no cluster log.
const clusterGoldenSet = "v0.5.0"

func goldenSetDir(set string) string {
	return filepath.Join("..", "persist", "testdata", "golden", set)
}

// Every set's cluster-log.bin (the cluster layer's commands, written by the
// release that named the set) replays under this build to its
// cluster-summary.txt, in one batch and entry by entry alike.
func TestGoldenClusterLog(t *testing.T) {
	if *updateGolden {
		writeClusterGolden(t, clusterGoldenSet)
	}
	found := 0
	for _, r := range golden.Releases {
		path := filepath.Join(goldenSetDir(r.Release), "cluster-log.bin")
		if _, err := os.Stat(path); os.IsNotExist(err) {
			continue
		}
		found++
		entries, err := golden.ReadLog(path)
		if err != nil {
			t.Fatal(err)
		}
		var logs []*raft.Log
		for _, le := range entries {
			logs = append(logs, &raft.Log{Index: le.Index, Type: raft.LogCommand, Data: le.Data})
		}
		want, err := os.ReadFile(filepath.Join(goldenSetDir(r.Release), "cluster-summary.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, splits := range [][]int{{len(logs)}, ones(len(logs))} {
			got := clusterSummary(t, logs, splits)
			if got != string(want) {
				t.Fatalf("%s: the cluster log replays to\n%s\nwant\n%s", r.Release, got, want)
			}
		}
	}
	if found == 0 {
		t.Fatal("no fixture set holds a cluster log")
	}
}

// The newest cluster log holds every command of the table at its current
// version: a new cluster command or version needs a new fixture set.
func TestGoldenClusterLogCoversEveryCommand(t *testing.T) {
	codec, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := golden.ReadLog(filepath.Join(goldenSetDir(clusterGoldenSet), "cluster-log.bin"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[2]uint8]bool{} // kind and the version this build writes it at
	for _, le := range entries {
		_, cmds, err := codec.DecodeEntry(le.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cmds {
			enc, err := codec.EncodeCommand(c)
			if err != nil {
				t.Fatal(err)
			}
			seen[[2]uint8{uint8(enc.Kind), enc.Version}] = true
		}
	}
	for _, sp := range clusterSpecs {
		if sp != nil && !seen[[2]uint8{uint8(sp.Kind), sp.Version}] {
			t.Errorf("%s's cluster-log.bin holds no %s (kind %d) at version %d: write a new fixture set that does", clusterGoldenSet, sp.Name, sp.Kind, sp.Version)
		}
	}
}

// writeClusterGolden writes set's cluster log from the random cluster log
// (seed 1) and its summary.
func writeClusterGolden(t *testing.T, set string) {
	codec, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	logs := randomClusterLog(t, codec, 1, 160)
	var buf []byte
	for _, l := range logs {
		buf = binary.AppendUvarint(buf, l.Index)
		buf = binary.AppendUvarint(buf, uint64(len(l.Data)))
		buf = append(buf, l.Data...)
	}
	dir := goldenSetDir(set)
	if err := os.WriteFile(filepath.Join(dir, "cluster-log.bin"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := clusterSummary(t, logs, []int{len(logs)})
	if err := os.WriteFile(filepath.Join(dir, "cluster-summary.txt"), []byte(sum), 0o644); err != nil {
		t.Fatal(err)
	}
}

// clusterSummary applies logs in batches of the given sizes and describes
// every answer and the cluster layer's state: node metadata, idempotency
// records, webhook destinations, outbox records and failed deliveries, and
// the engine's golden summary.
func clusterSummary(t testing.TB, logs []*raft.Log, splits []int) string {
	t.Helper()
	c, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(engine.Config{Shards: 2})
	defer e.Close()
	f := newFSM(e, c)
	var b strings.Builder
	done := 0
	for _, k := range splits {
		for i, r := range f.ApplyBatch(logs[done : done+k]) {
			rs, _ := r.([]engine.Result)
			fmt.Fprintf(&b, "entry %d:", logs[done+i].Index)
			for _, res := range rs {
				switch {
				case res.Err != nil:
					fmt.Fprintf(&b, " err(%d %s)", res.Err.Code, res.Err.Message)
				default:
					fmt.Fprintf(&b, " ok(%s)", res.ID)
				}
			}
			b.WriteString("\n")
		}
		done += k
	}
	addrs := f.nodeAddrs()
	ids := make([]string, 0, len(addrs))
	for id := range addrs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(&b, "node %s %s\n", id, addrs[id])
	}
	for _, r := range f.idem.view() {
		fmt.Fprintf(&b, "key %s %s at %d err %v code %d id %s\n", r.Scope, r.Key, r.At, r.Err, r.Code, r.ID)
	}
	st := f.outbox.view()
	for _, d := range st.Destinations {
		fmt.Fprintf(&b, "destination %s %s created %d archived %d disabled %d\n", d.ID, d.URL, d.CreatedAt, d.ArchivedAt, d.DisabledAt)
	}
	for _, r := range st.Records {
		fmt.Fprintf(&b, "record %s %s %s index %d delivered %v only %v of %s\n", r.ID, r.Type, r.CustomerID, r.Index, r.Delivered, r.Only, r.NotificationID)
	}
	for _, fd := range st.Failed {
		fmt.Fprintf(&b, "failed %s %s to %s attempts %d at %d\n", fd.ID, fd.NotificationID, fd.DestinationID, fd.Attempts, fd.FailedAt)
	}
	fmt.Fprintf(&b, "dropped %d\n", st.Dropped)
	fmt.Fprintf(&b, "data format %d\n", f.dataFormat())
	for _, tok := range f.tokens.view() {
		fmt.Fprintf(&b, "token %s %s %s hash %x created %d revoked %v at %d\n", tok.ID, tok.Name, tok.Scope, tok.Hash, tok.CreatedAt, tok.Revoked, tok.RevokedAt)
	}
	if k := f.dashboardKey(); k != nil {
		fmt.Fprintf(&b, "dashboard key %x\n", k)
	}
	sum, err := golden.Summary(e)
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString(sum)
	return b.String()
}
