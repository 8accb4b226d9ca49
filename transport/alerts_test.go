package transport

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"burndown/effects"
)

// hookReceiver is a webhook endpoint that checks every signature the way a
// Metronome customer does (HMAC-SHA256 over X-Metronome-Date, a newline and
// the raw body) and keeps the payloads.
type hookReceiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	got    []hookPayload
	srv    *httptest.Server
}

type hookPayload struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties"`
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	h := &hookReceiver{t: t, secret: secret}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		date := r.Header.Get("X-Metronome-Date")
		mac := hmac.New(sha256.New, []byte(h.secret))
		mac.Write([]byte(date + "\n"))
		mac.Write(body)
		if want := hex.EncodeToString(mac.Sum(nil)); r.Header.Get("Metronome-Webhook-Signature") != want {
			h.t.Errorf("bad signature on %s", body)
		}
		if d, err := http.ParseTime(date); err != nil || time.Since(d) > 5*time.Minute || time.Until(d) > 5*time.Minute {
			h.t.Errorf("bad X-Metronome-Date %q", date)
		}
		var p hookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			h.t.Errorf("payload %s: %v", body, err)
		}
		h.mu.Lock()
		h.got = append(h.got, p)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// wait returns the payloads once n have arrived (and a little later, so an
// extra one would be seen), failing on more.
func (h *hookReceiver) wait(n int) []hookPayload {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.mu.Lock()
		k := len(h.got)
		h.mu.Unlock()
		if k >= n {
			break
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%d webhooks arrived, want %d", k, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond)
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.got) != n {
		h.t.Fatalf("%d webhooks arrived, want exactly %d: %v", len(h.got), n, h.got)
	}
	seen := map[string]bool{}
	for _, p := range h.got {
		if seen[p.ID] {
			h.t.Fatalf("webhook %s delivered twice", p.ID)
		}
		seen[p.ID] = true
	}
	return append([]hookPayload(nil), h.got...)
}

type customerAlertJSON struct {
	CustomerStatus *string `json:"customer_status"`
	Alert          struct {
		ID        string      `json:"id"`
		Name      string      `json:"name"`
		Status    string      `json:"status"`
		Threshold json.Number `json:"threshold"`
	} `json:"alert"`
}

