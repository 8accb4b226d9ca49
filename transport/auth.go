package transport

import (
	"bytes"
	"crypto/subtle"
	"fmt"

	"github.com/valyala/fasthttp"

	"burndown/cluster"
)

var bearerPrefix = []byte("Bearer ")

// authenticate returns the scope of the request's bearer token: admin for
// the node's own token (--api-token, compared in constant time), else the
// scope of an active replicated token (compared by its SHA-256); ok is
// false for a missing, unknown or revoked token. It does not allocate (it
// runs on the entitlement hot path).
func (s *Server) authenticate(ctx *fasthttp.RequestCtx) (scope string, ok bool) {
	h := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)
	if len(h) <= len(bearerPrefix) || !bytes.EqualFold(h[:len(bearerPrefix)], bearerPrefix) {
		return "", false
	}
	secret := bytes.TrimSpace(h[len(bearerPrefix):])
	if subtle.ConstantTimeCompare(secret, s.token) == 1 {
		return cluster.ScopeAdmin, true
	}
	return s.node.Authenticate(secret)
}

// writeForbidden answers 403 naming the scope the route needs.
func writeForbidden(ctx *fasthttp.RequestCtx, has, needs string) {
	writeError(ctx, &apiError{Status: fasthttp.StatusForbidden,
		Message: fmt.Sprintf("Authorization: this token's scope is %s; %s %s needs a %s token", has, ctx.Method(), ctx.Path(), needs)})
}

func writeUnauthorized(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="burndown"`)
	writeError(ctx, &apiError{Status: fasthttp.StatusUnauthorized, Message: "Authorization: a valid bearer token is required"})
}
