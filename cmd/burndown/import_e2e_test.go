package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestImportRoundTrip copies a population with every feature the importer
// carries from one Burndown process (the source: it speaks Metronome's API)
// into another with `burndown import`, and compares what a customer sees:
// balances, entitlement answers for every product, draft invoices. Usage
// events are not in Metronome's API, so the population consumes its usage
// in January, before the import on February 3: the January invoices stay
// in the source (invoices are not carried), the February drafts hold no
// usage on either side and compare equal, and a commit's used part is
// carried by a manual ledger entry, or, where the target answers 404 for
// addManualBalanceLedgerEntry, reported in the summary commit by commit.
// A second import changes nothing.
func TestImportRoundTrip(t *testing.T) {
	bin := buildBinary(t)
	src := newProcesses(t, bin, "src", 1, nil, "--test-clock")[0]
	dst := newProcesses(t, bin, "dst", 1, nil, "--test-clock")[0]
	startProcesses(t, []*process{src})
	startProcesses(t, []*process{dst})
	setClock(t, src, "2026-01-01T00:00:00Z")
	setClock(t, dst, "2026-01-01T00:00:00Z")
	buildPopulation(t, src)
	setClock(t, src, "2026-02-03T00:00:00Z")
	setClock(t, dst, "2026-02-03T00:00:00Z")

	// A dry run reports what it would make and makes nothing.
	dry := runImport(t, bin, src, dst, "--dry-run")
	if !regexp.MustCompile(`(?m)^customers +3 in the source: 3 created`).MatchString(dry) {
		t.Errorf("the dry run does not say it would create 3 customers:\n%s", dry)
	}
	if n := len(listData[namedID](t, dst, "GET", "/v1/customers", nil)); n != 0 {
		t.Fatalf("the dry run made %d customers", n)
	}

	out := runImport(t, bin, src, dst)
	for _, want := range []string{"customers", "billable metrics", "products", "rates", "rate cards", "contracts", "alerts", "webhooks", "credit types"} {
		if !regexp.MustCompile(`(?m)^` + want + ` +\d+ in the source`).MatchString(out) {
			t.Errorf("no progress line for %s in:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "signing secret cannot be read") {
		t.Errorf("the summary does not say the webhook secret was not carried:\n%s", out)
	}
	// The scheduled charge's January item was billed in the source: it is
	// not carried, and the summary says so.
	if !strings.Contains(out, "already invoiced not carried") && !strings.Contains(out, "items the source already") {
		t.Errorf("the summary does not say which billed items were left behind:\n%s", out)
	}
	manual := servesManualLedger(t, dst)
	diffs := reportedDifferences(out)
	if manual && len(diffs) > 0 {
		t.Errorf("the target takes manual ledger entries, yet differences were reported: %v", diffs)
	}
	if !manual && len(diffs) == 0 {
		t.Errorf("the target cannot take manual ledger entries and commits were used, yet no difference was reported:\n%s", out)
	}
	// A pending purchase (Gamma's raised recharge) is the source's to
	// settle: it is not carried, and the summary says so.
	pendingNoted := strings.Contains(out, `"Gamma top-up" is a pending purchase (its payment gate has not settled): not carried`)
	compareAccounts(t, src, dst, diffs, pendingNoted)
	compareThresholds(t, src, dst)
	if !strings.Contains(out, "prepaid_balance_threshold_configuration carried switched off") {
		t.Errorf("the summary does not say Gamma's due auto-recharge was carried switched off:\n%s", out)
	}

	before := objectCounts(t, dst)
	balancesBefore := allBalances(t, dst)
	again := runImport(t, bin, src, dst)
	for _, line := range strings.Split(again, "\n") {
		if m := regexp.MustCompile(`: (\d+) created, \d+ already imported, (\d+) updated`).FindStringSubmatch(line); m != nil && (m[1] != "0" || m[2] != "0") {
			t.Errorf("the second import changed something: %s", line)
		}
	}
	if after := objectCounts(t, dst); !equalJSON(before, after) {
		t.Errorf("object counts changed by the second import: %v, then %v", before, after)
	}
	if after := allBalances(t, dst); !equalJSON(balancesBefore, after) {
		t.Errorf("balances changed by the second import: %v, then %v", balancesBefore, after)
	}
}

func setClock(t *testing.T, p *process, now string) {
	t.Helper()
	if _, err := p.call("POST", "/v1/admin/clock", map[string]any{"now": now}, nil); err != nil {
		t.Fatal(err)
	}
}

func runImport(t *testing.T, bin string, src, dst *process, extra ...string) string {
	t.Helper()
	args := []string{"import", "--from", "http://" + src.httpAddr, "--from-token", e2eToken, "--addr", dst.httpAddr, "--token", e2eToken}
	cmd := exec.Command(bin, append(args, extra...)...)
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	if err := cmd.Run(); err != nil {
		t.Fatalf("burndown import: %v\n%s", err, b.String())
	}
	t.Logf("burndown import:\n%s", b.String())
	return b.String()
}

// mustID posts body to path on p and returns data.id.
func mustID(t *testing.T, p *process, path string, body any) string {
	t.Helper()
	var res struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if _, err := p.call("POST", path, body, &res); err != nil {
		t.Fatal(err)
	}
	return res.Data.ID
}

// buildPopulation makes, on January 1: a custom credit type, two metrics,
// four products (one composite-free FIXED fee), a rate card whose Calls
// rate changes on March 1, three customers (aliases, a Stripe link, one
// with none), contracts with prepaid and postpaid commits, credits, an
// override and a monthly scheduled charge, an add-on contract with a usage
// filter beside Acme's, threshold configurations, customer-level commits
// and credits, alerts and a webhook; then uses
// part of the commits and credits on January 10.
func buildPopulation(t *testing.T, p *process) {
	t.Helper()
	const jan1, mar1, jan27 = "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z", "2027-01-01T00:00:00Z"
	mustID(t, p, "/v1/credit-types/create", map[string]any{"name": "GPU hours", "is_currency": false})
	calls := mustID(t, p, "/v1/billable-metrics/create", map[string]any{"name": "calls", "event_type_filter": map[string]any{"in_values": []string{"call"}},
		"aggregation_type": "COUNT", "group_keys": [][]string{{"region"}}})
	tokens := mustID(t, p, "/v1/billable-metrics/create", map[string]any{"name": "tokens", "event_type_filter": map[string]any{"in_values": []string{"gen"}},
		"aggregation_type": "SUM", "aggregation_key": "tokens", "property_filters": []any{map[string]any{"name": "tokens", "exists": true}}})
	callsP := mustID(t, p, "/v1/contract-pricing/products/create", map[string]any{"name": "Calls", "type": "USAGE", "billable_metric_id": calls, "tags": []string{"api"}})
	tokensP := mustID(t, p, "/v1/contract-pricing/products/create", map[string]any{"name": "Tokens", "type": "USAGE", "billable_metric_id": tokens})
	fee := mustID(t, p, "/v1/contract-pricing/products/create", map[string]any{"name": "Platform fee", "type": "FIXED"})
	prepay := mustID(t, p, "/v1/contract-pricing/products/create", map[string]any{"name": "Prepaid credit", "type": "FIXED"})
	rc := mustID(t, p, "/v1/contract-pricing/rate-cards/create", map[string]any{"name": "Standard", "description": "list prices"})
	if _, err := p.call("POST", "/v1/contract-pricing/rate-cards/addRates", map[string]any{"rate_card_id": rc, "rates": []any{
		map[string]any{"product_id": callsP, "starting_at": jan1, "ending_before": mar1, "entitled": true, "rate_type": "FLAT", "price": 2},
		map[string]any{"product_id": callsP, "starting_at": mar1, "entitled": true, "rate_type": "FLAT", "price": 3},
		map[string]any{"product_id": tokensP, "starting_at": jan1, "entitled": true, "rate_type": "FLAT", "price": 0.5},
		map[string]any{"product_id": fee, "starting_at": jan1, "entitled": true, "rate_type": "FLAT", "price": 500},
		map[string]any{"product_id": prepay, "starting_at": jan1, "entitled": true, "rate_type": "FLAT", "price": 1},
	}}, nil); err != nil {
		t.Fatal(err)
	}
	acme := mustID(t, p, "/v1/customers", map[string]any{"name": "Acme", "ingest_aliases": []string{"acme", "acme-eu"}, "custom_fields": map[string]string{"tier": "gold"},
		"customer_billing_provider_configurations": []any{map[string]any{"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
			"configuration": map[string]any{"stripe_customer_id": "cus_acme", "stripe_collection_method": "charge_automatically"}}}})
	beta := mustID(t, p, "/v1/customers", map[string]any{"name": "Beta", "ingest_aliases": []string{"beta"}})
	gamma := mustID(t, p, "/v1/customers", map[string]any{"name": "Gamma", "ingest_aliases": []string{"gamma"}})
	acmePlatform := mustID(t, p, "/v1/contracts/create", map[string]any{"customer_id": acme, "rate_card_id": rc, "starting_at": jan1, "name": "Acme platform",
		"commits": []any{map[string]any{"type": "PREPAID", "product_id": prepay, "name": "Annual prepay",
			"access_schedule":  map[string]any{"schedule_items": []any{map[string]any{"amount": 10000, "starting_at": jan1, "ending_before": jan27}}},
			"invoice_schedule": map[string]any{"schedule_items": []any{map[string]any{"timestamp": jan1, "amount": 10000}}}}},
		"credits": []any{map[string]any{"product_id": prepay, "name": "Welcome credit", "priority": 1,
			"access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": 300, "starting_at": jan1, "ending_before": "2026-06-01T00:00:00Z"}}}}},
		"overrides": []any{map[string]any{"starting_at": jan1, "product_id": tokensP, "type": "MULTIPLIER", "multiplier": 0.8}},
		"scheduled_charges": []any{map[string]any{"product_id": fee, "name": "Platform fee", "schedule": map[string]any{"schedule_items": []any{
			map[string]any{"timestamp": jan1, "amount": 500}, map[string]any{"timestamp": "2026-02-01T00:00:00Z", "amount": 500},
			map[string]any{"timestamp": mar1, "amount": 500}}}}},
		"prepaid_balance_threshold_configuration": map[string]any{"is_enabled": true, "threshold_amount": 1000, "recharge_to_amount": 5000,
			"commit":              map[string]any{"product_id": prepay, "name": "Auto-recharge", "applicable_product_tags": []string{"api"}},
			"payment_gate_config": map[string]any{"payment_gate_type": "NONE"}},
	})
	// An add-on beside Acme's platform contract, rating only the EU's
	// usage (a second contract in force, with a usage filter).
	mustID(t, p, "/v1/contracts/create", map[string]any{"customer_id": acme, "rate_card_id": rc, "starting_at": jan1, "name": "Acme EU add-on",
		"usage_filter": map[string]any{"group_key": "region", "group_values": []string{"eu"}},
		"credits": []any{map[string]any{"product_id": prepay, "name": "EU credit",
			"access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": 100, "starting_at": jan1, "ending_before": jan27}}}}}})
	mustID(t, p, "/v1/contracts/create", map[string]any{"customer_id": beta, "rate_card_id": rc, "starting_at": jan1, "name": "Beta trial",
		"credits": []any{map[string]any{"product_id": prepay, "name": "Trial credit", "applicable_product_ids": []string{callsP},
			"access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": 1000, "starting_at": jan1, "ending_before": jan27}}}}},
		"commits": []any{map[string]any{"type": "POSTPAID", "product_id": prepay, "name": "Minimum spend",
			"access_schedule":  map[string]any{"schedule_items": []any{map[string]any{"amount": 2000, "starting_at": jan1, "ending_before": jan27}}},
			"invoice_schedule": map[string]any{"schedule_items": []any{map[string]any{"timestamp": "2026-12-31T00:00:00Z", "amount": 2000}}}}},
		"spend_threshold_configuration": map[string]any{"is_enabled": true, "threshold_amount": 50000,
			"commit":              map[string]any{"product_id": fee, "name": "Threshold charge", "description": "billed each 500 USD of usage"},
			"payment_gate_config": map[string]any{"payment_gate_type": "NONE"}},
	})
	// Gamma's auto-recharge waits on an external payment: its balance (0)
	// is below the threshold and the source has raised the recharge.
	mustID(t, p, "/v1/contracts/create", map[string]any{"customer_id": gamma, "rate_card_id": rc, "starting_at": jan1, "name": "Gamma pay as you go",
		"prepaid_balance_threshold_configuration": map[string]any{"is_enabled": true, "threshold_amount": 100, "recharge_to_amount": 500,
			"commit": map[string]any{"product_id": prepay, "name": "Gamma top-up"}, "payment_gate_config": map[string]any{"payment_gate_type": "EXTERNAL"}}})
	// Customer-level balances: Acme's commit on every contract, billed on
	// its platform contract's invoices; Beta's credit.
	mustID(t, p, "/v1/contracts/customerCommits/create", map[string]any{"customer_id": acme, "type": "PREPAID", "product_id": prepay, "name": "Shared commit",
		"priority": 0.5, "invoice_contract_id": acmePlatform,
		"access_schedule":  map[string]any{"schedule_items": []any{map[string]any{"amount": 40, "starting_at": jan1, "ending_before": jan27}}},
		"invoice_schedule": map[string]any{"schedule_items": []any{map[string]any{"timestamp": "2026-01-05T00:00:00Z", "amount": 40}}}})
	mustID(t, p, "/v1/contracts/customerCredits/create", map[string]any{"customer_id": beta, "product_id": prepay, "name": "Shared credit", "priority": 2,
		"access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": 25, "starting_at": jan1, "ending_before": jan27}}}})
	mustID(t, p, "/v1/alerts/create", map[string]any{"customer_id": acme, "alert_type": "low_remaining_commit_balance_reached", "name": "Acme low balance", "threshold": 1000})
	mustID(t, p, "/v1/alerts/create", map[string]any{"customer_id": beta, "alert_type": "spend_threshold_reached", "name": "Beta spend", "threshold": 5000})
	mustID(t, p, "/v1/webhooks/create", map[string]any{"url": "http://127.0.0.1:9/hooks", "secret": "a-signing-secret-of-the-source", "event_types": []string{"alerts.*"}})

	setClock(t, p, "2026-01-10T00:00:00Z")
	var events []map[string]any
	for i := 0; i < 120; i++ {
		events = append(events, map[string]any{"transaction_id": fmt.Sprintf("acme-%d", i), "customer_id": "acme-eu", "event_type": "call",
			"timestamp": "2026-01-09T12:00:00Z", "properties": map[string]any{"region": "eu"}})
	}
	for i := 0; i < 40; i++ {
		events = append(events, map[string]any{"transaction_id": fmt.Sprintf("beta-%d", i), "customer_id": "beta", "event_type": "call", "timestamp": "2026-01-09T12:00:00Z"},
			map[string]any{"transaction_id": fmt.Sprintf("gen-%d", i), "customer_id": "acme", "event_type": "gen", "timestamp": "2026-01-09T12:00:00Z",
				"properties": map[string]any{"tokens": 10}})
	}
	for len(events) > 0 {
		n := min(len(events), 100)
		if _, err := p.call("POST", "/v1/ingest", events[:n], nil); err != nil {
			t.Fatal(err)
		}
		events = events[n:]
	}
}

