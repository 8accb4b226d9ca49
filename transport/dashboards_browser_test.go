package transport

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"burndown/browsertest"
)

// In a real browser: the commits_and_credits dashboard shows the prepaid
// balance, and the lower one within a second of an ingest; the soft limit
// goes into alarm; the customer's name is shown as text, not markup; the
// usage and invoices dashboards draw; a tampered link shows the error and
// no balance; no page throws or breaks its Content-Security-Policy.
// Screenshots dashboard-{commits,usage,invoices,tampered}.png go to
// browsertest.ArtifactsDir.
func TestDashboardsInABrowser(t *testing.T) {
	e, _ := newDashEnv(t, "2026-02-10T00:00:00Z")
	f := setupDashboards(e)
	b := browsertest.Start(t)
	link := e.embedURL(map[string]any{"customer_id": f.cust, "dashboard": "commits_and_credits"})
	balance := `.commit[data-id="` + f.commit + `"] .balance`

	open := func(u, sel string) {
		t.Helper()
		b.Navigate(u)
		b.WaitVisible(sel, 30*time.Second)
	}
	// strconv.Quote makes JavaScript strings of these ASCII selectors.
	text := func(sel string) string {
		t.Helper()
		return browsertest.Evaluate[string](b, `document.querySelector(`+strconv.Quote(sel)+`).innerText`)
	}
	count := func(sel string) int {
		t.Helper()
		return browsertest.Evaluate[int](b, `document.querySelectorAll(`+strconv.Quote(sel)+`).length`)
	}
	shown := func() string {
		t.Helper()
		return browsertest.Evaluate[string](b, `document.querySelector(`+strconv.Quote(balance)+`).getAttribute("data-value")`)
	}

	open(link, balance)
	if v, txt, name := shown(), text(balance), text(".customer-name"); v != "2000" || txt != "$20.00" || name != "Acme <b>Corp</b>" || count(".customer-name b") != 0 {
		t.Fatalf("shown: balance %q %q, name %q", v, txt, name)
	}
	e.ingestCalls("acme", "eu", 10, "browser")
	ingested := time.Now()
	for v := shown(); v != "1990"; v = shown() {
		if time.Since(ingested) > time.Second {
			t.Fatalf("a second after the ingest the page still shows %q, want 1990", v)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.WaitVisible(`tr.alert[data-id="`+f.soft+`"][data-in-alarm="true"]`, 30*time.Second)
	if txt := text(balance); txt != "$19.90" {
		t.Fatalf("balance text %q", txt)
	}
	b.Screenshot("dashboard-commits.png")

	e.ingestCalls("acme", "us", 4, "browser-us")
	usage := e.embedURL(map[string]any{"customer_id": f.cust, "dashboard": "usage", "color_overrides": []any{map[string]any{"name": "UsageLine_0", "value": "#2e7d32"}},
		"bm_group_key_overrides": []any{map[string]any{"group_key_name": "region", "display_name": "Region", "value_display_names": map[string]any{"eu": "Europe", "us": "United States"}}}})
	open(usage, "svg.chart rect")
	if bars, legend := count("svg.chart rect"), text(".legend"); bars != 2 || !strings.Contains(legend, "Region: Europe") || !strings.Contains(legend, "Region: United States") {
		t.Fatalf("usage chart: %d bars, legend %q", bars, legend)
	}
	b.Screenshot("dashboard-usage.png")

	invoices := e.embedURL(map[string]any{"customer_id": f.cust, "dashboard": "invoices"})
	open(invoices, ".invoice")
	if statuses := browsertest.Evaluate[string](b, `Array.from(document.querySelectorAll('.invoice')).map(e => e.dataset.status).join(',')`); !strings.Contains(statuses, "DRAFT") {
		t.Fatalf("invoices shown: %q", statuses)
	}
	b.Screenshot("dashboard-invoices.png")

	other := e.embedURL(map[string]any{"customer_id": f.other, "dashboard": "commits_and_credits"})
	open(tamper(t, link, other), "#error")
	if n, body := count(".balance"), text("body"); n != 0 || strings.Contains(body, "Acme") || strings.Contains(body, "Other") || !strings.Contains(body, "not valid") {
		t.Fatalf("tampered: %d balances, %q", n, body)
	}
	b.Screenshot("dashboard-tampered.png")

	// No script error and no policy violation on any of the pages (the
	// tampered link's 403 is a failed request, expected, not one of these).
	for _, p := range b.Problems() {
		if strings.Contains(p, "exception") || strings.Contains(p, "Content Security Policy") || strings.Contains(p, "Refused") {
			t.Errorf("the page reported: %s", p)
		}
	}
}
