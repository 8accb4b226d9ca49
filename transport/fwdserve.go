package transport

import (
	"fmt"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"
)

// clusterPrefix holds the cluster's own operations, which are never
// batched: they can be slow (a join waits for the new node), and a batch is
// answered when its slowest request is.
const clusterPrefix = "/v1/cluster/"

// batchable reports whether a follower may send a write in a batch: a POST
// outside the cluster's operations (restore uploads, streamed answers and
// the other routes keep the single-request path).
func batchable(ctx *fasthttp.RequestCtx) bool {
	return ctx.IsPost() && !strings.HasPrefix(string(ctx.Path()), clusterPrefix) && !isUpload(ctx)
}

// forwardBatch serves a follower's batch of forwarded writes (fwdframe.go):
// every request in it goes through Handle concurrently, as if it had been
// sent here directly (its own token and scope, Idempotency-Key, access log
// and route series), so the writes group-commit together; the answers come
// back in order. The batch is refused as a whole (4xx) only before any of
// it is served, so the follower can then forward its requests one by one.
func (s *Server) forwardBatch(ctx *fasthttp.RequestCtx, _ string) error {
	if err := bufferBody(ctx, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	subs, err := decodeBatchRequest(ctx.Request.Body())
	if err != nil {
		return badRequest("%v", err)
	}
	reqs := make([]*fasthttp.RequestCtx, len(subs))
	for i := range subs {
		if reqs[i], err = s.subRequest(ctx, &subs[i]); err != nil {
			return badRequest("body: request %d: %v", i, err)
		}
	}
	var wg sync.WaitGroup
	for _, r := range reqs[1:] {
		wg.Go(func() { s.Handle(r) })
	}
	s.Handle(reqs[0])
	wg.Wait()
	size := 16
	for _, r := range reqs {
		size += len(r.Response.Body()) + 256
	}
	body := appendBatchHeader(make([]byte, 0, size), batchResponseMagic, len(reqs))
	for _, r := range reqs {
		body = appendSubResponse(body, &r.Response)
	}
	ctx.SetContentType(batchContentType)
	ctx.Response.SetBodyRaw(body)
	return nil
}

// subRequest makes a request context of one frame of the batch in ctx,
// marked forwarded (so it is answered 503 rather than forwarded again
// should this node lose the leadership). Only the writes a follower batches
// are accepted, with only the headers it sends.
func (s *Server) subRequest(ctx *fasthttp.RequestCtx, sub *subRequest) (*fasthttp.RequestCtx, error) {
	r := new(fasthttp.RequestCtx)
	r.Init(new(fasthttp.Request), ctx.RemoteAddr(), nil)
	r.Request.Header.SetMethodBytes(sub.method)
	r.Request.SetRequestURIBytes(sub.uri)
	for _, h := range sub.headers {
		if !forwardedRequestHeader(h.name) {
			return nil, fmt.Errorf("header %q is not one a forwarded batch carries", h.name)
		}
		r.Request.Header.AddBytesKV(h.name, h.value)
	}
	r.Request.Header.Set(forwardedHeader, "1")
	r.Request.SetBodyRaw(sub.body)
	path := r.Path()
	if !r.IsPost() || strings.HasPrefix(string(path), clusterPrefix) {
		return nil, fmt.Errorf("%s %s is not a write a batch carries", sub.method, path)
	}
	if ep, _ := s.lookup(path); ep == nil || ep.post == nil || ep.post.access != leaderOnly {
		return nil, fmt.Errorf("%s %s is not a write a batch carries", sub.method, path)
	}
	return r, nil
}
