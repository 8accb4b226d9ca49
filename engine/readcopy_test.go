package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"unsafe"

	"burndown/money"
)

// A read's copy is the customer's state at the read, whole (its JSON is the
// live customer's), and it is its own: it shares no pointer, slice array or
// map with the live customer, and the commands applied after the read leave
// it as it was. Random logs give customers with every kind of state (every
// command kind: TestRandomLogCoversEveryCommand).
func TestReadCustomerCopiesEverything(t *testing.T) {
	changed, walked := 0, 0
	for seed := int64(1); seed <= 3; seed++ {
		log := randomLog(t, seed)
		e := New(Config{Shards: 2})
		half := len(log) / 2
		e.Apply(log[:half])
		ids, _ := e.CustomerIDs(0, 1<<30)
		if len(ids) == 0 {
			t.Fatalf("seed %d: no customer after half the log", seed)
		}
		reads := map[string]CustomerRead{}
		asRead := map[string][]byte{}
		for _, id := range ids {
			r, ok, err := e.ReadCustomer(context.Background(), id)
			if !ok || err != nil {
				t.Fatalf("seed %d: read %s: %v %v", seed, id, ok, err)
			}
			if r.Catalog != e.Catalog() || r.Now != e.Now() {
				t.Fatalf("seed %d: read %s: not the catalog and time of the read", seed, id)
			}
			reads[id], asRead[id] = r, copyJSON(t, r.Customer)
			// Compare with the live customer on its shard, between applies.
			e.read(context.Background(), id, func(live *Customer, _ *Catalog, _ Nanos) {
				if !bytes.Equal(copyJSON(t, live), asRead[id]) {
					t.Errorf("seed %d: the copy of %s is not the customer:\n live %s\n copy %s", seed, id, copyJSON(t, live), asRead[id])
				}
				liveRefs := references(reflect.ValueOf(live))
				walked += len(liveRefs)
				for ref, path := range references(reflect.ValueOf(r.Customer)) {
					if livePath, shared := liveRefs[ref]; shared {
						t.Errorf("seed %d: customer %s: the copy's %s is the live %s", seed, id, path, livePath)
					}
				}
			})
		}
		e.Apply(log[half:])
		for _, id := range ids {
			if got := copyJSON(t, reads[id].Customer); !bytes.Equal(got, asRead[id]) {
				t.Errorf("seed %d: the copy of %s changed after the read:\n was %s\n now %s", seed, id, asRead[id], got)
			}
			now, _, _ := e.ReadCustomer(context.Background(), id)
			if !bytes.Equal(copyJSON(t, now.Customer), asRead[id]) {
				changed++
			}
		}
		e.Close()
	}
	if changed == 0 || walked < 1000 {
		t.Fatalf("%d customers changed after their read, %d references walked: the test is vacuous", changed, walked)
	}
}

