package dashboard

import (
	"embed"
	"path"
)

//go:embed assets
var assets embed.FS

// Asset returns an embedded file of the page (page.html, dashboard.css,
// dashboard.js) and its content type; ok is false for any other name.
func Asset(name string) (body []byte, contentType string, ok bool) {
	types := map[string]string{".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
	ct, known := types[path.Ext(name)]
	if !known || path.Base(name) != name {
		return nil, "", false
	}
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		return nil, "", false
	}
	return b, ct, true
}

// CSP is the pages' Content-Security-Policy: only this server's own script,
// style and data; no inline script or style; no plugins, forms or base
// rewriting. frame-ancestors is * because the page exists to be framed by
// the application that asked for the URL, whose origin the server does not
// know; the page has no action a clickjacker could trigger (it only shows).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors *"