// servesManualLedger says whether the target serves
// addManualBalanceLedgerEntry (an empty body: 400 when served, 404 when not).
func servesManualLedger(t *testing.T, p *process) bool {
	t.Helper()
	code, _ := p.call("POST", "/v1/contracts/addManualBalanceLedgerEntry", map[string]any{}, nil)
	return code != 404
}

// reportedDifferences are the summary's balance lines: source commit id →
// source and target balances.
func reportedDifferences(out string) map[string][2]string {
	re := regexp.MustCompile(`balance (\S+) \(.*remaining (\S+) in the source, (\S+) in the target`)
	diffs := map[string][2]string{}
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		diffs[m[1]] = [2]string{m[2], m[3]}
	}
	return diffs
}

type namedID struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func listData[T any](t *testing.T, p *process, method, path string, body any) []T {
	t.Helper()
	var res struct {
		Data []T `json:"data"`
	}
	if _, err := p.call(method, path, body, &res); err != nil {
		t.Fatal(err)
	}
	return res.Data
}

// byName maps the names of a list to ids (names are unique in the population).
func byName(list []namedID) map[string]string {
	m := map[string]string{}
	for _, o := range list {
		m[o.Name] = o.ID
	}
	return m
}

type balanceRow struct {
	ID         string          `json:"id"`
	Applicable []string        `json:"applicable_product_ids"`
	Name       string          `json:"name"`
	Balance    json.Number     `json:"balance"`
	Fields     json.RawMessage `json:"custom_fields"`
	GateStatus string          `json:"payment_gate_status"`
}

