package transport

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"burndown/cluster"
	"burndown/engine"
	"burndown/money"
)

// authorizeFixture is checkFixture's customer (alias-1, 2000 of balance at 1
// per event) with a read and a write token, and the product id.
func authorizeFixture(tb testing.TB) (srv *Server, product, readToken, writeToken string) {
	tb.Helper()
	srv, uri := checkFixture(tb)
	product = uri[strings.LastIndex(uri, "=")+1:]
	node := srv.node.(*fakeNode)
	readToken, writeToken = "bdt_reader_secret_for_tests", "bdt_writer_secret_for_tests"
	node.tokens = map[string]string{readToken: cluster.ScopeRead, writeToken: cluster.ScopeWrite}
	return srv, product, readToken, writeToken
}

// authorizeRequest prepares a subrequest as a gateway sends it.
func authorizeRequest(ctx *fasthttp.RequestCtx, method, path, token string, headers map[string]string) {
	ctx.Request.Reset()
	ctx.Response.Reset()
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(path)
	if token != "" {
		ctx.Request.Header.Set(fasthttp.HeaderAuthorization, "Bearer "+token)
	}
	for k, v := range headers {
		ctx.Request.Header.Set(k, v)
	}
}

type authorizeAnswer struct {
	status                    int
	entitled, reason, balance string
	body                      map[string]any
}

func doAuthorize(t *testing.T, srv *Server, method, path, token string, headers map[string]string) authorizeAnswer {
	t.Helper()
	var ctx fasthttp.RequestCtx
	authorizeRequest(&ctx, method, path, token, headers)
	srv.Handle(&ctx)
	a := authorizeAnswer{status: ctx.Response.StatusCode(),
		entitled: string(ctx.Response.Header.Peek(hdrEntitled)),
		reason:   string(ctx.Response.Header.Peek(hdrReason)),
		balance:  string(ctx.Response.Header.Peek(hdrBalance))}
	if err := json.Unmarshal(ctx.Response.Body(), &a.body); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, path, ctx.Response.Body(), err)
	}
	return a
}

// Check-only: 200 when entitled, 403 with a reason for everything else
// (never another 4xx), the answer in headers and the check's body.
func TestAuthorizeAnswersInHeaders(t *testing.T) {
	srv, product, readToken, _ := authorizeFixture(t)
	who := func(customer, prod string) map[string]string {
		h := map[string]string{}
		if customer != "" {
			h["X-Burndown-Customer-Id"] = customer
		}
		if prod != "" {
			h["X-Burndown-Product-Id"] = prod
		}
		return h
	}
	a := doAuthorize(t, srv, "GET", authorizePath, readToken, who("alias-1", product))
	if a.status != 200 || a.entitled != "true" || a.reason != "ok" || a.balance != "2000" || a.body["balance"] != "2000" || a.body["entitled"] != true {
		t.Fatalf("entitled customer: %+v", a)
	}
	for _, c := range []struct {
		name, token           string
		headers               map[string]string
		reason, messageNaming string
	}{
		{"unknown customer", readToken, who("nobody", product), reasonUnknownCustomer, "X-Burndown-Customer-Id"},
		{"unknown product", readToken, who("alias-1", "nothing"), reasonUnknownProduct, "X-Burndown-Product-Id"},
		{"no customer header", readToken, who("", product), reasonBadRequest, "X-Burndown-Customer-Id"},
		{"no product header", readToken, who("alias-1", ""), reasonBadRequest, "X-Burndown-Product-Id"},
		{"no token", "", who("alias-1", product), reasonUnauthorized, "Authorization"},
		{"unknown token", "bdt_nope", who("alias-1", product), reasonUnauthorized, "Authorization"},
	} {
		a := doAuthorize(t, srv, "POST", authorizePath, c.token, c.headers)
		msg, _ := a.body["message"].(string)
		if a.status != 403 || a.entitled != "false" || a.reason != c.reason || a.body["reason"] != c.reason || !strings.HasPrefix(msg, c.messageNaming+":") {
			t.Errorf("%s: %+v", c.name, a)
		}
	}
}

