package transport

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/option"
)

// postKey posts body with an Idempotency-Key (none when key is "") and
// optional extra headers; it returns status, body and headers.
func (e *testEnv) postKey(path, key, body string, gz bool, extra ...string) (int, string, http.Header) {
	e.t.Helper()
	raw := []byte(body)
	if gz {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(raw) //nolint:errcheck
		w.Close()
		raw = b.Bytes()
	}
	req, err := http.NewRequest("POST", e.base+path, bytes.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Add(extra[i], extra[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), resp.Header
}

// The official SDK retries with the same Idempotency-Key: the first answer
// comes back, and the write is applied once.
func TestIdempotencyKeyWithSDK(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	eng := e.node.Engine()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := metronome.NewClient(option.WithBaseURL(e.base+"/"), option.WithBearerToken(testToken), option.WithMaxRetries(0))
	key := option.WithHeader("Idempotency-Key", "sdk-key-1")

	first, err := client.V1.Customers.New(ctx, metronome.V1CustomerNewParams{Name: "Retry Inc"}, key)
	if err != nil {
		t.Fatal(err)
	}
	again, err := client.V1.Customers.New(ctx, metronome.V1CustomerNewParams{Name: "Retry Inc"}, key)
	if err != nil || again.RawJSON() != first.RawJSON() || eng.CustomerCount() != 1 {
		t.Fatalf("retry: %v\n%s\nvs first\n%s\n%d customers", err, again.RawJSON(), first.RawJSON(), eng.CustomerCount())
	}
	// The same key with another body is refused, and not retried by the SDK.
	_, err = client.V1.Customers.New(ctx, metronome.V1CustomerNewParams{Name: "Other Inc"}, key,
		option.WithMaxRetries(2))
	var apiErr *metronome.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 409 || !strings.Contains(apiErr.RawJSON(), `"message":"Idempotency-Key: reused with a different request body"`) {
		t.Fatalf("same key, other body: %v", err)
	}
	// Another key: another customer.
	if c, err := client.V1.Customers.New(ctx, metronome.V1CustomerNewParams{Name: "Retry Inc"}, option.WithHeader("Idempotency-Key", "sdk-key-2")); err != nil || c.Data.ID == first.Data.ID {
		t.Fatalf("another key: %v %+v", err, c)
	}

	// Ingest: events for an unknown customer are counted once per apply.
	usage := metronome.V1UsageIngestParams{Usage: []metronome.V1UsageIngestParamsUsage{{
		CustomerID: "nobody", EventType: "api", Timestamp: "2026-01-01T00:00:00Z", TransactionID: "t-1"}}}
	for range 3 {
		if err := client.V1.Usage.Ingest(ctx, usage, option.WithHeader("Idempotency-Key", "sdk-key-1")); err != nil {
			t.Fatal(err)
		}
	}
	if n := eng.UnknownCustomerRejects(); n != 1 {
		t.Fatalf("ingest with one key three times counted %d rejects", n)
	}
	if err := client.V1.Usage.Ingest(ctx, usage); err != nil || eng.UnknownCustomerRejects() != 2 {
		t.Fatalf("without a key the ingest applies again: %v, %d", err, eng.UnknownCustomerRejects())
	}
}

// Over raw HTTP: a gzipped retry of the same body is the same request, a
// bad header is a 400 naming it, and forwarding from a follower keeps the key.
func TestIdempotencyKeyHTTP(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	eng := e.node.Engine()
	body := `{"name":"Gzip Inc","ingest_aliases":["gz"]}`
	s1, b1, _ := e.postKey("/v1/customers", "k-gz", body, false)
	s2, b2, _ := e.postKey("/v1/customers", "k-gz", body, true)
	if s1 != 200 || s2 != 200 || b1 != b2 || eng.CustomerCount() != 1 {
		t.Fatalf("plain then gzipped: %d %s / %d %s, %d customers", s1, b1, s2, b2, eng.CustomerCount())
	}
	// A rejection is an answer too: the alias is taken, and a retry says so
	// again (from the record) rather than anything else.
	dupBody := `{"name":"Dup","ingest_aliases":["gz"]}`
	s1, b1, _ = e.postKey("/v1/customers", "k-dup", dupBody, false)
	s2, b2, _ = e.postKey("/v1/customers", "k-dup", dupBody, false)
	if s1 != 409 || s2 != 409 || b1 != b2 {
		t.Fatalf("replayed rejection: %d %s / %d %s", s1, b1, s2, b2)
	}
	// Scoped by endpoint: the same key on another path is independent.
	if s, b, _ := e.postKey("/v1/credit-types/create", "k-gz", `{"name":"AI credits"}`, false); s != 200 {
		t.Fatalf("same key, other endpoint: %d %s", s, b)
	}
	s, b, h := e.postKey("/v1/customers", "k-gz", `{"name":"Else"}`, false)
	if s != 409 || b != `{"message":"Idempotency-Key: reused with a different request body"}` || h.Get("X-Should-Retry") != "false" {
		t.Fatalf("other body: %d %s %v", s, b, h)
	}
	for _, bad := range []string{"has space", strings.Repeat("k", 256), "tab\tkey", "é"} {
		if s, b, _ := e.postKey("/v1/customers", bad, `{"name":"x"}`, false); s != 400 || !strings.Contains(b, `"message":"Idempotency-Key: `) {
			t.Fatalf("key %q: %d %s", bad, s, b)
		}
	}
	if s, b, _ := e.postKey("/v1/customers", "one", `{"name":"x"}`, false, "Idempotency-Key", "two"); s != 400 || !strings.Contains(b, "Idempotency-Key: sent more than once") {
		t.Fatalf("two keys: %d %s", s, b)
	}
	// Read routes sent as POST check the header and answer as usual.
	if s, b, _ := e.postKey("/v1/contract-pricing/products/list", "k-read", `{}`, false); s != 200 {
		t.Fatalf("read with a key: %d %s", s, b)
	}
	if s, _, _ := e.postKey("/v1/contract-pricing/products/list", "bad key", `{}`, false); s != 400 {
		t.Fatalf("read with a bad key: %d", s)
	}
	if eng.CustomerCount() != 1 {
		t.Fatalf("%d customers", eng.CustomerCount())
	}

	// A follower forwards the header with the request.
	followerNode := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(followerNode.eng.Close)
	followerNode.leader = false
	followerNode.leaderAddr = e.base[len("http://"):]
	follower := startServer(t, followerNode)
	fb := `{"name":"Via follower"}`
	s1, b1, _ = follower.postKey("/v1/customers", "k-fwd", fb, false)
	s2, b2, _ = follower.postKey("/v1/customers", "k-fwd", fb, false)
	s3, b3, _ := e.postKey("/v1/customers", "k-fwd", fb, false)
	if s1 != 200 || b1 != b2 || b1 != b3 || s2 != 200 || s3 != 200 || eng.CustomerCount() != 2 || followerNode.eng.CustomerCount() != 0 {
		t.Fatalf("through the follower: %d %s / %d %s / %d %s, %d customers", s1, b1, s2, b2, s3, b3, eng.CustomerCount())
	}
}

// Webhook destinations take an Idempotency-Key like every write (the guard
// covers the cluster layer's client commands): a retried creation without a
// secret makes one destination and answers its id and secret again; the
// same key with another body is a conflict; archive and replay take keys.
func TestIdempotencyKeyWebhooks(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	body := `{"url":"http://127.0.0.1:1/hook"}`
	s1, b1, _ := e.postKey("/v1/webhooks/create", "k-hook", body, false)
	s2, b2, _ := e.postKey("/v1/webhooks/create", "k-hook", body, false)
	if s1 != 200 || s2 != 200 || b1 != b2 || !strings.Contains(b1, `"secret":"`) {
		t.Fatalf("retried create: %d %s / %d %s", s1, b1, s2, b2)
	}
	if n := len(e.node.Webhooks()); n != 1 {
		t.Fatalf("%d destinations, want 1", n)
	}
	if s, b, _ := e.postKey("/v1/webhooks/create", "k-hook", `{"url":"http://127.0.0.1:1/other"}`, false); s != 409 {
		t.Fatalf("other body: %d %s", s, b)
	}
	id := e.node.Webhooks()[0].ID
	a1, ab1, _ := e.postKey("/v1/webhooks/archive", "k-arch", `{"id":"`+id+`"}`, false)
	a2, ab2, _ := e.postKey("/v1/webhooks/archive", "k-arch", `{"id":"`+id+`"}`, false)
	if a1 != 200 || a2 != 200 || ab1 != ab2 {
		t.Fatalf("retried archive: %d %s / %d %s", a1, ab1, a2, ab2)
	}
	if s, b, _ := e.postKey("/v1/webhooks/deliveries/replay", "k-replay", `{"since":"2025-01-01T00:00:00Z"}`, false); s != 200 {
		t.Fatalf("replay with a key: %d %s", s, b)
	}
}
