package main

import (
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// demoLines are lines every played demo prints: each guide's heading and
// narrative, and its key numbers with the value SCENARIOS.md expects.
var demoLines = []string{
	"== Guide 1/5: Pay-as-you-go with an upgrade",
	"October invoice total (1000 + 750):          1750  ok",
	"February invoice total on Best (1000 + 100 + 100): 1200  ok",
	"== Guide 2/5: Prepaid credits behind a payment gate",
	"[guide 2/5 · step 3/6] The payment provider confirms",
	"balance after 1500 calls:                    500  ok",
	"overage on the draft usage invoice:          100  ok",
	"the 1000 commit:                             failed, balance 0  ok",
	"== Guide 3/5: Threshold billing and auto-recharge",
	"outstanding spend (draft invoice total):     0  ok",
	"amount charged (invoice_total):              1500  ok",
	"auto-recharge is_enabled (in that webhook):  false  ok",
	"== Guide 4/5: Spend alerts with a webhook receiver",
	`"type":"alerts.spend_threshold_reached"`,
	"webhook received, signature verified: alerts.spend_threshold_reached",
	"invoice_total when it fired:                 10000  ok",
	"remaining_balance when it fired:             500  ok",
	"== Guide 5/5: Seats with pooled credits",
	"AI credit pool:                              450  ok",
	"4 x 10000 = 40000; 1 x 10000 = 9589.04  ok",
	"AI Summary for user_1234 entitled:           false (limit_reached)  ok",
	"== Guide 2/5, continued: a year later",
	"every number matched SCENARIOS.md",
	"Embeddable dashboards (commits_and_credits)",
}

// demoOutput checks a demo's output for every line of demoLines and
// returns the console URL it printed.
func demoOutput(t *testing.T, out string) string {
	t.Helper()
	for _, want := range demoLines {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q", want)
		}
	}
	m := regexp.MustCompile(`Operator console: (http://\S+/ui/)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no console URL in:\n%s", out)
	}
	return m[1]
}

// assertConsole fetches the console URL the demo printed (it answers 200)
// and every embeddable dashboard URL it printed, one per demo customer:
// each page answers 200 and its data endpoint that customer's data.
func assertConsole(t *testing.T, out, console string) {
	t.Helper()
	if strings.Contains(out, "note: this node does not serve") {
		t.Fatalf("the demo says the node lacks the console or the dashboards:\n%s", out)
	}
	get := func(u string) int {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get(console); st != http.StatusOK {
		t.Fatalf("console %s: %d, want 200", console, st)
	}
	links := regexp.MustCompile(`http://\S+/embed/v1\.\S+`).FindAllString(out, -1)
	if len(links) < 5 {
		t.Fatalf("the demo printed %d dashboard URLs, want one per customer (at least one per guide):\n%s", len(links), out)
	}
	for _, u := range links {
		if st := get(u); st != http.StatusOK {
			t.Errorf("dashboard %s: %d, want 200", u, st)
		}
		if st := get(u + "/data"); st != http.StatusOK {
			t.Errorf("dashboard data %s/data: %d, want 200", u, st)
		}
	}
}

// `burndown demo --exit` starts a node of its own, plays the five guides
// and exits 0, having printed each guide's narrative and numbers.
func TestDemoPlaysTheGuides(t *testing.T) {
	bin := buildBinary(t)
	start := time.Now()
	out, err := exec.Command(bin, "demo", "--exit").CombinedOutput()
	if err != nil {
		t.Fatalf("burndown demo --exit: %v\n%s", err, out)
	}
	t.Logf("burndown demo --exit took %s", time.Since(start).Round(100*time.Millisecond))
	demoOutput(t, string(out))
	if strings.Contains(string(out), e2eToken) || !strings.Contains(string(out), "admin token: in ") {
		t.Errorf("the demo must say where its token is and never print it:\n%s", out)
	}
}

// `burndown demo --target` plays against a running node with a test clock,
// twice: the second run finds the clock past the guides' dates and plays
// them four years later, with new aliases; the console URL it prints is
// the target's. A node without a test clock is refused, saying why.
func TestDemoAgainstATarget(t *testing.T) {
	bin := buildBinary(t)
	nodes := newProcesses(t, bin, "demo", 1, nil, "--test-clock", "--log-level", "warn")
	startProcesses(t, nodes)
	base := "http://" + nodes[0].httpAddr
	var last string
	for run := 1; run <= 2; run++ {
		out, err := exec.Command(bin, "demo", "--target", base, "--token", e2eToken, "--exit").CombinedOutput()
		if err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, out)
		}
		last = string(out)
		console := demoOutput(t, last)
		if console != base+"/ui/" {
			t.Errorf("run %d printed the console %s, want the target's %s/ui/", run, console, base)
		}
		assertConsole(t, last, console)
	}
	if !strings.Contains(last, "played 4 years later") || !strings.Contains(last, "test clock moved to 2028-10-01T00:00:00Z") {
		t.Errorf("the second run did not move the guides four years on:\n%s", last)
	}

	plain := newProcesses(t, bin, "wall", 1, nil)
	startProcesses(t, plain)
	out, err := exec.Command(bin, "demo", "--target", "http://"+plain[0].httpAddr, "--token", e2eToken, "--exit").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "has no test clock: start it with `burndown serve --test-clock`") {
		t.Fatalf("a target without a test clock: err %v, output:\n%s", err, out)
	}
}
