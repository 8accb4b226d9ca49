package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A backup taken with `burndown cluster backup` from one cluster restores
// into a fresh cluster with `burndown cluster restore --file` (uploaded),
// balances included, both showing progress; a damaged upload is refused
// with 400 and changes nothing; `--leader-path` restores a file on the
// leader's disk.
func TestBackupRestoreWithTheCLI(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	start := func(name string) *process {
		p := &process{t: t, bin: bin, httpAddr: freeAddr(t)}
		p.args = []string{"serve", "--node-id", name, "--data-dir", filepath.Join(dir, name), "--http-addr", p.httpAddr,
			"--raft-addr", freeAddr(t), "--api-token", e2eToken, "--bootstrap"}
		p.start()
		t.Cleanup(p.kill)
		eventually(t, name+" ready", 20*time.Second, func() error { _, err := call(p.httpAddr, "GET", "/readyz", nil, nil); return err })
		return p
	}
	cliErr := func(args ...string) (string, error) {
		out, err := exec.Command(bin, append([]string{"cluster"}, args...)...).CombinedOutput()
		return string(out), err
	}
	cli := func(args ...string) string {
		t.Helper()
		out, err := cliErr(args...)
		if err != nil {
			t.Fatalf("burndown cluster %v: %v\n%s", args, err, out)
		}
		return out
	}
	src := start("src")
	var id struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	post := func(addr, path string, body any) string {
		t.Helper()
		id.Data.ID = ""
		if _, err := call(addr, "POST", path, body, &id); err != nil {
			t.Fatal(err)
		}
		return id.Data.ID
	}
	from := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	m := post(src.httpAddr, "/v1/billable-metrics/create", map[string]any{"name": "calls", "event_type_filter": map[string]any{"in_values": []string{"call"}}, "aggregation_type": "COUNT"})
	p := post(src.httpAddr, "/v1/contract-pricing/products/create", map[string]any{"name": "Calls", "type": "USAGE", "billable_metric_id": m})
	rc := post(src.httpAddr, "/v1/contract-pricing/rate-cards/create", map[string]any{"name": "Card"})
	post(src.httpAddr, "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": p, "starting_at": from, "entitled": true, "rate_type": "FLAT", "price": 2})
	c := post(src.httpAddr, "/v1/customers", map[string]any{"name": "Acme", "ingest_aliases": []string{"acme"}})
	post(src.httpAddr, "/v1/contracts/create", map[string]any{"customer_id": c, "rate_card_id": rc, "starting_at": from,
		"commits": []any{map[string]any{"type": "PREPAID", "product_id": p, "access_schedule": map[string]any{"schedule_items": []any{
			map[string]any{"amount": 1000, "starting_at": from, "ending_before": time.Now().UTC().AddDate(1, 0, 0).Format(time.RFC3339)}}}}}})
	var events []map[string]any
	for i := 0; i < 37; i++ {
		events = append(events, map[string]any{"transaction_id": fmt.Sprint(i), "customer_id": "acme", "event_type": "call", "timestamp": time.Now().UTC().Format(time.RFC3339)})
	}
	if _, err := call(src.httpAddr, "POST", "/v1/ingest", events, nil); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.snap")
	out := cli("backup", "--addr", src.httpAddr, "--token", e2eToken, "--out", backup)
	if !regexp.MustCompile(`backup: [0-9.]+ MB of [0-9.]+ MB \(100%\), [0-9.]+ MB/s`).MatchString(out) || !strings.Contains(out, "sha256 ") {
		t.Fatalf("backup shows no progress or checksum:\n%s", out)
	}

	dst := start("dst")
	check := func(addr string) (checkAnswer, error) {
		var a checkAnswer
		_, err := call(addr, "GET", "/v1/entitlements/check?customer_id=acme&product_id="+p, nil, &a)
		return a, err
	}
	if _, err := check(dst.httpAddr); err == nil {
		t.Fatal("the fresh cluster already knows the customer")
	}
	out = cli("restore", "--addr", dst.httpAddr, "--token", e2eToken, "--file", backup)
	if !strings.Contains(out, "restore upload: ") || !strings.Contains(out, "(100%)") || !strings.Contains(out, `"sha256"`) {
		t.Fatalf("restore shows no progress or answer:\n%s", out)
	}
	a, err := check(dst.httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	if a.Balance != "926" || !a.Entitled {
		t.Fatalf("restored answer %+v, want entitled with balance 926 (1000 - 37 x 2)", a)
	}
	// The restored cluster takes writes, and a resent event is still a duplicate.
	if _, err := call(dst.httpAddr, "POST", "/v1/ingest", events[:5], nil); err != nil {
		t.Fatal(err)
	}
	if a, _ := check(dst.httpAddr); a.Balance != "926" {
		t.Fatalf("after resending acknowledged events: balance %s, want 926", a.Balance)
	}
	if _, err := call(dst.httpAddr, "POST", "/v1/ingest", []map[string]any{{"transaction_id": "new", "customer_id": "acme", "event_type": "call",
		"timestamp": time.Now().UTC().Format(time.RFC3339)}}, nil); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.snap")
	if err := os.WriteFile(cut, whole[:len(whole)*2/3], 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := cliErr("restore", "--addr", dst.httpAddr, "--token", e2eToken, "--file", cut); err == nil || !strings.Contains(out, "400") || !strings.Contains(out, "not a usable backup") {
		t.Fatalf("a cut backup: %v\n%s, want a 400 naming it", err, out)
	}
	if a, _ := check(dst.httpAddr); a.Balance != "924" {
		t.Fatalf("after a refused restore: balance %s, want 924 (unchanged)", a.Balance)
	}
	cli("restore", "--addr", dst.httpAddr, "--token", e2eToken, "--leader-path", backup)
	if a, _ := check(dst.httpAddr); a.Balance != "926" {
		t.Fatalf("after restoring with --leader-path: balance %s, want 926", a.Balance)
	}
}
