package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"burndown/cluster"
	"burndown/engine"
)

// authorizePath is the gateways' auth-subrequest endpoint (NGINX
// auth_request, Envoy ext_authz in HTTP mode, Caddy forward_auth, Traefik
// forwardAuth). Envoy appends the original request's path to it, so every
// path below it is served too, with any method.
const authorizePath = "/v1/entitlements/authorize"

// The headers a gateway sets on the subrequest, and the ones the answer
// carries back (pre-normalized, so setting them copies bytes only).
var (
	hdrCustomer      = []byte("X-Burndown-Customer-Id")
	hdrProduct       = []byte("X-Burndown-Product-Id")
	hdrGroupKey      = []byte("X-Burndown-Group-Key")
	hdrGroupValue    = []byte("X-Burndown-Group-Value")
	hdrEventType     = []byte("X-Burndown-Event-Type")
	hdrRequestID     = []byte("X-Request-Id")
	hdrPropertyStart = []byte("X-Burndown-Property-")
	balanceZero      = []byte("0")
)

// The answer's headers.
const (
	hdrEntitled = "X-Burndown-Entitled"
	hdrReason   = "X-Burndown-Reason"
	hdrBalance  = "X-Burndown-Balance"
)

// Reasons the authorize endpoint denies with besides the check's own: the
// gateway turns any 4xx but 401/403 into a 500, so every refusal is a 403
// that says why.
const (
	reasonUnknownCustomer   = "unknown_customer"
	reasonUnknownProduct    = "unknown_product"
	reasonBadRequest        = "bad_request"
	reasonUnauthorized      = "unauthorized"
	reasonInsufficientScope = "insufficient_scope"
)

// atOrBelow reports whether path is base or a path below it.
func atOrBelow(path []byte, base string) bool {
	if len(path) < len(base) || string(path[:len(base)]) != base {
		return false
	}
	return len(path) == len(base) || path[len(base)] == '/'
}

// authorize serves the auth subrequest: 200 when the customer named by
// X-Burndown-Customer-Id (an id or ingest alias) is entitled to the product
// of X-Burndown-Product-Id, 403 otherwise, both with the check's JSON body
// and its answer in X-Burndown-Entitled, -Reason and -Balance. With
// X-Burndown-Event-Type it meters the request too (authorizeMetered).
// Check-only, it reads the published views like the check and allocates
// nothing in steady state.
func (s *Server) authorize(ctx *fasthttp.RequestCtx) {
	scope, ok := s.authenticate(ctx)
	if !ok {
		denyAuthorize(ctx, reasonUnauthorized, "Authorization: a valid bearer token is required (set it in the gateway's configuration)")
		return
	}
	h := &ctx.Request.Header
	customer, product := h.PeekBytes(hdrCustomer), h.PeekBytes(hdrProduct)
	switch {
	case len(customer) == 0:
		denyAuthorize(ctx, reasonBadRequest, "X-Burndown-Customer-Id: is required")
		return
	case len(product) == 0:
		denyAuthorize(ctx, reasonBadRequest, "X-Burndown-Product-Id: is required")
		return
	}
	if len(h.PeekBytes(hdrEventType)) > 0 {
		s.authorizeMetered(ctx, scope)
		return
	}
	if !s.readsOpen() {
		s.notCaughtUp(ctx)
		return
	}
	a, st := s.node.Engine().Check(customer, product, h.PeekBytes(hdrGroupKey), h.PeekBytes(hdrGroupValue))
	switch st {
	case engine.CheckUnknownCustomer:
		denyAuthorize(ctx, reasonUnknownCustomer, "X-Burndown-Customer-Id: customer not found")
		return
	case engine.CheckUnknownProduct:
		denyAuthorize(ctx, reasonUnknownProduct, "X-Burndown-Product-Id: product not found")
		return
	}
	answerAuthorize(ctx, &a)
}

// answerAuthorize writes a check's answer: status, headers and body.
func answerAuthorize(ctx *fasthttp.RequestCtx, a *engine.CheckAnswer) {
	var buf [256]byte
	body := a.AppendJSON(buf[:0])
	status, entitled := fasthttp.StatusForbidden, "false"
	if a.Entitled {
		status, entitled = fasthttp.StatusOK, "true"
	}
	ctx.SetStatusCode(status)
	rh := &ctx.Response.Header
	rh.Set(hdrEntitled, entitled)
	rh.Set(hdrReason, a.Reason)
	rh.SetBytesV(hdrBalance, a.Balance.AppendString(buf[len(body):len(body)]))
	rh.SetContentTypeBytes(jsonContentType)
	ctx.Response.SetBody(body)
}

// denyAuthorize answers 403 for a request the check could not answer, in
// the check's shape with a message naming what is wrong.
func denyAuthorize(ctx *fasthttp.RequestCtx, reason, message string) {
	ctx.SetStatusCode(fasthttp.StatusForbidden)
	rh := &ctx.Response.Header
	rh.Set(hdrEntitled, "false")
	rh.Set(hdrReason, reason)
	rh.SetBytesV(hdrBalance, balanceZero)
	rh.SetContentTypeBytes(jsonContentType)
	b := make([]byte, 0, 96+len(message))
	b = append(b, `{"entitled":false,"reason":"`...)
	b = append(b, reason...)
	b = append(b, `","balance":"0","credit_type_id":"","message":`...)
	b = appendJSONString(b, message)
	ctx.Response.SetBody(append(b, '}'))
}

