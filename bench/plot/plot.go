// Package plot writes small self-contained SVG charts (line and bar) with axes,
// ticks and a legend, for the bench reports. No dependencies beyond the standard
// library; every text is XML-escaped.
package plot

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Series is one line of a LineChart.
type Series struct {
	Name   string
	X, Y   []float64
	Dashed bool
	// Color indexes the palette; series with the same Color share it. Zero
	// means "the series' own position".
	Color int
}

// LineChart plots series of (x, y) points.
type LineChart struct {
	Title, XLabel, YLabel string
	Series                []Series
	// LogY draws the y axis on a log10 scale (values ≤ 0 are skipped).
	LogY bool
}

// Bar is one bar of a BarChart.
type Bar struct {
	Label string
	Value float64
}

// BarChart draws one bar per label, highlighting Highlight.
type BarChart struct {
	Title, YLabel string
	Bars          []Bar
	Highlight     string
}

const (
	width, height         = 900, 420
	left, right, top, bot = 80, 290, 40, 60
)

// palette is colour-blind friendly (Okabe-Ito).
var palette = [...]string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

type svg struct{ b bytes.Buffer }

func (s *svg) f(format string, a ...any) { fmt.Fprintf(&s.b, format, a...) }

func (s *svg) text(x, y float64, anchor, extra, txt string) {
	s.f(`<text x="%.1f" y="%.1f" text-anchor="%s" %s>`, x, y, anchor, extra)
	_ = xml.EscapeText(&s.b, []byte(txt))
	s.b.WriteString("</text>\n")
}

