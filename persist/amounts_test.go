package persist

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"burndown/engine"
	"burndown/money"
)

// holdsAmount reports whether values of t carry a money.Amount.
func holdsAmount(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == reflect.TypeOf(money.Amount{}) {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Ptr, reflect.Slice, reflect.Array:
		return holdsAmount(t.Elem(), seen)
	case reflect.Map:
		return holdsAmount(t.Key(), seen) || holdsAmount(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() && holdsAmount(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// Every command that carries amounts is in compactAmountsSince, at its
// current version (the first with compact amounts); no other is.
func TestCompactAmountsSinceIsComplete(t *testing.T) {
	for _, sp := range engine.Commands() {
		since, listed := compactAmountsSince[sp.Kind]
		switch holds := holdsAmount(reflect.TypeOf(sp.New()), map[reflect.Type]bool{}); {
		case holds && !listed:
			t.Errorf("%s carries amounts but is not in compactAmountsSince", sp.Name)
		case !holds && listed:
			t.Errorf("%s carries no amount but is in compactAmountsSince", sp.Name)
		case listed && since > sp.Version:
			t.Errorf("%s: compact since version %d, but the engine writes version %d", sp.Name, since, sp.Version)
		}
	}
}

// bins returns every msgpack bin value in b (commands hold no bin but
// amounts).
func bins(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var v any
	if err := msgpack.Unmarshal(b, &v); err != nil {
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

// In the decimal data format every command is written at a version earlier
// releases read, its amounts in the decimal layout; in the compact format
// at its newest version, no amount in the decimal layout. Both decode to the
// same command.
func TestDataFormatsWriteTheirLayouts(t *testing.T) {
	for _, f := range []DataFormat{DataFormatDecimalAmounts, DataFormatCompactAmounts} {
		codec, err := NewCodec()
		if err != nil {
			t.Fatal(err)
		}
		codec.SetDataFormat(f)
		for _, cmd := range sampleCommands() {
			if CommandNeedsFormat(cmd) > f {
				continue // never proposed in this format
			}
			enc, err := codec.EncodeCommand(cmd)
			if err != nil {
				t.Fatal(err)
			}
			since, carries := compactAmountsSince[cmd.Kind()]
			switch {
			case carries && f == DataFormatDecimalAmounts && enc.Version >= since:
				t.Errorf("format %d: kind %d written at version %d, want one before %d", f, cmd.Kind(), enc.Version, since)
			case carries && f == DataFormatCompactAmounts && enc.Version != engine.Spec(cmd.Kind()).Version && !writtenAsEarlierCompact(cmd, enc.Version):
				t.Errorf("format %d: kind %d written at version %d, want %d", f, cmd.Kind(), enc.Version, engine.Spec(cmd.Kind()).Version)
			}
			if carries {
				for _, b := range bins(t, enc.Body) {
					if money.IsDecimalLayout(b) != (f == DataFormatDecimalAmounts) {
						t.Errorf("format %d: kind %d holds amount bytes %x", f, cmd.Kind(), b)
					}
				}
			}
			got, err := codec.decodeCommand(enc.Kind, enc.Version, enc.Body)
			if err != nil {
				t.Fatal(err)
			}
			// Written again it is the same entry (an older version's
			// upgrade marks are what WriteAs leaves out), and in the
			// compact format the very command.
			again, err := codec.EncodeCommand(got)
			if err != nil || again.Version != enc.Version || !bytes.Equal(again.Body, enc.Body) {
				t.Errorf("format %d: kind %d written again as version %d (%v), first %d", f, cmd.Kind(), again.Version, err, enc.Version)
			}
			if f == DataFormatCompactAmounts {
				a, _ := Marshal(got)
				b, _ := Marshal(cmd)
				if !bytes.Equal(a, b) {
					t.Errorf("kind %d does not decode to the command written", cmd.Kind())
				}
			}
		}
	}
}

// A snapshot's catalog section is written as the data format says: version
// 2 with decimal amounts, or version 3 with compact ones; each reads back to
// the same catalog, and the format travels in the metadata.
func TestSnapshotCatalogFollowsTheDataFormat(t *testing.T) {
	e := engine.New(engine.Config{Shards: 1})
	defer e.Close()
	e.Apply([]engine.Entry{{Index: 1, Time: 1, Commands: []engine.Command{
		&engine.CreateMetric{ID: "m", Name: "m", Aggregation: engine.AggCount},
		&engine.CreateProduct{ID: "p", Name: "p", Type: engine.ProductUsage, BillableMetricID: "m"},
		&engine.CreateRateCard{ID: "rc", Name: "rc"},
		&engine.AddRates{RateCardID: "rc", Rates: []engine.RateInput{{ProductID: "p", StartingAt: 1, Entitled: true, RateType: engine.RateFlat, Price: money.MustParse("0.25")}}},
	}}})
	want, _ := Marshal(e.Catalog())
	for _, c := range []struct {
		f       DataFormat
		version uint64
	}{{DataFormatDecimalAmounts, 2}, {DataFormatCompactAmounts, 3}} {
		snap, err := e.Snapshot(EncodeCustomer)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteSnapshot(&buf, snap, ClusterMeta{DataFormat: c.f}); err != nil {
			t.Fatal(err)
		}
		snap.Release()
		if v := sectionVersion(t, buf.Bytes(), sectionCatalog); v != c.version {
			t.Errorf("format %d: catalog section version %d, want %d", c.f, v, c.version)
		}
		st, meta, err := ReadSnapshot(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := Marshal(st.Catalog); !bytes.Equal(got, want) || meta.DataFormat != c.f {
			t.Errorf("format %d: catalog or format (%d) changed through the snapshot", c.f, meta.DataFormat)
		}
	}
}

// sectionVersion finds a section's version in a snapshot's bytes.
func sectionVersion(t *testing.T, b []byte, tag sectionTag) uint64 {
	t.Helper()
	versions, err := SnapshotSections(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return versions[uint64(tag)]
}

// writtenAsEarlierCompact reports whether cmd may be written at version v,
// an earlier compact version than its newest: an edit_contract without
// version 5's fields is written at version 4.
func writtenAsEarlierCompact(cmd engine.Command, v uint8) bool {
	e, ok := cmd.(*engine.EditContract)
	return ok && v == 4 && !e.UsesVersion5()
}
