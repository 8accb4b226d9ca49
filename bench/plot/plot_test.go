package plot

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
)

// wellFormed parses b as XML to the end and returns the text it contains.
func wellFormed(t *testing.T, b []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var text strings.Builder
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("invalid XML: %v\n%s", err, b)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = v.Name.Local
			}
		case xml.CharData:
			text.Write(v)
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
	return text.String()
}

func TestLineChartIsValidSVG(t *testing.T) {
	c := LineChart{
		Title: `p99 <vs> "offered" & more`, XLabel: "offered req/s", YLabel: "ms",
		Series: []Series{
			{Name: "burndown <p99>", X: []float64{1000, 2000, 4000}, Y: []float64{0.2, 0.4, 1.5}},
			{Name: "redis & co", X: []float64{1000, 2000}, Y: []float64{0.3, math.NaN()}, Dashed: true},
		},
	}
	for _, logY := range []bool{false, true} {
		c.LogY = logY
		text := wellFormed(t, c.SVG())
		for _, want := range []string{`p99 <vs> "offered" & more`, "burndown <p99>", "redis & co"} {
			if !strings.Contains(text, want) {
				t.Errorf("logY=%v: text %q missing", logY, want)
			}
		}
	}
}

func TestChartsWithoutData(t *testing.T) {
	wellFormed(t, LineChart{Title: "empty"}.SVG())
	wellFormed(t, LineChart{Title: "one point", Series: []Series{{Name: "a", X: []float64{1}, Y: []float64{1}}}}.SVG())
	wellFormed(t, LineChart{Title: "zeros", LogY: true, Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{0, 0}}}}.SVG())
	wellFormed(t, BarChart{Title: "empty"}.SVG())
	wellFormed(t, BarChart{Title: "zero", Bars: []Bar{{"a", 0}, {"b", math.Inf(1)}}}.SVG())
}

func TestBarChartIsValidSVG(t *testing.T) {
	b := BarChart{Title: "peak", YLabel: "checks/s", Highlight: "burndown",
		Bars: []Bar{{"burndown", 110000}, {"floor", 120000}, {"redis-direct", 60000}}}
	text := wellFormed(t, b.SVG())
	for _, want := range []string{"burndown", "floor", "redis-direct", "110k"} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q missing", want)
		}
	}
}

func TestTicksCoverRange(t *testing.T) {
	cases := [][2]float64{{0, 1}, {0, 97}, {3, 3}, {0, 0}, {0.001, 0.37}, {12000, 118000}, {-5, 5}, {10, 2}}
	for _, c := range cases {
		ts := Ticks(c[0], c[1], 6)
		lo, hi := math.Min(c[0], c[1]), math.Max(c[0], c[1])
		if len(ts) < 2 || ts[0] > lo || ts[len(ts)-1] < hi {
			t.Errorf("Ticks(%v, %v) = %v does not cover the range", c[0], c[1], ts)
		}
		for i := 1; i < len(ts); i++ {
			if !(ts[i] > ts[i-1]) {
				t.Errorf("Ticks(%v, %v) = %v not increasing", c[0], c[1], ts)
			}
		}
		if len(ts) > 12 {
			t.Errorf("Ticks(%v, %v) gave %d ticks", c[0], c[1], len(ts))
		}
	}
}

func TestFormat(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.25: "0.25", 1.5: "1.5", 250: "250", 1500: "1.5k", 120000: "120k", 2_500_000: "2.5M", 1_000_000: "1M"} {
		if got := Format(v); got != want {
			t.Errorf("Format(%v) = %q, want %q", v, got, want)
		}
	}
}
