package transport

import (
	"github.com/valyala/fasthttp"

	"burndown/engine"
)

var jsonContentType = []byte("application/json")

// checkGet serves GET /v1/entitlements/check?customer_id&product_id[&group_key&group_value],
// the gateway hot path: the query is read in place, the engine answers from
// the customer's published view with pre-rendered bytes, and nothing is
// allocated in steady state. It never goes through Raft.
func (s *Server) checkGet(ctx *fasthttp.RequestCtx) {
	q := ctx.QueryArgs()
	customer := q.Peek("customer_id")
	product := q.Peek("product_id")
	if len(customer) == 0 {
		writeError(ctx, badRequest("customer_id: is required"))
		return
	}
	if len(product) == 0 {
		writeError(ctx, badRequest("product_id: is required"))
		return
	}
	var buf [256]byte
	body, st := s.node.Engine().AppendCheck(buf[:0], customer, product, q.Peek("group_key"), q.Peek("group_value"))
	switch st {
	case engine.CheckUnknownCustomer:
		writeError(ctx, notFound("customer_id: customer %s not found", customer))
		return
	case engine.CheckUnknownProduct:
		writeError(ctx, notFound("product_id: product %s not found", product))
		return
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.Response.Header.SetContentTypeBytes(jsonContentType)
	ctx.Response.SetBody(body)
}

// maxChecks bounds one batched check request.
const maxChecks = 1000

// checkPost serves POST /v1/entitlements/check {"checks":[...]} with
// {"results":[...]} in the same order. An unknown customer or product in any
// check answers 404 naming it.
func (s *Server) checkPost(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	checks := o.objects("checks", true, maxChecks)
	type check struct{ customer, product, key, value string }
	list := make([]check, 0, len(checks))
	for _, c := range checks {
		list = append(list, check{c.str("customer_id", true), c.str("product_id", true), c.str("group_key", false), c.str("group_value", false)})
	}
	if err := r.Err(); err != nil {
		return err
	}
	eng := s.node.Engine()
	out := make([]byte, 0, 16+len(list)*128)
	out = append(out, `{"results":[`...)
	for i, c := range list {
		var st engine.CheckStatus
		if i > 0 {
			out = append(out, ',')
		}
		out, st = eng.AppendCheck(out, []byte(c.customer), []byte(c.product), []byte(c.key), []byte(c.value))
		switch st {
		case engine.CheckUnknownCustomer:
			return notFound("checks[%d].customer_id: customer %s not found", i, c.customer)
		case engine.CheckUnknownProduct:
			return notFound("checks[%d].product_id: product %s not found", i, c.product)
		}
	}
	out = append(out, "]}"...)
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBody(out)
	return nil
}
