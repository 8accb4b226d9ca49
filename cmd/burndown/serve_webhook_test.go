package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"burndown/effects"
)

// serve wires the leader's dispatcher (package effects) to the node: an
// alert crossed on a node started with --webhook-url arrives there, signed
// with --webhook-secret; and serve still stops cleanly when asked to.
func TestServeDeliversWebhooks(t *testing.T) {
	got := make(chan string, 16)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if req.Header.Get("Metronome-Webhook-Signature") != effects.SignWebhook("whsec_serve", req.Header.Get("X-Metronome-Date"), body) {
			t.Errorf("bad signature on %s", body)
			w.WriteHeader(400)
			return
		}
		var p struct{ Type string }
		json.Unmarshal(body, &p) //nolint:errcheck
		got <- p.Type
	}))
	defer rcv.Close()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--node-id", "n1", "--data-dir", filepath.Join(t.TempDir(), "n1"), "--http-addr", addr,
			"--raft-addr", freeAddr(t), "--api-token", e2eToken, "--bootstrap", "--log-level", "error",
			"--webhook-url", rcv.URL, "--webhook-secret", "whsec_serve"}, io.Discard, io.Discard)
	}()
	eventually(t, "the node ready", 20*time.Second, func() error { _, err := call(addr, "GET", "/readyz", nil, nil); return err })

	var id struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	mustCall := func(path string, body any) string {
		t.Helper()
		id.Data.ID = ""
		if _, err := call(addr, "POST", path, body, &id); err != nil {
			t.Fatal(err)
		}
		return id.Data.ID
	}
	_, cust := setupAcmeContract(t, addr, 0)
	mustCall("/v1/alerts/create", map[string]any{"alert_type": "spend_threshold_reached", "name": "soft", "threshold": 3, "customer_id": cust})
	var events []map[string]any
	for i := 0; i < 5; i++ {
		events = append(events, map[string]any{"transaction_id": fmt.Sprint("tx-", i), "customer_id": "acme", "event_type": "call",
			"timestamp": time.Now().UTC().Format(time.RFC3339)})
	}
	if _, err := call(addr, "POST", "/v1/ingest", events, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case typ := <-got:
		if typ != "alerts.spend_threshold_reached" {
			t.Errorf("webhook of type %q, want alerts.spend_threshold_reached", typ)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no webhook arrived at --webhook-url")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}
