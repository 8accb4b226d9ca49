package transport

import (
	"context"
	"errors"
	"time"

	"github.com/valyala/fasthttp"

	"burndown/cluster"
)

type clockOut struct {
	Now string `json:"now"`
}

// getClock serves GET /v1/admin/clock (test clock only; 404 otherwise).
func (s *Server) getClock(ctx *fasthttp.RequestCtx, _ string) error {
	if !s.node.TestClock() {
		return notFound("path: /v1/admin/clock exists only on a node started with --test-clock")
	}
	return writeJSON(ctx, clockOut{Now: s.node.Now().UTC().Format(time.RFC3339Nano)})
}

// setClock serves POST /v1/admin/clock {"now"}: it moves the test clock
// forward and answers once every transition due by then is applied.
func (s *Server) setClock(ctx *fasthttp.RequestCtx, _ string) error {
	if !s.node.TestClock() {
		return notFound("path: /v1/admin/clock exists only on a node started with --test-clock")
	}
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	n := o.time("now", true)
	if err := r.Err(); err != nil {
		return err
	}
	t := time.Unix(0, n).UTC()
	cctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	if err := s.node.SetClock(cctx, t); err != nil {
		switch {
		case errors.Is(err, cluster.ErrClockBackwards):
			return badRequest("now: %s is before the current test clock %s", t.Format(time.RFC3339Nano), s.node.Now().UTC().Format(time.RFC3339Nano))
		case errors.Is(err, cluster.ErrNoTestClock):
			return notFound("path: /v1/admin/clock exists only on a node started with --test-clock")
		default:
			return proposeError(err)
		}
	}
	return writeJSON(ctx, clockOut{Now: s.node.Now().UTC().Format(time.RFC3339Nano)})
}
