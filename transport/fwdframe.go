package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/valyala/fasthttp"
)

// The framing of a forwarded batch (POST /v1/cluster/forward-batch): a
// follower's writes waiting for the leader, sent as one request and
// answered as one response, in order. Both bodies are
//
//	magic (4 bytes) | version (1 byte) | count (uvarint) | count frames
//
// A request frame is method, path+query, header count, each header's name
// and value, body; a response frame is status (uvarint), header count,
// headers, body. Every byte string is a uvarint length then its bytes.
// Nothing in it is persisted: a node that does not speak a version answers
// the batch 400 and the follower forwards its requests one by one.
const (
	batchRequestMagic  = "BDFQ"
	batchResponseMagic = "BDFS"
	batchVersion       = 1
)

// Bounds of the framing, checked by the encoders (a request outside them is
// forwarded on its own) and by the decoders (which never allocate more than
// the bytes they are given).
const (
	maxBatchRequests  = 256
	maxMethodLen      = 16
	maxURILen         = 8 << 10
	maxFrameHeaders   = 32
	maxHeaderNameLen  = 128
	maxHeaderValueLen = 8 << 10
)

// minFrameLen is the fewest bytes a request or response frame takes (a
// status or three empty strings, no headers, an empty body), so a count
// larger than the bytes left can hold is refused before anything is made.
const minFrameLen = 3

// errFrameField names the framing's bound a request does not fit.
var errFrameField = errors.New("transport: a field is too long for a forwarded batch")

// headerKV is one header of a frame; both slices point into the frame.
type headerKV struct{ name, value []byte }

// subRequest is one decoded request frame; its slices point into the batch
// body.
type subRequest struct {
	method, uri []byte
	headers     []headerKV
	body        []byte
}

// subResponse is one decoded response frame; its slices point into the
// batch's response body.
type subResponse struct {
	status  int
	headers []headerKV
	body    []byte
}

// forwardedRequestHeader reports whether a client's request header travels
// in a batch: the ones the serving path reads (the token, the idempotency
// key, the body's type and encoding, the request id, Burndown's own), never
// the loop guard, which the leader sets on every sub-request itself.
func forwardedRequestHeader(name []byte) bool {
	for _, h := range [...]string{fasthttp.HeaderAuthorization, idempotencyHeader, fasthttp.HeaderContentType,
		fasthttp.HeaderContentEncoding, "X-Request-Id"} {
		if bytes.EqualFold(name, []byte(h)) {
			return true
		}
	}
	const own = "X-Burndown-"
	return len(name) > len(own) && bytes.EqualFold(name[:len(own)], []byte(own)) &&
		!bytes.EqualFold(name, []byte(forwardedHeader))
}

// relayedResponseHeader reports whether an answer's header travels back in
// a batch: all but those about the leader's connection and framing, which
// the follower's server writes itself.
func relayedResponseHeader(name []byte) bool {
	for _, h := range [...]string{fasthttp.HeaderContentLength, fasthttp.HeaderConnection, fasthttp.HeaderTransferEncoding,
		fasthttp.HeaderDate, fasthttp.HeaderServer} {
		if bytes.EqualFold(name, []byte(h)) {
			return false
		}
	}
	return true
}

// appendBatchHeader starts a batch body of n frames.
func appendBatchHeader(dst []byte, magic string, n int) []byte {
	dst = append(dst, magic...)
	dst = append(dst, batchVersion)
	return binary.AppendUvarint(dst, uint64(n))
}

