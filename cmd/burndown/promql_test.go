package main

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// A small PromQL reader for the monitoring test: it finds the series an
// expression selects (metric name and the label names its matchers test),
// and nothing else. Function and aggregation names, keywords, the label
// lists of by/without/on/ignoring/group_left/group_right, strings, numbers,
// durations, range and subquery brackets, comments and Grafana's $variables
// are not series. An unknown function name is an error: a misspelt
// function in a dashboard panel is caught here, as promtool catches it in
// the rules.

// promSelector is one series selector of an expression.
type promSelector struct {
	name   string
	labels []string // label names its matchers test, in order
}

// promFunctions are PromQL's functions (Prometheus 2.x and 3.x).
var promFunctions = setOf(`abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes clamp
	clamp_max clamp_min cos cosh count_over_time day_of_month day_of_week day_of_year days_in_month deg delta deriv exp floor
	histogram_avg histogram_count histogram_fraction histogram_quantile histogram_stddev histogram_stdvar histogram_sum
	holt_winters double_exponential_smoothing hour idelta increase irate label_join label_replace last_over_time ln log10 log2
	mad_over_time max_over_time min_over_time minute month pi predict_linear present_over_time quantile_over_time rad rate
	resets round scalar sgn sin sinh sort sort_by_label sort_by_label_desc sort_desc sqrt stddev_over_time stdvar_over_time
	sum_over_time tan tanh time timestamp vector year start end`)

// promAggregations are PromQL's aggregation operators, which may be
// followed by a by/without clause before their parentheses.
var promAggregations = setOf(`sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio`)

// promKeywords are the other words that are not series.
var promKeywords = setOf(`and or unless bool offset atan2 inf nan`)

