package persist

import (
	"fmt"
	"reflect"
	"sort"

	"github.com/vmihailenco/msgpack/v5"

	"burndown/engine"
)

// Canonical msgpack encoding.
//
// Replicas must produce byte-identical snapshots from identical state, and a
// state restored from a snapshot must re-encode to the very same bytes.
// msgpack/v5's SetSortMapKeys only sorts map[string]string, map[string]bool
// and map[string]interface{}; any other map (map[string]*Metric,
// map[RejectReason]int64, ...) would be written in Go's random map order.
//
// msgpack's encoder table is process-wide, so the fix is registered once, at
// package initialisation, for exactly the types persist writes: every map type
// reachable from the engine's commands, Customer and Catalog gets an encoder
// that writes keys in sorted order. The wire format is unchanged (still a
// msgpack map), so decoding needs nothing special. (Amounts are canonical by
// construction and have their one encoder in amounts.go; earlier builds
// wrote shopspring decimals here, which money.Amount reads.)
//
// Nothing else in the process may msgpack.Register these types.
func init() {
	seen := map[reflect.Type]bool{}
	roots := []reflect.Type{
		reflect.TypeOf(engine.Customer{}),
		reflect.TypeOf(engine.Catalog{}),
		reflect.TypeOf(ClusterMeta{}),
	}
	for k := 0; k < 256; k++ {
		if c := engine.NewCommand(engine.Kind(k)); c != nil {
			roots = append(roots, reflect.TypeOf(c))
		}
	}
	for _, t := range roots {
		registerSortedMaps(t, seen)
	}
}

// registerSortedMaps walks t and registers a sorted-key encoder for every map
// type msgpack would otherwise write in random order.
func registerSortedMaps(t reflect.Type, seen map[reflect.Type]bool) {
	if seen[t] {
		return
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Ptr, reflect.Slice, reflect.Array:
		registerSortedMaps(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() {
				registerSortedMaps(f.Type, seen)
			}
		}
	case reflect.Map:
		registerSortedMaps(t.Key(), seen)
		registerSortedMaps(t.Elem(), seen)
		if t.Key().Kind() == reflect.String && t.Key() == reflect.TypeOf("") &&
			(t.Elem() == reflect.TypeOf("") || t.Elem().Kind() == reflect.Bool && t.Elem() == reflect.TypeOf(false)) {
			return // msgpack sorts these itself with SetSortMapKeys
		}
		less := keyLess(t.Key())
		if less == nil {
			panic(fmt.Sprintf("persist: map type %v has keys that cannot be ordered deterministically", t))
		}
		msgpack.Register(reflect.Zero(t).Interface(), sortedMapEncoder(less), nil)
	}
}

func keyLess(k reflect.Type) func(a, b reflect.Value) bool {
	switch k.Kind() {
	case reflect.String:
		return func(a, b reflect.Value) bool { return a.String() < b.String() }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(a, b reflect.Value) bool { return a.Int() < b.Int() }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return func(a, b reflect.Value) bool { return a.Uint() < b.Uint() }
	case reflect.Bool:
		return func(a, b reflect.Value) bool { return !a.Bool() && b.Bool() }
	}
	return nil
}

func sortedMapEncoder(less func(a, b reflect.Value) bool) func(*msgpack.Encoder, reflect.Value) error {
	return func(e *msgpack.Encoder, v reflect.Value) error {
		if v.IsNil() {
			return e.EncodeNil()
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
		if err := e.EncodeMapLen(len(keys)); err != nil {
			return err
		}
		for _, k := range keys {
			if err := e.EncodeValue(k); err != nil {
				return err
			}
			if err := e.EncodeValue(v.MapIndex(k)); err != nil {
				return err
			}
		}
		return nil
	}
}