func (s *svg) open(title string) {
	s.f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	s.f(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	s.text(width/2, 22, "middle", `font-size="15" font-weight="bold"`, title)
}

func (s *svg) close() []byte {
	s.b.WriteString("</svg>\n")
	return s.b.Bytes()
}

// SVG renders the chart.
func (c LineChart) SVG() []byte {
	var s svg
	s.open(c.Title)
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	ty := func(y float64) (float64, bool) {
		if c.LogY {
			if !(y > 0) {
				return 0, false
			}
			return math.Log10(y), true
		}
		return y, !math.IsNaN(y) && !math.IsInf(y, 0)
	}
	for _, sr := range c.Series {
		for i := range min(len(sr.X), len(sr.Y)) {
			y, ok := ty(sr.Y[i])
			if !ok || math.IsNaN(sr.X[i]) || math.IsInf(sr.X[i], 0) {
				continue
			}
			xmin, xmax = math.Min(xmin, sr.X[i]), math.Max(xmax, sr.X[i])
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
	}
	if math.IsInf(xmin, 1) {
		s.text(width/2, height/2, "middle", "", "no data")
		return s.close()
	}
	if !c.LogY {
		ymin = math.Min(0, ymin)
	}
	xt := Ticks(xmin, xmax, 6)
	var yt []float64
	if c.LogY {
		for e := math.Floor(ymin); e <= math.Ceil(ymax); e++ {
			yt = append(yt, e)
		}
		if len(yt) < 2 {
			yt = append(yt, yt[0]+1)
		}
	} else {
		yt = Ticks(ymin, ymax, 6)
	}
	x0, x1, y0, y1 := xt[0], xt[len(xt)-1], yt[0], yt[len(yt)-1]
	px := func(x float64) float64 { return left + (x-x0)/(x1-x0)*(width-left-right) }
	py := func(y float64) float64 { return height - bot - (y-y0)/(y1-y0)*(height-top-bot) }
	s.axes(c.XLabel, c.YLabel)
	for _, x := range xt {
		s.f(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", px(x), top, px(x), height-bot)
		s.text(px(x), height-bot+16, "middle", "", Format(x))
	}
	for _, y := range yt {
		s.f(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", left, py(y), width-right, py(y))
		label := Format(y)
		if c.LogY {
			label = Format(math.Pow(10, y))
		}
		s.text(left-6, py(y)+4, "end", "", label)
	}
	for i, sr := range c.Series {
		ci := i
		if sr.Color > 0 {
			ci = sr.Color - 1
		}
		col := palette[ci%len(palette)]
		dash := ""
		if sr.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		var pts bytes.Buffer
		for j := range min(len(sr.X), len(sr.Y)) {
			y, ok := ty(sr.Y[j])
			if !ok || math.IsNaN(sr.X[j]) || math.IsInf(sr.X[j], 0) {
				continue
			}
			fmt.Fprintf(&pts, "%.1f,%.1f ", px(sr.X[j]), py(y))
			s.f(`<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`+"\n", px(sr.X[j]), py(y), col)
		}
		s.f(`<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", col, dash, bytes.TrimSpace(pts.Bytes()))
		ly := float64(top + 10 + 18*i)
		s.f(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="2"%s/>`+"\n", width-right+12, ly, width-right+36, ly, col, dash)
		s.text(width-right+42, ly+4, "start", "", sr.Name)
	}
	return s.close()
}

func (s *svg) axes(xl, yl string) {
	s.f(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", left, height-bot, width-right, height-bot)
	s.f(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", left, top, left, height-bot)
	s.text(float64(left+(width-left-right)/2), height-18, "middle", "", xl)
	s.text(18, float64(top+(height-top-bot)/2), "middle", fmt.Sprintf(`transform="rotate(-90 18 %d)"`, top+(height-top-bot)/2), yl)
}

// SVG renders the chart.
func (c BarChart) SVG() []byte {
	var s svg
	s.open(c.Title)
	if len(c.Bars) == 0 {
		s.text(width/2, height/2, "middle", "", "no data")
		return s.close()
	}
	ymax := 0.0
	for _, b := range c.Bars {
		if b.Value > ymax && !math.IsInf(b.Value, 0) {
			ymax = b.Value
		}
	}
	yt := Ticks(0, ymax, 6)
	y1 := yt[len(yt)-1]
	py := func(y float64) float64 { return height - bot - y/y1*(height-top-bot) }
	s.axes("", c.YLabel)
	for _, y := range yt {
		s.f(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", left, py(y), width-right, py(y))
		s.text(left-6, py(y)+4, "end", "", Format(y))
	}
	slot := float64(width-left-right) / float64(len(c.Bars))
	for i, b := range c.Bars {
		v := b.Value
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			v = 0
		}
		col := "#999"
		if b.Label == c.Highlight {
			col = palette[0]
		}
		x := left + slot*float64(i) + slot*0.15
		s.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x, py(v), slot*0.7, py(0)-py(v), col)
		s.text(x+slot*0.35, py(v)-4, "middle", "", Format(v))
		s.text(x+slot*0.35, height-bot+16, "middle", "", b.Label)
	}
	return s.close()
}

// Ticks returns about n evenly spaced round tick values covering [lo, hi].
func Ticks(lo, hi float64, n int) []float64 {
	if n < 2 {
		n = 2
	}
	if hi < lo {
		lo, hi = hi, lo
	}
	if hi == lo {
		if lo == 0 {
			return []float64{0, 1}
		}
		lo, hi = lo-math.Abs(lo)/2, hi+math.Abs(hi)/2
	}
	raw := (hi - lo) / float64(n-1)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	start := math.Floor(lo/step) * step
	var out []float64
	for v := start; v < hi+step*0.999; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	if len(out) < 2 {
		out = append(out, out[0]+step)
	}
	return out
}

// Format prints a tick or value compactly: 1.5k, 2M, 0.25.
func Format(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return trim(strconv.FormatFloat(v/1e6, 'f', 2, 64)) + "M"
	case a >= 1e3:
		return trim(strconv.FormatFloat(v/1e3, 'f', 1, 64)) + "k"
	case a >= 10 || a == 0:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1:
		return trim(strconv.FormatFloat(v, 'f', 1, 64))
	default:
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
}

// trim drops trailing zeros after a decimal point, and the point itself.
func trim(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
