package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// A read whose deadline passes while the customer's shard is busy returns
// the context's error at once, and its function never runs afterwards.
func TestReadHonoursItsDeadline(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	h.must(&CreateCustomer{ID: "c1"})
	sh := h.e.shards[h.e.LookupCustomer("c1").Shard]
	release := make(chan struct{})
	sh.work <- shardWork{read: func(*shard) { <-release }} // the shard is busy
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ran := make(chan struct{}, 1)
	found, err := h.e.read(ctx, "c1", func(*Customer, *Catalog, Nanos) { ran <- struct{}{} })
	if !errors.Is(err, context.DeadlineExceeded) || found {
		t.Fatalf("read on a busy shard: found %v, err %v; want the deadline's error", found, err)
	}
	close(release)
	// The abandoned read is drained by the shard without running fn.
	if ok, err := h.e.read(context.Background(), "c1", func(*Customer, *Catalog, Nanos) {}); !ok || err != nil {
		t.Fatalf("later read: %v %v", ok, err)
	}
	select {
	case <-ran:
		t.Fatal("the abandoned read's function ran")
	default:
	}
	if ok, err := h.e.read(context.Background(), "nobody", func(*Customer, *Catalog, Nanos) {}); ok || err != nil {
		t.Fatalf("unknown customer: %v %v", ok, err)
	}
	if r, ok, err := h.e.ReadCustomer(context.Background(), "nobody"); ok || err != nil || r.Customer != nil {
		t.Fatalf("read of an unknown customer: %+v %v %v", r, ok, err)
	}
}

// Closing the engine while reads are in flight (a node closing under its
// dispatcher) neither races nor panics: each read either ran or answers
// ErrClosed, and reads after Close answer ErrClosed.
func TestReadsRacingClose(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	h.must(&CreateCustomer{ID: "c", Name: "c"})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if _, _, err := h.e.ReadCustomer(context.Background(), "c"); err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("read: %v, want ErrClosed", err)
					}
					return
				}
			}
		}()
	}
	h.e.Close()
	wg.Wait()
	if _, _, err := h.e.ReadCustomer(context.Background(), "c"); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after Close: %v, want ErrClosed", err)
	}
	if _, _, err := h.e.InvoiceCustomer(context.Background(), "nope"); !errors.Is(err, ErrClosed) {
		t.Fatalf("invoice lookup after Close: %v, want ErrClosed", err)
	}
	h.e.Close() // a second Close is harmless
}
