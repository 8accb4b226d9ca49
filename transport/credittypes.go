package transport

import (
	"github.com/valyala/fasthttp"

	"burndown/engine"
)

type creditTypeOut struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	IsCurrency bool   `json:"is_currency"`
}

// listCreditTypes serves GET /v1/credit-types/list?limit&next_page.
func (s *Server) listCreditTypes(ctx *fasthttp.RequestCtx, _ string) error {
	limit, offset, err := pageArgs(ctx.QueryArgs(), 100)
	if err != nil {
		return err
	}
	cat := s.node.Engine().Catalog()
	ids, next := page(cat.CreditTypeOrder, offset, limit)
	out := make([]creditTypeOut, 0, len(ids))
	for _, id := range ids {
		ct := cat.CreditTypes[id]
		out = append(out, creditTypeOut{ID: ct.ID, Name: ct.Name, IsCurrency: ct.IsCurrency})
	}
	return writeJSON(ctx, listEnvelope{Data: out, NextPage: next})
}

// createCreditType serves the native POST /v1/credit-types/create
// {"name","is_currency"}: custom pricing units such as "AI credits".
func (s *Server) createCreditType(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	cmd := &engine.CreateCreditType{Name: o.str("name", true)}
	cmd.IsCurrency, _ = o.boolean("is_currency", false)
	if err := r.Err(); err != nil {
		return err
	}
	res, err := s.propose(ctx, cmd)
	if err != nil {
		return err
	}
	return writeID(ctx, res.ID)
}