// promLabelLists are the keywords followed by a parenthesized list of label
// names.
var promLabelLists = setOf(`by without on ignoring group_left group_right`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// promReader walks one expression.
type promReader struct {
	s   string
	i   int
	out []promSelector
}

// promSelectors returns the series selectors of expr.
func promSelectors(expr string) ([]promSelector, error) {
	r := &promReader{s: expr}
	for r.i < len(r.s) {
		if err := r.step(); err != nil {
			return nil, fmt.Errorf("%q at %d: %w", expr, r.i, err)
		}
	}
	return r.out, nil
}

// step reads one token.
func (r *promReader) step() error {
	c := r.s[r.i]
	switch {
	case c == '#':
		for r.i < len(r.s) && r.s[r.i] != '\n' {
			r.i++
		}
	case c == '"' || c == '\'' || c == '`':
		_, err := r.str()
		return err
	case c == '$':
		r.variable()
	case c == '[':
		return r.skipTo(']')
	case c == '{':
		return fmt.Errorf("a selector without a metric name")
	case isDigit(c) || (c == '.' && r.i+1 < len(r.s) && isDigit(r.s[r.i+1])):
		r.number()
	case isIdentStart(c):
		return r.word()
	default:
		r.i++ // operators, parentheses, commas, spaces
	}
	return nil
}

// word reads an identifier: a function, keyword or metric name.
func (r *promReader) word() error {
	w := r.ident()
	next := r.peek()
	switch {
	case promLabelLists[w]:
		if next == '(' {
			r.skipSpace()
			return r.skipTo(')')
		}
	case promAggregations[w], promKeywords[w]:
	case next == '(':
		if !promFunctions[w] {
			return fmt.Errorf("unknown function %s", w)
		}
	default:
		sel := promSelector{name: w}
		if next == '{' {
			r.skipSpace()
			labels, err := r.matchers()
			if err != nil {
				return fmt.Errorf("%s: %w", w, err)
			}
			sel.labels = labels
		}
		r.out = append(r.out, sel)
	}
	return nil
}

// matchers reads {name op "value", ...} and returns the label names.
func (r *promReader) matchers() ([]string, error) {
	r.i++ // {
	var labels []string
	for {
		r.skipSpace()
		if r.i >= len(r.s) {
			return nil, fmt.Errorf("unclosed {")
		}
		if r.s[r.i] == '}' {
			r.i++
			return labels, nil
		}
		if !isIdentStart(r.s[r.i]) {
			return nil, fmt.Errorf("label name expected, found %q", r.s[r.i])
		}
		labels = append(labels, r.ident())
		r.skipSpace()
		for r.i < len(r.s) && strings.IndexByte("=!~", r.s[r.i]) >= 0 {
			r.i++
		}
		r.skipSpace()
		if _, err := r.str(); err != nil {
			return nil, err
		}
		r.skipSpace()
		if r.i < len(r.s) && r.s[r.i] == ',' {
			r.i++
		}
	}
}

// str reads a quoted string.
func (r *promReader) str() (string, error) {
	if r.i >= len(r.s) || strings.IndexByte("\"'`", r.s[r.i]) < 0 {
		return "", fmt.Errorf("string expected")
	}
	q := r.s[r.i]
	start := r.i + 1
	for r.i++; r.i < len(r.s); r.i++ {
		switch {
		case r.s[r.i] == '\\' && q != '`':
			r.i++
		case r.s[r.i] == q:
			r.i++
			return r.s[start : r.i-1], nil
		}
	}
	return "", fmt.Errorf("unclosed string")
}

// variable skips a Grafana variable: $name, ${name} or ${name:format}.
func (r *promReader) variable() {
	r.i++
	if r.i < len(r.s) && r.s[r.i] == '{' {
		r.skipTo('}') //nolint:errcheck // an unclosed ${ ends the expression
		return
	}
	r.ident()
}

// number skips a number or a duration (5m, 1h30m, 0.99, 1e-3, 0x1f).
func (r *promReader) number() {
	start := r.i
	for r.i < len(r.s) {
		c := r.s[r.i]
		exponent := r.i > start && (r.s[r.i-1] == 'e' || r.s[r.i-1] == 'E') && !strings.HasPrefix(r.s[start:], "0x")
		if !isIdentChar(c) && c != '.' && !((c == '+' || c == '-') && exponent) {
			return
		}
		r.i++
	}
}

// skipTo skips past the next close byte, strings included.
func (r *promReader) skipTo(close byte) error {
	for r.i++; r.i < len(r.s); {
		switch c := r.s[r.i]; {
		case c == close:
			r.i++
			return nil
		case c == '"' || c == '\'' || c == '`':
			if _, err := r.str(); err != nil {
				return err
			}
		default:
			r.i++
		}
	}
	return fmt.Errorf("unclosed, %q expected", close)
}

func (r *promReader) ident() string {
	start := r.i
	for r.i < len(r.s) && isIdentChar(r.s[r.i]) {
		r.i++
	}
	return r.s[start:r.i]
}

// peek is the next byte after spaces, without moving.
func (r *promReader) peek() byte {
	j := r.i
	for j < len(r.s) && strings.IndexByte(" \t\r\n", r.s[j]) >= 0 {
		j++
	}
	if j < len(r.s) {
		return r.s[j]
	}
	return 0
}

func (r *promReader) skipSpace() {
	for r.i < len(r.s) && strings.IndexByte(" \t\r\n", r.s[r.i]) >= 0 {
		r.i++
	}
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c == ':' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }

func TestPromSelectors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []promSelector
	}{
		{`up{job="burndown"} == 0`, []promSelector{{"up", []string{"job"}}}},
		{`histogram_quantile(0.99, sum by (job, le) (rate(a_seconds_bucket{x=~"$inst"}[$__rate_interval])))`,
			[]promSelector{{"a_seconds_bucket", []string{"x"}}}},
		{"sum without(instance)(rate(b_total{code=~\"5..\", code!=\"503\"}[5m] offset 1h)) / on (job) group_left c_total > bool 1e-3",
			[]promSelector{{"b_total", []string{"code", "code"}}, {"c_total", nil}}},
		{`count_values("v", d) or absent(e{l='it\'s, }'}) # f{g="h"}`, []promSelector{{"d", nil}, {"e", []string{"l"}}}},
		{`max_over_time(deriv(rate(x_sum[5m:1m])[1h:])[${range}]) and ignoring(peer) y > 0.8 * 8 * 1024^3 unless z @ start()`,
			[]promSelector{{"x_sum", nil}, {"y", nil}, {"z", nil}}},
		{`topk by (route) (5, http_total) and 0x1F < nan`, []promSelector{{"http_total", nil}}},
	} {
		got, err := promSelectors(tc.expr)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.expr, got, tc.want)
		}
	}
	for _, bad := range []string{`rat(x[5m])`, `{__name__="x"}`, `x{l="open`, `sum(x[5m)`} {
		if sel, err := promSelectors(bad); err == nil {
			t.Errorf("%s: no error, selectors %+v", bad, sel)
		}
	}
}
