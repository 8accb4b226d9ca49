package transport

import (
	"strings"

	"github.com/valyala/fasthttp"

	"burndown/console"
)

// consolePath is where the operator console (package console) is served:
// /ui redirects to /ui/, the page, and its files below it. It is served
// before authentication, like /healthz: the page holds no data and asks for
// a token, which it sends only on its calls to the API.
const consolePath = "/ui"

// serveConsole answers GET and HEAD for the console's files, with its
// security and cache headers; a conditional GET of an unchanged file gets
// 304.
func (s *Server) serveConsole(ctx *fasthttp.RequestCtx) {
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set("Allow", "GET, HEAD")
		writeError(ctx, &apiError{Status: fasthttp.StatusMethodNotAllowed, Message: "method: " + string(ctx.Method()) + " is not allowed on " + string(ctx.Path())})
		return
	}
	name, below := strings.CutPrefix(string(ctx.Path()), consolePath+"/")
	if !below {
		ctx.Response.Header.Set("Location", consolePath+"/")
		ctx.SetStatusCode(fasthttp.StatusMovedPermanently)
		return
	}
	a, ok := s.console.Lookup(name)
	if !ok {
		writeError(ctx, notFound("path: the console has no file %s", ctx.Path()))
		return
	}
	console.SetHeaders(func(k, v string) { ctx.Response.Header.Set(k, v) })
	ctx.Response.Header.Set("ETag", a.ETag)
	if string(ctx.Request.Header.Peek("If-None-Match")) == a.ETag {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	ctx.SetContentType(a.ContentType)
	ctx.SetBody(a.Body)
}
