package cluster

import (
	"context"
	"sync"
)

// Leadership for the work that runs outside this package on the leader
// only (package effects' dispatcher). The leader loop (ticker.go) opens a
// term once its barrier has applied everything committed in earlier terms,
// and closes it when leadership is lost or the node closes; AwaitLeadership
// hands the term's context to whoever waits for it.

// leadership is the current term as the leader loop published it.
type leadership struct {
	mu sync.Mutex
	// ctx is the current term's context; nil while this node does not
	// lead (or leads but has not caught up yet).
	ctx context.Context
	// changed is closed, and replaced, whenever ctx changes.
	changed chan struct{}
}

func newLeadership() *leadership { return &leadership{changed: make(chan struct{})} }

// set publishes a term's context (nil: none) and wakes the waiters.
func (l *leadership) set(ctx context.Context) {
	l.mu.Lock()
	l.ctx = ctx
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// current returns the term's context and the channel closed when it changes.
func (l *leadership) current() (context.Context, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ctx, l.changed
}

// AwaitLeadership blocks until this node leads and has applied everything
// committed in earlier terms (its outbox is current), and returns a context
// that is cancelled when that leadership ends (lost, or the node closes).
// It returns ctx's error when ctx ends first, and ErrClosed once the node
// is closed. A caller runs its leader-only work under the returned context
// and calls again when it ends: each term is handed out to every caller.
func (n *Node) AwaitLeadership(ctx context.Context) (context.Context, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		term, changed := n.lead.current()
		if term != nil && term.Err() == nil {
			return term, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-n.closing:
			return nil, ErrClosed
		case <-changed:
		}
	}
}
