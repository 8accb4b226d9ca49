package transport

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"burndown/effects"
)

// The five guides in shared/seeds (Metronome's prepaid-credits, hybrid,
// threshold-billing, spend-control and pay-as-you-go guides), each call
// sent as the guide writes it: same fields, spellings and value types;
// only the ids are this server's. A call works with the guide's meaning,
// or gets a 400 naming the field and saying what to send instead
// (guide000_test.go … guide004_test.go).

// guideStripeEnv is a node whose dispatcher charges STRIPE gates through
// stripe-mock (every PaymentIntent answered succeeded), with its clock at
// start.
func guideStripeEnv(t *testing.T, start string) (*testEnv, *stripeRecorder) {
	t.Helper()
	rec := &stripeRecorder{status: "succeeded", payStatus: "paid"}
	st, err := effects.NewStripe(effects.StripeConfig{APIKey: "sk_test_123", APIBase: startStripeMock(t),
		HTTPClient: &http.Client{Transport: rec, Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	node := openClusterNode(t, start, ln.Addr().String(), func(c *nodeConfig) { c.Effects.Payments = st })
	return startServerOn(t, ln, node, func(c *Config) { c.StripeWebhookSecret = stripeTestSecret }), rec
}

// chargesFor waits until n purchases were charged to the Stripe customer
// (PaymentIntents, or invoice items of purchases paid by invoice: a gate
// without stripe_config) and returns their amounts, in order.
func chargesFor(t *testing.T, rec *stripeRecorder, stripeCustomer string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var amounts []string
		for _, c := range append(rec.snapshot(), rec.purchaseItems()...) {
			if c.form.Get("customer") == stripeCustomer {
				amounts = append(amounts, c.form.Get("amount"))
			}
		}
		if len(amounts) >= n {
			return amounts
		}
		if time.Now().After(deadline) {
			t.Fatalf("PaymentIntents for %s: %v, want %d", stripeCustomer, amounts, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitCheck waits until the entitlement check of the product shows the
// balance and returns it.
func (e *testEnv) waitCheck(customer, product, balance string) checkResult {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := e.check(customer, product)
		if c.Balance == balance {
			return c
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("check %s: %+v, want balance %s", product, c, balance)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// refused sends a guide call that must get a 400 whose message is want.
func (e *testEnv) refused(path, body, want string) {
	e.t.Helper()
	st, out := e.do("POST", path, body)
	var msg struct{ Message string }
	json.Unmarshal(out, &msg) //nolint:errcheck
	if st != 400 || msg.Message != want {
		e.t.Fatalf("POST %s: %d %s\nwant 400 %q", path, st, out, want)
	}
}

// without returns body (a JSON object) with the keys at the dotted paths
// removed: the guide's call less what its 400 said to leave out.
func without(t *testing.T, body string, paths ...string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	for _, p := range paths {
		segs := strings.Split(p, ".")
		cur := v
		for _, s := range segs[:len(segs)-1] {
			switch x := cur.(type) {
			case map[string]any:
				cur = x[s]
			case []any:
				var i int
				fmt.Sscan(s, &i) //nolint:errcheck
				cur = x[i]
			}
		}
		delete(cur.(map[string]any), segs[len(segs)-1])
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
