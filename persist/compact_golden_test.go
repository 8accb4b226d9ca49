package persist_test

import (
	"os"
	"path/filepath"
	"testing"

	"burndown/money"
	"burndown/persist"
	"burndown/persist/golden"
)

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
				since, carries := persist.CompactAmountsSince[e.Kind]
				if !carries {
					continue
				}
				if (e.Version >= since) != c.compact {
					t.Errorf("%s: kind %d at version %d", c.set, e.Kind, e.Version)
				}
				for _, b := range persist.AmountBins(t, e.Body) {
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
