package persist_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"burndown/engine"
	"burndown/persist"
	"burndown/persist/golden"
)

// goldenBuilds lists the releases whose fixtures every later build must read
// (golden.Releases, which TestGoldenSetsAreTheReleases keeps in step):
// each wrote a log, a snapshot taken after some of its entries, and the
// summary of the state after the whole log.
var goldenBuilds = []struct {
	name          string
	snapshotIndex uint64
	// lateSnapshotIndex is the index of snapshot-late.bin (0: none), and
	// stripeInvoices how many invoice.stripe_send replaying the whole log
	// queues.
	lateSnapshotIndex uint64
	stripeInvoices    int
	// adminSnapshotIndex is the index of snapshot-admin.bin (0: none):
	// customers in layout 14, after the customer administration, manual
	// ledger, SCHEDULED invoice, several-contract and customer-level
	// balance steps but the last.
	adminSnapshotIndex uint64
}{
	{name: "v0.1.0", snapshotIndex: 7},
	{name: "v0.2.0", snapshotIndex: 7}, // snapshot format 3, customer layout 2, 20-byte dedup keys
	{name: "v0.3.0", snapshotIndex: 7}, // customer layout 8, catalog version 2, command versions 2 and 3
	// customer layout 9, create_contract version 4, edit_contract version
	// 3, record_external_invoice; the Stripe steps after the v0.1.0 history
	{name: "v0.4.0", snapshotIndex: 7, lateSnapshotIndex: 17, stripeInvoices: 1},
	// the same script written by v0.5.0 (money.Amount, WriteAs), then the
	// customer administration steps (kinds 12 to 16, customer layout 10),
	// the manual ledger entries (kind 50, customer layout 11), a contract
	// with separate SCHEDULED invoices (customer layout 12), an add-on
	// contract with a usage filter in force with another (customer layout
	// 13), and the cluster layer's commands in cluster-log.bin (replayed
	// by cluster)
	{name: "v0.5.0", snapshotIndex: 7, lateSnapshotIndex: 17, stripeInvoices: 1, adminSnapshotIndex: 35},
}

// Every fixture set is a release in golden.Releases, and the upgrade tests
// replay each of them.
func TestGoldenSetsAreTheReleases(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk, inTable, replayed []string
	for _, d := range dirs {
		if d.IsDir() && !strings.HasPrefix(d.Name(), "gen-") {
			onDisk = append(onDisk, d.Name())
		}
	}
	for _, r := range golden.Releases {
		inTable = append(inTable, r.Release)
	}
	for _, gb := range goldenBuilds {
		replayed = append(replayed, gb.name)
	}
	if !slices.Equal(onDisk, inTable) || !slices.Equal(inTable, replayed) {
		t.Errorf("fixture sets on disk %v, in golden.Releases %v, replayed %v: want the same", onDisk, inTable, replayed)
	}
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
	codec, entries := goldenLog(t, build)
	if err := golden.Replay(e, codec, entries, from); err != nil {
		t.Fatal(err)
	}
}

// applyEncoded applies one log entry of the encoded commands, written and
// decoded as a node would, at index and at, and returns its results.
func applyEncoded(t *testing.T, e *engine.Engine, index uint64, at engine.Nanos, encs ...persist.Encoded) []engine.Result {
	t.Helper()
	entry := persist.AppendEntryHeader(nil, at, len(encs))
	for _, en := range encs {
		entry = persist.AppendCommand(entry, en)
	}
	codec, err := persist.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	_, cmds, err := codec.DecodeEntry(entry)
	if err != nil {
		t.Fatal(err)
	}
	return e.Apply([]engine.Entry{{Index: index, Time: at, Commands: cmds}})[0]
}