// Envoy's ext_authz in HTTP mode sends the client's method and path behind
// its path_prefix, no body (Content-Length: 0), and the allowed headers
// plus its own (x-envoy-*, x-forwarded-*, x-request-id).
func TestAuthorizeAsEnvoySendsIt(t *testing.T) {
	srv, product, readToken, _ := authorizeFixture(t)
	headers := map[string]string{
		"X-Burndown-Customer-Id":         "alias-1",
		"X-Burndown-Product-Id":          product,
		"Content-Length":                 "0",
		"X-Envoy-Internal":               "true",
		"X-Forwarded-For":                "10.0.0.7",
		"X-Forwarded-Proto":              "https",
		"X-Request-Id":                   "5f0c6e2e-9b3c-4bd3-9c84-3c1c1b7d2a10",
		"X-Envoy-Expected-Rq-Timeout-Ms": "250",
	}
	a := doAuthorize(t, srv, "PUT", authorizePath+"/api/v2/chat/completions?stream=true", readToken, headers)
	if a.status != 200 || a.entitled != "true" {
		t.Fatalf("Envoy's subrequest: %+v", a)
	}
	for _, p := range []string{"/v1/entitlements/authorized", "/v1/entitlements/authorizex/y"} {
		var ctx fasthttp.RequestCtx
		authorizeRequest(&ctx, "GET", p, readToken, headers)
		srv.Handle(&ctx)
		if ctx.Response.StatusCode() != 404 {
			t.Errorf("%s is not below the authorize path but answered %d", p, ctx.Response.StatusCode())
		}
	}
}

// The check-only answer allocates nothing in steady state, like the check.
func TestAuthorizeZeroAllocs(t *testing.T) {
	srv, product, readToken, _ := authorizeFixture(t)
	headers := map[string]string{"X-Burndown-Customer-Id": "alias-1", "X-Burndown-Product-Id": product}
	var ctx fasthttp.RequestCtx
	authorizeRequest(&ctx, "GET", authorizePath, readToken, headers)
	srv.Handle(&ctx)
	allocs := testing.AllocsPerRun(1000, func() {
		ctx.Response.Reset()
		srv.Handle(&ctx)
	})
	if ctx.Response.StatusCode() != 200 {
		t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	if allocs != 0 {
		t.Fatalf("%s allocates %.1f times per request, want 0", authorizePath, allocs)
	}
}

// Metering mode: a write token, one event per request under its
// X-Request-Id, properties from headers; a repeated request id is admitted
// again and meters nothing.
func TestAuthorizeMeters(t *testing.T) {
	srv, product, readToken, writeToken := authorizeFixture(t)
	metered := func(token, requestID string, extra map[string]string) authorizeAnswer {
		h := map[string]string{"X-Burndown-Customer-Id": "alias-1", "X-Burndown-Product-Id": product, "X-Burndown-Event-Type": "api_call"}
		if requestID != "" {
			h["X-Request-Id"] = requestID
		}
		for k, v := range extra {
			h[k] = v
		}
		return doAuthorize(t, srv, "GET", authorizePath, token, h)
	}
	for i, id := range []string{"r1", "r2", "r3"} {
		a := metered(writeToken, id, map[string]string{"X-Burndown-Property-Region": "eu"})
		if want := []string{"1999", "1998", "1997"}[i]; a.status != 200 || a.balance != want {
			t.Fatalf("request %s: %+v, want balance %s", id, a, want)
		}
	}
	if a := metered(writeToken, "r2", nil); a.status != 200 || a.balance != "1997" {
		t.Fatalf("a repeated request id: %+v, want admitted with nothing more metered", a)
	}
	if a := metered(readToken, "r4", nil); a.status != 403 || a.reason != reasonInsufficientScope {
		t.Fatalf("metering with a read token: %+v", a)
	}
	a := metered(writeToken, "", nil)
	if msg, _ := a.body["message"].(string); a.status != 403 || a.reason != reasonBadRequest || !strings.HasPrefix(msg, "X-Request-Id:") {
		t.Fatalf("metering without X-Request-Id: %+v", a)
	}
	a = metered(writeToken, "r5", map[string]string{"X-Burndown-Property-Note": "\xff"})
	if msg, _ := a.body["message"].(string); a.status != 403 || !strings.HasPrefix(msg, "X-Burndown-Property-Note:") {
		t.Fatalf("a property that is not UTF-8: %+v", a)
	}
	// Properties reach the rating: a metric sums the tokens property
	// (header names are case-insensitive, so the name is lower-cased); the
	// counting metric of the fixture adds 1 as for every event.
	node := srv.node.(*fakeNode)
	must := func(cmd engine.Command) string {
		res, err := node.Propose(context.Background(), cmd)
		if err != nil || res.Err != nil {
			t.Fatalf("%T: %v %v", cmd, err, res.Err)
		}
		return res.ID
	}
	metric := must(&engine.CreateMetric{Name: "tokens", EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"llm"}}, Aggregation: engine.AggSum, AggregationKey: "tokens"})
	llm := must(&engine.CreateProduct{Name: "LLM", Type: engine.ProductUsage, BillableMetricID: metric})
	must(&engine.AddRates{RateCardID: node.eng.Catalog().RateCardOrder[0], Rates: []engine.RateInput{{ProductID: llm, StartingAt: node.now.UnixNano(), Entitled: true, RateType: engine.RateFlat, Price: money.FromInt(1)}}})
	llmCall := map[string]string{"X-Burndown-Event-Type": "llm", "X-Burndown-Property-Tokens": "25"}
	if a := metered(writeToken, "r6", llmCall); a.status != 200 || a.balance != "1971" {
		t.Fatalf("an llm call of 25 tokens: %+v, want balance 1997-1-25", a)
	}
	llmCall["X-Burndown-Property-Tokens"] = "many"
	a = metered(writeToken, "r7", llmCall)
	if msg, _ := a.body["message"].(string); a.status != 403 || a.reason != reasonBadRequest || !strings.HasPrefix(msg, "X-Burndown-Property-tokens:") {
		t.Fatalf("a summed property that is not a number: %+v", a)
	}
}

