package persist_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"burndown/engine"
	"burndown/money"
	"burndown/persist"
	"burndown/persist/golden"
)

// compactSince mirrors persist's table of the first versions with compact
// amounts, for the fixture check below.
var compactSince = map[engine.Kind]uint8{
	engine.KindCreateProduct: 2, engine.KindCreateRateCard: 2, engine.KindAddRates: 3,
	engine.KindCreateContract: 5, engine.KindEditContract: 4, engine.KindCreateAlert: 2,
}

// amountBins returns every msgpack bin of a command body (commands hold no
// other bin than amounts).
func amountBins(t *testing.T, body []byte) [][]byte {
	t.Helper()
	var v any
	if err := msgpack.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case []byte:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// The v0.5.0 set, written in this release's data format, holds no amount in
// the decimal layout: every command that carries amounts is at a compact
// version with compact amounts, and both snapshots write the catalog at
// version 3. The v0.4.0 set holds only the decimal layout.
func TestGoldenV050HoldsCompactAmountsOnly(t *testing.T) {
	for _, c := range []struct {
		set     string
		compact bool
	}{{"v0.4.0", false}, {"v0.5.0", true}} {
		entries, err := golden.ReadLog(filepath.Join(goldenDir(c.set), "log.bin"))
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, le := range entries {
			cmds, err := persist.EntryCommands(le.Data)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range cmds {
				since, carries := compactSince[e.Kind]
				if !carries {
					continue
				}
				if (e.Version >= since) != c.compact {
					t.Errorf("%s: kind %d at version %d", c.set, e.Kind, e.Version)
				}
				for _, b := range amountBins(t, e.Body) {
					seen++
					if money.IsDecimalLayout(b) == c.compact {
						t.Errorf("%s: kind %d holds amount bytes %x", c.set, e.Kind, b)
					}
				}
			}
		}
		if seen == 0 {
			t.Fatalf("%s: no amount found in its log", c.set)
		}
		for _, name := range []string{"snapshot.bin", "snapshot-late.bin"} {
			f, err := os.Open(filepath.Join(goldenDir(c.set), name))
			if err != nil {
				t.Fatal(err)
			}
			versions, err := persist.SnapshotSections(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			want := uint64(2)
			if c.compact {
				want = 3
			}
			if v := versions[persist.SectionCatalog]; v != want {
				t.Errorf("%s/%s: catalog section version %d, want %d", c.set, name, v, want)
			}
		}
	}
}
