package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The monitoring files of deploy/: the alert rules and the Grafana
// dashboard, read as Prometheus and Grafana read them. The e2e test
// (monitoring_e2e_test.go) holds their expressions against what a running
// cluster exports.

const (
	rulesFile     = "../../deploy/prometheus/burndown-rules.yml"
	dashboardFile = "../../deploy/grafana/burndown.json"
)

// alertRule is one rule of a Prometheus rules file.
type alertRule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// readRules reads the rules of every group of the rules file.
func readRules(t *testing.T) []alertRule {
	t.Helper()
	raw, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string      `yaml:"name"`
			Rules []alertRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	var rules []alertRule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatalf("%s: no rules", rulesFile)
	}
	return rules
}

// namedExpr is an expression and where it comes from, for messages.
type namedExpr struct{ where, expr string }

// ruleExprs are the rules' expressions.
func ruleExprs(t *testing.T) []namedExpr {
	var out []namedExpr
	for _, r := range readRules(t) {
		out = append(out, namedExpr{"rule " + r.Alert + r.Record, r.Expr})
	}
	return out
}

// grafanaPanel is a dashboard panel; rows hold theirs when collapsed.
type grafanaPanel struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"`
}

// dashboardExprs are the expressions of every panel target and of every
// query variable of the dashboard, and the dashboard's variables.
func dashboardExprs(t *testing.T) ([]namedExpr, []grafanaVariable) {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels     []grafanaPanel `json:"panels"`
		Templating struct {
			List []grafanaVariable `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	var out []namedExpr
	var walk func([]grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				out = append(out, namedExpr{"panel " + p.Title, tg.Expr})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, err := v.queryText()
		if err != nil {
			t.Fatalf("%s: %v", dashboardFile, err)
		}
		out = append(out, namedExpr{"variable " + v.Name, labelValuesSeries(q)})
	}
	return out, d.Templating.List
}

// grafanaVariable is a dashboard template variable.
type grafanaVariable struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Query is a string (a datasource variable's plugin type) or, for a
	// query variable, an object holding the query.
	Query json.RawMessage `json:"query"`
}

// queryText is the PromQL of a query variable.
func (v grafanaVariable) queryText() (string, error) {
	var q struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(v.Query, &q); err != nil {
		return "", fmt.Errorf("variable %s: %w", v.Name, err)
	}
	return q.Query, nil
}

// labelValues matches Grafana's label_values(series, label) query.
var labelValues = regexp.MustCompile(`^\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)

// labelValuesSeries is the series expression of a label_values query (the
// query itself when it is PromQL).
func labelValuesSeries(q string) string {
	if m := labelValues.FindStringSubmatch(q); m != nil {
		return m[1]
	}
	return q
}

// Every alert carries a severity, a summary, a description and a runbook
// entry that docs/operations.md has; the dashboard picks its data source
// through a variable, so it imports into any Grafana.
func TestMonitoringFilesAreComplete(t *testing.T) {
	ops, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := markdownAnchors(string(ops))
	for _, r := range readRules(t) {
		if r.Alert == "" {
			continue
		}
		if s := r.Labels["severity"]; s != "critical" && s != "warning" {
			t.Errorf("%s: severity %q, want critical or warning", r.Alert, s)
		}
		for _, a := range []string{"summary", "description"} {
			if r.Annotations[a] == "" {
				t.Errorf("%s: no %s annotation", r.Alert, a)
			}
		}
		want := "docs/operations.md#" + strings.ToLower(r.Alert)
		if r.Annotations["runbook_url"] != want {
			t.Errorf("%s: runbook_url %q, want %q", r.Alert, r.Annotations["runbook_url"], want)
		}
		if !anchors[strings.ToLower(r.Alert)] {
			t.Errorf("%s: docs/operations.md has no heading %q (its runbook entry)", r.Alert, r.Alert)
		}
	}
	exprs, vars := dashboardExprs(t)
	if len(exprs) == 0 {
		t.Fatal("the dashboard has no expressions")
	}
	hasDatasource := false
	for _, v := range vars {
		hasDatasource = hasDatasource || (v.Type == "datasource" && v.Name == "datasource")
	}
	if !hasDatasource {
		t.Error("the dashboard has no datasource variable named datasource")
	}
	raw, _ := os.ReadFile(dashboardFile)
	if n := strings.Count(string(raw), `"uid": "${datasource}"`); n == 0 || strings.Contains(string(raw), `"uid": "prometheus"`) {
		t.Errorf("panels must use the ${datasource} variable (%d do)", n)
	}
}

// markdownAnchors are the GitHub anchors of a document's headings.
func markdownAnchors(doc string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(doc, "\n") {
		if h := strings.TrimLeft(line, "#"); h != line && strings.HasPrefix(h, " ") {
			a := strings.ToLower(strings.TrimSpace(h))
			a = regexp.MustCompile(`[^a-z0-9 _-]`).ReplaceAllString(a, "")
			out[strings.ReplaceAll(a, " ", "-")] = true
		}
	}
	return out
}

// exported are the series of a Prometheus text exposition: each sample
// name with the label names its samples carry.
type exported map[string]map[string]bool

// parseExposition reads the samples of a /metrics answer.
func parseExposition(body string) (exported, error) {
	out := exported{}
	for n, line := range strings.Split(body, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		r := &promReader{s: line}
		name := r.ident()
		if name == "" {
			return nil, fmt.Errorf("line %d: %q: no metric name", n+1, line)
		}
		labels := out[name]
		if labels == nil {
			labels = map[string]bool{}
			out[name] = labels
		}
		if r.i < len(line) && line[r.i] == '{' {
			names, err := r.matchers()
			if err != nil {
				return nil, fmt.Errorf("line %d: %q: %w", n+1, line, err)
			}
			for _, l := range names {
				labels[l] = true
			}
		}
	}
	return out, nil
}

// prometheusMade are series Prometheus itself makes for each target, and
// the labels it gives every scraped series.
var (
	prometheusMade   = map[string]bool{"up": true}
	prometheusLabels = map[string]bool{"job": true, "instance": true}
)

// missingSeries lists what the expressions name and the cluster does not
// export: one line per missing series (with where it is used), and one per
// matcher label a series lacks.
func missingSeries(exprs []namedExpr, have exported) ([]string, error) {
	users := map[string][]string{} // missing series -> where
	var out []string
	for _, e := range exprs {
		sels, err := promSelectors(e.expr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.where, err)
		}
		if len(sels) == 0 {
			return nil, fmt.Errorf("%s: %q selects no series", e.where, e.expr)
		}
		for _, s := range sels {
			labels, ok := have[s.name]
			if !ok && !prometheusMade[s.name] {
				if u := users[s.name]; len(u) == 0 || u[len(u)-1] != e.where {
					users[s.name] = append(u, e.where)
				}
				continue
			}
			for _, l := range s.labels {
				if !labels[l] && !prometheusLabels[l] {
					out = append(out, fmt.Sprintf("series %s has no label %s (%s)", s.name, l, e.where))
				}
			}
		}
	}
	for name, where := range users {
		out = append(out, fmt.Sprintf("series %s is not exported (%s)", name, strings.Join(where, "; ")))
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}

// A histogram is exported as its _bucket, _sum and _count series, never
// under its own name; a matcher on a label the series lacks is reported;
// up and the target labels come from Prometheus.
func TestMissingSeries(t *testing.T) {
	have, err := parseExposition("# TYPE h histogram\nh_bucket{route=\"/a,b\\\"}\",le=\"0.1\"} 1\nh_sum 2\nh_count{route=\"x\"} 1\nc_total 3\n")
	if err != nil {
		t.Fatal(err)
	}
	got, err := missingSeries([]namedExpr{
		{"ok", `histogram_quantile(0.9, sum by (le) (rate(h_bucket{route="/a", job="j"}[5m]))) / h_sum + c_total and up{instance="i"}`},
		{"bad", `rate(h[5m]) + h_count{code="500"} + rate(h[1m])`},
	}, have)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"series h is not exported (bad)", "series h_count has no label code (bad)"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, err := missingSeries([]namedExpr{{"empty", `vector(1)`}}, have); err == nil {
		t.Fatal("an expression selecting no series passed")
	}
}