// FuzzAuthorizeHeaders sends hostile header values (customer, product, event
// type, request id, property names and values) to the metering mode: every
// answer is a 200 or a 403 with the check's shape, never a panic or another
// status, and an admitted request meters at most one event.
func FuzzAuthorizeHeaders(f *testing.F) {
	f.Add("alias-1", "", "api_call", "r1", "Tokens", "25")
	f.Add("alias-1", "", "", "", "", "")
	f.Add("nobody", "x", "e", "r\xff", "a", "\xff")
	f.Add("alias-1", "", "api_call", "r2", "Tokens-", "1e999999999")
	srv, product, _, writeToken := authorizeFixture(f)
	f.Fuzz(func(t *testing.T, customer, prod, eventType, requestID, propName, propValue string) {
		if prod == "" {
			prod = product
		}
		var ctx fasthttp.RequestCtx
		authorizeRequest(&ctx, "GET", authorizePath, writeToken, nil)
		h := &ctx.Request.Header
		h.SetBytesKV(hdrCustomer, []byte(customer))
		h.SetBytesKV(hdrProduct, []byte(prod))
		h.SetBytesKV(hdrEventType, []byte(eventType))
		h.SetBytesKV(hdrRequestID, []byte(requestID))
		h.SetBytesKV(append(append([]byte(nil), hdrPropertyStart...), propName...), []byte(propValue))
		balance := func() money.Amount {
			a, _ := srv.node.Engine().Check([]byte("alias-1"), []byte(product), nil, nil)
			return a.Balance
		}
		before := balance()
		srv.Handle(&ctx)
		st := ctx.Response.StatusCode()
		if st != 200 && st != 403 {
			t.Fatalf("status %d: %s", st, ctx.Response.Body())
		}
		var body struct {
			Entitled *bool  `json:"entitled"`
			Reason   string `json:"reason"`
		}
		if err := json.Unmarshal(ctx.Response.Body(), &body); err != nil || body.Entitled == nil || body.Reason != string(ctx.Response.Header.Peek(hdrReason)) {
			t.Fatalf("body %q (%v)", ctx.Response.Body(), err)
		}
		if spent := before.Sub(balance()); spent.Cmp(money.FromInt(1)) > 0 || spent.Sign() < 0 {
			t.Fatalf("one request spent %s, want 0 or 1 (one event at 1)", spent)
		}
	})
}
