package loadgen

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRunClosedLoopCountsEverything(t *testing.T) {
	fail := errors.New("boom")
	factory := func(w int) (Op, error) {
		n := 0
		return func(ctx context.Context) (int, error) {
			n++
			time.Sleep(50 * time.Microsecond)
			if n%10 == 0 {
				return 0, fail
			}
			return 3, nil
		}, nil
	}
	res, err := Run(context.Background(), Config{Label: "t", Workers: 4, Warmup: 50 * time.Millisecond, Duration: 200 * time.Millisecond}, factory)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != "closed" || res.Ops == 0 || res.Errors == 0 {
		t.Fatalf("unexpected result %+v", res)
	}
	if res.Units != 3*res.Ops {
		t.Errorf("units %d, want 3×ops = %d", res.Units, 3*res.Ops)
	}
	if res.ErrorKinds["boom"] != res.Errors {
		t.Errorf("error kinds %v, errors %d", res.ErrorKinds, res.Errors)
	}
	if res.Latency.Count != res.Ops {
		t.Errorf("histogram holds %d values for %d ops", res.Latency.Count, res.Ops)
	}
	var sum int64
	for _, s := range res.Timeline {
		sum += s.Ops
	}
	if sum != res.Ops {
		t.Errorf("timeline sums to %d ops, total says %d", sum, res.Ops)
	}
}

// In open loop every ticket due in the recorded window is either done, failed or
// reported unsent: nothing disappears.
func TestRunOpenLoopAccountsForEveryTicket(t *testing.T) {
	for _, slow := range []bool{false, true} {
		factory := func(w int) (Op, error) {
			return func(ctx context.Context) (int, error) {
				if slow {
					time.Sleep(20 * time.Millisecond) // 2 workers × 50/s ≪ 1000/s offered
				}
				return 1, nil
			}, nil
		}
		cfg := Config{Label: "o", Workers: 2, Rate: 1000, Warmup: 30 * time.Millisecond, Duration: 200 * time.Millisecond}
		res, err := Run(context.Background(), cfg, factory)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Ops + res.Errors + res.Unsent; got != 200 {
			t.Errorf("slow=%v: ops %d + errors %d + unsent %d = %d, want 200 due", slow, res.Ops, res.Errors, res.Unsent, got)
		}
		if slow && res.Unsent == 0 {
			t.Errorf("slow server left nothing unsent: %+v", res)
		}
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	f := func(int) (Op, error) { return nil, nil }
	if _, err := Run(context.Background(), Config{Workers: 0, Duration: time.Second}, f); err == nil {
		t.Error("0 workers accepted")
	}
	if _, err := Run(context.Background(), Config{Workers: 1}, f); err == nil {
		t.Error("0 duration accepted")
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := func(int) (Op, error) {
		return func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, ctx.Err()
		}, nil
	}
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	if _, err := Run(ctx, Config{Workers: 2, Duration: time.Minute}, f); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestRunCutShortIsJudgedOverItsRealLength(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := func(int) (Op, error) {
		return func(ctx context.Context) (int, error) { return 1, nil }, nil
	}
	go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	res, err := Run(ctx, Config{Workers: 2, Rate: 1000, Duration: time.Minute}, f)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if res.Seconds >= 60 || res.Seconds <= 0 {
		t.Errorf("seconds %v, want the real run length", res.Seconds)
	}
	// Unsent only counts tickets due before the stop, so it stays small
	// compared with the 60000 of the full minute.
	if res.Unsent > 1000 {
		t.Errorf("unsent %d counted past the stop", res.Unsent)
	}
}
