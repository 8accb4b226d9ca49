package transport

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// sdkEndpoints reads every endpoint the official SDK calls from its source
// in the module cache: "METHOD /path" with path parameters as {}.
func sdkEndpoints(t *testing.T) map[string]bool {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/Metronome-Industries/metronome-go/v2").Output()
	if err != nil {
		t.Fatalf("go list the SDK module: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the SDK's sources: %v (%d files)", err, len(files))
	}
	pathRe := regexp.MustCompile(`path := (?:fmt\.Sprintf\()?"([^"]+)"`)
	methodRe := regexp.MustCompile(`http\.Method(Get|Post|Put|Patch|Delete), path`)
	param := regexp.MustCompile(`%[sv]`)
	eps := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		path := ""
		for _, line := range strings.Split(string(src), "\n") {
			if m := pathRe.FindStringSubmatch(line); m != nil {
				path = "/" + param.ReplaceAllString(m[1], "{}")
			}
			if m := methodRe.FindStringSubmatch(line); m != nil && path != "" {
				eps[strings.ToUpper(m[1])+" "+path] = true
				path = ""
			}
		}
	}
	return eps
}

// TestSDKEndpointCoverage counts the official SDK's endpoints this server
// serves, and fails on a served route under /v1 or /v2 that is in no SDK
// call and not one of Burndown's own (a misspelt path would never be
// reached by the SDK).
func TestSDKEndpointCoverage(t *testing.T) {
	sdk := sdkEndpoints(t)
	if len(sdk) < 100 {
		t.Fatalf("found %d SDK endpoints: the source scan is broken", len(sdk))
	}
	srv, err := New(Config{Node: newFakeNode(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), Token: testToken,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	braces := regexp.MustCompile(`\{[a-z_]+\}`)
	served := map[string]bool{}
	for key := range servedRoutes(srv) {
		served[braces.ReplaceAllString(key, "{}")] = true
	}
	served["GET "+checkPath] = true
	var hit, own []string
	for key := range served {
		switch {
		case sdk[key]:
			hit = append(hit, key)
		case burndownOwn(key):
			own = append(own, key)
		default:
			t.Errorf("%s is served but no SDK call reaches it, and it is not one of Burndown's own endpoints", key)
		}
	}
	sort.Strings(hit)
	t.Logf("the official SDK calls %d endpoints; this server serves %d of them:\n  %s", len(sdk), len(hit), strings.Join(hit, "\n  "))
	if len(hit) < 40 {
		t.Errorf("only %d SDK endpoints matched: the path normalisation is broken", len(hit))
	}
}

// burndownOwn reports whether a route is one of Burndown's native
// endpoints: checks, cluster operations, tokens and the test clock,
// webhook destinations as Burndown keeps them, credit type creation, a
// customer's rejects, the payment-gate release.
func burndownOwn(key string) bool {
	_, path, _ := strings.Cut(key, " ")
	for _, p := range []string{"/v1/entitlements/", "/v1/cluster/", "/v1/admin/", "/v1/webhooks", "/v1/credit-types/create",
		"/v1/customers/{}/rejects", "/v1/contracts/commits/threshold-billing/release"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}
