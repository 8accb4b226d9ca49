package transport

import (
	"bytes"
	"crypto/subtle"

	"github.com/valyala/fasthttp"
)

var bearerPrefix = []byte("Bearer ")

// authorized reports whether the request carries the admin bearer token. It
// compares in constant time and does not allocate (it runs on the
// entitlement hot path).
func (s *Server) authorized(ctx *fasthttp.RequestCtx) bool {
	h := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)
	if len(h) <= len(bearerPrefix) || !bytes.EqualFold(h[:len(bearerPrefix)], bearerPrefix) {
		return false
	}
	return subtle.ConstantTimeCompare(bytes.TrimSpace(h[len(bearerPrefix):]), s.token) == 1
}

func writeUnauthorized(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="burndown"`)
	writeError(ctx, &apiError{Status: fasthttp.StatusUnauthorized, Message: "Authorization: a valid bearer token is required"})
}