// goldenLog is a codec and the log entries of a golden set.
func goldenLog(t *testing.T, build string) (*persist.Codec, []golden.LogEntry) {
	t.Helper()
	codec, err := persist.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := golden.ReadLog(filepath.Join(goldenDir(build), "log.bin"))
	if err != nil {
		t.Fatal(err)
	}
	return codec, entries
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
// log entries after it, reaches the same state; so does the late snapshot
// of the sets that have one.
func TestGoldenSnapshotPlusLog(t *testing.T) {
	for _, gb := range goldenBuilds {
		t.Run(gb.name, func(t *testing.T) {
			snapshotPlusLog(t, gb.name, "snapshot.bin", gb.snapshotIndex)
			if gb.lateSnapshotIndex != 0 {
				snapshotPlusLog(t, gb.name, "snapshot-late.bin", gb.lateSnapshotIndex)
			}
			if gb.adminSnapshotIndex != 0 {
				snapshotPlusLog(t, gb.name, "snapshot-admin.bin", gb.adminSnapshotIndex)
			}
		})
	}
}

// The v0.5.0 log is golden.CurrentScript: its entries decode to exactly
// the script's commands, it holds every customer administration kind, and
// snapshot-admin.bin writes its customers section in layout 14.
func TestGoldenV050IsTheCurrentScript(t *testing.T) {
	codec, entries := goldenLog(t, "v0.5.0")
	script := golden.CurrentScript()
	if len(entries) != len(script) || golden.AdminSnapshotAfter() != 35 {
		t.Fatalf("%d entries, script has %d (admin snapshot after %d)", len(entries), len(script), golden.AdminSnapshotAfter())
	}
	kinds := map[engine.Kind]bool{}
	editV5 := false
	for i, le := range entries {
		at, cmds, err := codec.DecodeEntry(le.Data)
		if err != nil {
			t.Fatal(err)
		}
		if at != golden.TS(script[i].At) || len(cmds) != len(script[i].Commands) {
			t.Fatalf("entry %d differs from the script", le.Index)
		}
		for j, c := range cmds {
			got, err1 := persist.Marshal(c)
			want, err2 := persist.Marshal(script[i].Commands[j])
			if err1 != nil || err2 != nil || !bytes.Equal(got, want) {
				t.Fatalf("entry %d command %d differs from the script", le.Index, j)
			}
			kinds[c.Kind()] = true
		}
		raw, err := persist.EntryCommands(le.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range raw {
			editV5 = editV5 || (r.Kind == engine.KindEditContract && r.Version == 5)
		}
	}
	if !editV5 {
		t.Error("the v0.5.0 log holds no edit_contract at version 5")
	}
	for _, k := range []engine.Kind{engine.KindArchiveCustomer, engine.KindArchiveContract, engine.KindSetIngestAliases,
		engine.KindSetCustomerName, engine.KindAddBillingProviders, engine.KindAddManualLedgerEntry, engine.KindEditBalance,
		engine.KindVoidInvoice, engine.KindRegenerateInvoice, engine.KindCreateCustomerBalance, engine.KindUpdateCustomerBalanceEnd} {
		if !kinds[k] {
			t.Errorf("the v0.5.0 log holds no kind %d", k)
		}
	}
	f, err := os.Open(filepath.Join(goldenDir("v0.5.0"), "snapshot-admin.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	versions, err := persist.SnapshotSections(f)
	if err != nil {
		t.Fatal(err)
	}
	if v := versions[persist.SectionCustomers]; v != 15 {
		t.Fatalf("snapshot-admin.bin customers section version %d, want 15", v)
	}
}

// snapshotPlusLog restores a build's snapshot file, replays its log after
// the snapshot's index and compares the state with the build's summary; it
// returns the engine's notifications.
func snapshotPlusLog(t *testing.T, build, file string, index uint64) []engine.Notification {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(goldenDir(build), file))
	if err != nil {
		t.Fatal(err)
	}
	st, meta, err := persist.ReadSnapshot(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if st.Index != index || meta.NodeHTTPAddrs["n1"] != "127.0.0.1:8080" {
		t.Fatalf("%s header: index %d, meta %v", file, st.Index, meta)
	}
	// Written without idempotency keys.
	if meta.Idempotency != nil {
		t.Fatalf("%s of %s restored %d idempotency records", file, build, len(meta.Idempotency))
	}
	e := engine.New(engine.Config{Shards: 2})
	defer e.Close()
	if err := e.Restore(st); err != nil {
		t.Fatal(err)
	}
	replayGolden(t, e, build, st.Index)
	if got, want := summarize(t, e), wantSummary(t, build); got != want {
		t.Fatalf("state after the %s %s and log differs:\n--- got\n%s\n--- want\n%s", build, file, got, want)
	}
	return e.TakeNotifications()
}

// stripeSends counts the invoice.stripe_send notifications among notes.
func stripeSends(notes []engine.Notification) int {
	n := 0
	for _, x := range notes {
		if x.Type == engine.NoteStripeInvoice {
			n++
		}
	}
	return n
}

// Replaying a fixture log queues invoice.stripe_send only for the invoices
// of contracts whose billing_provider_configuration selects Stripe: none
// for the logs written before it existed (their Stripe customer Gamma's
// finalized invoices included), one for the Stripe steps' invoice; the
// same from the early snapshot; none from the late one (taken after it).
func TestGoldenReplayQueuesStripeInvoicesOnlyWhereConfigured(t *testing.T) {
	for _, gb := range goldenBuilds {
		t.Run(gb.name, func(t *testing.T) {
			e := engine.New(engine.Config{Shards: 3})
			defer e.Close()
			replayGolden(t, e, gb.name, 0)
			if n := stripeSends(e.TakeNotifications()); n != gb.stripeInvoices {
				t.Fatalf("replaying the log queued %d invoice.stripe_send, want %d", n, gb.stripeInvoices)
			}
			if n := stripeSends(snapshotPlusLog(t, gb.name, "snapshot.bin", gb.snapshotIndex)); n != gb.stripeInvoices {
				t.Fatalf("snapshot and log queued %d invoice.stripe_send, want %d", n, gb.stripeInvoices)
			}
			if gb.lateSnapshotIndex != 0 {
				if n := stripeSends(snapshotPlusLog(t, gb.name, "snapshot-late.bin", gb.lateSnapshotIndex)); n != 0 {
					t.Fatalf("late snapshot and log queued %d invoice.stripe_send, want 0", n)
				}
			}
		})
	}
}

// The v0.4.0 log is golden.FullScript written by that release (the Stripe build):
// its entries decode to exactly the script's commands, and it holds the
// formats that build introduced (create_contract version 4 with a
// billing_provider_configuration and STRIPE gates, edit_contract version
// 3, record_external_invoice version 1).
func TestGoldenStripeFixtureIsTheFullScript(t *testing.T) {
	codec, entries := goldenLog(t, "v0.4.0")
	script := golden.FullScript()
	if len(entries) != len(script) {
		t.Fatalf("%d entries, script has %d", len(entries), len(script))
	}
	versions := map[[2]uint8]bool{}
	for i, le := range entries {
		at, cmds, err := codec.DecodeEntry(le.Data)
		if err != nil {
			t.Fatal(err)
		}
		if at != golden.TS(script[i].At) || len(cmds) != len(script[i].Commands) {
			t.Fatalf("entry %d differs from the script", le.Index)
		}
		for j, c := range cmds { // compared as this build encodes them
			got, err1 := persist.Marshal(c)
			want, err2 := persist.Marshal(script[i].Commands[j])
			if err1 != nil || err2 != nil || !bytes.Equal(got, want) {
				t.Fatalf("entry %d command %d differs from the script", le.Index, j)
			}
		}
		for off, j := entryCommandOffset(le.Data), 0; j < len(cmds); j++ {
			versions[[2]uint8{le.Data[off], le.Data[off+1]}] = true
			n, w := binary.Uvarint(le.Data[off+2:])
			off += 2 + w + int(n)
		}
	}
	for _, kv := range [][2]uint8{{uint8(engine.KindCreateContract), 4}, {uint8(engine.KindEditContract), 3}, {uint8(engine.KindRecordExternalInvoice), 1}} {
		if !versions[kv] {
			t.Errorf("the fixture holds no kind %d version %d", kv[0], kv[1])
		}
	}
}

// An ingest entry in the msgpack layout (kind 9, version 1) that builds
// before the binary layout wrote still decodes and rates.
func TestGoldenIngestVersion1(t *testing.T) {
	codec, err := persist.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	v1, err := golden.ReadLog(filepath.Join(goldenDir("v0.1.0"), "ingest-v1.bin"))
	if err != nil || len(v1) != 1 || v1[0].Data[entryCommandOffset(v1[0].Data)+1] != 1 {
		t.Fatalf("fixture: %v (want one entry holding a version 1 command)", err)
	}
	e := engine.New(engine.Config{Shards: 2})
	defer e.Close()
	replayGolden(t, e, "v0.1.0", 0)
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

// The golden script (persist/golden) is the history the v0.1.0 (foundation)
// fixtures were written from: their log decodes to exactly its commands, so
// fixtures written by later builds from the same script are comparable.
func TestGoldenScriptIsTheFoundationHistory(t *testing.T) {
	codec, entries := goldenLog(t, "v0.1.0")
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

// What v0.3.0 wrote as create_contract 3 (and edit_contract 2, had its
// fixture log any edit), decoded and written again by this build, comes
// out at the same version with the very same bytes: a node still running
// that build reads what this one writes for ordinary creates and edits
// (persist.Registration.WriteAs).
func TestOlderBuildsCommandsAreWrittenAsTheyWroteThem(t *testing.T) {
	codec, entries := goldenLog(t, "v0.3.0")
	seen := map[engine.Kind]int{}
	for _, le := range entries {
		_, cmds, err := codec.DecodeEntry(le.Data)
		if err != nil {
			t.Fatal(err)
		}
		off := entryCommandOffset(le.Data)
		for _, cmd := range cmds {
			kind, version := engine.Kind(le.Data[off]), le.Data[off+1]
			n, w := binary.Uvarint(le.Data[off+2:])
			body := le.Data[off+2+w : off+2+w+int(n)]
			off += 2 + w + int(n)
			if (kind != engine.KindCreateContract || version != 3) && (kind != engine.KindEditContract || version != 2) {
				continue
			}
			e, err := codec.EncodeCommand(cmd)
			if err != nil || e.Version != version || !bytes.Equal(e.Body, body) {
				t.Fatalf("entry %d: kind %d version %d written again at version %d (%v), same bytes: %v", le.Index, kind, version, e.Version, err, bytes.Equal(e.Body, body))
			}
			seen[kind]++
		}
	}
	// The fixture's history has no edit; TestOldestVersionThatMeansTheSameIsWritten
	// covers edits written at version 2.
	if seen[engine.KindCreateContract] == 0 {
		t.Fatalf("the fixture holds %v: want creates at the version v0.3.0 wrote", seen)
	}
}
