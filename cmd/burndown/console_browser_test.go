package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"burndown/browsertest"
)

// TestConsoleInABrowser opens the operator console of a real three-process
// cluster in headless Chromium with a read token: the page shows the three
// nodes, which one leads and each follower's lag, refuses a replay with the
// read token's 403 message, and a customer's page shows the balance its
// usage left and an alert in alarm. Screenshots console-cluster.png and console-customer.png
// go to browsertest.ArtifactsDir.
func TestConsoleInABrowser(t *testing.T) {
	bin := buildBinary(t)
	nodes := newProcesses(t, bin, "n", 3, nil)
	st := startProcesses(t, nodes)
	leader := nodes[0]
	for _, n := range nodes {
		if n.args[2] == st.Leader { // args: serve --node-id <id> ...
			leader = n
		}
	}

	// A customer with 1000 prepaid, 7 calls at 1 each, and an alert below 995.
	product, customer := setupAcmeContract(t, leader.httpAddr, 1000)
	var created struct {
		Data struct {
			ID    string `json:"id"`
			Token string `json:"token"`
		} `json:"data"`
	}
	if _, err := leader.call("POST", "/v1/alerts/create", map[string]any{"alert_type": "low_remaining_commit_balance_reached",
		"name": "Below 995", "threshold": 995, "customer_id": customer}, &created); err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	for i := range 7 {
		events = append(events, map[string]any{"transaction_id": fmt.Sprintf("c-%d", i), "customer_id": "acme", "event_type": "call",
			"timestamp": time.Now().UTC().Format(time.RFC3339)})
	}
	if _, err := leader.call("POST", "/v1/ingest", events, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := leader.call("POST", "/v1/admin/tokens/create", map[string]any{"name": "console", "scope": "read"}, &created); err != nil {
		t.Fatal(err)
	}
	readToken := created.Data.Token
	checkLoad(t, leader, product)

	b := browsertest.Start(t)
	b.Navigate("http://" + leader.httpAddr + "/ui/")
	b.WaitVisible("#token", 10*time.Second)
	b.Run("enter the read token", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS("#token"), readToken),
		chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)))

	for _, n := range nodes {
		b.WaitText("#members tbody", n.args[2], 20*time.Second)
	}
	b.WaitText("#members tr.leader td:nth-child(2)", "leader", 10*time.Second)
	// Each follower's lag, from the leader's burndown_follower_lag_entries
	// (labelled by node id), is a number of entries, not "no data".
	for _, n := range nodes {
		if id := n.args[2]; id != st.Leader {
			b.Run("the lag of "+id, 20*time.Second, chromedp.Poll[chromedp.Void](
				`/^\d+$/.test((document.querySelector('#members tr[data-node-id=`+strconv.Quote(id)+`] td:last-child') || {}).textContent)`,
				chromedp.WithPollingInterval(100*time.Millisecond)))
		}
	}
	if got := b.WaitText("#members tr.leader td:first-child", st.Leader, 10*time.Second); !strings.HasPrefix(got, st.Leader) {
		t.Errorf("the leader's row names %q, want %s", got, st.Leader)
	}
	leaders := evaluate[int](t, b, `document.querySelectorAll("#members tr.leader").length`)
	if leaders != 1 {
		t.Errorf("%d rows marked leader, want 1", leaders)
	}
	b.WaitText("#node", "leader", 10*time.Second)
	b.WaitText("#rejects", "no_contract", 10*time.Second)
	// A second poll gives rates.
	b.WaitText("#updated", "Updated", 10*time.Second)
	b.Run("wait for the second poll", 15*time.Second, chromedp.Poll[chromedp.Void](
		`!document.getElementById("updated").textContent.includes("second poll")`, chromedp.WithPollingInterval(100*time.Millisecond)))
	// The checks running meanwhile show as a latency, read from the
	// leader's burndown_check_duration_seconds histogram.
	b.Run("the check latency", 20*time.Second, chromedp.Poll[chromedp.Void](
		`/\d(\.\d+)? (µs|ms)/.test(document.getElementById("check-latency").textContent)`, chromedp.WithPollingInterval(100*time.Millisecond)))

	// The token is in this tab's session storage only, never in the URL.
	if got := evaluate[string](t, b, `sessionStorage.getItem("burndown.console.token")`); got != readToken {
		t.Errorf("sessionStorage holds %q, want the token", got)
	}
	if n := evaluate[int](t, b, `localStorage.length`); n != 0 {
		t.Errorf("localStorage holds %d items", n)
	}
	if href := evaluate[string](t, b, `location.href`); strings.Contains(href, readToken) {
		t.Errorf("the token is in the URL %s", href)
	}

	// Replaying needs admin: the read token's 403 is shown.
	b.Run("replay with a read token", 10*time.Second, chromedp.Click(chromedp.CSS("#replay-all")))
	b.WaitText("#replay-result", "admin token", 10*time.Second)
	b.WaitText("#replay-result", "scope is read", 10*time.Second)
	b.Screenshot("console-cluster.png")

	// The customer's page, reached by its link.
	b.Run("open the customer list", 10*time.Second, chromedp.Click(chromedp.CSS(`nav a[href="#/customers"]`)))
	b.WaitText("#customers tbody", "Acme", 10*time.Second)
	b.Run("open the customer", 10*time.Second, chromedp.Click(chromedp.CSS(`#customers tbody a`)))
	b.WaitText("#customer-name", "Acme", 10*time.Second)
	b.WaitText(".balance-amount", "993", 15*time.Second)
	b.WaitText(".ledger", "PREPAID_COMMIT_SEGMENT_START", 10*time.Second)
	b.WaitText("#alerts", "in_alarm", 10*time.Second)
	b.WaitText("#contracts tbody", "open-ended", 10*time.Second)
	b.WaitText("#invoices", "DRAFT", 10*time.Second)
	b.Screenshot("console-customer.png")

	// No script error, no policy violation.
	for _, p := range b.Problems() {
		if strings.Contains(p, "exception") || strings.Contains(p, "Content Security Policy") || strings.Contains(p, "Refused") {
			t.Errorf("the page reported: %s", p)
		}
	}
}

// evaluate runs a JavaScript expression in the tab and returns its value.
func evaluate[T any](t *testing.T, b *browsertest.Browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.Context(), chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// checkLoad asks the leader for acme's entitlement every 10 ms until the
// test ends, so the console has check latencies to show.
func checkLoad(t *testing.T, leader *process, product string) {
	t.Helper()
	done := make(chan struct{})
	stopped := make(chan struct{})
	t.Cleanup(func() { close(done); <-stopped })
	go func() {
		defer close(stopped)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				leader.call("GET", "/v1/entitlements/check?customer_id=acme&product_id="+product, nil, nil) //nolint:errcheck
			}
		}
	}()
}
