package launch

import "testing"

func TestParseCPUTimesCountsIdleAndIowaitAsNotBusy(t *testing.T) {
	stat := []byte("cpu  100 5 50 800 40 3 2 0 7 0\ncpu0 50 2 25 400 20 1 1 0 0 0\n")
	got, err := parseCPUTimes(stat)
	if err != nil {
		t.Fatal(err)
	}
	// busy: user+nice+system+irq+softirq+steal; guest is inside user.
	if want := (CPUTimes{Busy: 160, Total: 1007}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for _, bad := range []string{"", "intr 1 2 3\n", "cpu 1 2 x 4 5\n"} {
		if _, err := parseCPUTimes([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestBusySince(t *testing.T) {
	a := CPUTimes{Busy: 100, Total: 1000}
	if got := (CPUTimes{Busy: 150, Total: 1200}).BusySince(a); got != 0.25 {
		t.Errorf("got %v, want 0.25", got)
	}
	if got := a.BusySince(a); got != 0 {
		t.Errorf("no time passed: got %v, want 0", got)
	}
}

func TestParseProcessStatReadsNamesWithSpacesAndParentheses(t *testing.T) {
	line := []byte("6729 (postgres: auto (x)) S 1 6729 6729 0 -1 4194560 10 0 0 0 31 9 0 0 20 0 1 0 100 0 0\n")
	pid, p, ok := parseProcessStat(line)
	if !ok || pid != 6729 || p.Name != "postgres: auto (x)" || p.Ticks != 40 {
		t.Fatalf("got %d %+v %v", pid, p, ok)
	}
	if _, _, ok := parseProcessStat([]byte("12 (short) S 1 2")); ok {
		t.Error("a truncated line parsed")
	}
}

func TestBusiestOrdersByTicksUsedInTheWindow(t *testing.T) {
	before := ProcessTimes{1: {"a", 100}, 2: {"b", 10}, 3: {"c", 50}}
	after := ProcessTimes{1: {"a", 105}, 2: {"b", 40}, 3: {"c", 50}, 4: {"new", 90}}
	got := after.Busiest(before, 2)
	if len(got) != 2 || got[0].Name != "b[2]" || got[0].Ticks != 30 || got[1].Name != "a[1]" {
		t.Fatalf("got %+v", got)
	}
}
