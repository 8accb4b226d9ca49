package persist

import (
	"reflect"
	"testing"

	"burndown/engine"
)

// Every field of every structure that reaches the log or a snapshot carries
// an explicit msgpack tag, so renaming a Go field can never silently zero it
// in entries and snapshots written before the rename.
func TestDurableStructsHaveExplicitTags(t *testing.T) {
	roots := []any{engine.Catalog{}, engine.Customer{}, snapshotHeader{}, ClusterMeta{}}
	for _, sp := range engine.Commands() {
		roots = append(roots, sp.New())
	}
	seen := map[reflect.Type]bool{}
	for _, r := range roots {
		checkTags(t, reflect.TypeOf(r), seen)
	}
	if len(seen) < 20 {
		t.Fatalf("walked only %d types: the walk is not reaching the durable structures", len(seen))
	}
}

func checkTags(t *testing.T, typ reflect.Type, seen map[reflect.Type]bool) {
	t.Helper()
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array || typ.Kind() == reflect.Map {
		if typ.Kind() == reflect.Map {
			checkTags(t, typ.Key(), seen)
		}
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || seen[typ] || typ.PkgPath() != "" && !isOurs(typ.PkgPath()) {
		return
	}
	seen[typ] = true
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		if !f.Anonymous {
			if tag, ok := f.Tag.Lookup("msgpack"); !ok || tag == "" {
				t.Errorf("%s.%s has no explicit msgpack tag", typ.Name(), f.Name)
			}
		}
		checkTags(t, f.Type, seen)
	}
}

func isOurs(pkg string) bool { return pkg == "burndown/engine" || pkg == "burndown/persist" }
