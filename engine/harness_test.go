package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"burndown/money"
)

// harness drives an engine the way the cluster does: one entry per call,
// increasing indexes, a leader-stamped time.
type harness struct {
	t     *testing.T
	e     *Engine
	index uint64
	now   time.Time
}

func newHarness(t *testing.T, start string) *harness {
	t.Helper()
	e := New(Config{Shards: 3})
	t.Cleanup(e.Close)
	return &harness{t: t, e: e, now: mustTime(t, start)}
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return tm
}

func ns(t testing.TB, s string) Nanos { return mustTime(t, s).UnixNano() }

// dec reads an amount for a test command: any decimal within the stored
// bound, so tests can hand the engine amounts the HTTP edge would refuse.
func dec(s string) money.Amount {
	d := decimal.RequireFromString(s)
	a, err := money.FromStoredScaled(d.Coefficient(), int64(d.Exponent()))
	if err != nil {
		panic(fmt.Sprintf("dec(%q): %v", s, err))
	}
	return a
}

// apply applies cmds as one entry and returns their results.
func (h *harness) apply(cmds ...Command) []Result {
	h.t.Helper()
	h.index++
	return h.e.Apply([]Entry{{Index: h.index, Time: h.now.UnixNano(), Commands: cmds}})[0]
}

// must applies one command and fails the test on a business error.
func (h *harness) must(cmd Command) Result {
	h.t.Helper()
	r := h.apply(cmd)[0]
	if r.Err != nil {
		h.t.Fatalf("%T: %v", cmd, r.Err)
	}
	return r
}

// setClock moves time forward and applies the due transitions, as the
// leader's tick does.
func (h *harness) setClock(s string) {
	h.t.Helper()
	h.now = mustTime(h.t, s)
	h.must(&Tick{})
}

func (h *harness) check(customer, product string) (string, string, string) {
	h.t.Helper()
	body, st := h.e.AppendCheck(nil, []byte(customer), []byte(product), nil, nil)
	if st != CheckFound {
		h.t.Fatalf("check %s/%s: status %d", customer, product, st)
	}
	return parseCheck(h.t, body)
}

func parseCheck(t testing.TB, body []byte) (entitled, reason, balance string) {
	t.Helper()
	var e bool
	var r, b, ct string
	if _, err := fmt.Sscanf(string(body), `{"entitled":%t,"reason":%q,"balance":%q,"credit_type_id":%q}`, &e, &r, &b, &ct); err != nil {
		// Sscanf cannot parse the commas: fall back to a tiny manual split.
		return manualParse(t, string(body))
	}
	return fmt.Sprint(e), r, b
}

func manualParse(t testing.TB, s string) (string, string, string) {
	t.Helper()
	get := func(key string) string {
		i := indexOf(s, `"`+key+`":`)
		if i < 0 {
			t.Fatalf("no %s in %s", key, s)
		}
		rest := s[i+len(key)+3:]
		if rest[0] == '"' {
			rest = rest[1:]
			return rest[:indexOf(rest, `"`)]
		}
		end := indexOf(rest, ",")
		return rest[:end]
	}
	return get("entitled"), get("reason"), get("balance")
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// balance sums the customer's commit and credit balances now.
func (h *harness) balance(customer string) money.Amount {
	h.t.Helper()
	var total money.Amount
	r, ok, _ := h.e.ReadCustomer(context.Background(), customer)
	if !ok {
		h.t.Fatalf("customer %s not found", customer)
	}
	for _, k := range r.Customer.Contracts {
		for _, cm := range k.Balances {
			total = total.Add(cm.BalanceAt(r.Now))
		}
	}
	return total
}

func (h *harness) events(alias, eventType, prefix string, from, n int, ts string) *Ingest {
	in := &Ingest{}
	for i := from; i < from+n; i++ {
		in.Events = append(in.Events, Event{
			TransactionID: fmt.Sprintf("%s-%d", prefix, i), CustomerID: alias,
			EventType: eventType, Timestamp: ns(h.t, ts),
		})
	}
	return in
}
