package baseline

import (
	"context"
	"errors"
	"testing"

	"burndown/bench/target"
)

// The floor behind the baseline server answers the same client as Burndown.
func TestFloorServerWithHTTPTarget(t *testing.T) {
	ctx := context.Background()
	cust := target.NewCustomers("t", 10)
	keys := make([]string, cust.N)
	for i := range keys {
		keys[i] = cust.Key(i)
	}
	f := NewFloor()
	if err := f.Seed(ctx, keys, 1000); err != nil {
		t.Fatal(err)
	}
	srv, err := Serve(f, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ht, err := target.NewHTTP(target.HTTPConfig{Name: "floor", BaseURL: srv.URL(), ProductID: "p", EventType: "e", Conns: 2, Customers: cust})
	if err != nil {
		t.Fatal(err)
	}
	defer ht.Close()
	s, err := ht.Session(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx, 3); err != nil {
		t.Fatalf("check: %v", err)
	}
	if err := s.Ingest(ctx, target.Batch{Customers: []int{3, 3, 5}}); err != nil {
		t.Fatalf("ingest: %v", err)
	}
	if b, _, _ := f.Balance(ctx, cust.Key(3)); b != 996 {
		t.Errorf("customer 3 balance %d, want 996", b)
	}
	if b, _, _ := f.Balance(ctx, cust.Key(5)); b != 998 {
		t.Errorf("customer 5 balance %d, want 998", b)
	}
	// An unknown customer is a 404, reported as a StatusError.
	other := target.NewCustomers("other", 1)
	ht2, _ := target.NewHTTP(target.HTTPConfig{Name: "floor", BaseURL: srv.URL(), ProductID: "p", Conns: 1, Customers: other})
	s2, _ := ht2.Session(0)
	var se *target.StatusError
	if err := s2.Check(ctx, 0); !errors.As(err, &se) || se.Code != 404 {
		t.Errorf("unknown customer: got %v, want status 404", err)
	}
}

func TestDirectFloor(t *testing.T) {
	ctx := context.Background()
	cust := target.NewCustomers("d", 3)
	f := NewFloor()
	_ = f.Seed(ctx, []string{cust.Key(0), cust.Key(1), cust.Key(2)}, 10)
	s, _ := NewDirect(f, 1, cust, "direct", 0).Session(0)
	if err := s.Ingest(ctx, target.Batch{Customers: []int{1, 1}}); err != nil {
		t.Fatal(err)
	}
	if b, _, _ := f.Balance(ctx, cust.Key(1)); b != 8 {
		t.Errorf("balance %d, want 8", b)
	}
	if err := s.Check(ctx, 2); err != nil {
		t.Error(err)
	}
}