func appendString(dst, s []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendSubRequest appends req's frame (its method, URI, the headers
// forwardedRequestHeader keeps, its buffered body) to dst;
// errFrameField when a field is past its bound.
func appendSubRequest(dst []byte, req *fasthttp.Request) ([]byte, error) {
	method, uri := req.Header.Method(), req.RequestURI()
	if len(method) > maxMethodLen || len(uri) > maxURILen {
		return dst, errFrameField
	}
	dst = appendString(dst, method)
	dst = appendString(dst, uri)
	n := 0
	for k, v := range req.Header.All() {
		if forwardedRequestHeader(k) {
			if len(k) > maxHeaderNameLen || len(v) > maxHeaderValueLen {
				return dst, errFrameField
			}
			n++
		}
	}
	if n > maxFrameHeaders {
		return dst, errFrameField
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for k, v := range req.Header.All() {
		if forwardedRequestHeader(k) {
			dst = appendString(appendString(dst, k), v)
		}
	}
	return appendString(dst, req.Body()), nil
}

// defaultContentType is the Content-Type fasthttp reports for an answer
// that set none.
const defaultContentType = "text/plain; charset=utf-8"

// appendSubResponse appends resp's frame to dst: what the leader would
// have written on the wire. A header past the
// framing's bounds (none of the server's own are near them) is left out
// rather than fail the answers of the whole batch.
func appendSubResponse(dst []byte, resp *fasthttp.Response) []byte {
	dst = binary.AppendUvarint(dst, uint64(resp.StatusCode()))
	empty := len(resp.Body()) == 0
	keep := func(k, v []byte) bool {
		if empty && bytes.EqualFold(k, []byte(fasthttp.HeaderContentType)) && string(v) == defaultContentType {
			return false // fasthttp's default, which it does not write for an empty body either
		}
		return relayedResponseHeader(k) && len(k) <= maxHeaderNameLen && len(v) <= maxHeaderValueLen
	}
	n := 0
	for k, v := range resp.Header.All() {
		if keep(k, v) && n < maxFrameHeaders {
			n++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	i := 0
	for k, v := range resp.Header.All() {
		if keep(k, v) && i < n {
			dst = appendString(appendString(dst, k), v)
			i++
		}
	}
	return appendString(dst, resp.Body())
}

// frameReader reads a batch body; the first error sticks.
type frameReader struct {
	b   []byte
	err error
}

func (r *frameReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

// uvarint reads a uvarint of at most max.
func (r *frameReader) uvarint(max uint64, what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	switch {
	case n == 0:
		r.fail("%s: missing (the body ends early)", what)
		return 0
	case n < 0:
		r.fail("%s: not a valid length", what)
		return 0
	case v > max:
		r.fail("%s: %d is more than the %d allowed", what, v, max)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes reads a length-prefixed string of at most max bytes; it points
// into the body.
func (r *frameReader) bytes(max int, what string) []byte {
	n := r.uvarint(uint64(max), what+" length")
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.fail("%s: %d bytes announced, %d left", what, n, len(r.b))
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

// start checks the magic and version and reads the frame count.
func (r *frameReader) start(magic string, max int) int {
	if len(r.b) < len(magic)+1 || string(r.b[:len(magic)]) != magic {
		r.fail("body: not a forwarded batch (magic %q expected)", magic)
		return 0
	}
	if v := r.b[len(magic)]; v != batchVersion {
		r.fail("body: forwarded batch version %d; this node reads version %d", v, batchVersion)
		return 0
	}
	r.b = r.b[len(magic)+1:]
	n := int(r.uvarint(uint64(max), "body: frame count"))
	if r.err == nil && n > len(r.b)/minFrameLen {
		r.fail("body: %d frames announced in %d bytes", n, len(r.b))
	}
	return n
}

// headers reads a frame's header list.
func (r *frameReader) headers(what string) []headerKV {
	n := int(r.uvarint(maxFrameHeaders, what+" header count"))
	if r.err != nil || n == 0 {
		return nil
	}
	if n > len(r.b)/2 {
		r.fail("%s: %d headers announced in %d bytes", what, n, len(r.b))
		return nil
	}
	hs := make([]headerKV, n)
	for i := range hs {
		hs[i].name = r.bytes(maxHeaderNameLen, fmt.Sprintf("%s header %d name", what, i))
		hs[i].value = r.bytes(maxHeaderValueLen, fmt.Sprintf("%s header %d value", what, i))
		if r.err == nil && len(hs[i].name) == 0 {
			r.fail("%s header %d: empty name", what, i)
		}
	}
	return hs
}

// end refuses bytes after the last frame.
func (r *frameReader) end() {
	if r.err == nil && len(r.b) > 0 {
		r.fail("body: %d bytes after the last frame", len(r.b))
	}
}

// decodeBatchRequest reads a batch body into its sub-requests, which point
// into body. It never panics, and allocates in proportion to len(body).
func decodeBatchRequest(body []byte) ([]subRequest, error) {
	r := frameReader{b: body}
	n := r.start(batchRequestMagic, maxBatchRequests)
	if r.err != nil {
		return nil, r.err
	}
	if n == 0 {
		return nil, errors.New("body: a forwarded batch holds no request")
	}
	subs := make([]subRequest, n)
	for i := range subs {
		what := fmt.Sprintf("request %d", i)
		s := &subs[i]
		s.method = r.bytes(maxMethodLen, what+" method")
		s.uri = r.bytes(maxURILen, what+" path")
		s.headers = r.headers(what)
		s.body = r.bytes(len(body), what+" body")
		if r.err != nil {
			return nil, r.err
		}
		if len(s.method) == 0 || len(s.uri) == 0 || s.uri[0] != '/' {
			return nil, fmt.Errorf("%s: a method and a path starting with / are required", what)
		}
	}
	r.end()
	return subs, r.err
}

// decodeBatchResponse reads the leader's answer to a batch of want
// requests into its sub-responses, which point into body.
func decodeBatchResponse(body []byte, want int) ([]subResponse, error) {
	r := frameReader{b: body}
	n := r.start(batchResponseMagic, maxBatchRequests)
	if r.err == nil && n != want {
		r.fail("body: %d answers to %d requests", n, want)
	}
	if r.err != nil {
		return nil, r.err
	}
	subs := make([]subResponse, n)
	for i := range subs {
		what := fmt.Sprintf("answer %d", i)
		s := &subs[i]
		s.status = int(r.uvarint(599, what+" status"))
		if r.err == nil && s.status < 100 {
			r.fail("%s status: %d is not an HTTP status", what, s.status)
		}
		s.headers = r.headers(what)
		s.body = r.bytes(len(body), what+" body")
		if r.err != nil {
			return nil, r.err
		}
	}
	r.end()
	return subs, r.err
}
