package persist_test

import (
	"bytes"
	"context"
	"testing"

	"burndown/engine"
	"burndown/persist"
)

// The test-only layout writer at the current layout writes what
// AppendCustomer writes for every customer of every golden fixture set (the
// richest customers the tests have: every release's features), so the two
// writers cannot drift apart.
func TestLayoutWriterMatchesOnGoldenCustomers(t *testing.T) {
	compared := 0
	for _, gb := range goldenBuilds {
		e := engine.New(engine.Config{Shards: 2})
		replayGolden(t, e, gb.name, 0)
		ids, _ := e.CustomerIDs(0, 1<<30)
		for _, id := range ids {
			rd, ok, err := e.ReadCustomer(context.Background(), id)
			if !ok || err != nil {
				t.Fatalf("%s: read %s: %v %v", gb.name, id, ok, err)
			}
			want := persist.AppendCustomer(nil, rd.Customer)
			if got := persist.AppendCustomerAt(nil, rd.Customer, persist.CustomerLayout); !bytes.Equal(got, want) {
				t.Errorf("%s: customer %s: the layout writer writes %d bytes, AppendCustomer %d", gb.name, id, len(got), len(want))
			}
			compared++
		}
		e.Close()
	}
	if compared == 0 {
		t.Fatal("no customer compared")
	}
}
