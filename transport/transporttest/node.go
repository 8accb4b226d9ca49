// Package transporttest starts a real single-node Burndown (Raft on
// loopback, its data in a temporary directory, a test clock) with its HTTP
// API on a free 127.0.0.1 port, for the tests of clients outside transport:
// the gateway middleware, and the real gateways (NGINX, Caddy) in front of
// it.
package transporttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"burndown/cluster"
	"burndown/engine"
	"burndown/transport"
)

// AdminToken is the node's bootstrap admin token.
const AdminToken = "transporttest-admin-token"

// Node is a running single-node cluster and its HTTP server.
type Node struct {
	// URL is the API's base URL, http://127.0.0.1:port.
	URL string
	// Addr is URL's host:port.
	Addr string
	// Cluster is the node itself.
	Cluster *cluster.Node
	tb      testing.TB
}

// Start opens a node whose test clock reads start, serves it, and stops both
// when the test ends.
func Start(tb testing.TB, start time.Time) *Node {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	raftLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	raftAddr := raftLn.Addr().String()
	raftLn.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	node, err := cluster.Open(cluster.Config{NodeID: "n1", DataDir: tb.TempDir(), RaftAddr: raftAddr, HTTPAddr: ln.Addr().String(),
		Bootstrap: true, TestClock: true, Logger: quiet, Engine: engine.Config{Shards: 4}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { node.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := node.WaitForLeader(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := node.SetClock(ctx, start); err != nil {
		tb.Fatal(err)
	}
	srv, err := transport.New(transport.Config{Node: node, Token: AdminToken, Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown
	tb.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		srv.Shutdown(sctx) //nolint:errcheck // the test is over
	})
	return &Node{URL: "http://" + ln.Addr().String(), Addr: ln.Addr().String(), Cluster: node, tb: tb}
}

// Call sends a JSON request with the admin token and decodes a 2xx answer
// into out (when not nil); any other status fails the test.
func (n *Node) Call(method, path string, body, out any) {
	n.tb.Helper()
	if st, b := n.Do(method, path, AdminToken, body); st/100 != 2 {
		n.tb.Fatalf("%s %s: %d %s", method, path, st, b)
	} else if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			n.tb.Fatalf("%s %s: %s: %v", method, path, b, err)
		}
	}
}

// Do sends a JSON request (body nil for none) with token and returns the
// status and body.
func (n *Node) Do(method, path, token string, body any) (int, []byte) {
	n.tb.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			n.tb.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.URL+path, r)
	if err != nil {
		n.tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		n.tb.Fatal(err)
	}
	return resp.StatusCode, b
}

// Token creates a replicated token of scope and returns its secret.
func (n *Node) Token(name, scope string) string {
	n.tb.Helper()
	var out struct {
		Data struct{ Token string } `json:"data"`
	}
	n.Call("POST", "/v1/admin/tokens/create", map[string]string{"name": name, "scope": scope}, &out)
	return out.Data.Token
}

// Prepaid is a customer with a prepaid balance on a product priced 1 per
// event: what the gateway tests authorize against.
type Prepaid struct {
	CustomerID, ProductID string
}

// NewPrepaid configures a product "API" counting every event at 1 credit,
// and a customer with alias on a prepaid-only contract (usage beyond the
// balance is refused) holding balance credits from the node's clock on. Products and the rate card are made once per
// node; call it again for more customers.
func (n *Node) NewPrepaid(alias string, balance int) Prepaid {
	n.tb.Helper()
	product := n.apiProduct()
	var cust struct {
		Data struct{ ID string } `json:"data"`
	}
	n.Call("POST", "/v1/customers", map[string]any{"name": alias, "ingest_aliases": []string{alias}}, &cust)
	start := n.Cluster.Now().UTC().Truncate(time.Hour).Format(time.RFC3339)
	end := n.Cluster.Now().UTC().AddDate(1, 0, 0).Truncate(time.Hour).Format(time.RFC3339)
	n.Call("POST", "/v1/contracts/create", map[string]any{
		"customer_id": cust.Data.ID, "rate_card_id": product.rateCard, "starting_at": start, "prepaid_only": true,
		"commits": []any{map[string]any{"type": "PREPAID", "product_id": product.id,
			"access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": balance, "starting_at": start, "ending_before": end}}}}},
	}, nil)
	return Prepaid{CustomerID: cust.Data.ID, ProductID: product.id}
}

type pricedProduct struct{ id, rateCard string }

// apiProduct finds or makes the "API" product and its rate card.
func (n *Node) apiProduct() pricedProduct {
	n.tb.Helper()
	var list struct {
		Data []struct{ ID, Name string } `json:"data"`
	}
	n.Call("POST", "/v1/contract-pricing/rate-cards/list", map[string]any{}, &list)
	var products struct {
		Data []struct{ ID string } `json:"data"`
	}
	n.Call("POST", "/v1/contract-pricing/products/list", map[string]any{}, &products)
	if len(list.Data) > 0 && len(products.Data) > 0 {
		return pricedProduct{id: products.Data[0].ID, rateCard: list.Data[0].ID}
	}
	var id struct {
		Data struct{ ID string } `json:"data"`
	}
	n.Call("POST", "/v1/billable-metrics/create", map[string]any{"name": "calls", "aggregation_type": "COUNT"}, &id)
	metric := id.Data.ID
	n.Call("POST", "/v1/contract-pricing/products/create", map[string]any{"name": "API", "type": "USAGE", "billable_metric_id": metric}, &id)
	product := id.Data.ID
	n.Call("POST", "/v1/contract-pricing/rate-cards/create", map[string]any{"name": "gateway"}, &id)
	rateCard := id.Data.ID
	n.Call("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rateCard, "product_id": product,
		"starting_at": n.Cluster.Now().UTC().Truncate(time.Hour).Format(time.RFC3339), "entitled": true, "rate_type": "FLAT", "price": 1}, nil)
	return pricedProduct{id: product, rateCard: rateCard}
}

// String names the node for test messages.
func (n *Node) String() string { return fmt.Sprintf("burndown at %s", n.URL) }
