package transport

import (
	"errors"
	"strings"

	"github.com/valyala/fasthttp"

	"burndown/dashboard"
)

// The embeddable dashboards are served without an API token: the signed
// link is the credential. /embed/<token> is the page, /embed/<token>/data
// its data (that customer's only), /embed/assets/<file> the page's script
// and style (no data in them).
const (
	embedPrefix = "/embed"
	embedAssets = "/embed/assets/"
	embedData   = "/data"
)

// embed serves every path under /embed: GET only.
func (s *Server) embed(ctx *fasthttp.RequestCtx) {
	setEmbedHeaders(ctx)
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set("Allow", "GET, HEAD")
		writeError(ctx, &apiError{Status: fasthttp.StatusMethodNotAllowed, Message: "method: only GET is allowed on " + embedPrefix})
		return
	}
	path := string(ctx.Path())
	if name, ok := strings.CutPrefix(path, embedAssets); ok {
		s.embedAsset(ctx, name)
		return
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(path, embedPrefix), "/")
	token, data := strings.CutSuffix(rest, embedData)
	spec, err := dashboard.Verify(s.dashboardKey(), token, s.wallNow())
	if data {
		if err != nil {
			writeError(ctx, &apiError{Status: fasthttp.StatusForbidden, Message: "link: " + linkProblem(err)})
			return
		}
		if !s.readsOpen() {
			s.notCaughtUp(ctx)
			return
		}
		if herr := s.embedDataOf(ctx, spec); herr != nil {
			ctx.Response.Reset()
			setEmbedHeaders(ctx)
			writeError(ctx, herr)
		}
		return
	}
	page, status := "page.html", fasthttp.StatusOK
	if err != nil {
		page, status = "error.html", fasthttp.StatusForbidden
	}
	body, ct, _ := dashboard.Asset(page)
	ctx.SetStatusCode(status)
	ctx.SetContentType(ct)
	ctx.SetBody(body)
}

// linkProblem says why a link was refused, without saying what would pass.
func linkProblem(err error) string {
	switch {
	case errors.Is(err, dashboard.ErrExpired):
		return "this dashboard link has expired; ask for a new one"
	case errors.Is(err, dashboard.ErrSignature):
		return "this dashboard link was altered or signed by another cluster"
	}
	return "this is not a dashboard link"
}

func (s *Server) embedAsset(ctx *fasthttp.RequestCtx, name string) {
	body, ct, ok := dashboard.Asset(name)
	if !ok || strings.HasSuffix(name, ".html") {
		writeError(ctx, notFound("path: no asset %s", name))
		return
	}
	ctx.SetContentType(ct)
	ctx.Response.Header.Set("Cache-Control", "no-cache")
	ctx.SetBody(body)
}

// setEmbedHeaders sets what every /embed answer carries: the CSP (which
// allows framing by any origin; see dashboard.CSP), no caching of data,
// no Referer sent on (the link is a credential), no MIME sniffing.
func setEmbedHeaders(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	h.Set("Content-Security-Policy", dashboard.CSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}