// Scenario C of SCENARIOS.md through the HTTP API, with a receiver that
// checks every webhook's signature.
func TestHTTPScenarioC(t *testing.T) {
	e := newEnv(t, "2026-01-05T00:00:00Z")
	rcv := newHookReceiver(t, "whsec_test")
	var hook struct {
		Data struct{ ID, Secret string } `json:"data"`
	}
	e.ok("POST", "/v1/webhooks/create", map[string]any{"url": rcv.srv.URL, "secret": "whsec_test"}, &hook)
	if hook.Data.ID == "" || hook.Data.Secret != "whsec_test" {
		t.Fatalf("webhook create: %+v", hook)
	}
	var hooks struct {
		Data []webhookOut `json:"data"`
	}
	e.ok("GET", "/v1/webhooks", nil, &hooks)
	if len(hooks.Data) != 1 || hooks.Data[0].URL != rcv.srv.URL {
		t.Fatalf("webhooks: %+v", hooks)
	}

	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "units", "event_type_filter": map[string]any{"in_values": []string{"api_call"}}})
	product := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Units", "type": "USAGE", "billable_metric_id": metric})
	fixed := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Purchase", "type": "FIXED"})
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "PayGo"})
	start := e.at("2026-01-01T00:00:00Z")
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": product, "starting_at": start,
		"entitled": true, "rate_type": "FLAT", "price": 100}, nil)
	cust := e.create("/v1/customers", map[string]any{"name": "PayGo", "ingest_aliases": []string{"payg"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": start})
	now := e.at("2026-01-05T00:00:00Z")

	// Step 1.
	soft := e.create("/v1/alerts/create", map[string]any{"alert_type": "spend_threshold_reached", "name": "soft", "threshold": 5000, "customer_id": cust, "uniqueness_key": "soft"})
	hard := e.create("/v1/alerts/create", map[string]any{"alert_type": "spend_threshold_reached", "name": "hard", "threshold": 10000, "customer_id": cust, "block_on_alarm": true})
	if st, b := e.do("POST", "/v1/alerts/create", map[string]any{"alert_type": "spend_threshold_reached", "name": "again", "threshold": 1, "customer_id": cust, "uniqueness_key": "soft"}); st != 409 {
		t.Fatalf("reused uniqueness_key: %d %s", st, b)
	}
	e.ok("POST", "/v1/ingest", events("payg", "s1", 0, 60, now), nil)
	got := rcv.wait(1)
	if got[0].Type != "alerts.spend_threshold_reached" || got[0].Properties["alert_id"] != soft || got[0].Properties["customer_id"] != cust {
		t.Fatalf("soft webhook: %+v", got[0])
	}
	if c := e.check("payg", product); !c.Entitled {
		t.Fatalf("after 6000: %+v", c)
	}
	e.ok("POST", "/v1/ingest", events("payg", "s1", 60, 40, now), nil)
	got = rcv.wait(2)
	if got[1].Properties["alert_id"] != hard {
		t.Fatalf("hard webhook: %+v", got[1])
	}
	if c := e.check("payg", product); c.Entitled || c.Reason != "limit_reached" {
		t.Fatalf("after 10000: %+v", c)
	}

	// Step 2.
	e.ok("POST", "/v1/alerts/archive", map[string]any{"id": hard}, nil)
	got = rcv.wait(3)
	if got[2].Type != "alerts.spend_threshold_reached_resolved" {
		t.Fatalf("archive: %+v", got[2])
	}
	hard2 := e.create("/v1/alerts/create", map[string]any{"alert_type": "spend_threshold_reached", "name": "hard2", "threshold": 20000, "customer_id": cust, "block_on_alarm": true})
	if c := e.check("payg", product); !c.Entitled {
		t.Fatalf("after raising the limit: %+v", c)
	}
	var list struct {
		Data     []customerAlertJSON `json:"data"`
		NextPage *string             `json:"next_page"`
	}
	e.ok("POST", "/v1/customer-alerts/list", map[string]any{"customer_id": cust}, &list)
	status := map[string]string{}
	for _, a := range list.Data {
		status[a.Alert.ID] = *a.CustomerStatus
	}
	if len(list.Data) != 2 || status[soft] != "in_alarm" || status[hard2] != "ok" {
		t.Fatalf("customer alerts: %+v", status)
	}
	var one struct {
		Data customerAlertJSON `json:"data"`
	}
	e.ok("POST", "/v1/customer-alerts/get", map[string]any{"customer_id": cust, "alert_id": hard}, &one)
	if one.Data.CustomerStatus != nil || one.Data.Alert.Status != "archived" {
		t.Fatalf("archived alert: %+v", one.Data)
	}

	// Step 3: invoice total after a 5000 credit.
	credited := e.create("/v1/customers", map[string]any{"name": "Credited", "ingest_aliases": []string{"credited"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": credited, "rate_card_id": rc, "starting_at": start,
		"credits": []any{map[string]any{"product_id": fixed, "access_schedule": map[string]any{"schedule_items": []any{
			map[string]any{"amount": 5000, "starting_at": start, "ending_before": e.at("2027-01-01T00:00:00Z")}}}}}})
	e.create("/v1/alerts/create", map[string]any{"alert_type": "invoice_total_reached", "name": "invoice", "threshold": 10000, "customer_id": credited, "invoice_types_filter": []string{"USAGE"}})
	e.ok("POST", "/v1/ingest", events("credited", "c", 0, 100, now), nil)
	e.ok("POST", "/v1/ingest", events("credited", "c", 100, 49, now), nil)
	rcv.wait(3)
	e.ok("POST", "/v1/ingest", events("credited", "c", 149, 1, now), nil)
	got = rcv.wait(4)
	if got[3].Type != "alerts.invoice_total_reached" || got[3].Properties["invoice_total"] != 10000.0 {
		t.Fatalf("invoice webhook: %+v", got[3])
	}

	// Step 4: a commit's remaining balance.
	pre := e.create("/v1/customers", map[string]any{"name": "Prepaid", "ingest_aliases": []string{"prepaid"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": pre, "rate_card_id": rc, "starting_at": start,
		"commits": []any{prepaidCommit(e, fixed, 2000)}})
	e.create("/v1/alerts/create", map[string]any{"alert_type": "low_remaining_commit_balance_reached", "name": "low", "threshold": 500, "customer_id": pre})
	e.ok("POST", "/v1/ingest", events("prepaid", "p", 0, 14, now), nil)
	rcv.wait(4)
	e.ok("POST", "/v1/ingest", events("prepaid", "p", 14, 1, now), nil)
	got = rcv.wait(5)
	if got[4].Type != "alerts.low_remaining_commit_balance_reached" || got[4].Properties["remaining_balance"] != 500.0 {
		t.Fatalf("balance webhook: %+v", got[4])
	}

	// Step 5: the next period returns the spend alerts to ok.
	e.setClock(e.at("2026-02-01T00:00:00Z"))
	got = rcv.wait(7)
	resolved := 0
	for _, p := range got[5:] {
		if strings.HasSuffix(p.Type, "_resolved") {
			resolved++
		}
	}
	if resolved != 2 {
		t.Fatalf("period end: %+v", got[5:])
	}
	e.ok("POST", "/v1/customer-alerts/list", map[string]any{"customer_id": cust}, &list)
	for _, a := range list.Data {
		if *a.CustomerStatus != "ok" {
			t.Fatalf("after the period: %s is %s", a.Alert.Name, *a.CustomerStatus)
		}
	}
	// Reset re-evaluates (still ok: nothing is sent).
	e.ok("POST", "/v1/customer-alerts/reset", map[string]any{"customer_id": cust, "alert_id": soft}, nil)

	// The outbox drained; its size is a metric.
	status2, body := e.do("GET", "/metrics", nil)
	if status2 != 200 || !strings.Contains(string(body), "burndown_outbox_notifications 0") {
		t.Fatalf("metrics: %d %s", status2, body)
	}
	e.ok("POST", "/v1/webhooks/archive", map[string]any{"id": hook.Data.ID}, nil)
}

// POST /v1/entitlements/consume admits usage only while the check passes.
func TestHTTPConsume(t *testing.T) {
	e := newEnv(t, "2026-01-05T00:00:00Z")
	api, purchase, rc := scenarioACatalog(e)
	start := e.at("2026-01-01T00:00:00Z")
	cust := e.create("/v1/customers", map[string]any{"name": "C", "ingest_aliases": []string{"c"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": start, "prepaid_only": true,
		"commits": []any{prepaidCommit(e, purchase, 3)}})
	now := e.at("2026-01-05T00:00:00Z")
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c checkResult
			status, b := e.do("POST", "/v1/entitlements/consume", map[string]any{"customer_id": "c", "product_id": api, "events": events("c", "k", i, 1, now)})
			if status != 200 || json.Unmarshal(b, &c) != nil {
				t.Errorf("consume: %d %s", status, b)
				return
			}
			mu.Lock()
			if c.Entitled {
				admitted++
			} else if c.Reason != "balance_depleted" || c.Balance != "0" {
				t.Errorf("refused with %+v", c)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if admitted != 3 {
		t.Fatalf("admitted %d, want 3", admitted)
	}
	if st, b := e.do("POST", "/v1/entitlements/consume", map[string]any{"customer_id": "c", "product_id": api, "events": []any{map[string]any{"transaction_id": "x"}}}); st != 400 || !strings.Contains(string(b), "events[0].") {
		t.Fatalf("bad event: %d %s", st, b)
	}
}

// A consume retried with the same Idempotency-Key gets the first answer
// (the check and the balance after) without consuming again.
func TestHTTPConsumeIdempotencyKey(t *testing.T) {
	e := newEnv(t, "2026-01-05T00:00:00Z")
	api, purchase, rc := scenarioACatalog(e)
	cust := e.create("/v1/customers", map[string]any{"name": "C", "ingest_aliases": []string{"c"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"),
		"prepaid_only": true, "commits": []any{prepaidCommit(e, purchase, 5)}})
	body, _ := json.Marshal(map[string]any{"customer_id": "c", "product_id": api, "events": events("c", "k", 0, 2, e.at("2026-01-05T00:00:00Z"))})
	var answers []string
	for i := 0; i < 2; i++ {
		status, b, _ := e.postKey("/v1/entitlements/consume", "consume-1", string(body), false)
		if status != 200 {
			t.Fatalf("consume: %d %s", status, b)
		}
		answers = append(answers, b)
	}
	if answers[0] != answers[1] || !strings.Contains(answers[0], `"balance":"3"`) {
		t.Fatalf("answers %v", answers)
	}
}

// usage_threshold_reached through the HTTP API: a threshold exactly equal,
// one webhook per crossing, an alert created past its threshold, _resolved
// on archive, the metric in the CustomerAlert and refusals by field.
func TestHTTPUsageThresholdAlert(t *testing.T) {
	e := newEnv(t, "2026-01-05T00:00:00Z")
	rcv := newHookReceiver(t, "whsec_usage")
	e.ok("POST", "/v1/webhooks/create", map[string]any{"url": rcv.srv.URL, "secret": "whsec_usage"}, nil)
	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "units", "event_type_filter": map[string]any{"in_values": []string{"api_call"}}})
	product := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Units", "type": "USAGE", "billable_metric_id": metric})
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "PayGo"})
	start := e.at("2026-01-01T00:00:00Z")
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": product, "starting_at": start,
		"entitled": true, "rate_type": "FLAT", "price": 100}, nil)
	cust := e.create("/v1/customers", map[string]any{"name": "U", "ingest_aliases": []string{"u"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": start})
	now := e.at("2026-01-05T00:00:00Z")

	a := e.create("/v1/alerts/create", map[string]any{"alert_type": "usage_threshold_reached", "name": "calls", "threshold": 20,
		"customer_id": cust, "billable_metric_id": metric})
	e.ok("POST", "/v1/ingest", events("u", "x", 0, 19, now), nil)
	e.ok("POST", "/v1/ingest", events("u", "x", 19, 1, now), nil) // exactly 20
	got := rcv.wait(1)
	if p := got[0].Properties; got[0].Type != "alerts.usage_threshold_reached" || p["alert_id"] != a || p["billable_metric_id"] != metric ||
		p["current_usage"] != 20.0 || p["threshold"] != 20.0 {
		t.Fatalf("usage webhook: %+v", got[0])
	}
	e.ok("POST", "/v1/ingest", events("u", "x", 20, 10, now), nil)
	rcv.wait(1) // no second webhook for the same crossing

	// Created past the threshold: evaluate_on_create (the default) sends at once.
	past := e.create("/v1/alerts/create", map[string]any{"alert_type": "usage_threshold_reached", "name": "past", "threshold": 25,
		"customer_id": cust, "billable_metric_id": metric})
	got = rcv.wait(2)
	if got[1].Properties["alert_id"] != past || got[1].Properties["current_usage"] != 30.0 {
		t.Fatalf("evaluate_on_create webhook: %+v", got[1])
	}
	silent := e.create("/v1/alerts/create", map[string]any{"alert_type": "usage_threshold_reached", "name": "silent", "threshold": 25,
		"customer_id": cust, "billable_metric_id": metric, "evaluate_on_create": false})
	rcv.wait(2)
	var one struct {
		Data struct {
			CustomerStatus *string `json:"customer_status"`
			Alert          struct {
				Type             string          `json:"type"`
				BillableMetricID string          `json:"billable_metric_id"`
				CreditType       json.RawMessage `json:"credit_type"`
			} `json:"alert"`
		} `json:"data"`
	}
	e.ok("POST", "/v1/customer-alerts/get", map[string]any{"customer_id": cust, "alert_id": silent}, &one)
	if *one.Data.CustomerStatus != "in_alarm" || one.Data.Alert.BillableMetricID != metric || string(one.Data.Alert.CreditType) != "null" ||
		one.Data.Alert.Type != "usage_threshold_reached" {
		t.Fatalf("customer alert: %+v", one.Data)
	}
	e.ok("POST", "/v1/alerts/archive", map[string]any{"id": past}, nil)
	got = rcv.wait(3)
	if got[2].Type != "alerts.usage_threshold_reached_resolved" || got[2].Properties["alert_id"] != past {
		t.Fatalf("archive: %+v", got[2])
	}

	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"alert_type": "usage_threshold_reached", "name": "x", "threshold": 1, "customer_id": cust}, "billable_metric_id"},
		{map[string]any{"alert_type": "usage_threshold_reached", "name": "x", "threshold": 1, "customer_id": cust, "billable_metric_id": metric,
			"credit_type_id": "2714e483-4ff1-48e4-9e25-ac732e8f24f2"}, "credit_type_id"},
		{map[string]any{"alert_type": "spend_threshold_reached", "name": "x", "threshold": 1, "customer_id": cust, "billable_metric_id": metric}, "billable_metric_id"},
		{map[string]any{"alert_type": "usage_threshold_reached", "name": "x", "threshold": 1, "customer_id": cust, "billable_metric_id": metric,
			"group_values": []any{map[string]any{"key": "region", "value": "eu"}}}, "group_values"},
	} {
		st, b := e.do("POST", "/v1/alerts/create", c.body)
		if st != 400 || !strings.Contains(string(b), `"message":"`+c.field) {
			t.Fatalf("%v: %d %s, want 400 naming %s", c.body, st, b, c.field)
		}
	}
	if st, b := e.do("POST", "/v1/alerts/create", map[string]any{"alert_type": "usage_threshold_reached", "name": "x", "threshold": 1,
		"customer_id": cust, "billable_metric_id": "00000000-0000-0000-0000-000000000000"}); st != 404 || !strings.Contains(string(b), "billable_metric_id") {
		t.Fatalf("unknown metric: %d %s", st, b)
	}
}

// Failed webhook deliveries through the HTTP API: listed once given up,
// replayed by id and since a time, refusals by field.
func TestHTTPFailedDeliveries(t *testing.T) {
	var status atomic.Int32
	status.Store(503)
	var mu sync.Mutex
	var acked []string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p hookPayload
		json.Unmarshal(body, &p) //nolint:errcheck
		st := int(status.Load())
		if st == 200 {
			mu.Lock()
			acked = append(acked, p.ID)
			mu.Unlock()
		}
		w.WriteHeader(st)
	}))
	defer rcv.Close()
	got := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), acked...) }
	e := newEnv(t, "2026-01-05T00:00:00Z", func(c *nodeConfig) {
		c.Effects.Webhooks = effects.WebhookConfig{URL: rcv.URL, Secret: "s", RetryBase: 10 * time.Millisecond, RetryMax: 20 * time.Millisecond, RetryFor: 200 * time.Millisecond}
	})
	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "units", "event_type_filter": map[string]any{"in_values": []string{"api_call"}}})
	product := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Units", "type": "USAGE", "billable_metric_id": metric})
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "PayGo"})
	start := e.at("2026-01-01T00:00:00Z")
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": product, "starting_at": start,
		"entitled": true, "rate_type": "FLAT", "price": 100}, nil)
	for _, alias := range []string{"a", "b"} {
		c := e.create("/v1/customers", map[string]any{"name": alias, "ingest_aliases": []string{alias}})
		e.create("/v1/contracts/create", map[string]any{"customer_id": c, "rate_card_id": rc, "starting_at": start})
		e.create("/v1/alerts/create", map[string]any{"alert_type": "usage_threshold_reached", "name": "x", "threshold": 1, "customer_id": c, "billable_metric_id": metric})
	}
	type list struct {
		Data []deliveryOut `json:"data"`
	}
	failed := func(n int) []deliveryOut {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var l list
			e.ok("GET", "/v1/webhooks/deliveries?status=failed", nil, &l)
			if len(l.Data) == n {
				return l.Data
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d failed deliveries, want %d", len(l.Data), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	e.ok("POST", "/v1/ingest", events("a", "a", 0, 1, e.at("2026-01-05T00:00:00Z")), nil)
	first := failed(1)[0]
	e.setClock(e.at("2026-01-05T01:00:00Z"))
	e.ok("POST", "/v1/ingest", events("b", "b", 0, 1, e.at("2026-01-05T01:00:00Z")), nil)
	all := failed(2)
	if f := all[0]; f.ID != first.ID || f.Status != "failed" || f.DestinationID != "default" || f.Type != "alerts.usage_threshold_reached" ||
		f.Attempts < 2 || f.FailedAt != "2026-01-05T00:00:00Z" || !strings.Contains(string(f.Payload), f.NotificationID) {
		t.Fatalf("failed delivery: %+v", f)
	}
	if all[1].FailedAt != "2026-01-05T01:00:00Z" {
		t.Fatalf("second failure: %+v", all[1])
	}

	for _, c := range []struct {
		method, path string
		body         any
		status       int
		field        string
	}{
		{"GET", "/v1/webhooks/deliveries?status=delivered", nil, 400, "status"},
		{"POST", "/v1/webhooks/deliveries/replay", map[string]any{}, 400, "id"},
		{"POST", "/v1/webhooks/deliveries/replay", map[string]any{"id": first.ID, "since": "2026-01-01T00:00:00Z"}, 400, "since"},
		{"POST", "/v1/webhooks/deliveries/replay", map[string]any{"since": "yesterday"}, 400, "since"},
		{"POST", "/v1/webhooks/deliveries/replay", map[string]any{"id": "nope"}, 404, "id"},
	} {
		st, b := e.do(c.method, c.path, c.body)
		if st != c.status || !strings.Contains(string(b), `"message":"`+c.field) {
			t.Fatalf("%s %s %v: %d %s, want %d naming %s", c.method, c.path, c.body, st, b, c.status, c.field)
		}
	}

	status.Store(200)
	var out struct {
		Data struct{ Replayed int } `json:"data"`
	}
	e.ok("POST", "/v1/webhooks/deliveries/replay", map[string]any{"id": first.ID}, &out)
	if out.Data.Replayed != 1 {
		t.Fatalf("replayed %d", out.Data.Replayed)
	}
	eventually(t, func() bool { return len(got()) == 1 })
	if g := got(); g[0] != first.NotificationID {
		t.Fatalf("replayed %v, want %s", g, first.NotificationID)
	}
	failed(1)
	e.ok("POST", "/v1/webhooks/deliveries/replay", map[string]any{"since": "2026-01-05T00:30:00Z"}, &out)
	if out.Data.Replayed != 1 {
		t.Fatalf("replayed since %d", out.Data.Replayed)
	}
	eventually(t, func() bool { return len(got()) == 2 })
	if g := got(); g[1] != all[1].NotificationID {
		t.Fatalf("replayed %v", g)
	}
	failed(0)
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
