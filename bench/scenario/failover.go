package scenario

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"burndown/bench/burndown"
	"burndown/bench/report"
	"burndown/bench/target"
)

// failover: a 3-node cluster under the mixed blend; the leader is killed (SIGKILL)
// part-way through. It reports how long checks and ingest were unavailable and
// then proves that every acknowledged event is in the balances.
func failover() Scenario {
	return Scenario{
		Name: "failover",
		Description: "3 local burndown nodes under the mixed blend (workers spread over all nodes, moving to the " +
			"next node on error, failed batches re-sent with the same transaction ids); the leader is SIGKILLed " +
			"--kill-after into the phase. Reports the unavailability window and checks no acknowledged event was lost.",
		Run: runFailover,
	}
}

// ackLog records when operations succeeded and which events were acknowledged.
type ackLog struct {
	mu        sync.Mutex
	checks    []time.Time
	ingests   []time.Time
	acked     []atomic.Int64 // per customer: acknowledged events
	attempted []atomic.Int64 // per customer: distinct events sent at least once
}

func runFailover(ctx context.Context, env *Env, out *report.Scenario) error {
	o := env.Opts
	cust := target.NewCustomers(env.Customers.Run+"f", o.Customers)
	env.logf("failover: starting %d nodes and setting up %d customers", o.FailoverNodes, cust.N)
	l, err := env.startLocal(ctx, "failover", o.FailoverNodes, cust, burndown.SetupOptions{})
	if err != nil {
		return err
	}
	defer l.cluster.Stop()
	mt, err := env.multiTarget("burndown-3node", l, o.Conns)
	if err != nil {
		return err
	}
	defer mt.Close()

	log := &ackLog{acked: make([]atomic.Int64, cust.N), attempted: make([]atomic.Int64, cust.N)}
	jobs := env.mixedJobs(mt, cust.N, &ingestHooks{
		FirstSend: func(cs []int) {
			for _, c := range cs {
				log.attempted[c].Add(1)
			}
		},
		Ack: func(cs []int) {
			for _, c := range cs {
				log.acked[c].Add(1)
			}
			log.mu.Lock()
			log.ingests = append(log.ingests, time.Now())
			log.mu.Unlock()
		},
	})
	phase := o.Duration
	if phase < 2*o.KillAfter {
		phase = 2 * o.KillAfter
	}
	for i := range jobs {
		jobs[i].cfg.Duration = phase
		if jobs[i].op == "check" {
			jobs[i].factory = onSuccess(jobs[i].factory, func() {
				log.mu.Lock()
				log.checks = append(log.checks, time.Now())
				log.mu.Unlock()
			})
		}
	}

	var killAt time.Time
	killed := -1
	env.settleBefore(ctx, out, mt.Name(), jobs)
	go func() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(o.Warmup + o.KillAfter):
		}
		li, err := l.cluster.Leader(ctx)
		if err != nil {
			env.logf("failover: %v", err)
			return
		}
		env.logf("failover: killing leader %s (pid %d)", l.cluster.Nodes[li].ID, l.cluster.Nodes[li].Proc.Pid())
		log.mu.Lock()
		killAt, killed = time.Now(), li
		log.mu.Unlock()
		l.cluster.Nodes[li].Proc.Kill()
	}()
	if _, err := env.runSettled(ctx, out, mt.Name(), jobs...); err != nil && ctx.Err() != nil {
		return err
	}
	log.mu.Lock()
	k, killed := killAt, killed
	log.mu.Unlock()
	if killed < 0 || k.IsZero() {
		return fmt.Errorf("failover: the leader was never killed")
	}
	newLeader, err := l.cluster.WaitLeader(ctx, 30*time.Second)
	if err != nil {
		return fmt.Errorf("failover: no new leader: %w", err)
	}
	out.Figure("leader killed at", o.KillAfter.Seconds(), "s", "into the recorded phase (the time line's x axis)")
	out.Figure("ingest unavailable", gapAfter(log.ingests, k).Seconds()*1000, "ms",
		"from the kill to the first acknowledged ingest after it")
	out.Figure("check unavailable (largest gap)", largestGap(log.checks, k).Seconds()*1000, "ms",
		"largest gap between successful checks from the kill on")
	out.Note(fmt.Sprintf("killed %s; new leader %s", l.cluster.Nodes[killed].ID, l.cluster.Nodes[newLeader].ID))

	// Restart the killed node and time its catch-up.
	rs := time.Now()
	if err := l.cluster.Start(ctx, killed); err != nil {
		out.Note("restart of killed node failed: " + err.Error())
	} else {
		out.Figure("killed node restart to API up", time.Since(rs).Seconds()*1000, "ms", "same command line, existing data dir")
	}

	return verifyBalances(ctx, env, out, l, newLeader, log)
}

