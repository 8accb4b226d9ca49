// Package console holds the operator console: a plain HTML, CSS and
// JavaScript page, embedded in the binary so that a node serves it at /ui/
// with nothing to build or install at run time. The page asks the operator
// for an API token and reads the node's JSON API and /metrics with it from
// the browser; this package only hands out the files and the headers they
// are served with (package transport writes them).
package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// Asset is one file of the console, ready to serve.
type Asset struct {
	Body        []byte
	ContentType string
	// ETag is a strong validator: the SHA-256 of Body, quoted. The files
	// change only with the binary, so a browser revalidates and gets 304.
	ETag string
}

// Files are the console's assets by name ("index.html", "app.js", ...).
type Files struct {
	assets map[string]Asset
}

// The console's security headers (see SetHeaders).
const (
	// CSP allows the page's own files and calls to its own origin only: no
	// inline script or style, no other origin, no framing; a script that
	// data managed to put in the page could not run.
	CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	// CacheControl makes a browser revalidate every time (the ETag makes
	// that a 304): a node upgraded in place serves its new page at once,
	// never yesterday's script.
	CacheControl = "no-cache"
)

// SetHeaders sets the headers every console response carries through set
// (a response header's Set).
func SetHeaders(set func(key, value string)) {
	set("Content-Security-Policy", CSP)
	set("X-Content-Type-Options", "nosniff")
	set("X-Frame-Options", "DENY")
	set("Referrer-Policy", "no-referrer")
	set("Cache-Control", CacheControl)
}

// contentType is the content type of the console's file kinds; New refuses
// a file of another kind.
func contentType(ext string) (string, bool) {
	switch ext {
	case ".html":
		return "text/html; charset=utf-8", true
	case ".css":
		return "text/css; charset=utf-8", true
	case ".js":
		return "text/javascript; charset=utf-8", true
	case ".svg":
		return "image/svg+xml", true
	}
	return "", false
}

// New reads the embedded files once.
func New() (*Files, error) {
	f := &Files{assets: map[string]Asset{}}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentType(path.Ext(p))
		if !ok {
			return fmt.Errorf("console: %s: no content type for %q files", p, path.Ext(p))
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return fmt.Errorf("console: %w", err)
		}
		sum := sha256.Sum256(body)
		f.assets[strings.TrimPrefix(p, "static/")] = Asset{Body: body, ContentType: ct, ETag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := f.assets["index.html"]; !ok {
		return nil, fmt.Errorf("console: no index.html embedded")
	}
	return f, nil
}

// Lookup returns the asset at name, a path below /ui/ ("" is the page
// itself).
func (f *Files) Lookup(name string) (Asset, bool) {
	if name == "" {
		name = "index.html"
	}
	a, ok := f.assets[name]
	return a, ok
}
