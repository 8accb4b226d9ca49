package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"burndown/effects"
)

// STRIPE payment gates against stripe-mock (github.com/stripe/stripe-mock),
// started on a loopback port; outcomes stripe-mock cannot produce (a
// succeeded or failed payment) come as signed synthetic Stripe events.

const stripeMockModule = "github.com/stripe/stripe-mock@v0.203.0"

// stripeMockBinary finds stripe-mock on PATH or in $(go env GOPATH)/bin,
// installing it there with go install when it is missing. It never skips:
// without the binary the test fails, saying how to get it.
func stripeMockBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		t.Fatalf("stripe-mock is not on PATH and `go env GOPATH` failed (%v): run `go install %s`", err, stripeMockModule)
	}
	bin := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "stripe-mock")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	stripeInstallMu.Lock()
	defer stripeInstallMu.Unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	t.Logf("stripe-mock is missing: running go install %s", stripeMockModule)
	cmd := exec.Command("go", "install", stripeMockModule)
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("stripe-mock is required by the STRIPE payment gate tests and `go install %s` failed: %v\n%s", stripeMockModule, err, out)
	}
	return bin
}

var stripeInstallMu sync.Mutex

// syncBuffer is a bytes.Buffer safe for the process's writers and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startStripeMock runs stripe-mock on a free loopback port until the test
// ends and returns its base URL.
func startStripeMock(t *testing.T) string {
	t.Helper()
	bin := stripeMockBinary(t)
	addr := freeAddr(t)
	// Both listeners on loopback ports of their own (HTTPS would take
	// 12112 otherwise).
	cmd := exec.Command(bin, "-http-addr", addr, "-https-addr", freeAddr(t))
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()          //nolint:errcheck
	t.Cleanup(func() { cmd.Process.Kill(); <-exited }) //nolint:errcheck
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("stripe-mock exited: %s", logs.String())
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock did not listen on %s: %s", addr, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stripeCall is one request the client sent (PaymentIntent creations in
// calls, every POST in posts).
type stripeCall struct {
	path string
	key  string
	form url.Values
}

// stripeRecorder is the Stripe client's round-tripper in front of
// stripe-mock: it records PaymentIntent creations (with their
// Idempotency-Key), can lose the first answers (the request reaches
// Stripe, the leader never learns the result) and can rewrite the status
// stripe-mock answers.
type stripeRecorder struct {
	mu     sync.Mutex
	calls  []stripeCall
	posts  []stripeCall
	lose   int    // answers to lose
	status string // PaymentIntent status to answer instead of stripe-mock's
	// loseFinalize is how many invoice finalization answers to lose.
	loseFinalize int
	// payStatus is the invoice status to answer to a pay request instead
	// of stripe-mock's (a STRIPE gate paid by invoice); items are the
	// invoice items of such purchases (their metadata names a workflow).
	payStatus string
	items     []stripeCall
	// replies holds the first answer to each Idempotency-Key of the
	// requests other than PaymentIntent creations: a request repeating a
	// key gets it again, as from Stripe (stripe-mock keeps no state).
	replies map[string][]byte
}

func (r *stripeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	pi := req.Method == http.MethodPost && req.URL.Path == "/v1/payment_intents"
	finalize := req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/finalize")
	if req.Method == http.MethodPost {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		c := stripeCall{path: req.URL.Path, key: req.Header.Get("Idempotency-Key"), form: form}
		r.mu.Lock()
		if pi {
			r.calls = append(r.calls, c)
		}
		if req.URL.Path == "/v1/invoiceitems" && form.Get("metadata["+effects.StripeMetaWorkflow+"]") != "" {
			r.items = append(r.items, c)
		}
		r.posts = append(r.posts, c)
		r.mu.Unlock()
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if key := req.Header.Get("Idempotency-Key"); err == nil && !pi && key != "" && resp.StatusCode == 200 {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r.mu.Lock()
		if r.replies == nil {
			r.replies = map[string][]byte{}
		}
		if first, ok := r.replies[key]; ok {
			body = first
		} else {
			r.replies[key] = body
		}
		r.mu.Unlock()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Del("Content-Length")
	}
	if err == nil && finalize {
		r.mu.Lock()
		lose := r.loseFinalize > 0
		if lose {
			r.loseFinalize--
		}
		r.mu.Unlock()
		if lose {
			resp.Body.Close()
			return nil, errors.New("connection reset after the invoice was finalized")
		}
	}
	if err == nil && req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/pay") {
		r.mu.Lock()
		st := r.payStatus
		r.mu.Unlock()
		if st != "" {
			return withStatus(resp, st), nil
		}
	}
	if err != nil || !pi {
		return resp, err
	}
	r.mu.Lock()
	lose, status := r.lose > 0, r.status
	if lose {
		r.lose--
	}
	r.mu.Unlock()
	if lose {
		resp.Body.Close()
		return nil, errors.New("connection reset after the charge was sent")
	}
	if status != "" && resp.StatusCode == 200 {
		var m map[string]any
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if json.Unmarshal(body, &m) == nil {
			m["status"] = status
			body, _ = json.Marshal(m)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Del("Content-Length")
	}
	return resp, nil
}

// withStatus rewrites a 200 answer's status field.
func withStatus(resp *http.Response, status string) *http.Response {
	if resp.StatusCode != 200 {
		return resp
	}
	var m map[string]any
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if json.Unmarshal(body, &m) == nil {
		m["status"] = status
		body, _ = json.Marshal(m)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp
}

// purchaseItems returns the invoice items of purchases paid by invoice.
func (r *stripeRecorder) purchaseItems() []stripeCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]stripeCall(nil), r.items...)
}