func balancesOf(t *testing.T, p *process, customer string) map[string]balanceRow {
	rows := listData[balanceRow](t, p, "POST", "/v1/contracts/customerBalances/list", map[string]any{"customer_id": customer, "include_balance": true, "include_contract_balances": true})
	m := map[string]balanceRow{}
	for _, r := range rows {
		m[r.Name] = r
	}
	return m
}

func productNames(t *testing.T, p *process) map[string]string {
	var list []namedID
	for _, pr := range listData[struct {
		ID      string `json:"id"`
		Current struct {
			Name string `json:"name"`
		} `json:"current"`
	}](t, p, "POST", "/v1/contract-pricing/products/list", map[string]any{}) {
		list = append(list, namedID{pr.ID, pr.Current.Name})
	}
	return byName(list)
}

// compareAccounts compares every customer's balances, entitlement answers
// for every product and draft invoices. A balance differs only where the
// summary reported it (the target lacks manual ledger entries); the
// entitlement balance then differs by those reported differences.
func compareAccounts(t *testing.T, src, dst *process, diffs map[string][2]string, pendingNoted bool) {
	t.Helper()
	srcCustomers := byName(listData[namedID](t, src, "GET", "/v1/customers", nil))
	dstCustomers := byName(listData[namedID](t, dst, "GET", "/v1/customers", nil))
	srcProducts, dstProducts := productNames(t, src), productNames(t, dst)
	if len(srcCustomers) != 3 || len(dstCustomers) != 3 || len(srcProducts) != 4 || len(dstProducts) != 4 {
		t.Fatalf("customers %v → %v, products %v → %v", srcCustomers, dstCustomers, srcProducts, dstProducts)
	}
	for name, sc := range srcCustomers {
		dc := dstCustomers[name]
		sb, db := balancesOf(t, src, sc), balancesOf(t, dst, dc)
		for bn, s := range sb {
			if _, carried := db[bn]; !carried && s.GateStatus == "pending" && pendingNoted {
				delete(sb, bn)
			}
		}
		if len(sb) != len(db) {
			t.Errorf("%s: %d balances in the source, %d in the target", name, len(sb), len(db))
		}
		// extra is how much more the target holds of each target product,
		// from the summary's differences.
		extra := map[string]*big.Rat{}
		for _, pid := range dstProducts {
			extra[pid] = new(big.Rat)
		}
		for bn, s := range sb {
			d, ok := db[bn]
			if !ok {
				t.Errorf("%s: %q not in the target", name, bn)
				continue
			}
			if diff, reported := diffs[s.ID]; reported {
				if diff[0] != s.Balance.String() || diff[1] != d.Balance.String() {
					t.Errorf("%s %q: reported %v, balances are %s and %s", name, bn, diff, s.Balance, d.Balance)
				}
				for pid, e := range extra {
					if len(d.Applicable) == 0 || slices.Contains(d.Applicable, pid) {
						e.Add(e, sub(d.Balance.String(), s.Balance.String()))
					}
				}
				continue
			}
			if s.Balance.String() != d.Balance.String() {
				t.Errorf("%s %q: balance %s in the source, %s in the target, and no difference reported", name, bn, s.Balance, d.Balance)
			}
		}
		for pn, sp := range srcProducts {
			var sa, da checkAnswer
			if _, err := src.call("GET", "/v1/entitlements/check?customer_id="+sc+"&product_id="+sp, nil, &sa); err != nil {
				t.Fatal(err)
			}
			if _, err := dst.call("GET", "/v1/entitlements/check?customer_id="+dc+"&product_id="+dstProducts[pn], nil, &da); err != nil {
				t.Fatal(err)
			}
			if sa.Entitled != da.Entitled || sa.Reason != da.Reason {
				t.Errorf("%s %s: entitled %v (%s) in the source, %v (%s) in the target", name, pn, sa.Entitled, sa.Reason, da.Entitled, da.Reason)
			}
			if e := extra[dstProducts[pn]]; sub(da.Balance, sa.Balance).Cmp(e) != 0 {
				t.Errorf("%s %s: entitlement balance %s in the source, %s in the target (reported differences: %s)", name, pn, sa.Balance, da.Balance, e.FloatString(2))
			}
		}
		s, d := draftInvoices(t, src, sc), draftInvoices(t, dst, dc)
		t.Logf("%s: draft invoices:\n%s", name, s)
		if s != d {
			t.Errorf("%s: draft invoices differ:\nsource %s\ntarget %s", name, s, d)
		}
	}
}

