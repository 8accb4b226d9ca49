package transport

import (
	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// decodeAndPropose reads the request body, decodes it into a command (a 4xx
// naming the field at fault when it is bad) and proposes the command.
func decodeAndPropose[C engine.Command](s *Server, ctx *fasthttp.RequestCtx, decode func([]byte) (C, error)) (C, engine.Result, error) {
	var zero C
	body, err := readBody(ctx, s.cfg.MaxBodyBytes)
	if err != nil {
		return zero, engine.Result{}, err
	}
	cmd, err := decode(body)
	if err != nil {
		return zero, engine.Result{}, err
	}
	res, err := s.propose(ctx, cmd)
	if err != nil {
		return zero, engine.Result{}, err
	}
	return cmd, res, nil
}

// createFrom serves a create endpoint that answers {"data":{"id":...}}.
func createFrom[C engine.Command](s *Server, ctx *fasthttp.RequestCtx, decode func([]byte) (C, error)) error {
	_, res, err := decodeAndPropose(s, ctx, decode)
	if err != nil {
		return err
	}
	return writeID(ctx, res.ID)
}