// sent returns every POST the client sent.
func (r *stripeRecorder) sent() []stripeCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]stripeCall(nil), r.posts...)
}

func (r *stripeRecorder) snapshot() []stripeCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]stripeCall(nil), r.calls...)
}

const stripeTestSecret = "whsec_test_burndown"

// piGate is a STRIPE payment_gate_config charged as a PaymentIntent: what
// the tests of PaymentIntents send, a gate without stripe_config being
// paid through a Stripe invoice (stripe_purchase_test.go).
func piGate() map[string]any {
	return map[string]any{"payment_gate_type": "STRIPE", "stripe_config": map[string]any{"payment_type": "PAYMENT_INTENT"}}
}

type stripeEnv struct {
	*testEnv
	rec                     *stripeRecorder
	cust, contract, product string
	api, rc                 string
}

// newStripeEnv starts stripe-mock and a node whose dispatcher charges
// through it, with scenario A's catalog and a customer whose billing
// configuration names Stripe customer cus_burndown, on a contract without
// a billing_provider_configuration (its invoices are not sent).
func newStripeEnv(t *testing.T, rec *stripeRecorder) *stripeEnv {
	t.Helper()
	return newStripeEnvWith(t, rec, nil)
}

// stripeBilling is the billing_provider_configuration that sends a
// contract's finalized invoices to Stripe.
var stripeBilling = map[string]any{"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider"}

