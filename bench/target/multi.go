package target

import (
	"context"
	"errors"
	"strings"
)

// Multi spreads workers over several nodes of one cluster, as a client with a
// list of node addresses would: worker w starts on node w mod n and moves to the
// next node when a request fails with a transport error or a 5xx.
type Multi struct {
	name, via string
	nodes     []*HTTP
}

// NewMulti returns a target over the given per-node targets.
func NewMulti(name, via string, nodes []*HTTP) *Multi {
	return &Multi{name: name, via: via, nodes: nodes}
}

// Name implements Target.
func (m *Multi) Name() string { return m.name }

// Via implements Target.
func (m *Multi) Via() string { return m.via }

// SetVia replaces the report's description of how the target is measured.
func (m *Multi) SetVia(via string) { m.via = via }

// Close implements Target.
func (m *Multi) Close() error {
	var errs []error
	for _, n := range m.nodes {
		errs = append(errs, n.Close())
	}
	return errors.Join(errs...)
}

// Session implements Target.
func (m *Multi) Session(worker int) (Session, error) {
	s := &multiSession{cur: worker % len(m.nodes)}
	for _, n := range m.nodes {
		ns, err := n.Session(worker)
		if err != nil {
			return nil, err
		}
		s.sessions = append(s.sessions, ns)
	}
	return s, nil
}

type multiSession struct {
	sessions []Session
	cur      int
}

// failover moves to the next node when err says this one may be down.
func (s *multiSession) failover(err error) error {
	var se *StatusError
	if err != nil && (!errors.As(err, &se) || se.Code >= 500) && !strings.Contains(err.Error(), "context canceled") {
		s.cur = (s.cur + 1) % len(s.sessions)
	}
	return err
}

func (s *multiSession) Check(ctx context.Context, customer int) error {
	return s.failover(s.sessions[s.cur].Check(ctx, customer))
}

func (s *multiSession) Ingest(ctx context.Context, b Batch) error {
	return s.failover(s.sessions[s.cur].Ingest(ctx, b))
}