// verifyBalances compares, per customer, acknowledged events with what the
// leader's balance says was spent: spent < acked means a lost event; spent >
// attempted means an event counted twice.
func verifyBalances(ctx context.Context, env *Env, out *report.Scenario, l *local, leader int, log *ackLog) error {
	c := l.cluster.Nodes[leader].Client
	// Let the state machine settle: applied index stops moving.
	var last uint64
	for i := 0; i < 100; i++ {
		s, err := c.ClusterStatus(ctx)
		if err == nil && s.AppliedIndex == last && s.AppliedIndex >= s.CommitIndex {
			break
		}
		last = s.AppliedIndex
		time.Sleep(100 * time.Millisecond)
	}
	amount := new(big.Rat).SetInt64(l.catalog.Amount)
	price := new(big.Rat).SetInt64(l.catalog.Price)
	var acked, spent, lost, double int64
	var bad []string
	for i := 0; i < l.cust.N; i++ {
		a, at := log.acked[i].Load(), log.attempted[i].Load()
		if at == 0 {
			continue
		}
		e, err := c.Check(ctx, l.cust.Key(i), l.catalog.ProductID)
		if err != nil {
			return fmt.Errorf("failover verify: check %s: %w", l.cust.Key(i), err)
		}
		b, ok := new(big.Rat).SetString(e.Balance)
		if !ok {
			err := errors.New("not a decimal number")
			return fmt.Errorf("failover verify: balance %q of %s: %w", e.Balance, l.cust.Key(i), err)
		}
		used := new(big.Rat).Quo(new(big.Rat).Sub(amount, b), price)
		s := new(big.Int).Quo(used.Num(), used.Denom()).Int64() // events spent, cut toward zero
		acked += a
		spent += s
		if s < a {
			lost += a - s
			bad = append(bad, fmt.Sprintf("%s: acked %d spent %d", l.cust.Key(i), a, s))
		}
		if s > at {
			double += s - at
			bad = append(bad, fmt.Sprintf("%s: sent %d spent %d", l.cust.Key(i), at, s))
		}
	}
	out.Figure("acknowledged events", float64(acked), "events", "")
	out.Figure("events in balances", float64(spent), "events", "may exceed acknowledged: committed but unacknowledged at the kill")
	out.Figure("acknowledged events lost", float64(lost), "events", "must be 0")
	out.Figure("events counted twice", float64(double), "events", "must be 0")
	sort.Strings(bad)
	if len(bad) > 5 {
		bad = append(bad[:5], fmt.Sprintf("... %d more", len(bad)-5))
	}
	for _, b := range bad {
		out.Note("mismatch " + b)
	}
	if lost > 0 || double > 0 {
		return fmt.Errorf("failover: %d acknowledged events lost, %d counted twice", lost, double)
	}
	return nil
}

// gapAfter returns the time from k to the first time in ts after k.
func gapAfter(ts []time.Time, k time.Time) time.Duration {
	for _, t := range sortedTimes(ts) {
		if t.After(k) {
			return t.Sub(k)
		}
	}
	return 0
}

// largestGap returns the largest gap between successive times at or after k,
// counting from k itself.
func largestGap(ts []time.Time, k time.Time) time.Duration {
	prev, gap := k, time.Duration(0)
	for _, t := range sortedTimes(ts) {
		if t.Before(k) {
			continue
		}
		if d := t.Sub(prev); d > gap {
			gap = d
		}
		prev = t
	}
	return gap
}

func sortedTimes(ts []time.Time) []time.Time {
	s := append([]time.Time(nil), ts...)
	sort.Slice(s, func(i, j int) bool { return s[i].Before(s[j]) })
	return s
}
