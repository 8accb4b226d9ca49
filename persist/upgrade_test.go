package persist_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"burndown/engine"
	"burndown/persist"
	"burndown/persist/golden"
)

// goldenBuilds lists the builds whose fixtures every later build must read:
// each wrote a log, a snapshot taken after some of its entries, and the
// summary of the state after the whole log.
var goldenBuilds = []struct {
	name          string
	snapshotIndex uint64
}{
	{name: "3ce68ee", snapshotIndex: 7},
	{name: "core-safe", snapshotIndex: 7},    // snapshot format 3, customer layout 2, 20-byte dedup keys
	{name: "full-2026-12", snapshotIndex: 7}, // customer layout 8, catalog version 2, command versions 2 and 3
}

func goldenDir(build string) string { return filepath.Join("testdata", "golden", build) }

func wantSummary(t *testing.T, build string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir(build), "summary.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// replayGolden applies a build's fixture log after index from to e.
func replayGolden(t *testing.T, e *engine.Engine, build string, from uint64) {
	t.Helper()
	codec, err := persist.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := golden.ReadLog(filepath.Join(goldenDir(build), "log.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := golden.Replay(e, codec, entries, from); err != nil {
		t.Fatal(err)
	}
}

func summarize(t *testing.T, e *engine.Engine) string {
	t.Helper()
	s, err := golden.Summary(e)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A log written by an earlier build, replayed from the start by this build,
// reaches the state that build reached.
func TestGoldenLogReplay(t *testing.T) {
	for _, gb := range goldenBuilds {
		t.Run(gb.name, func(t *testing.T) {
			e := engine.New(engine.Config{Shards: 4})
			defer e.Close()
			replayGolden(t, e, gb.name, 0)
			if got, want := summarize(t, e), wantSummary(t, gb.name); got != want {
				t.Fatalf("state after replaying the %s log differs from the one it wrote:\n--- got\n%s\n--- want\n%s", gb.name, got, want)
			}
		})
	}
}

// A snapshot written by an earlier build, restored by this build, plus the
// log entries after it, reaches the same state.
func TestGoldenSnapshotPlusLog(t *testing.T) {
	for _, gb := range goldenBuilds {
		t.Run(gb.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(goldenDir(gb.name), "snapshot.bin"))
			if err != nil {
				t.Fatal(err)
			}
			st, meta, err := persist.ReadSnapshot(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if st.Index != gb.snapshotIndex || meta.NodeHTTPAddrs["n1"] != "127.0.0.1:8080" {
				t.Fatalf("snapshot header: index %d, meta %v", st.Index, meta)
			}
			// Written before the idempotency section existed: no keys.
			if meta.Idempotency != nil {
				t.Fatalf("snapshot of %s restored %d idempotency records", gb.name, len(meta.Idempotency))
			}
			e := engine.New(engine.Config{Shards: 2})
			defer e.Close()
			if err := e.Restore(st); err != nil {
				t.Fatal(err)
			}
			replayGolden(t, e, gb.name, st.Index)
			if got, want := summarize(t, e), wantSummary(t, gb.name); got != want {
				t.Fatalf("state after the %s snapshot and log differs:\n--- got\n%s\n--- want\n%s", gb.name, got, want)
			}
		})
	}
}

// An ingest entry in the msgpack layout (kind 9, version 1) that builds
// before the binary layout wrote still decodes and rates.
func TestGoldenIngestVersion1(t *testing.T) {
	codec, err := persist.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	v1, err := golden.ReadLog(filepath.Join(goldenDir("3ce68ee"), "ingest-v1.bin"))
	if err != nil || len(v1) != 1 || v1[0].Data[entryCommandOffset(v1[0].Data)+1] != 1 {
		t.Fatalf("fixture: %v (want one entry holding a version 1 command)", err)
	}
	e := engine.New(engine.Config{Shards: 2})
	defer e.Close()
	replayGolden(t, e, "3ce68ee", 0)
	at, cmds, err := codec.DecodeEntry(v1[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	in := cmds[0].(*engine.Ingest)
	if len(in.Events) != 2 || in.Events[1].Properties["n"] != "2.5" {
		t.Fatalf("decoded %+v", in.Events)
	}
	res := e.Apply([]engine.Entry{{Index: v1[0].Index, Time: at, Commands: cmds}})[0][0]
	if res.Ingest == nil || res.Ingest.Accepted != 2 {
		t.Fatalf("version 1 ingest outcome: %+v", res.Ingest)
	}
}

// entryCommandOffset is where the first command starts in an entry holding
// fewer than 128 commands: format byte, time, one-byte count.
func entryCommandOffset([]byte) int { return 1 + 8 + 1 }

// The golden script (persist/golden) is the history the 3ce68ee fixtures
// were written from: their log decodes to exactly its commands, so fixtures
// written by later builds from the same script are comparable.
func TestGoldenScriptIsThe3ce68eeHistory(t *testing.T) {
	codec, err := persist.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := golden.ReadLog(filepath.Join(goldenDir("3ce68ee"), "log.bin"))
	if err != nil {
		t.Fatal(err)
	}
	script := golden.Script()
	if len(entries) != len(script) {
		t.Fatalf("%d entries, script has %d", len(entries), len(script))
	}
	for i, le := range entries {
		at, cmds, err := codec.DecodeEntry(le.Data)
		if err != nil {
			t.Fatal(err)
		}
		if at != golden.TS(script[i].At) || !reflect.DeepEqual(cmds, script[i].Commands) {
			t.Fatalf("entry %d differs from the script", le.Index)
		}
	}
}
