package transport

import (
	"fmt"
	"strings"
	"testing"
)

func TestMetricsEndpoint(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	for i := 0; i < 3; i++ {
		e.create("/v1/customers", map[string]any{"name": fmt.Sprintf("c%d", i)})
	}
	if st, _ := e.doToken("GET", "/metrics", nil, "wrong"); st != 401 {
		t.Fatalf("/metrics without the token: %d, want 401", st)
	}
	st, body := e.do("GET", "/metrics", nil)
	if st != 200 {
		t.Fatalf("/metrics: %d %s", st, body)
	}
	for _, want := range []string{"burndown_customers 3\n", "burndown_leader 1\n", "# TYPE go_memstats_heap_inuse_bytes gauge\n", "burndown_cluster_members 1\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}
