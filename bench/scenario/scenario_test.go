package scenario

import (
	"testing"
	"time"
)

func TestSelect(t *testing.T) {
	all, err := Select("all")
	if err != nil || len(all) != len(All()) {
		t.Fatalf("all: %v %d", err, len(all))
	}
	two, err := Select("ingest, gateway")
	if err != nil || len(two) != 2 || two[0].Name != "ingest" || two[1].Name != "gateway" {
		t.Fatalf("ingest,gateway: %v %+v", err, two)
	}
	if _, err := Select("nope"); err == nil {
		t.Error("unknown scenario accepted")
	}
	seen := map[string]bool{}
	for _, s := range All() {
		if s.Name == "" || s.Description == "" || s.Run == nil || seen[s.Name] {
			t.Errorf("scenario %q incomplete or repeated", s.Name)
		}
		seen[s.Name] = true
	}
}

func TestParseSystems(t *testing.T) {
	if s, err := ParseSystems("all"); err != nil || len(s) != len(SystemNames()) {
		t.Errorf("all: %v %v", s, err)
	}
	if s, err := ParseSystems("floor,redis-direct"); err != nil || len(s) != 2 {
		t.Errorf("floor,redis-direct: %v %v", s, err)
	}
	if _, err := ParseSystems("mysql"); err == nil {
		t.Error("unknown system accepted")
	}
}

func TestUnavailabilityWindows(t *testing.T) {
	k := time.Unix(100, 0)
	at := func(ms int) time.Time { return k.Add(time.Duration(ms) * time.Millisecond) }
	ts := []time.Time{at(-20), at(-10), at(900), at(300), at(910), at(2000)}
	if got := gapAfter(ts, k); got != 300*time.Millisecond {
		t.Errorf("gapAfter = %v, want 300ms", got)
	}
	if got := largestGap(ts, k); got != 1090*time.Millisecond {
		t.Errorf("largestGap = %v, want 1090ms (910 → 2000)", got)
	}
	if got := gapAfter(nil, k); got != 0 {
		t.Errorf("gapAfter(nil) = %v", got)
	}
}

func TestNearest(t *testing.T) {
	if v, ok := nearest([]float64{0.25, 0.75, 0.9}, 0.5); !ok || v != 0.25 {
		t.Errorf("nearest = %v %v", v, ok)
	}
	if _, ok := nearest(nil, 0.5); ok {
		t.Error("nearest of nothing")
	}
}
