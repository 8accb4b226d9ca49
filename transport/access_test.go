package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the access log's flusher.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAccessLog: each request is one JSON line with its request id, method,
// path (no query string), status and duration; the token is never written.
func TestAccessLog(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	e := startServerOn(t, ln, openClusterNode(t, "2026-01-01T00:00:00Z", ln.Addr().String()), func(c *Config) { c.AccessLog = &out })
	req, _ := http.NewRequest("GET", e.base+"/v1/customers/cust-1?secret_query=1", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("X-Request-Id", "trace-7")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	e.doToken("GET", "/healthz", nil, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil { // flushes the log
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("access log has %d lines, want 2:\n%s", len(lines), out.String())
	}
	var first accessLine
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatalf("line %q: %v", lines[0], err)
	}
	if first.RequestID != "trace-7" || first.Method != "GET" || first.Path != "/v1/customers/cust-1" || first.Status != 404 || first.Remote == "" || first.Time == "" {
		t.Errorf("access line %+v", first)
	}
	if strings.Contains(out.String(), testToken) || strings.Contains(out.String(), "secret_query") {
		t.Errorf("the access log holds the token or the query string:\n%s", out.String())
	}
}
