// Command burndown-golden writes a set of golden fixtures with this build, for the
// upgrade tests of every later build: log.bin (the golden script's entries,
// golden.CurrentScript, encoded by this build's codec), snapshot.bin (after
// golden.SnapshotAfter entries), snapshot-late.bin (after
// golden.LateSnapshotAfter() entries), snapshot-admin.bin (after
// golden.AdminSnapshotAfter() entries), summary.txt (the state after the
// whole log) and datadir-snap (a raft data dir of a single-node cluster
// holding snapshots after the three points and later entries) with its
// summary.
// It fails if a command of the script is refused. Run it once per durable
// format change:
//
//	go run ./cmd/burndown-golden -out persist/testdata/golden/<name>
//
// and add <name> to the builds the upgrade tests replay. It lives here, not
// under persist/golden, because it runs a cluster (datadir-snap) and persist
// must not import cluster.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"burndown/cluster"
	"burndown/engine"
	"burndown/persist"
	"burndown/persist/golden"
)

func main() {
	out := flag.String("out", "", "output directory")
	flag.Parse()
	if *out == "" {
		log.Fatal("burndown-golden: -out is required")
	}
	if err := run(*out); err != nil {
		log.Fatal(err)
	}
}

func run(out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	codec, err := persist.NewCodec()
	if err != nil {
		return err
	}
	// A set pins what this release writes: its newest formats.
	codec.SetDataFormat(persist.LatestDataFormat)
	e := engine.New(engine.Config{Shards: 3})
	defer e.Close()
	var logBuf bytes.Buffer
	for i, st := range golden.CurrentScript() {
		idx := uint64(i + 1)
		b, err := codec.EncodeEntry(golden.TS(st.At), st.Commands)
		if err != nil {
			return fmt.Errorf("encode entry %d: %w", idx, err)
		}
		logBuf.Write(binary.AppendUvarint(nil, idx))
		logBuf.Write(binary.AppendUvarint(nil, uint64(len(b))))
		logBuf.Write(b)
		at, cmds, err := codec.DecodeEntry(b)
		if err != nil {
			return fmt.Errorf("decode entry %d: %w", idx, err)
		}
		for j, r := range e.Apply([]engine.Entry{{Index: idx, Time: at, Commands: cmds}})[0] {
			if r.Err != nil && i >= len(golden.Script()) {
				return fmt.Errorf("entry %d command %d (%T) refused: %v", idx, j, cmds[j], r.Err)
			}
		}
		switch i + 1 {
		case golden.SnapshotAfter:
			if err := writeSnapshot(e, filepath.Join(out, "snapshot.bin")); err != nil {
				return err
			}
		case golden.LateSnapshotAfter():
			if err := writeSnapshot(e, filepath.Join(out, "snapshot-late.bin")); err != nil {
				return err
			}
		case golden.AdminSnapshotAfter():
			if err := writeSnapshot(e, filepath.Join(out, "snapshot-admin.bin")); err != nil {
				return err
			}
		}
	}
	if err := os.WriteFile(filepath.Join(out, "log.bin"), logBuf.Bytes(), 0o644); err != nil {
		return err
	}
	sum, err := golden.Summary(e)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "summary.txt"), []byte(sum), 0o644); err != nil {
		return err
	}
	fmt.Println("wrote log, snapshot and summary; now the data dir")
	return dataDir(filepath.Join(out, "datadir-snap"))
}

func writeSnapshot(e *engine.Engine, path string) error {
	snap, err := e.Snapshot(persist.EncodeCustomer)
	if err != nil {
		return err
	}
	defer snap.Release()
	var buf bytes.Buffer
	meta := persist.ClusterMeta{NodeHTTPAddrs: map[string]string{"n1": "127.0.0.1:8080"}, DataFormat: persist.LatestDataFormat}
	if err := persist.WriteSnapshot(&buf, snap, meta); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// dataDir runs a real single-node cluster on dir through the test clock,
// snapshotting after golden.SnapshotAfter, golden.LateSnapshotAfter() and
// golden.AdminSnapshotAfter() entries.
func dataDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	n, err := cluster.Open(cluster.Config{NodeID: "n1", DataDir: dir, RaftAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:8080",
		Bootstrap: true, TestClock: true, Engine: engine.Config{Shards: 2}})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.WaitForLeader(ctx); err != nil {
		return err
	}
	for i, st := range golden.CurrentScript() {
		if t := time.Unix(0, golden.TS(st.At)).UTC(); t.After(n.Now()) {
			if err := n.SetClock(ctx, t); err != nil {
				return err
			}
		}
		for _, c := range st.Commands {
			r, err := n.Propose(ctx, c)
			if err != nil {
				return fmt.Errorf("propose entry %d: %w", i+1, err)
			}
			if r.Err != nil && i >= len(golden.Script()) {
				return fmt.Errorf("entry %d (%T) refused: %v", i+1, c, r.Err)
			}
		}
		if i+1 == golden.SnapshotAfter || i+1 == golden.LateSnapshotAfter() || i+1 == golden.AdminSnapshotAfter() {
			if err := n.Snapshot(); err != nil {
				return err
			}
		}
	}
	sum, err := golden.Summary(n.Engine())
	if err != nil {
		return err
	}
	if err := os.WriteFile(dir+".summary.txt", []byte(sum), 0o644); err != nil {
		return err
	}
	return n.Close()
}
