package transport

import (
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// consoleServer is a server on a fake node: the console needs no cluster.
func consoleServer(t *testing.T) *Server {
	t.Helper()
	srv, err := New(Config{Node: newFakeNode(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), Token: testToken,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// consoleGet sends method path with the given headers (no token) through
// Handle.
func consoleGet(srv *Server, method, path string, headers ...string) *fasthttp.Response {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(path)
	for i := 0; i+1 < len(headers); i += 2 {
		ctx.Request.Header.Set(headers[i], headers[i+1])
	}
	srv.Handle(&ctx)
	var resp fasthttp.Response
	ctx.Response.CopyTo(&resp)
	return &resp
}

// The page and its files answer without a token, each with its content
// type and the console's security and cache headers.
func TestConsoleServedWithoutToken(t *testing.T) {
	srv := consoleServer(t)
	for path, ct := range map[string]string{
		"/ui/":            "text/html; charset=utf-8",
		"/ui/index.html":  "text/html; charset=utf-8",
		"/ui/app.js":      "text/javascript; charset=utf-8",
		"/ui/api.js":      "text/javascript; charset=utf-8",
		"/ui/prom.js":     "text/javascript; charset=utf-8",
		"/ui/dom.js":      "text/javascript; charset=utf-8",
		"/ui/console.css": "text/css; charset=utf-8",
	} {
		resp := consoleGet(srv, "GET", path)
		if resp.StatusCode() != 200 {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode(), resp.Body())
			continue
		}
		if got := string(resp.Header.ContentType()); got != ct {
			t.Errorf("GET %s: Content-Type %q, want %q", path, got, ct)
		}
		csp := string(resp.Header.Peek("Content-Security-Policy"))
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: Content-Security-Policy %q lacks %s", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: Content-Security-Policy %q allows inline or eval", path, csp)
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache", "X-Frame-Options": "DENY"} {
			if got := string(resp.Header.Peek(h)); got != want {
				t.Errorf("GET %s: %s %q, want %q", path, h, got, want)
			}
		}
		if len(resp.Header.Peek("ETag")) == 0 || len(resp.Body()) == 0 {
			t.Errorf("GET %s: no ETag or no body", path)
		}
	}
}

// The page loads its script and style from files (the policy forbids
// inline ones), and every file it names is served.
func TestConsolePageHasNoInlineScript(t *testing.T) {
	srv := consoleServer(t)
	page := string(consoleGet(srv, "GET", "/ui/").Body())
	if m := regexp.MustCompile(`<script(?:\s[^>]*)?>`).FindAllString(page, -1); len(m) == 0 {
		t.Fatal("the page has no script tag")
	} else {
		for _, tag := range m {
			if !strings.Contains(tag, "src=") {
				t.Errorf("inline script %s: the Content-Security-Policy would block it", tag)
			}
		}
	}
	if regexp.MustCompile(`<style|\son[a-z]+=|style=`).MatchString(page) {
		t.Error("the page has an inline style or event handler: the Content-Security-Policy would block it")
	}
	for _, m := range regexp.MustCompile(`(?:src|href)="([a-z]+\.(?:js|css))"`).FindAllStringSubmatch(page, -1) {
		if resp := consoleGet(srv, "GET", "/ui/"+m[1]); resp.StatusCode() != 200 {
			t.Errorf("the page names %s, answered %d", m[1], resp.StatusCode())
		}
	}
	// The modules app.js imports are served too.
	app := string(consoleGet(srv, "GET", "/ui/app.js").Body())
	for _, m := range regexp.MustCompile(`from "\./([a-z]+\.js)"`).FindAllStringSubmatch(app, -1) {
		if resp := consoleGet(srv, "GET", "/ui/"+m[1]); resp.StatusCode() != 200 {
			t.Errorf("app.js imports %s, answered %d", m[1], resp.StatusCode())
		}
	}
}

func TestConsoleErrorsAndRevalidation(t *testing.T) {
	srv := consoleServer(t)
	message := func(resp *fasthttp.Response) string {
		var m struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(resp.Body(), &m); err != nil {
			t.Errorf("answer %d is not a JSON message: %q", resp.StatusCode(), resp.Body())
		}
		return m.Message
	}

	resp := consoleGet(srv, "GET", "/ui/nope.js")
	if resp.StatusCode() != 404 || !strings.Contains(message(resp), "/ui/nope.js") {
		t.Errorf("unknown file: %d %s", resp.StatusCode(), resp.Body())
	}
	resp = consoleGet(srv, "POST", "/ui/")
	if resp.StatusCode() != 405 || string(resp.Header.Peek("Allow")) != "GET, HEAD" || !strings.Contains(message(resp), "method") {
		t.Errorf("POST /ui/: %d Allow %q %s", resp.StatusCode(), resp.Header.Peek("Allow"), resp.Body())
	}
	resp = consoleGet(srv, "GET", "/ui")
	if resp.StatusCode() != 301 || string(resp.Header.Peek("Location")) != "/ui/" {
		t.Errorf("GET /ui: %d Location %q", resp.StatusCode(), resp.Header.Peek("Location"))
	}
	resp = consoleGet(srv, "HEAD", "/ui/app.js")
	if resp.StatusCode() != 200 {
		t.Errorf("HEAD /ui/app.js: %d", resp.StatusCode())
	}
	etag := string(consoleGet(srv, "GET", "/ui/app.js").Header.Peek("ETag"))
	resp = consoleGet(srv, "GET", "/ui/app.js", "If-None-Match", etag)
	if resp.StatusCode() != 304 || len(resp.Body()) != 0 {
		t.Errorf("revalidation with the ETag: %d, %d bytes", resp.StatusCode(), len(resp.Body()))
	}
	if other := string(consoleGet(srv, "GET", "/ui/").Header.Peek("ETag")); other == etag {
		t.Errorf("index.html and app.js share the ETag %s", etag)
	}
	// Only /ui and below skip authentication.
	for _, p := range []string{"/uix", "/v1/customers", "/metrics"} {
		if resp := consoleGet(srv, "GET", p); resp.StatusCode() != 401 {
			t.Errorf("GET %s without a token: %d, want 401", p, resp.StatusCode())
		}
	}
}
