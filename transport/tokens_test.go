package transport

import (
	"encoding/json"
	"strings"
	"testing"

	"burndown/cluster"
)

// Every route declares a valid scope in the route table.
func TestEveryRouteHasAScope(t *testing.T) {
	srv, err := New(Config{Node: newFakeNode(mustTime(t, "2026-01-01T00:00:00Z")), Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for path, ep := range srv.buildRoutes() {
		for _, rt := range []*route{ep.get, ep.post} {
			if rt == nil {
				continue
			}
			n++
			if !cluster.ValidScope(rt.scope) {
				t.Errorf("%s: scope %q", path, rt.scope)
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d routes walked", n)
	}
}

// Scoped tokens end to end: an admin makes a read and a write token (the
// secret shown once, never listed); read may check, read and see metrics
// but neither ingest nor configure (403 naming the scope needed); write
// may ingest and read but not configure; an unknown token is a 401; a
// revoked one is refused at once; a key on token creation is refused.
func TestScopedTokens(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	mk := func(name, scope string) (string, string) {
		st, body := e.do("POST", "/v1/admin/tokens/create", map[string]any{"name": name, "scope": scope})
		if st != 200 {
			t.Fatalf("create %s token: %d %s", scope, st, body)
		}
		var out struct {
			Data struct{ ID, Token string } `json:"data"`
		}
		if err := json.Unmarshal(body, &out); err != nil || !strings.HasPrefix(out.Data.Token, "bdt_") || out.Data.ID == "" {
			t.Fatalf("create: %s (%v)", body, err)
		}
		return out.Data.ID, out.Data.Token
	}
	readID, read := mk("gateway", cluster.ScopeRead)
	_, write := mk("ingester", cluster.ScopeWrite)
	for _, c := range []struct {
		token, method, path string
		body                any
		want                int
		needs               string
	}{
		{read, "GET", "/v1/entitlements/check?customer_id=nobody&product_id=p", nil, 404, ""}, // authorized: the customer is unknown
		{read, "GET", "/v1/customers", nil, 200, ""},
		{read, "POST", "/v1/contract-pricing/products/list", map[string]any{}, 200, ""},
		{read, "GET", "/metrics", nil, 200, ""},
		{read, "POST", "/v1/ingest", []any{}, 403, "write"},
		{read, "POST", "/v1/customers", map[string]any{"name": "x"}, 403, "admin"},
		{read, "GET", "/v1/admin/tokens/list", nil, 403, "admin"},
		{read, "GET", "/debug/pprof/", nil, 403, "admin"},
		{write, "POST", "/v1/ingest", []any{}, 400, ""}, // authorized: no event
		{write, "GET", "/v1/customers", nil, 200, ""},
		{write, "POST", "/v1/credit-types/create", map[string]any{"name": "c"}, 403, "admin"},
		{"bdt_unknown", "GET", "/v1/customers", nil, 401, ""},
	} {
		st, body := e.doToken(c.method, c.path, c.body, c.token)
		if st != c.want || (c.needs != "" && !strings.Contains(string(body), "needs a "+c.needs+" token")) {
			t.Errorf("%s %s with a %s token: %d %s, want %d", c.method, c.path, c.token[:8], st, body, c.want)
		}
	}
	st, body := e.do("GET", "/v1/admin/tokens/list", nil)
	if st != 200 || strings.Contains(string(body), read) || strings.Contains(string(body), write) ||
		!strings.Contains(string(body), `"name":"gateway","scope":"read"`) {
		t.Fatalf("list: %d %s", st, body)
	}
	if st, body := e.do("POST", "/v1/admin/tokens/revoke", map[string]any{"id": readID}); st != 200 {
		t.Fatalf("revoke: %d %s", st, body)
	}
	if st, _ := e.doToken("GET", "/v1/customers", nil, read); st != 401 {
		t.Fatalf("a revoked token: %d, want 401", st)
	}
	if st, _ := e.do("POST", "/v1/admin/tokens/revoke", map[string]any{"id": "nope"}); st != 404 {
		t.Fatalf("revoking an unknown token: %d, want 404", st)
	}
	if st, body, _ := e.postKey("/v1/admin/tokens/create", "k1", `{"name":"x","scope":"read"}`, false); st != 400 || !strings.Contains(body, "Idempotency-Key") {
		t.Fatalf("a key on token creation: %d %s", st, body)
	}
	if st, body := e.do("POST", "/v1/admin/tokens/create", map[string]any{"name": "x", "scope": "root"}); st != 400 || !strings.Contains(string(body), "scope") {
		t.Fatalf("a bad scope: %d %s", st, body)
	}
}
