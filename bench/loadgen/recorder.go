package loadgen

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// maxErrorKinds caps how many distinct error texts are kept per run.
const maxErrorKinds = 32

// workerRec is one worker's tally since the last collection. The mutex is only
// ever contended by the once-per-second collector.
type workerRec struct {
	mu    sync.Mutex
	hist  *hdrhistogram.Histogram
	ops   int64
	units int64
	errs  int64
	kinds map[string]int64
}

func newWorkerRec() *workerRec {
	return &workerRec{hist: NewHistogram(), kinds: map[string]int64{}}
}

// record adds one finished operation. Latency is only recorded for successes, so
// fast failures (connection refused) cannot flatter the distribution.
func (w *workerRec) record(lat time.Duration, units int, err error) {
	w.mu.Lock()
	if err != nil {
		w.errs++
		k := errorKind(err)
		if _, ok := w.kinds[k]; ok || len(w.kinds) < maxErrorKinds {
			w.kinds[k]++
		} else {
			w.kinds["other"]++
		}
	} else {
		us := lat.Microseconds()
		if us < histMinUS {
			us = histMinUS
		}
		if us > histMaxUS {
			us = histMaxUS
		}
		_ = w.hist.RecordValue(us) // in range by construction
		w.ops++
		w.units += int64(units)
	}
	w.mu.Unlock()
}

// tally is what the collector moves out of the workers each tick.
type tally struct {
	hist  *hdrhistogram.Histogram
	ops   int64
	units int64
	errs  int64
}

// collector merges the worker tallies into a per-tick and a running total.
type collector struct {
	workers []*workerRec
	total   *hdrhistogram.Histogram
	tick    *hdrhistogram.Histogram
	kinds   map[string]int64
	ops     int64
	units   int64
	errs    int64
}

func newCollector(n int) *collector {
	c := &collector{total: NewHistogram(), tick: NewHistogram(), kinds: map[string]int64{}}
	for i := 0; i < n; i++ {
		c.workers = append(c.workers, newWorkerRec())
	}
	return c
}

// collect drains every worker and returns the tally since the previous call; the
// returned histogram is reused by the next call.
func (c *collector) collect() tally {
	c.tick.Reset()
	var t tally
	for _, w := range c.workers {
		w.mu.Lock()
		c.tick.Merge(w.hist)
		w.hist.Reset()
		t.ops += w.ops
		t.units += w.units
		t.errs += w.errs
		for k, v := range w.kinds {
			if _, ok := c.kinds[k]; ok || len(c.kinds) < maxErrorKinds {
				c.kinds[k] += v
			} else {
				c.kinds["other"] += v
			}
		}
		w.ops, w.units, w.errs = 0, 0, 0
		clear(w.kinds)
		w.mu.Unlock()
	}
	c.total.Merge(c.tick)
	c.ops += t.ops
	c.units += t.units
	c.errs += t.errs
	t.hist = c.tick
	return t
}

// errorKind reduces an error to a short stable label for counting.
func errorKind(err error) string {
	s := err.Error()
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}
