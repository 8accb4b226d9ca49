package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"burndown/engine"
	"burndown/persist"
)

// A client proposal that finds the queue full fails at once with
// ErrOverloaded (the transport answers 429), while the node's own commands
// wait for room. The loop is left stalled (never started), so the queue
// stays exactly as full as the test makes it.
func TestProposeFullQueueOverloaded(t *testing.T) {
	codec, err := persist.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	p := newProposerQueue(nil, &clock{}, codec, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	// The first request takes the only slot and waits for a result that a
	// stalled loop never gives.
	first := make(chan error, 1)
	go func() {
		_, err := p.propose(ctx, &engine.CreateCreditType{Name: "a"}, 0)
		first <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(p.in) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the first request was never queued")
		}
		time.Sleep(time.Millisecond)
	}

	start := time.Now()
	_, err = p.propose(ctx, &engine.CreateCreditType{Name: "b"}, 0)
	if !errors.Is(err, ErrOverloaded) {
		t.Fatalf("full queue: %v, want ErrOverloaded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("full queue answered after %s, want at once", d)
	}

	// A tick waits for room instead: it ends with its context, not with
	// ErrOverloaded.
	tctx, tcancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = p.propose(tctx, &engine.Tick{}, 0)
	tcancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("tick on a full queue: %v, want it to wait until its deadline", err)
	}

	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("first request: %v", err)
	}
}
