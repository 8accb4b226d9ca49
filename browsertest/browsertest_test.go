package browsertest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// The helpers against a page whose script writes text late and then throws:
// WaitText sees the late text, Problems has the exception, Evaluate reads the
// page, Screenshot writes a PNG where ArtifactsDir says.
func TestBrowserHelpers(t *testing.T) {
	t.Setenv(ArtifactsEnv, t.TempDir())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(`<!doctype html><title>t</title><p id="out">waiting</p><script src="/a.js"></script>`))
		case "/a.js":
			w.Header().Set("Content-Type", "text/javascript")
			w.Write([]byte(`setTimeout(() => { document.getElementById("out").textContent = "it's \"here\""; throw new Error("boom-42"); }, 200);`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	b := Start(t)
	b.Navigate(srv.URL + "/")
	b.WaitVisible("#out", 10*time.Second)
	if got := b.WaitText("#out", `it's "here"`, 10*time.Second); got != `it's "here"` {
		t.Errorf("WaitText = %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(strings.Join(b.Problems(), "\n"), "boom-42") {
		if time.Now().After(deadline) {
			t.Fatalf("Problems = %q, want the thrown boom-42", b.Problems())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := Evaluate[int](b, `document.querySelectorAll("p").length`); n != 1 {
		t.Errorf("Evaluate counted %d paragraphs, want 1", n)
	}
	if got := Evaluate[string](b, `document.getElementById("out").textContent`); got != `it's "here"` {
		t.Errorf("Evaluate read %q", got)
	}
	path := b.Screenshot("helpers.png")
	png, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("%s is not a PNG (starts %q)", path, png[:min(8, len(png))])
	}
	if !strings.HasPrefix(path, os.Getenv(ArtifactsEnv)) {
		t.Errorf("screenshot at %s, not under $%s", path, ArtifactsEnv)
	}
}

func TestArtifactsDirDefault(t *testing.T) {
	t.Setenv(ArtifactsEnv, "")
	t.Chdir(t.TempDir())
	if got := ArtifactsDir(t); got != "testdata/screenshots" {
		t.Errorf("ArtifactsDir = %q", got)
	}
	if fi, err := os.Stat("testdata/screenshots"); err != nil || !fi.IsDir() {
		t.Errorf("testdata/screenshots not made: %v", err)
	}
}