// newStripeEnvWith is newStripeEnv with the contract's
// billing_provider_configuration (nil: none).
func newStripeEnvWith(t *testing.T, rec *stripeRecorder, billing map[string]any) *stripeEnv {
	t.Helper()
	base := startStripeMock(t)
	st, err := effects.NewStripe(effects.StripeConfig{APIKey: "sk_test_123", APIBase: base, HTTPClient: &http.Client{Transport: rec, Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	node := openClusterNode(t, "2026-01-02T00:00:00Z", ln.Addr().String(), func(c *nodeConfig) {
		c.Effects.Payments = st
		c.Effects.Webhooks.RetryBase, c.Effects.Webhooks.RetryMax = 20*time.Millisecond, 100*time.Millisecond
	})
	e := startServerOn(t, ln, node, func(c *Config) { c.StripeWebhookSecret = stripeTestSecret })
	api, purchase, rc := scenarioACatalog(e)
	cust := e.create("/v1/customers", map[string]any{"name": "Example Inc", "ingest_aliases": []string{"example-inc"},
		"customer_billing_provider_configurations": []any{map[string]any{"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
			"configuration": map[string]any{"stripe_customer_id": "cus_burndown"}}}})
	create := map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z")}
	if billing != nil {
		create["billing_provider_configuration"] = billing
	}
	contract := e.create("/v1/contracts/create", create)
	return &stripeEnv{testEnv: e, rec: rec, cust: cust, contract: contract, product: purchase, api: api, rc: rc}
}

// buyStripe adds a STRIPE-gated commit of amount through /v2/contracts/edit
// add_commits and waits for its charge; it returns the charge.
func (e *stripeEnv) buyStripe(amount int) stripeCall {
	e.t.Helper()
	before := len(e.rec.snapshot())
	c := prepaidCommit(e.testEnv, e.product, amount)
	c["payment_gate_config"] = piGate()
	e.ok("POST", "/v2/contracts/edit", map[string]any{"customer_id": e.cust, "contract_id": e.contract, "add_commits": []any{c}}, nil)
	deadline := time.Now().Add(10 * time.Second)
	for len(e.rec.snapshot()) == before {
		if time.Now().After(deadline) {
			e.t.Fatal("no PaymentIntent was created")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return e.rec.snapshot()[before]
}

// gate is the STRIPE commit as customerBalances/list shows it.
type gateItem struct {
	ID         string      `json:"id"`
	Balance    *jsonNumber `json:"balance"`
	GateStatus string      `json:"payment_gate_status"`
	VoidReason string      `json:"void_reason"`
}

func (e *stripeEnv) gates() []gateItem {
	e.t.Helper()
	var out struct {
		Data []gateItem `json:"data"`
	}
	e.ok("POST", "/v1/contracts/customerBalances/list", map[string]any{"customer_id": e.cust, "include_contract_balances": true, "include_balance": true}, &out)
	return out.Data
}

// waitGate waits until the customer's gated commit has the status.
func (e *stripeEnv) waitGate(status string) gateItem {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, g := range e.gates() {
			if g.GateStatus == status {
				return g
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no commit with payment_gate_status %s: %+v", status, e.gates())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stripeEvent posts a Stripe event about a PaymentIntent of the workflow,
// signed with secret; it returns the answer.
func (e *stripeEnv) stripeEvent(typ, workflow, secret, failure string) (int, []byte) {
	e.t.Helper()
	pi := map[string]any{"id": "pi_synthetic", "object": "payment_intent", "amount": 2000, "currency": "usd", "customer": "cus_burndown",
		"metadata": map[string]string{effects.StripeMetaWorkflow: workflow}, "status": "succeeded"}
	if failure != "" {
		pi["status"] = "requires_payment_method"
		pi["last_payment_error"] = map[string]any{"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds", "message": failure}
	}
	return e.signedEvent(typ, "evt_"+typ+workflow, pi, secret)
}

// signedEvent posts a Stripe event of the type about object, signed with
// secret; it returns the answer.
func (e *stripeEnv) signedEvent(typ, id string, object map[string]any, secret string) (int, []byte) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "api_version": "2020-08-27",
		"created": time.Now().Unix(), "data": map[string]any{"object": object}})
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret})
	req, _ := http.NewRequest(http.MethodPost, e.base+StripeWebhookPath, bytes.NewReader(body))
	req.Header.Set("Stripe-Signature", sp.Header)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req) // no admin token: Stripe has none
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// A STRIPE-gated commit added through /v2/contracts/edit is charged once
// through stripe-mock (a confirmed off-session PaymentIntent for the
// customer's Stripe id, with the workflow in its metadata and an
// idempotency key), stays pending on stripe-mock's answer
// (requires_payment_method) and is settled paid by Stripe's signed
// payment_intent.succeeded event; the balance then includes it. A bad
// signature is refused with 400.
func TestStripeGateChargedAndSettledByEvent(t *testing.T) {
	e := newStripeEnv(t, &stripeRecorder{})
	c := e.buyStripe(2000)
	wf := c.form.Get("metadata[" + effects.StripeMetaWorkflow + "]")
	for k, want := range map[string]string{"amount": "2000", "currency": "usd", "customer": "cus_burndown", "confirm": "true", "off_session": "true",
		"metadata[" + effects.StripeMetaCustomer + "]": e.cust, "metadata[" + effects.StripeMetaContract + "]": e.contract} {
		if got := c.form.Get(k); got != want {
			t.Errorf("PaymentIntent %s = %q, want %q", k, got, want)
		}
	}
	if wf == "" || c.key == "" || c.form.Get("payment_method") == "" {
		t.Fatalf("charge %+v: no workflow, idempotency key or payment method", c)
	}
	if g := e.waitGate("pending"); g.Balance == nil || string(*g.Balance) != "0" {
		t.Fatalf("pending commit %+v", g)
	}
	if ch := e.check(e.cust, e.api); ch.Balance != "0" {
		t.Fatalf("a balance before the payment: %+v", ch)
	}

	// A bad signature is refused and changes nothing.
	if st, body := e.stripeEvent("payment_intent.succeeded", wf, "whsec_wrong", ""); st != 400 || !strings.Contains(string(body), "Stripe-Signature") {
		t.Fatalf("bad signature answered %d %s", st, body)
	}
	e.waitGate("pending")

	if st, body := e.stripeEvent("payment_intent.succeeded", wf, stripeTestSecret, ""); st != 200 || !strings.Contains(string(body), `"payment_gate_status":"paid"`) {
		t.Fatalf("succeeded event answered %d %s", st, body)
	}
	e.waitGate("paid")
	if ch := e.check(e.cust, e.api); !ch.Entitled || ch.Balance != "2000" {
		t.Fatalf("after payment: %+v", ch)
	}
	// Stripe resends; a late failure changes nothing.
	if st, _ := e.stripeEvent("payment_intent.succeeded", wf, stripeTestSecret, ""); st != 200 {
		t.Fatalf("resent event answered %d", st)
	}
	if st, _ := e.stripeEvent("payment_intent.payment_failed", wf, stripeTestSecret, "late"); st != 200 {
		t.Fatalf("late failure answered %d", st)
	}
	// Not Burndown's events are acknowledged and ignored.
	if st, body := e.stripeEvent("payment_intent.succeeded", "", stripeTestSecret, ""); st != 200 || !strings.Contains(string(body), "ignored") {
		t.Fatalf("foreign event answered %d %s", st, body)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(e.rec.snapshot()); n != 1 {
		t.Fatalf("%d charges, want 1", n)
	}
	if ch := e.check(e.cust, e.api); ch.Balance != "2000" {
		t.Fatalf("balance %s after the resent events, want 2000", ch.Balance)
	}
	// The API's release cannot settle a STRIPE workflow.
	if st, body := e.do("POST", "/v1/contracts/commits/threshold-billing/release", map[string]any{"workflow_id": wf, "outcome": "failed"}); st != 400 {
		t.Fatalf("API release of a STRIPE workflow answered %d %s", st, body)
	}
}

// Stripe's payment_intent.payment_failed voids the commit with Stripe's
// reason; nothing is credited, even if a success event follows.
func TestStripeGateFailedEventVoids(t *testing.T) {
	e := newStripeEnv(t, &stripeRecorder{})
	wf := e.buyStripe(2000).form.Get("metadata[" + effects.StripeMetaWorkflow + "]")
	e.waitGate("pending")
	if st, body := e.stripeEvent("payment_intent.payment_failed", wf, stripeTestSecret, "Your card has insufficient funds."); st != 200 {
		t.Fatalf("failed event answered %d %s", st, body)
	}
	g := e.waitGate("failed")
	if g.VoidReason != "Your card has insufficient funds. (insufficient_funds)" || g.Balance == nil || string(*g.Balance) != "0" {
		t.Fatalf("voided commit %+v", g)
	}
	e.stripeEvent("payment_intent.succeeded", wf, stripeTestSecret, "")
	if ch := e.check(e.cust, e.api); ch.Balance != "0" {
		t.Fatalf("after a failed payment: %+v", ch)
	}
}

// The charge's synchronous answer settles it: the first answer is lost
// after the request reached Stripe (as when a leader dies), the retry
// sends the same idempotency key (the outbox notification's id), and
// Stripe's "succeeded" settles it paid without any event; "canceled" voids
// the next one (requires_action leaves it pending: stripe_action_test.go).
func TestStripeGateSyncResultAndRetrySameKey(t *testing.T) {
	rec := &stripeRecorder{lose: 1, status: "succeeded"}
	e := newStripeEnv(t, rec)
	e.buyStripe(2000)
	e.waitGate("paid")
	calls := rec.snapshot()
	if len(calls) != 2 {
		t.Fatalf("%d PaymentIntent requests, want 2 (the lost one and its retry)", len(calls))
	}
	if calls[0].key == "" || calls[0].key != calls[1].key || fmt.Sprint(calls[0].form) != fmt.Sprint(calls[1].form) {
		t.Fatalf("the retry differs: %q %v then %q %v", calls[0].key, calls[0].form, calls[1].key, calls[1].form)
	}
	if ch := e.check(e.cust, e.api); !ch.Entitled || ch.Balance != "2000" {
		t.Fatalf("after payment: %+v", ch)
	}

	rec.mu.Lock()
	rec.status = "canceled"
	rec.mu.Unlock()
	c := e.buyStripe(500)
	if c.key == calls[0].key {
		t.Fatalf("a second charge reused the key %q", c.key)
	}
	g := e.waitGate("failed")
	if g.VoidReason != "canceled" {
		t.Fatalf("voided commit %+v", g)
	}
	if ch := e.check(e.cust, e.api); ch.Balance != "2000" {
		t.Fatalf("balance %s, want 2000", ch.Balance)
	}
}
