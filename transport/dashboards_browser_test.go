package transport

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// artifactsDir is where the browser tests keep their screenshots:
// $BURNDOWN_TEST_ARTIFACTS when set (CI keeps it), else a temporary dir.
func artifactsDir(t *testing.T) string {
	if d := os.Getenv("BURNDOWN_TEST_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// newBrowser starts Debian's headless chromium with the flags that keep it
// off the (closed) network, and stops it when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := "/usr/bin/chromium"
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("chromium is needed (apt-get install -y chromium): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 820),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser, on a context without a deadline.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// browse runs one action with a bound, failing the test on an error.
func browse[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// open loads u and waits until sel is visible.
func open(t *testing.T, ctx context.Context, u, sel string) {
	t.Helper()
	browse(t, ctx, "load "+sel, chromedp.Steps(chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(sel))))
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png := browse(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// In a real browser: the commits_and_credits dashboard shows the prepaid
// balance, and the lower one within a second of an ingest; the soft limit
// goes into alarm; the customer's name is shown as text, not markup; the
// usage and invoices dashboards draw; a tampered link shows the error and
// no balance.
func TestDashboardsInABrowser(t *testing.T) {
	e, _ := newDashEnv(t, "2026-02-10T00:00:00Z")
	f := setupDashboards(e)
	dir := artifactsDir(t)
	ctx := newBrowser(t)
	link := e.embedURL(map[string]any{"customer_id": f.cust, "dashboard": "commits_and_credits"})
	balance := `.commit[data-id="` + f.commit + `"] .balance`

	open(t, ctx, link, balance)
	text := func(sel string) string { return browse(t, ctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel))) }
	shown := func() string {
		return browse(t, ctx, "the balance", chromedp.AttributeValue(chromedp.CSS(balance), "data-value")).Value
	}
	count := func(sel string) int {
		return browse(t, ctx, "count "+sel, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
	}
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
	browse(t, ctx, "the soft limit in alarm", chromedp.WaitVisible(chromedp.CSS(`tr.alert[data-id="`+f.soft+`"][data-in-alarm="true"]`)))
	if txt := text(balance); txt != "$19.90" {
		t.Fatalf("balance text %q", txt)
	}
	screenshot(t, ctx, dir, "dashboard-commits.png")

	e.ingestCalls("acme", "us", 4, "browser-us")
	usage := e.embedURL(map[string]any{"customer_id": f.cust, "dashboard": "usage", "color_overrides": []any{map[string]any{"name": "UsageLine_0", "value": "#2e7d32"}},
		"bm_group_key_overrides": []any{map[string]any{"group_key_name": "region", "display_name": "Region", "value_display_names": map[string]any{"eu": "Europe", "us": "United States"}}}})
	open(t, ctx, usage, "svg.chart rect")
	if bars, legend := count("svg.chart rect"), text(".legend"); bars != 2 || !strings.Contains(legend, "Region: Europe") || !strings.Contains(legend, "Region: United States") {
		t.Fatalf("usage chart: %d bars, legend %q", bars, legend)
	}
	screenshot(t, ctx, dir, "dashboard-usage.png")

	invoices := e.embedURL(map[string]any{"customer_id": f.cust, "dashboard": "invoices"})
	open(t, ctx, invoices, ".invoice")
	if statuses := browse(t, ctx, "statuses", chromedp.Evaluate[string](`Array.from(document.querySelectorAll('.invoice')).map(e => e.dataset.status).join(',')`)); !strings.Contains(statuses, "DRAFT") {
		t.Fatalf("invoices shown: %q", statuses)
	}
	screenshot(t, ctx, dir, "dashboard-invoices.png")

	other := e.embedURL(map[string]any{"customer_id": f.other, "dashboard": "commits_and_credits"})
	open(t, ctx, tamper(t, link, other), "#error")
	if n, body := count(".balance"), text("body"); n != 0 || strings.Contains(body, "Acme") || strings.Contains(body, "Other") || !strings.Contains(body, "not valid") {
		t.Fatalf("tampered: %d balances, %q", n, body)
	}
	screenshot(t, ctx, dir, "dashboard-tampered.png")
}