// authorizeMetered meters the request as one event and admits it in one
// atomic step (the consume command): concurrent requests cannot overrun a
// limit, and the event's transaction_id is the request's X-Request-Id, so a
// gateway repeating a request meters it once (and is admitted again).
func (s *Server) authorizeMetered(ctx *fasthttp.RequestCtx, scope string) {
	if !cluster.ScopeAllows(scope, cluster.ScopeWrite) {
		denyAuthorize(ctx, reasonInsufficientScope, fmt.Sprintf("Authorization: this token's scope is %s; metering (X-Burndown-Event-Type) needs a write token", scope))
		return
	}
	if !s.node.IsLeader() {
		s.forward(ctx)
		return
	}
	cmd, reason, err := s.meteredConsume(ctx)
	if err != nil {
		denyAuthorize(ctx, reason, err.Error())
		return
	}
	pctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	res, err := s.node.Propose(pctx, cmd)
	cancel()
	switch {
	case errors.Is(err, cluster.ErrNotLeader):
		s.forward(ctx)
	case err != nil:
		writeError(ctx, authorizeUnavailable(proposeError(err)))
	case res.Err != nil && res.Err.Code == engine.NotFound:
		denyAuthorize(ctx, reasonUnknownCustomer, "X-Burndown-Customer-Id: "+res.Err.Message)
	case res.Err != nil:
		denyAuthorize(ctx, reasonBadRequest, res.Err.Message)
	case res.Check == nil:
		writeError(ctx, errors.New("consume: no answer"))
	default:
		answerAuthorize(ctx, res.Check)
	}
}

// authorizeUnavailable keeps a failure to replicate out of the 4xx range
// (a 429 becomes a 503 with its Retry-After): a gateway reads any 4xx but
// 401 and 403 as its own error.
func authorizeUnavailable(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status < 500 {
		return &apiError{Status: fasthttp.StatusServiceUnavailable, Message: ae.Message, RetryAfter: max(ae.RetryAfter, 1)}
	}
	return err
}

// meteredConsume builds the consume of one event from the subrequest's
// headers, validated like an ingested event; on a refusal it returns the
// reason and an error naming the header.
func (s *Server) meteredConsume(ctx *fasthttp.RequestCtx) (*engine.Consume, string, error) {
	h := &ctx.Request.Header
	eng := s.node.Engine()
	customer := eng.LookupCustomer(string(h.PeekBytes(hdrCustomer)))
	if customer == nil {
		return nil, reasonUnknownCustomer, errors.New("X-Burndown-Customer-Id: customer not found")
	}
	product := string(h.PeekBytes(hdrProduct))
	if _, ok := eng.Catalog().Products[product]; !ok {
		return nil, reasonUnknownProduct, errors.New("X-Burndown-Product-Id: product not found")
	}
	ev := engine.Event{CustomerID: customer.ID, Timestamp: s.node.Now().UnixNano()}
	var err error
	if ev.TransactionID, err = headerString(h.PeekBytes(hdrRequestID), "X-Request-Id", "it is the metered event's transaction_id; the gateway must send one per request"); err != nil {
		return nil, reasonBadRequest, err
	}
	if ev.EventType, err = headerString(h.PeekBytes(hdrEventType), "X-Burndown-Event-Type", ""); err != nil {
		return nil, reasonBadRequest, err
	}
	if ev.Properties, err = headerProperties(h); err != nil {
		return nil, reasonBadRequest, err
	}
	events := []engine.Event{ev}
	if err := s.checkSummedProperties(events); err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			err = errors.New(string(bytes.Replace([]byte(ae.Message), []byte("body[0].properties."), hdrPropertyStart, 1)))
		}
		return nil, reasonBadRequest, err
	}
	return &engine.Consume{CustomerID: customer.ID, ProductID: product,
		GroupKey: string(h.PeekBytes(hdrGroupKey)), GroupValue: string(h.PeekBytes(hdrGroupValue)), Events: events}, "", nil
}

// headerString validates a required header value as an event string.
func headerString(v []byte, name, why string) (string, error) {
	switch {
	case len(v) == 0 && why != "":
		return "", fmt.Errorf("%s: is required with X-Burndown-Event-Type (%s)", name, why)
	case len(v) == 0:
		return "", fmt.Errorf("%s: is required", name)
	case len(v) > maxStringLen:
		return "", fmt.Errorf("%s: longer than %d bytes", name, maxStringLen)
	case !utf8.Valid(v):
		return "", fmt.Errorf("%s: is not valid UTF-8", name)
	}
	return string(v), nil
}

// headerProperties collects the X-Burndown-Property-<name> headers as the
// event's properties. HTTP header names are case-insensitive, so a
// property's name is the header's rest in lower case.
func headerProperties(h *fasthttp.RequestHeader) (map[string]string, error) {
	var props map[string]string
	var err error
	h.VisitAll(func(k, v []byte) {
		if err != nil || len(k) <= len(hdrPropertyStart) || !bytes.EqualFold(k[:len(hdrPropertyStart)], hdrPropertyStart) {
			return
		}
		if len(props) == maxEventProperties {
			err = fmt.Errorf("X-Burndown-Property-*: at most %d properties are allowed", maxEventProperties)
			return
		}
		name := string(bytes.ToLower(k[len(hdrPropertyStart):]))
		var val string
		if val, err = headerString(v, string(k), ""); err != nil {
			return
		}
		if props == nil {
			props = map[string]string{}
		}
		props[name] = val
	})
	return props, err
}
