package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"burndown/bench/burndown"
	"burndown/bench/report"
	"burndown/bench/target"
)

// webhookCrossings is how many customers get an alert that one event
// crosses, for the alert → webhook latency.
const webhookCrossings = 200

// hookReceiver is a webhook destination in the bench's process: it notes
// when each alert's first notification arrived.
type hookReceiver struct {
	ln  net.Listener
	srv *fasthttp.Server
	mu  sync.Mutex
	at  map[string]time.Time // alert id → arrival
}

func startHookReceiver() (*hookReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("webhook receiver: %w", err)
	}
	h := &hookReceiver{ln: ln, at: map[string]time.Time{}}
	h.srv = &fasthttp.Server{Handler: h.serve}
	go func() { _ = h.srv.Serve(ln) }()
	return h, nil
}

func (h *hookReceiver) serve(ctx *fasthttp.RequestCtx) {
	now := time.Now()
	var n struct {
		Type       string `json:"type"`
		Properties struct {
			AlertID string `json:"alert_id"`
		} `json:"properties"`
	}
	if json.Unmarshal(ctx.PostBody(), &n) == nil && n.Type == "alerts.usage_threshold_reached" {
		h.mu.Lock()
		if _, seen := h.at[n.Properties.AlertID]; !seen {
			h.at[n.Properties.AlertID] = now
		}
		h.mu.Unlock()
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
}

func (h *hookReceiver) url() string { return "http://" + h.ln.Addr().String() + "/hook" }

func (h *hookReceiver) arrived(id string) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.at[id]
	return t, ok
}

func (h *hookReceiver) close() { _ = h.srv.Shutdown() }

// webhookLatency gives up to webhookCrossings customers a usage alert at one
// event, sends each one event, and records how long the signed webhook took:
// the server's burndown_webhook_delivery_duration_seconds p99 over those
// deliveries (from the crossing being applied until the destination
// accepted it, the figure the targets compare), and the end-to-end p99 from
// sending the event until the bench's receiver had the webhook.
func (e *Env) webhookLatency(ctx context.Context, out *report.Scenario, c *burndown.Client, cat burndown.Catalog, cust *target.Customers, ids []string, label string) error {
	rcv, err := startHookReceiver()
	if err != nil {
		return err
	}
	defer rcv.close()
	hook, err := c.Create(ctx, "/v1/webhooks/create", map[string]any{"url": rcv.url(), "secret": "whsec_bench_" + cust.Run})
	if err != nil {
		return err
	}
	defer func() { _ = c.Do(ctx, "POST", "/v1/webhooks/archive", map[string]any{"id": hook}, nil) }()
	k := min(webhookCrossings, len(ids))
	alerts := make([]string, k)
	for i := range k {
		if alerts[i], err = c.Create(ctx, "/v1/alerts/create", map[string]any{"name": "first event", "alert_type": "usage_threshold_reached",
			"customer_id": ids[i], "billable_metric_id": cat.MetricID, "threshold": 1, "evaluate_on_create": false}); err != nil {
			return err
		}
	}
	before, err := c.Scrape(ctx)
	if err != nil {
		return err
	}
	sent := make([]time.Time, k)
	for i := range k {
		sent[i] = time.Now()
		ev := []map[string]any{{"transaction_id": fmt.Sprintf("hook-%s-%d", cust.Run, i), "customer_id": cust.Key(i),
			"event_type": cat.EventType, "timestamp": sent[i].UTC().Format(time.RFC3339), "properties": map[string]any{}}}
		if err := c.Do(ctx, "POST", "/v1/ingest", ev, nil); err != nil {
			return err
		}
	}
	var e2e []float64
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; i < k && time.Now().Before(deadline); {
		if at, ok := rcv.arrived(alerts[i]); ok {
			e2e = append(e2e, at.Sub(sent[i]).Seconds()*1000)
			i++
			continue
		}
		time.Sleep(5 * time.Millisecond)
	}
	after, err := c.Scrape(ctx)
	if err != nil {
		return err
	}
	h := after.Sub(before).Histogram("burndown_webhook_delivery_duration_seconds")
	if h.Count > 0 {
		out.Figure(report.FigWebhookP99+" @"+label, h.Quantile(0.99)*1000, "ms",
			fmt.Sprintf("burndown_webhook_delivery_duration_seconds over %.0f deliveries (crossing applied → destination accepted; bucket bounds 1, 2, 3, 4, 5, 7.5, 10 ms)", h.Count))
	}
	if len(e2e) > 0 {
		sort.Float64s(e2e)
		out.Figure("event sent → webhook received p99 @"+label, e2e[min(len(e2e)-1, len(e2e)*99/100)], "ms",
			fmt.Sprintf("%d of %d crossings, one event each, measured by the bench (includes the ingest's own commit)", len(e2e), k))
	}
	if len(e2e) < k {
		out.Note(fmt.Sprintf("webhooks @%s: %d of %d crossings delivered within 10 s", label, len(e2e), k))
	}
	return nil
}
