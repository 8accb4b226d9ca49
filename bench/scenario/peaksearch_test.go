package scenario

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"burndown/bench/loadgen"
	"burndown/bench/report"
)

// capped is a system that serves at most slots requests at once, each taking
// a millisecond: more workers raise its throughput until they fill the slots.
func capped(slots int) loadgen.OpFactory {
	sem := make(chan struct{}, slots)
	return func(int) (loadgen.Op, error) {
		return func(ctx context.Context) (int, error) {
			sem <- struct{}{}
			time.Sleep(time.Millisecond)
			<-sem
			return 1, nil
		}, nil
	}
}

func TestPeakWorkersStopsWhereDoublingNoLongerPays(t *testing.T) {
	env := &Env{Opts: Options{Duration: 2 * time.Second}, Log: io.Discard}
	out := &report.Scenario{Name: "ingest"}
	var probed []int
	factory := capped(8)
	got := env.peakWorkers(context.Background(), out, "sys", 2, 64, func(w int) job {
		probed = append(probed, w)
		return job{op: "ingest", cfg: env.closed(w), factory: factory}
	})
	if got != 8 {
		t.Errorf("peak workers = %d, want 8 (the system serves 8 at once); probed %v, notes %q", got, probed, out.Notes)
	}
	if want := []int{2, 4, 8, 16}; !slices.Equal(probed, want) {
		t.Errorf("probed %v, want %v: the search stops at the first doubling that does not pay", probed, want)
	}
	if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], "the peak phase uses 8") {
		t.Errorf("notes %q: want one note naming the count found", out.Notes)
	}
}

func TestPeakWorkersWithoutRoomSearchesNothing(t *testing.T) {
	env := &Env{Opts: Options{Duration: time.Second}, Log: io.Discard}
	out := &report.Scenario{Name: "gateway"}
	got := env.peakWorkers(context.Background(), out, "sys", 64, 64, func(int) job {
		t.Fatal("probed although the limit leaves no room")
		return job{}
	})
	if got != 64 || len(out.Notes) != 0 {
		t.Errorf("got %d workers and notes %q, want 64 and none", got, out.Notes)
	}
}