func copyJSON(t *testing.T, c *Customer) []byte {
	t.Helper()
	b, err := jsonEncoder(nil, c)
	if err != nil {
		t.Fatal(err)
	}
	// What a read leaves out (read:"-") is not compared.
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var strip func(any)
	strip = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			delete(x, "Uniques")
			for _, e := range x {
				strip(e)
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// references lists the memory a value graph refers to, with the path to
// each: every pointer's target, every non-empty slice's backing array and
// every map, through unexported fields too. Excepted are what the copy
// shares by design: the immutable *Catalog, and the inside of money.Amount
// (an immutable value whose big coefficient is never mutated).
func references(v reflect.Value) map[unsafe.Pointer]string {
	out := map[unsafe.Pointer]string{}
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer, reflect.UnsafePointer:
			if v.IsNil() {
				return
			}
			if v.Type() == reflect.TypeOf((*Catalog)(nil)) {
				return
			}
			p := v.UnsafePointer()
			if _, seen := out[p]; seen {
				return
			}
			out[p] = path
			if v.Kind() == reflect.Pointer {
				walk(v.Elem(), path)
			}
		case reflect.Slice:
			if v.IsNil() {
				return
			}
			if v.Cap() > 0 { // empty arrays share one address (zerobase)
				p := unsafe.Pointer(v.Pointer())
				if _, seen := out[p]; !seen {
					out[p] = path + "[]"
				}
			}
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case reflect.Map:
			if v.IsNil() {
				return
			}
			out[v.UnsafePointer()] = path
			it := v.MapRange()
			for it.Next() {
				walk(it.Value(), fmt.Sprintf("%s[%v]", path, it.Key()))
			}
		case reflect.Struct:
			if v.Type() == reflect.TypeOf(money.Amount{}) {
				return
			}
			for i := 0; i < v.NumField(); i++ {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		}
	}
	walk(v, "customer")
	return out
}

// The copier keeps nil and empty apart, keeps two pointers to one value two
// pointers to one copy, and leaves unexported state zero.
func TestDeepCopyRules(t *testing.T) {
	seg := &Segment{IDOrdinal: 3, Amount: dec("1.5"), Deductions: []Deduction{}}
	cm := &Commit{ID: "c", Segments: []*Segment{seg, seg}, Extra: &CommitExtra{CustomFields: map[string]string{}}}
	c := &Customer{ID: "x", Contracts: []*Contract{{ID: "k", Balances: []*Commit{cm}, Extra: &ContractExtra{Gated: []*Commit{cm}}}},
		Extra: &CustomerExtra{Rejects: map[RejectReason]int64{RejectReasons[0]: 2}}, reschedule: true, handle: &CustomerHandle{ID: "x"}}
	c.handle.customer = c
	d := deepCopy(c)
	k := d.Contracts[0]
	switch {
	case d == c || k == c.Contracts[0] || k.Balances[0] == cm:
		t.Fatal("a pointer was shared, not copied")
	case k.Balances[0] != k.Gated()[0] || k.Balances[0].Segments[0] != k.Balances[0].Segments[1]:
		t.Fatal("two pointers to one value became two copies")
	case k.Balances[0].Segments[0].Deductions == nil || k.Balances[0].CustomFields() == nil:
		t.Fatal("an empty slice or map became nil")
	case k.Invoices != nil || d.Alerts != nil:
		t.Fatal("a nil slice became empty")
	case !k.Balances[0].Segments[0].Amount.Equal(dec("1.5")) || d.Rejects()[RejectReasons[0]] != 2:
		t.Fatal("a value was lost")
	case d.handle != nil || d.reschedule:
		t.Fatal("unexported state was copied")
	}
	if deepCopy[Customer](nil) != nil {
		t.Fatal("a nil customer copied to non-nil")
	}
}

// readFixture is a customer with a contract, three commits and invoices of
// several periods.
func readFixture(tb testing.TB) *harness {
	t, ok := tb.(*testing.T)
	if !ok {
		t = &testing.T{}
	}
	h := &harness{t: t, e: New(Config{Shards: 2}), now: mustTime(tb, "2026-01-01T00:00:00Z")}
	tb.Cleanup(h.e.Close)
	must := func(cmds ...Command) {
		h.index++
		for i, r := range h.e.Apply([]Entry{{Index: h.index, Time: h.now.UnixNano(), Commands: cmds}})[0] {
			if r.Err != nil {
				tb.Fatalf("fixture command %d: %v", i, r.Err)
			}
		}
	}
	start, end := ns(tb, "2026-01-01T00:00:00Z"), ns(tb, "2027-01-01T00:00:00Z")
	must(&CreateMetric{ID: "m", Name: "calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}})
	must(&CreateProduct{ID: "calls", Name: "Calls", Type: ProductUsage, BillableMetricID: "m"},
		&CreateProduct{ID: "fixed", Name: "Purchase", Type: ProductFixed}, &CreateRateCard{ID: "rc", Name: "rc"})
	must(&AddRates{RateCardID: "rc", Rates: []RateInput{{ProductID: "calls", StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec("1")}}})
	var commits []CommitInput
	for i := 0; i < 3; i++ {
		commits = append(commits, CommitInput{Type: CommitPrepaid, ProductID: "fixed",
			AccessSchedule: []ScheduleItem{{Amount: dec("1000"), StartingAt: start, EndingBefore: end}}})
	}
	must(&CreateCustomer{ID: "c", Name: "c", IngestAliases: []string{"alias-c"}, CustomFields: map[string]string{"k": "v"}},
		&CreateContract{CustomerID: "c", RateCardID: "rc", StartingAt: start, Commits: commits})
	for i, month := range []string{"01", "02", "03", "04"} {
		h.now = mustTime(tb, "2026-"+month+"-15T00:00:00Z")
		must(&Tick{})
		must(h.events("alias-c", "call", fmt.Sprint("e", i), 0, 5, "2026-"+month+"-14T00:00:00Z"))
	}
	return h
}

func TestReadFixtureHasInvoices(t *testing.T) {
	h := readFixture(t)
	r, ok, err := h.e.ReadCustomer(context.Background(), "c")
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	k := r.Customer.Contracts[0]
	if len(k.Balances) != 3 || len(k.Invoices) < 4 {
		t.Fatalf("%d commits, %d invoices", len(k.Balances), len(k.Invoices))
	}
}

// BenchmarkReadCustomer is one read of a customer with a contract, three
// commits and a few invoices: the copy made on the shard and the trip to
// it and back.
func BenchmarkReadCustomer(b *testing.B) {
	h := readFixture(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok, _ := h.e.ReadCustomer(ctx, "c"); !ok {
			b.Fatal("not found")
		}
	}
}

// BenchmarkReadCustomerCopy is the copy alone, the part that holds the shard.
func BenchmarkReadCustomerCopy(b *testing.B) {
	h := readFixture(b)
	var live *Customer
	h.e.read(context.Background(), "c", func(c *Customer, _ *Catalog, _ Nanos) { live = c })
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		deepCopy(live) // the harness applies nothing meanwhile
	}
}

// A read leaves out what is tagged read:"-": the UNIQUE value sets stay on
// the shard (the random log rates UNIQUE metrics, so some live set is not
// empty), while the aggregates' quantities are copied.
func TestReadCopySkipsRatingState(t *testing.T) {
	e := New(Config{Shards: 2})
	defer e.Close()
	e.Apply(randomLog(t, 1))
	ids, _ := e.CustomerIDs(0, 1<<30)
	liveSets, copiedAggs := 0, 0
	for _, id := range ids {
		r, ok, err := e.ReadCustomer(context.Background(), id)
		if !ok || err != nil {
			t.Fatal(id, ok, err)
		}
		for _, k := range r.Customer.Contracts {
			for _, inv := range k.Invoices {
				for _, a := range inv.Aggs() {
					copiedAggs++
					if a.Uniques != nil {
						t.Fatalf("%s: a copied aggregate holds its UNIQUE set", id)
					}
				}
			}
		}
		e.read(context.Background(), id, func(live *Customer, _ *Catalog, _ Nanos) {
			for _, k := range live.Contracts {
				for _, inv := range k.Invoices {
					for _, a := range inv.Aggs() {
						if len(a.Uniques) > 0 {
							liveSets++
						}
					}
				}
			}
		})
	}
	if liveSets == 0 || copiedAggs == 0 {
		t.Fatalf("%d live UNIQUE sets, %d copied aggregates: the log no longer exercises this", liveSets, copiedAggs)
	}
}
