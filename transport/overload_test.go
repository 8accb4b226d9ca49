package transport

import (
	"net/http"
	"strings"
	"testing"

	"burndown/cluster"
)

// A full write queue answers 429 with Retry-After at once; no leader stays a
// 503 with Retry-After.
func TestOverloadAnswers429(t *testing.T) {
	node := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(node.eng.Close)
	node.proposeErr = cluster.ErrOverloaded
	e := startServer(t, node)
	for _, c := range []struct{ path, body string }{
		{"/v1/ingest", `[{"transaction_id":"t","customer_id":"c","event_type":"e","timestamp":"2026-01-01T00:00:00Z"}]`},
		{"/v1/credit-types/create", `{"name":"AI credits"}`},
	} {
		req, _ := http.NewRequest("POST", e.base+c.path, strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 512)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		resp.Body.Close()
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(b.String(), `"message"`) {
			t.Fatalf("%s: %d Retry-After=%q %s, want 429 with Retry-After: 1", c.path, resp.StatusCode, resp.Header.Get("Retry-After"), b.String())
		}
	}

	// No leader: a follower that knows none answers 503 + Retry-After.
	node.proposeErr = nil
	node.leader = false
	req, _ := http.NewRequest("POST", e.base+"/v1/credit-types/create", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("no leader: %d Retry-After=%q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
