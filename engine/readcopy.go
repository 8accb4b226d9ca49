package engine

import (
	"fmt"
	"reflect"
	"sync"
	"unsafe"
)

// A customer read hands the reader a deep copy of the customer's exported
// state, made on the shard goroutine (so it is consistent: no apply runs
// half-way through it) and owned by the reader afterwards, which may render,
// sort and page it at leisure on its own goroutine.
//
// The copy is made by reflection, once per type planned and cached, rather
// than by hand-written clone methods: the customer's graph spans some thirty
// types that grow a field with almost every customer layout, and a clone
// method that forgets a new pointer, slice or map field would hand readers
// live state without any test noticing. The copier cannot forget: it copies
// every exported field, recursively. Its rules:
//
//   - pointers, slices and maps are copied (a nil stays nil, an empty slice
//     or map stays empty), each pointer's target once: two pointers to one
//     value in the live graph are two pointers to one copy in the copy;
//   - a struct that has no exported field (money.Amount, whose big
//     coefficient is never mutated after construction) is an immutable value
//     and is copied whole, as is any struct whose fields are all such values
//     or scalars;
//   - unexported fields of the engine's own structs (caches, the customer's
//     handle and shard bookkeeping, copy-on-write generations) are left zero:
//     they are no part of what a customer is, and through them a reader could
//     reach live state; so are exported fields tagged read:"-", rating state
//     no reader needs and too big to copy on every read (a UNIQUE metric's
//     value set);
//   - a kind the copier cannot copy safely (interface, func, chan, unsafe
//     pointer) in an exported field panics when the type is first planned,
//     which TestReadCustomerCopiesEverything meets on its first run.
//
// The catalog is not copied: it is immutable (a change makes a new one), and
// a read hands out the catalog current at the read.

// deepCopier copies one value graph; seen maps each live pointer already
// copied (with its target type) to its copy.
type deepCopier struct {
	seen map[seenKey]reflect.Value
}

// seenKey is a live pointer and its type (a struct and its first field
// share an address), the type told by its pointer plan's number.
type seenKey struct {
	p    unsafe.Pointer
	plan uint32
}

// copyPlan copies src into dst, a settable zero value of the same type.
type copyPlan struct {
	// whole: the type holds nothing to copy deeply; assign it.
	whole bool
	fn    func(cp *deepCopier, dst, src reflect.Value)
	// id numbers a pointer type's plan (see seenKey).
	id uint32
}

// pointerPlans counts the pointer plans built (under planMu).
var pointerPlans uint32

var copyPlans sync.Map // reflect.Type -> *copyPlan

// deepCopy returns a deep copy of *p under the rules above.
func deepCopy[T any](p *T) *T {
	if p == nil {
		return nil
	}
	out := new(T)
	cp := deepCopier{}
	src := reflect.ValueOf(p)
	root := planOf(src.Type())
	cp.remember(seenKey{src.UnsafePointer(), root.id}, reflect.ValueOf(out))
	planOf(src.Type().Elem()).apply(&cp, reflect.ValueOf(out).Elem(), src.Elem())
	return out
}

func (pl *copyPlan) apply(cp *deepCopier, dst, src reflect.Value) {
	if pl.whole {
		dst.Set(src)
		return
	}
	pl.fn(cp, dst, src)
}

func (cp *deepCopier) remember(k seenKey, dst reflect.Value) {
	if cp.seen == nil {
		cp.seen = make(map[seenKey]reflect.Value, 16)
	}
	cp.seen[k] = dst
}

var planMu sync.Mutex

// planOf returns the cached plan for t, building it (and the plans of the
// types it holds) under planMu the first time. Plans are published only once
// all of them are complete, so a reader never finds one half built.
func planOf(t reflect.Type) *copyPlan {
	if pl, ok := copyPlans.Load(t); ok {
		return pl.(*copyPlan)
	}
	planMu.Lock()
	defer planMu.Unlock()
	built := map[reflect.Type]*copyPlan{}
	pl := buildPlan(t, built)
	for t, p := range built {
		copyPlans.Store(t, p)
	}
	return pl
}

// buildPlan builds t's plan into built. A recursive type meets its own plan
// while it is still being built (not yet whole): the types on a cycle are
// never copied whole, which is right, as a cycle passes through a pointer,
// slice or map.
func buildPlan(t reflect.Type, built map[reflect.Type]*copyPlan) *copyPlan {
	if pl, ok := copyPlans.Load(t); ok {
		return pl.(*copyPlan)
	}
	if pl, ok := built[t]; ok {
		return pl
	}
	pl := &copyPlan{}
	built[t] = pl
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		pl.whole = true
	case reflect.Pointer:
		pointerPlans++
		pl.id = pointerPlans
		elem := buildPlan(t.Elem(), built)
		pl.fn = func(cp *deepCopier, dst, src reflect.Value) {
			if src.IsNil() {
				return
			}
			k := seenKey{src.UnsafePointer(), pl.id}
			if c, ok := cp.seen[k]; ok {
				dst.Set(c)
				return
			}
			n := reflect.New(t.Elem())
			cp.remember(k, n)
			elem.apply(cp, n.Elem(), src.Elem())
			dst.Set(n)
		}
	case reflect.Slice:
		elem := buildPlan(t.Elem(), built)
		pl.fn = func(cp *deepCopier, dst, src reflect.Value) {
			if src.IsNil() {
				return
			}
			n := reflect.MakeSlice(t, src.Len(), src.Len())
			if elem.whole {
				reflect.Copy(n, src)
			} else {
				for i := 0; i < src.Len(); i++ {
					elem.fn(cp, n.Index(i), src.Index(i))
				}
			}
			dst.Set(n)
		}
	case reflect.Array:
		elem := buildPlan(t.Elem(), built)
		if elem.whole {
			pl.whole = true
			break
		}
		pl.fn = func(cp *deepCopier, dst, src reflect.Value) {
			for i := 0; i < src.Len(); i++ {
				elem.fn(cp, dst.Index(i), src.Index(i))
			}
		}
	case reflect.Map:
		key, elem := buildPlan(t.Key(), built), buildPlan(t.Elem(), built)
		if !key.whole {
			panic(fmt.Sprintf("engine: deep copy: map key type %v is not a value", t.Key()))
		}
		pl.fn = func(cp *deepCopier, dst, src reflect.Value) {
			if src.IsNil() {
				return
			}
			n := reflect.MakeMapWithSize(t, src.Len())
			it := src.MapRange()
			for it.Next() {
				if elem.whole {
					n.SetMapIndex(it.Key(), it.Value())
					continue
				}
				v := reflect.New(t.Elem()).Elem()
				elem.fn(cp, v, it.Value())
				n.SetMapIndex(it.Key(), v)
			}
			dst.Set(n)
		}
	case reflect.Struct:
		type field struct {
			i  int
			pl *copyPlan
		}
		var fields []field
		exported, allWhole := false, true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("read") == "-" {
				allWhole = false // left zero, so the struct is not assigned whole
				continue
			}
			exported = true
			fp := buildPlan(f.Type, built)
			fields = append(fields, field{i, fp})
			allWhole = allWhole && fp.whole
		}
		if !exported {
			pl.whole = true // an immutable value (money.Amount)
			break
		}
		if allWhole {
			pl.whole = true
			break
		}
		pl.fn = func(cp *deepCopier, dst, src reflect.Value) {
			for _, f := range fields {
				f.pl.apply(cp, dst.Field(f.i), src.Field(f.i))
			}
		}
	default: // interface, func, chan, unsafe pointer
		panic(fmt.Sprintf("engine: deep copy: cannot copy a %v", t))
	}
	return pl
}
