package burndown

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Scrape is one read of a node's GET /metrics: every sample by its series
// (name with labels, as written), so two reads subtract into what happened
// between them.
type Scrape map[string]float64

// Scrape reads the node's /metrics.
func (c *Client) Scrape(ctx context.Context) (Scrape, error) {
	var s Scrape
	err := c.metrics(func(body []byte) { s = ParseScrape(body) })
	return s, err
}

// metrics reads the node's GET /metrics and hands the body to read, which
// must not keep it.
func (c *Client) metrics(read func(body []byte)) error {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(c.base + "/metrics")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if err := c.hc.DoTimeout(req, resp, 10*time.Second); err != nil {
		return fmt.Errorf("GET /metrics: %w", err)
	}
	if s := resp.StatusCode(); s != 200 {
		return fmt.Errorf("GET /metrics: status %d", s)
	}
	read(resp.Body())
	return nil
}

// ForceGC makes the node run a garbage collection now, through the
// admin-scoped GET /debug/pprof/heap?gc=1 (Go's heap profile collects
// before it profiles); the profile itself is discarded. A heap figure
// read from /metrics right after is the live heap, not garbage.
func (c *Client) ForceGC(ctx context.Context) error {
	return c.onceWith(c.slow, "GET", "/debug/pprof/heap?gc=1", nil, nil)
}

// ParseScrape parses Prometheus text: one sample per line, comments skipped.
func ParseScrape(body []byte) Scrape {
	s := Scrape{}
	for _, line := range bytes.Split(body, []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		i := bytes.LastIndexByte(line, ' ')
		if i <= 0 {
			continue
		}
		v, err := strconv.ParseFloat(string(line[i+1:]), 64)
		if err == nil {
			s[string(line[:i])] = v
		}
	}
	return s
}

// Sub returns s − before, series by series (a series absent before counts
// from zero).
func (s Scrape) Sub(before Scrape) Scrape {
	d := make(Scrape, len(s))
	for k, v := range s {
		d[k] = v - before[k]
	}
	return d
}

// Histogram is a Prometheus histogram's buckets (cumulative counts by upper
// bound), sum and count, of the series whose labels contain a filter.
type Histogram struct {
	Bounds []float64 // upper bounds, ascending; the last may be +Inf
	Counts []float64 // cumulative
	Sum    float64
	Count  float64
}

// Histogram gathers name's buckets of the series whose label text contains
// every one of filters (e.g. `route="/v1/ingest"`), adding up series that
// differ in other labels (e.g. status codes).
func (s Scrape) Histogram(name string, filters ...string) Histogram {
	byBound := map[float64]float64{}
	var h Histogram
	for k, v := range s {
		base, labels, _ := strings.Cut(k, "{")
		if !matches(labels, filters) {
			continue
		}
		switch base {
		case name + "_bucket":
			le, ok := labelValue(labels, "le")
			if b, err := strconv.ParseFloat(le, 64); ok && err == nil {
				byBound[b] += v
			}
		case name + "_sum":
			h.Sum += v
		case name + "_count":
			h.Count += v
		}
	}
	for b := range byBound {
		h.Bounds = append(h.Bounds, b)
	}
	sort.Float64s(h.Bounds)
	for _, b := range h.Bounds {
		h.Counts = append(h.Counts, byBound[b])
	}
	if h.Count == 0 && len(h.Counts) > 0 { // runtime/metrics histograms have buckets only
		h.Count = h.Counts[len(h.Counts)-1]
	}
	return h
}

func matches(labels string, filters []string) bool {
	for _, f := range filters {
		if !strings.Contains(labels, f) {
			return false
		}
	}
	return true
}

// labelValue returns the value of label key in `a="x",b="y"}`.
func labelValue(labels, key string) (string, bool) {
	_, rest, ok := strings.Cut(labels, key+`="`)
	if !ok {
		return "", false
	}
	v, _, ok := strings.Cut(rest, `"`)
	return v, ok
}

// Mean is Sum / Count, 0 for an empty histogram.
func (h Histogram) Mean() float64 {
	if h.Count <= 0 {
		return 0
	}
	return h.Sum / h.Count
}

// Quantile estimates the q-quantile by linear interpolation inside the
// bucket that holds it (as Prometheus' histogram_quantile does); a quantile
// in the +Inf bucket answers the largest finite bound. NaN when empty.
func (h Histogram) Quantile(q float64) float64 {
	if len(h.Counts) == 0 || h.Counts[len(h.Counts)-1] <= 0 {
		return math.NaN()
	}
	rank := q * h.Counts[len(h.Counts)-1]
	lower, below := 0.0, 0.0
	for i, b := range h.Bounds {
		if h.Counts[i] >= rank {
			if math.IsInf(b, 1) {
				return lower
			}
			in := h.Counts[i] - below
			if in <= 0 {
				return b
			}
			return lower + (b-lower)*(rank-below)/in
		}
		lower, below = b, h.Counts[i]
	}
	return lower
}
