// Package cmd_test holds the test of the module's import graph; it lives
// beside the commands, the top of the graph, and runs go list from the module
// root.
package cmd_test

// This test keeps the package structure honest (as Go's own
// src/go/build/deps_test.go does): it lists every package of the module with
// `go list`, and fails on any import of a project package that the table
// below does not allow, naming the arrow. Arrows point down: money and
// engine at the bottom, then persist, cluster, effects, transport, and the
// commands on top; the bench harness talks to Burndown over HTTP only.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "burndown"

// rule says which project packages the packages it covers may import. In
// both keys and lists, "p" is the package p (a path below the module) and
// "p/..." is p and every package below it. A package is governed by the most
// specific key that covers it.
type rule struct {
	may []string // project packages it may import
	// anyBut, when set, allows every project package except these (and
	// their subpackages): for tools that may reach into anything.
	anyBut []string
}

// allowed is the structure: every package of the module is covered by a key.
var allowed = map[string]rule{
	"money":                   {},
	"cmd":                     {}, // this test's own package
	"version":                 {},
	"tlsconfig":               {}, // a leaf: TLS configurations from PEM files
	"dashboard":               {}, // a leaf: signed dashboard links and the embedded pages
	"tlsconfig/tlstest":       {},
	"telemetry":               {}, // a leaf: the node's Prometheus series
	"browsertest":             {}, // a leaf: headless Chromium for browser tests
	"engine":                  {may: []string{"money"}},
	"persist":                 {may: []string{"engine", "money"}},
	"persist/golden":          {may: []string{"persist", "engine", "money"}},
	"cluster":                 {may: []string{"persist", "engine", "money", "telemetry"}},
	"effects":                 {may: []string{"cluster", "persist", "engine", "money", "telemetry"}},
	"console":                 {}, // a leaf: the operator console's embedded files
	"transport":               {may: []string{"cluster", "engine", "money", "effects", "console", "dashboard", "telemetry"}},
	"transport/transporttest": {may: []string{"transport", "cluster", "engine", "money", "effects", "telemetry"}},
	// The middleware speaks Burndown's HTTP API and imports none of it.
	"gateway":             {},
	"demo":                {}, // an API client, like the middleware: HTTP only
	"importer":            {}, // an API client: the Metronome SDK, nothing of Burndown
	"cmd/burndown":        {may: []string{"transport", "cluster", "effects", "engine", "persist", "money", "tlsconfig", "telemetry", "version", "demo", "importer"}},
	"cmd/burndown-bench":  {may: []string{"bench/..."}},
	"cmd/burndown-golden": {anyBut: []string{"bench/...", "transport"}},
	// The bench drives Burndown over HTTP and imports none of it.
	"bench/...": {may: []string{"bench/..."}},
}

// everywhere may be imported by every package: a leaf with no project imports.
var everywhere = []string{"version"}

// testOnly are arrows that only tests may draw, on top of the table. Test
// imports are otherwise held to the same table as the package's own.
var testOnly = map[string][]string{
	// The upgrade tests replay the fixtures earlier releases wrote through
	// persist/golden, which imports persist: persist's external test package
	// (persist_test) does, the package itself cannot.
	"persist": {"persist", "persist/golden"},
	"cluster": {"persist/golden", "tlsconfig", "tlsconfig/tlstest"},
	// Certificates made in tests.
	"tlsconfig":    {"tlsconfig", "tlsconfig/tlstest"},
	"cmd/burndown": {"tlsconfig/tlstest", "browsertest"},
	// The console's scripts and the embeddable dashboards run in a real browser.
	"console":   {"console", "browsertest"},
	"transport": {"browsertest"},
	// The middleware and gateway tests run against a real node.
	"gateway": {"gateway", "transport/transporttest"},
}

// The server binary must not link the bench harness's clients.
var notInServer = []string{
	"github.com/jackc/pgx",
	"github.com/redis/go-redis",
	"github.com/HdrHistogram",
	"github.com/chromedp", // browser tests only (package browsertest)
}

type listedPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

