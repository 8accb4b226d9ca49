package transport

import (
	"crypto/sha256"
	"errors"

	"github.com/valyala/fasthttp"

	"burndown/cluster"
)

// idempotencyHeader lets a client retry any POST safely: the first request
// with a key is applied and answered; a retry with the same key, path and
// body is answered the same without being applied again (its answer is
// rendered from the replicated result of the first); the same key with
// another body is a 409. Keys are scoped by endpoint path and kept at least
// 24 h (cluster.IdempotencyRetention). Routes that change nothing, or are
// idempotent by themselves (reads sent as POST, cluster operations, the test
// clock), check the header but keep no record.
const idempotencyHeader = "Idempotency-Key"

// idemUserValue holds a request's validated key until its command is
// proposed; idemUsedValue marks it proposed.
const (
	idemUserValue = "burndown.idempotency-key"
	idemUsedValue = "burndown.idempotency-used"
)

// checkIdempotencyKey validates the header of a POST and keeps its key for
// s.propose; a request without one is left alone.
func checkIdempotencyKey(ctx *fasthttp.RequestCtx) error {
	all := ctx.Request.Header.PeekAll(idempotencyHeader)
	switch len(all) {
	case 0:
		return nil
	case 1:
	default:
		return badRequest("%s: sent more than once", idempotencyHeader)
	}
	key := all[0]
	if !cluster.ValidIdempotencyKey(string(key)) {
		return badRequest("%s: must be 1 to %d printable ASCII characters without spaces", idempotencyHeader, cluster.MaxIdempotencyKeyLen)
	}
	ctx.SetUserValue(idemUserValue, string(key))
	return nil
}

// requestFingerprint is the SHA-256 of the method, path and (decoded) body.
func requestFingerprint(method, path, body []byte) [32]byte {
	h := sha256.New()
	h.Write(method)
	h.Write([]byte{0})
	h.Write(path)
	h.Write([]byte{0})
	h.Write(body)
	var fp [32]byte
	h.Sum(fp[:0])
	return fp
}

// idempotencyKeyOf returns the key the request's command is guarded by, if
// it has one. A handler proposes at most one command per request; a second
// proposal under the same key would be answered with the first one's result,
// so it is refused as a bug.
func (s *Server) idempotencyKeyOf(ctx *fasthttp.RequestCtx) (cluster.IdempotencyKey, bool, error) {
	key, ok := ctx.UserValue(idemUserValue).(string)
	if !ok {
		return cluster.IdempotencyKey{}, false, nil
	}
	if ctx.UserValue(idemUsedValue) != nil {
		return cluster.IdempotencyKey{}, false, errors.New("transport: a second command proposed under one Idempotency-Key")
	}
	ctx.SetUserValue(idemUsedValue, true)
	body, err := readBody(ctx, s.cfg.MaxBodyBytes)
	if err != nil {
		return cluster.IdempotencyKey{}, false, err
	}
	return cluster.IdempotencyKey{Scope: string(ctx.Path()), Key: key,
		Fingerprint: requestFingerprint(ctx.Method(), ctx.Path(), body)}, true, nil
}