func sub(a, b string) *big.Rat {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	if !ok1 || !ok2 {
		return new(big.Rat).SetInt64(-1 << 40)
	}
	return x.Sub(x, y)
}

// draftInvoices renders a customer's draft invoices without ids: period,
// type, total and line items (name, type, total), sorted.
func draftInvoices(t *testing.T, p *process, customer string) string {
	type line struct {
		Name  string      `json:"name"`
		Type  string      `json:"type"`
		Total json.Number `json:"total"`
	}
	list := listData[struct {
		Type      string      `json:"type"`
		Start     string      `json:"start_timestamp"`
		End       string      `json:"end_timestamp"`
		Total     json.Number `json:"total"`
		LineItems []line      `json:"line_items"`
	}](t, p, "GET", "/v1/customers/"+customer+"/invoices?status=DRAFT", nil)
	var out []string
	for _, inv := range list {
		var lines []string
		for _, l := range inv.LineItems {
			lines = append(lines, fmt.Sprintf("%s/%s/%s", l.Type, l.Name, l.Total))
		}
		sort.Strings(lines)
		out = append(out, fmt.Sprintf("%s %s–%s total %s: %s", inv.Type, inv.Start, inv.End, inv.Total, strings.Join(lines, "; ")))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// objectCounts counts the target's objects of every kind the import makes.
func objectCounts(t *testing.T, p *process) map[string]int {
	t.Helper()
	counts := map[string]int{
		"customers":    len(listData[namedID](t, p, "GET", "/v1/customers", nil)),
		"metrics":      len(listData[namedID](t, p, "GET", "/v1/billable-metrics", nil)),
		"products":     len(listData[namedID](t, p, "POST", "/v1/contract-pricing/products/list", map[string]any{})),
		"rate cards":   len(listData[namedID](t, p, "POST", "/v1/contract-pricing/rate-cards/list", map[string]any{})),
		"credit types": len(listData[namedID](t, p, "GET", "/v1/credit-types/list", nil)),
		"webhooks":     len(listData[namedID](t, p, "GET", "/v1/webhooks", nil)),
	}
	for name, id := range byName(listData[namedID](t, p, "GET", "/v1/customers", nil)) {
		counts["contracts of "+name] = len(listData[namedID](t, p, "POST", "/v1/contracts/list", map[string]any{"customer_id": id}))
		counts["alerts of "+name] = len(listData[namedID](t, p, "POST", "/v1/customer-alerts/list", map[string]any{"customer_id": id}))
		counts["threshold configurations of "+name] = len(thresholdsOf(t, p, id))
		counts["customer commits of "+name] = len(listData[namedID](t, p, "POST", "/v1/contracts/customerCommits/list", map[string]any{"customer_id": id}))
		counts["customer credits of "+name] = len(listData[namedID](t, p, "POST", "/v1/contracts/customerCredits/list", map[string]any{"customer_id": id}))
		counts["billing providers of "+name] = len(listData[namedID](t, p, "POST", "/v1/getCustomerBillingProviderConfigurations", map[string]any{"customer_id": id}))
	}
	return counts
}

// allBalances is every customer's balances by customer and commit name.
func allBalances(t *testing.T, p *process) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, id := range byName(listData[namedID](t, p, "GET", "/v1/customers", nil)) {
		for bn, b := range balancesOf(t, p, id) {
			out[name+"/"+bn] = b.Balance.String()
		}
	}
	return out
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// thresholdsOf is a customer's threshold configurations and usage
// filters, by contract name and key, with product ids replaced by product
// names.
func thresholdsOf(t *testing.T, p *process, customer string) map[string]string {
	t.Helper()
	names := map[string]string{}
	for name, id := range productNames(t, p) {
		names[id] = name
	}
	out := map[string]string{}
	type contract struct {
		Current struct {
			Name   string          `json:"name"`
			Filter json.RawMessage `json:"usage_filter"`
		} `json:"current"`
		Recharge json.RawMessage `json:"prepaid_balance_threshold_configuration"`
		Spend    json.RawMessage `json:"spend_threshold_configuration"`
	}
	for _, k := range listData[contract](t, p, "POST", "/v1/contracts/list", map[string]any{"customer_id": customer}) {
		for key, raw := range map[string]json.RawMessage{"prepaid_balance_threshold_configuration": k.Recharge, "spend_threshold_configuration": k.Spend, "usage_filter": k.Current.Filter} {
			if len(raw) == 0 || string(raw) == "null" {
				continue
			}
			s := string(raw)
			for id, pn := range names {
				s = strings.ReplaceAll(s, id, pn)
			}
			out[k.Current.Name+"/"+key] = s
		}
	}
	return out
}

// compareThresholds checks that every customer's threshold configurations
// and usage filters were carried: equal, except a recharge the source had
// raised already, carried switched off.
func compareThresholds(t *testing.T, src, dst *process) {
	t.Helper()
	srcCustomers := byName(listData[namedID](t, src, "GET", "/v1/customers", nil))
	dstCustomers := byName(listData[namedID](t, dst, "GET", "/v1/customers", nil))
	total := 0
	for name, sc := range srcCustomers {
		s, d := thresholdsOf(t, src, sc), thresholdsOf(t, dst, dstCustomers[name])
		total += len(s)
		for key, sv := range s {
			want := sv
			if name == "Gamma" {
				want = strings.Replace(sv, `"is_enabled":true`, `"is_enabled":false`, 1)
			}
			if d[key] != want {
				t.Errorf("%s %s: source %s, target %s (want %s)", name, key, sv, d[key], want)
			}
		}
		if len(s) != len(d) {
			t.Errorf("%s: %d threshold configurations in the source, %d in the target", name, len(s), len(d))
		}
	}
	if total != 4 {
		t.Errorf("the population has %d threshold configurations and usage filters, want 4", total)
	}
}
