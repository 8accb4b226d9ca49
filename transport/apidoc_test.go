package transport

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// apiDocPath is the endpoint index TestAPIDoc keeps true.
const apiDocPath = "../docs/api.md"

// docRoute is one row of docs/api.md's endpoint table.
type docRoute struct {
	method, path, runsOn string
}

func (r docRoute) key() string { return r.method + " " + r.path }

var (
	docRowRE     = regexp.MustCompile("^\\|\\s*`(GET|POST)`\\s*\\|\\s*`([^`]+)`\\s*\\|\\s*([^|]+?)\\s*\\|")
	docFieldsRE  = regexp.MustCompile("^### `([^`]+)`\\s*$")
	docGroupRE   = regexp.MustCompile("^- (body|`([^`]+)`): (.+)$")
	docBacktickR = regexp.MustCompile("`([^`]+)`")
)

// readAPIDoc parses docs/api.md: the rows of its endpoint table, and per
// endpoint path the fields its "Fields each endpoint applies" section lists.
func readAPIDoc(t *testing.T) ([]docRoute, map[string][]string) {
	t.Helper()
	b, err := os.ReadFile(apiDocPath)
	if err != nil {
		t.Fatal(err)
	}
	var routes []docRoute
	fields := map[string][]string{}
	section, current := "", ""
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			section, current = strings.TrimPrefix(line, "## "), ""
		case section == "Endpoints" && strings.HasPrefix(line, "|"):
			if m := docRowRE.FindStringSubmatch(line); m != nil {
				routes = append(routes, docRoute{method: m[1], path: m[2], runsOn: m[3]})
			} else if !strings.HasPrefix(line, "| Method") && !strings.HasPrefix(line, "|---") {
				t.Errorf("%s:%d: an endpoint row must read | `METHOD` | `path` | runs on | what it does |: %q", apiDocPath, i+1, line)
			}
		case section == "Fields each endpoint applies" && strings.HasPrefix(line, "### "):
			m := docFieldsRE.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s:%d: a fields heading must read ### `path`: %q", apiDocPath, i+1, line)
				continue
			}
			current = m[1]
			if _, dup := fields[current]; dup {
				t.Errorf("%s:%d: %s has two field lists", apiDocPath, i+1, current)
			}
			fields[current] = []string{}
		case section == "Fields each endpoint applies" && strings.HasPrefix(line, "- "):
			if current == "" {
				t.Errorf("%s:%d: a field line outside an endpoint's heading", apiDocPath, i+1)
				continue
			}
			if strings.HasPrefix(line, "- none") {
				continue
			}
			m := docGroupRE.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s:%d: a field line must read - body: `a`, `b` or - `parent`: `a`, `b`: %q", apiDocPath, i+1, line)
				continue
			}
			for _, leaf := range docBacktickR.FindAllStringSubmatch(m[3], -1) {
				f := leaf[1]
				if m[2] != "" {
					f = m[2] + "." + f
				}
				fields[current] = append(fields[current], f)
			}
		}
	}
	if len(routes) == 0 {
		t.Fatalf("%s: no endpoint table found under ## Endpoints", apiDocPath)
	}
	return routes, fields
}

// accessName is how docs/api.md's "Runs on" column names a route's access.
func accessName(a access) string {
	switch a {
	case anyNode:
		return "any node"
	case readRoute:
		return "replica"
	case leaderOnly:
		return "leader"
	}
	return "?"
}

// servedRoutes walks the route table buildRoutes returns: "METHOD path" to
// the route's access. A prefix route (a key ending in "/", which lookup
// serves with the rest of the path as the parameter) is documented as
// path + "{id}".
func servedRoutes(s *Server) map[string]access {
	out := map[string]access{}
	for path, ep := range s.buildRoutes() {
		if strings.HasSuffix(path, "/") {
			path += "{id}"
		}
		if ep.get != nil {
			out[fasthttp.MethodGet+" "+path] = ep.get.access
		}
		if ep.post != nil {
			out[fasthttp.MethodPost+" "+path] = ep.post.access
		}
	}
	return out
}

