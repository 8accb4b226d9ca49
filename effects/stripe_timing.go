package effects

import (
	"net/http"
	"strings"
	"time"

	"burndown/telemetry"
)

// timedTransport records every request to Stripe in
// burndown_stripe_request_duration_seconds{op,outcome}: op is the method and
// path with ids replaced ("POST /v1/payment_intents",
// "GET /v1/customers/{id}/payment_methods"), outcome ok (2xx), declined
// (402, a card error) or error (anything else, the network included).
type timedTransport struct {
	next    http.RoundTripper
	metrics *telemetry.Metrics
}

func (t *timedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	start := time.Now()
	resp, err := next.RoundTrip(req)
	outcome := "error"
	switch {
	case err != nil:
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		outcome = "ok"
	case resp.StatusCode == http.StatusPaymentRequired:
		outcome = "declined"
	}
	t.metrics.StripeRequest(stripeOp(req), outcome, start)
	return resp, err
}

// stripeOp names a request by method and path, each object id replaced by
// {id}, so the label's values stay few. Stripe's resource names are lower
// case letters and underscores (payment_intents); its ids are not
// (cus_NffrFeUfNV2Hib, pi_3MtwBw...).
func stripeOp(req *http.Request) string {
	segs := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	for i, s := range segs {
		if i > 0 && strings.IndexFunc(s, func(r rune) bool { return r != '_' && (r < 'a' || r > 'z') }) >= 0 {
			segs[i] = "{id}"
		}
	}
	return req.Method + " /" + strings.Join(segs, "/")
}