// goList runs go list with args in the module root and returns its stdout.
func goList(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = ".." // the module root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// rel is path below the module ("" for the module root), and whether path
// is a project package at all.
func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

// covers reports whether pattern ("p" or "p/...") covers the package p.
func covers(pattern, pkg string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

// ruleFor returns the most specific key of allowed that covers pkg.
func ruleFor(pkg string) (key string, r rule, ok bool) {
	best := -1
	for k, v := range allowed {
		if covers(k, pkg) && len(k) > best {
			key, r, ok, best = k, v, true, len(k)
		}
	}
	return key, r, ok
}

// may reports whether pkg may import dep (both below the module); test
// selects the test-only allowances too.
func may(pkg, dep string, test bool) (bool, string) {
	if slices.Contains(everywhere, dep) {
		return true, ""
	}
	key, r, ok := ruleFor(pkg)
	if !ok {
		return false, fmt.Sprintf("package %s is not in the table of imports_test.go; add it", pkg)
	}
	if r.anyBut != nil {
		for _, p := range r.anyBut {
			if covers(p, dep) {
				return false, ""
			}
		}
		return true, ""
	}
	for _, p := range r.may {
		if covers(p, dep) {
			return true, ""
		}
	}
	if test {
		for _, p := range testOnly[key] {
			if covers(p, dep) {
				return true, ""
			}
		}
	}
	return false, ""
}

// TestImportGraph fails on every project import (of a package's own files,
// or of its tests) that the allowed table does not list.
func TestImportGraph(t *testing.T) {
	dec := json.NewDecoder(bytes.NewReader(goList(t, "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Error", "./...")))
	checked := 0
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkg, ok := rel(p.ImportPath)
		if !ok {
			t.Errorf("go list gave %s, not a package of module %s", p.ImportPath, module)
			continue
		}
		if pkg == "" { // this test's own package: nothing imports it
			continue
		}
		if p.Error != nil {
			t.Errorf("%s: %s", p.ImportPath, p.Error.Err)
			continue
		}
		checked++
		for _, set := range []struct {
			imports []string
			test    bool
			what    string
		}{{p.Imports, false, "imports"}, {p.TestImports, true, "test imports"}, {p.XTestImports, true, "external test imports"}} {
			for _, imp := range set.imports {
				dep, ok := rel(imp)
				if !ok {
					continue
				}
				if ok, why := may(pkg, dep, set.test); !ok {
					if why == "" {
						why = "not in the allowed table of imports_test.go"
					}
					t.Errorf("%s %s %s: %s", p.ImportPath, set.what, imp, why)
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("checked %d packages; go list found too few", checked)
	}
}

// TestServerLinksNoBenchClients checks the server binary's whole dependency
// set for the bench harness's clients.
func TestServerLinksNoBenchClients(t *testing.T) {
	deps := strings.Fields(string(goList(t, "-deps", "./cmd/burndown")))
	var bad []string
	for _, d := range deps {
		for _, p := range notInServer {
			if d == p || strings.HasPrefix(d, p+"/") || strings.HasPrefix(d, p+"-") {
				bad = append(bad, d)
			}
		}
		if r, ok := rel(d); ok && covers("bench/...", r) {
			bad = append(bad, d)
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("cmd/burndown depends on %s; the bench harness belongs in cmd/burndown-bench", strings.Join(bad, ", "))
	}
	if !slices.Contains(deps, module+"/transport") {
		t.Errorf("go list -deps ./cmd/burndown has no %s/transport; is the list right?", module)
	}
}

// The table's own logic: the most specific key governs, "/..." covers
// subpackages and a plain path covers only itself.
func TestImportTableLogic(t *testing.T) {
	for _, c := range []struct {
		pkg, dep string
		test     bool
		want     bool
	}{
		{"persist/golden", "persist", false, true},
		{"persist", "persist/golden", false, false},
		{"persist", "persist/golden", true, true},
		{"cluster", "persist/golden", false, false},
		{"cluster", "transport", false, false},
		{"engine", "version", false, true},
		{"bench/scenario", "bench/loadgen", false, true},
		{"bench/scenario", "engine", false, false},
		{"cmd/burndown", "bench", false, false},
		{"cmd/burndown-bench", "bench", false, true},
		{"cmd/burndown-golden", "cluster", false, true},
		{"cmd/burndown-golden", "transport", false, false},
		{"cmd/burndown-golden", "bench/target", false, false},
		{"transport", "persist", false, false},
		{"effects", "cluster", false, true},
		{"cluster", "effects", false, false},
		{"cmd/burndown", "effects", false, true},
		{"no-such-package", "engine", false, false},
	} {
		if got, _ := may(c.pkg, c.dep, c.test); got != c.want {
			t.Errorf("may(%s -> %s, test %v) = %v, want %v", c.pkg, c.dep, c.test, got, c.want)
		}
	}
}