// pathsHandledBeforeTheTable finds the paths Server.dispatch serves itself,
// before it looks in the route table (the entitlement check's hot path,
// health, metrics, pprof, Stripe's webhook): every string literal or string
// constant starting with "/" in Handle's body, constants resolved across the
// package's non-test files. A new special case in Handle is found here
// without anyone listing it.
func pathsHandledBeforeTheTable(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	consts := map[string]string{}
	var handle *ast.FuncDecl
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				if d.Tok != token.CONST {
					continue
				}
				for _, sp := range d.Specs {
					vs := sp.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
								if v, err := strconv.Unquote(lit.Value); err == nil {
									consts[n.Name] = v
								}
							}
						}
					}
				}
			case *ast.FuncDecl:
				if d.Name.Name == "dispatch" && d.Recv != nil {
					handle = d
				}
			}
		}
	}
	if handle == nil {
		t.Fatal("Server.dispatch not found in the package's files")
	}
	paths := map[string]bool{}
	ast.Inspect(handle.Body, func(n ast.Node) bool {
		var v string
		switch n := n.(type) {
		case *ast.BasicLit:
			if n.Kind == token.STRING {
				v, _ = strconv.Unquote(n.Value)
			}
		case *ast.Ident:
			v = consts[n.Name]
		}
		if strings.HasPrefix(v, "/") {
			paths[v] = true
		}
		return true
	})
	if len(paths) == 0 {
		t.Fatal("no path found in Server.dispatch: has the router moved?")
	}
	return paths
}

// TestAPIDoc keeps docs/api.md true: every route the server dispatches is a
// row of its endpoint table and every row is dispatched (with the "Runs on"
// the route table gives it), and its field lists are transport/fields.go's.
func TestAPIDoc(t *testing.T) {
	docRoutes, docFields := readAPIDoc(t)
	srv, err := New(Config{Node: newFakeNode(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), Token: testToken,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), StripeWebhookSecret: "whsec_apidoc"})
	if err != nil {
		t.Fatal(err)
	}
	table := servedRoutes(srv)
	special := pathsHandledBeforeTheTable(t)

	documented := map[string]docRoute{}
	documentedPaths := map[string]bool{}
	for _, r := range docRoutes {
		if _, dup := documented[r.key()]; dup {
			t.Errorf("docs/api.md lists %s twice", r.key())
		}
		documented[r.key()] = r
		documentedPaths[r.path] = true
	}

	// Served, not documented.
	for _, k := range sortedKeys(table) {
		r, ok := documented[k]
		if !ok {
			t.Errorf("%s is served (transport/router.go buildRoutes) but not in docs/api.md's endpoint table: add a row", k)
			continue
		}
		if want := accessName(table[k]); r.runsOn != want {
			t.Errorf("docs/api.md: %s runs on %q, the router says %q", k, r.runsOn, want)
		}
	}
	for _, p := range sortedKeys(special) {
		if !documentedPaths[p] {
			t.Errorf("%s is served by Server.dispatch (transport/router.go) but not in docs/api.md's endpoint table: add a row", p)
		}
	}

	// Documented, not served: each row is dispatched for real, the table's
	// rows through lookup, the others through Handle.
	for _, r := range docRoutes {
		if _, ok := table[r.key()]; ok {
			path := strings.NewReplacer("{id}", "doc-id", "{invoice_id}", "doc-invoice").Replace(r.path)
			ep, _ := srv.lookup([]byte(path))
			if ep == nil || (r.method == fasthttp.MethodGet && ep.get == nil) || (r.method == fasthttp.MethodPost && ep.post == nil) {
				t.Errorf("docs/api.md: %s is in the route table but %s %s does not reach it (lookup)", r.key(), r.method, path)
			}
			continue
		}
		if !special[r.path] {
			t.Errorf("docs/api.md lists %s, which the server does not serve: remove the row or serve it", r.key())
			continue
		}
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod(r.method)
		ctx.Request.SetRequestURI(r.path)
		ctx.Request.Header.Set("Authorization", "Bearer "+testToken)
		srv.Handle(&ctx)
		if st := ctx.Response.StatusCode(); st == fasthttp.StatusMethodNotAllowed ||
			(st == fasthttp.StatusNotFound && strings.Contains(string(ctx.Response.Body()), "no endpoint")) {
			t.Errorf("docs/api.md lists %s, but the server answers %d %s", r.key(), st, ctx.Response.Body())
		}
	}

	// Fields: docs/api.md's lists are fields.go's, as sets.
	for _, p := range sortedKeys(appliedFields) {
		got, ok := docFields[p]
		if !ok {
			t.Errorf("docs/api.md has no field list for %s (transport/fields.go applies %d fields)", p, len(appliedFields[p]))
			continue
		}
		want := setOf(appliedFields[p])
		have := setOf(got)
		for _, f := range sortedKeys(want) {
			if !have[f] {
				t.Errorf("docs/api.md: %s applies %s (transport/fields.go), not listed", p, f)
			}
		}
		for _, f := range sortedKeys(have) {
			if !want[f] {
				t.Errorf("docs/api.md: %s lists %s, which transport/fields.go does not apply", p, f)
			}
		}
	}
	for _, p := range sortedKeys(docFields) {
		if _, ok := appliedFields[p]; !ok {
			t.Errorf("docs/api.md lists fields for %s, which transport/fields.go does not have", p)
		}
	}
}

func setOf(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
