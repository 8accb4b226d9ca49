package transport

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// frameOf encodes one request built by set.
func frameOf(t testing.TB, set func(r *fasthttp.Request)) []byte {
	t.Helper()
	var r fasthttp.Request
	r.Header.SetMethod(fasthttp.MethodPost)
	set(&r)
	f, err := appendSubRequest(nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func batchOf(frames ...[]byte) []byte {
	b := appendBatchHeader(nil, batchRequestMagic, len(frames))
	for _, f := range frames {
		b = append(b, f...)
	}
	return b
}

// A request frame carries the method, the raw path and query, the headers
// the serving path reads (a repeated Idempotency-Key twice, so the leader
// refuses it as it would directly) and the body; nothing else.
func TestForwardBatchRequestRoundTrip(t *testing.T) {
	body := batchOf(
		frameOf(t, func(r *fasthttp.Request) {
			r.SetRequestURI("/v1/ingest?x=1&y=%2F")
			r.Header.Set("Authorization", "Bearer tok")
			r.Header.Add("Idempotency-Key", "k1")
			r.Header.Add("Idempotency-Key", "k2")
			r.Header.SetContentType("application/json")
			r.Header.Set("Content-Encoding", "gzip")
			r.Header.Set("X-Request-Id", "rid-1")
			r.Header.Set("X-Burndown-Customer-Id", "c")
			r.Header.Set(forwardedHeader, "1")
			r.Header.Set("User-Agent", "curl")
			r.Header.Set("Cookie", "a=b")
			r.SetBodyString(`[{"a":1}]`)
		}),
		frameOf(t, func(r *fasthttp.Request) { r.SetRequestURI("/v1/customers") }),
	)
	subs, err := decodeBatchRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 {
		t.Fatalf("%d requests", len(subs))
	}
	s := subs[0]
	if string(s.method) != "POST" || string(s.uri) != "/v1/ingest?x=1&y=%2F" || string(s.body) != `[{"a":1}]` {
		t.Fatalf("first: %s %s %s", s.method, s.uri, s.body)
	}
	var got []string
	for _, h := range s.headers {
		got = append(got, string(h.name)+": "+string(h.value))
	}
	want := []string{"Content-Type: application/json", "Authorization: Bearer tok", "Idempotency-Key: k1", "Idempotency-Key: k2",
		"Content-Encoding: gzip", "X-Request-Id: rid-1", "X-Burndown-Customer-Id: c"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("headers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s2 := subs[1]; string(s2.uri) != "/v1/customers" || len(s2.headers) != 0 || len(s2.body) != 0 {
		t.Fatalf("second: %+v", s2)
	}
}

// An answer frame carries the status, every header but the connection's
// and framing's, and the body.
func TestForwardBatchResponseRoundTrip(t *testing.T) {
	var a, b fasthttp.Response
	a.SetStatusCode(401)
	a.Header.Set("WWW-Authenticate", `Bearer realm="burndown"`)
	a.Header.SetContentType("application/json")
	a.Header.Set("X-Request-Id", "r")
	a.Header.Set("Retry-After", "1")
	a.Header.Set("Date", "x")
	a.Header.Set("Server", "burndown")
	a.SetBodyString(`{"message":"Authorization: a valid bearer token is required"}`)
	b.SetStatusCode(200)
	body := appendBatchHeader(nil, batchResponseMagic, 2)
	body = appendSubResponse(body, &a)
	body = appendSubResponse(body, &b)
	subs, err := decodeBatchResponse(body, 2)
	if err != nil {
		t.Fatal(err)
	}
	if subs[0].status != 401 || string(subs[0].body) != string(a.Body()) || subs[1].status != 200 || len(subs[1].body) != 0 {
		t.Fatalf("decoded %+v", subs)
	}
	have := map[string]string{}
	for _, h := range subs[0].headers {
		have[string(h.name)] = string(h.value)
	}
	for k, v := range map[string]string{"Www-Authenticate": `Bearer realm="burndown"`, "Content-Type": "application/json", "X-Request-Id": "r", "Retry-After": "1"} {
		if have[k] != v {
			t.Errorf("header %s = %q, want %q (have %v)", k, have[k], v, have)
		}
	}
	for _, k := range []string{"Date", "Server", "Content-Length"} {
		if _, ok := have[k]; ok {
			t.Errorf("header %s relayed", k)
		}
	}
	if _, err := decodeBatchResponse(body, 3); err == nil || !strings.Contains(err.Error(), "2 answers to 3 requests") {
		t.Fatalf("count mismatch: %v", err)
	}
	// The follower writes the answer as the leader gave it.
	var ctx fasthttp.RequestCtx
	ctx.Response.Header.Set("X-Stale", "1")
	writeSubResponse(&ctx, &subs[0])
	if ctx.Response.StatusCode() != 401 || string(ctx.Response.Header.Peek("WWW-Authenticate")) != `Bearer realm="burndown"` ||
		string(ctx.Response.Header.ContentType()) != "application/json" || len(ctx.Response.Header.Peek("X-Stale")) > 0 ||
		string(ctx.Response.Body()) != string(a.Body()) {
		t.Fatalf("written: %s", ctx.Response.String())
	}
}

// A request with a field past the framing's bounds is not put in a batch
// (it is forwarded on its own).
func TestForwardBatchEncoderBounds(t *testing.T) {
	for name, set := range map[string]func(r *fasthttp.Request){
		"long path":         func(r *fasthttp.Request) { r.SetRequestURI("/v1/ingest?" + strings.Repeat("a", maxURILen)) },
		"long header value": func(r *fasthttp.Request) { r.Header.Set("X-Request-Id", strings.Repeat("a", maxHeaderValueLen+1)) },
		"many headers": func(r *fasthttp.Request) {
			for i := 0; i <= maxFrameHeaders; i++ {
				r.Header.Add("X-Burndown-Property-A", "v")
			}
		},
	} {
		var r fasthttp.Request
		r.Header.SetMethod("POST")
		r.SetRequestURI("/v1/ingest")
		set(&r)
		if _, err := appendSubRequest(nil, &r); err != errFrameField {
			t.Errorf("%s: %v, want errFrameField", name, err)
		}
	}
}

// uv is a uvarint's bytes.
func uv(n uint64) []byte { return binary.AppendUvarint(nil, n) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// Every malformed body is refused with a message naming what is wrong,
// before anything is made of an announced count or length.
func TestForwardBatchDecoderRefuses(t *testing.T) {
	head := []byte(batchRequestMagic + "\x01")
	good := frameOf(t, func(r *fasthttp.Request) { r.SetRequestURI("/v1/ingest") })
	for name, c := range map[string]struct {
		body []byte
		want string
	}{
		"empty":          {nil, "not a forwarded batch"},
		"other magic":    {[]byte("BDFS\x01\x00"), "not a forwarded batch"},
		"other version":  {[]byte(batchRequestMagic + "\x02\x01"), "version 2"},
		"no count":       {head, "frame count: missing"},
		"zero":           {cat(head, uv(0)), "holds no request"},
		"too many":       {cat(head, uv(maxBatchRequests+1)), "more than the 256 allowed"},
		"count > bytes":  {cat(head, uv(200), good), "frames announced in"},
		"bad uvarint":    {cat(head, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), "not a valid length"},
		"truncated":      {cat(head, uv(1), good[:len(good)-1]), "body length: missing"},
		"long body":      {cat(head, uv(1), uv(4), []byte("POST"), uv(2), []byte("/x"), uv(0), uv(10), []byte("ab")), "10 bytes announced, 2 left"},
		"long method":    {cat(head, uv(1), uv(17), bytes.Repeat([]byte("A"), 17), uv(0), uv(0), uv(0)), "method length: 17 is more than the 16"},
		"many headers":   {cat(head, uv(1), uv(4), []byte("POST"), uv(2), []byte("/x"), uv(maxFrameHeaders+1)), "header count: 33"},
		"empty name":     {cat(head, uv(1), uv(4), []byte("POST"), uv(2), []byte("/x"), uv(1), uv(0), uv(0), uv(0)), "empty name"},
		"relative path":  {cat(head, uv(1), uv(4), []byte("POST"), uv(1), []byte("x"), uv(0), uv(0)), "path starting with /"},
		"trailing bytes": {cat(head, uv(1), good, []byte("zz")), "2 bytes after the last frame"},
	} {
		_, err := decodeBatchRequest(c.body)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	resp := []byte(batchResponseMagic + "\x01")
	for name, c := range map[string]struct {
		body []byte
		want string
	}{
		"status 99":  {cat(resp, uv(1), uv(99), uv(0), uv(0)), "not an HTTP status"},
		"status 600": {cat(resp, uv(1), uv(600), uv(0), uv(0)), "more than the 599"},
		"truncated":  {cat(resp, uv(1), uv(200), uv(0)), "answer 0 body length: missing"},
	} {
		_, err := decodeBatchResponse(c.body, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("answer %s: %v, want %q", name, err, c.want)
		}
	}
}

// FuzzForwardBatch feeds arbitrary bodies to both decoders of the framing:
// none may panic, what they return stays within the framing's bounds and
// the bytes given, and a decoded request batch encodes back to a body that
// decodes the same. Seeds in testdata/fuzz/FuzzForwardBatch.
func FuzzForwardBatch(f *testing.F) {
	f.Add(batchOf(frameOf(f, func(r *fasthttp.Request) {
		r.SetRequestURI("/v1/ingest")
		r.Header.Set("Authorization", "Bearer t")
		r.Header.Set("Idempotency-Key", "k")
		r.SetBodyString(`[]`)
	}), frameOf(f, func(r *fasthttp.Request) { r.SetRequestURI("/v1/customers?x=1") })))
	var resp fasthttp.Response
	resp.SetStatusCode(409)
	resp.SetBodyString(`{"message":"x"}`)
	f.Add(appendSubResponse(appendBatchHeader(nil, batchResponseMagic, 1), &resp))
	f.Add([]byte(batchRequestMagic + "\x01\x80\x02"))
	f.Fuzz(func(t *testing.T, body []byte) {
		if subs, err := decodeBatchRequest(body); err == nil {
			if len(subs) == 0 || len(subs) > maxBatchRequests {
				t.Fatalf("%d requests", len(subs))
			}
			re := appendBatchHeader(nil, batchRequestMagic, len(subs))
			for _, s := range subs {
				if len(s.method) > maxMethodLen || len(s.uri) > maxURILen || len(s.headers) > maxFrameHeaders || len(s.body) > len(body) {
					t.Fatalf("out of bounds: %d %d %d %d", len(s.method), len(s.uri), len(s.headers), len(s.body))
				}
				re = appendString(appendString(re, s.method), s.uri)
				re = binary.AppendUvarint(re, uint64(len(s.headers)))
				for _, h := range s.headers {
					re = appendString(appendString(re, h.name), h.value)
				}
				re = appendString(re, s.body)
			}
			again, err := decodeBatchRequest(re)
			if err != nil || len(again) != len(subs) {
				t.Fatalf("re-encoded batch: %v", err)
			}
			for i := range subs {
				if !bytes.Equal(again[i].uri, subs[i].uri) || !bytes.Equal(again[i].body, subs[i].body) {
					t.Fatalf("request %d changed", i)
				}
			}
		}
		for _, want := range []int{1, 2} {
			if subs, err := decodeBatchResponse(body, want); err == nil {
				for _, s := range subs {
					if s.status < 100 || s.status > 599 || len(s.headers) > maxFrameHeaders || len(s.body) > len(body) {
						t.Fatalf("out of bounds: %+v", s)
					}
				}
			}
		}
	})
}
