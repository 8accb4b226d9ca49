package transport

import (
	"encoding/json"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// consume serves POST /v1/entitlements/consume: the events are ingested
// only if the check passes at apply time; the answer is the check's shape
// (entitled: whether they were), with the balance after.
func (s *Server) consume(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	cmd := &engine.Consume{
		CustomerID: o.str("customer_id", true), ProductID: o.str("product_id", true),
		GroupKey: o.str("group_key", false), GroupValue: o.str("group_value", false),
	}
	list, path := o.list("events", true, maxIngestEvents)
	if r.err == nil && len(list) == 0 {
		r.fail(path, "must hold 1 to %d events", maxIngestEvents)
	}
	if err := r.Err(); err != nil {
		return err
	}
	raw, err := json.Marshal(list)
	if err != nil {
		return badRequest("events: %v", err)
	}
	events, err := s.decodeEvents(raw)
	if err != nil {
		if ae, ok := err.(*apiError); ok {
			ae.Message = "events" + trimBodyPrefix(ae.Message)
		}
		return err
	}
	h := s.node.Engine().LookupCustomer(cmd.CustomerID)
	if h == nil {
		return notFound("customer_id: customer %s not found", cmd.CustomerID)
	}
	cmd.CustomerID = h.ID
	for i := range events {
		if eh := s.node.Engine().LookupCustomer(events[i].CustomerID); eh == nil || eh.ID != h.ID {
			return badRequest("events[%d].customer_id: must be the consuming customer", i)
		}
	}
	cmd.Events = events
	res, err := s.propose(ctx, cmd)
	if err != nil {
		return err
	}
	if res.Check == nil {
		return badRequest("consume: no answer")
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBody(res.Check.AppendJSON(nil))
	return nil
}

// trimBodyPrefix turns "body[3].x: ..." into "[3].x: ...".
func trimBodyPrefix(m string) string {
	if len(m) >= 4 && m[:4] == "body" {
		return m[4:]
	}
	return ": " + m
}
