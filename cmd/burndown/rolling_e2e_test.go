package main

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Operations under load, as operators do them and as clients live through
// them: every node restarted in turn while gateways check, and the leader
// killed while clients ingest. The figures are logged (go test -v); what
// is asserted is what clients are promised.

// sigterm stops p with SIGTERM and waits for it to exit, within its
// --shutdown-timeout and a margin; it returns the exit error (non-nil when
// the node says something did not stop within that bound).
func (p *process) sigterm(t *testing.T) error {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		p.cmd = nil
		return err
	case <-time.After(15 * time.Second):
		t.Fatalf("%s did not exit within 15 s of SIGTERM", p.httpAddr)
		return nil
	}
}

// waitReady waits until p answers /readyz 200 (a leader known, caught up).
func (p *process) waitReady(t *testing.T) {
	t.Helper()
	eventually(t, p.httpAddr+" ready", 30*time.Second, func() error { _, err := p.call("GET", "/readyz", nil, nil); return err })
}

// Every node in turn, the leader among them, gets SIGTERM, is restarted
// with the same command line and waited ready, while gateways check without
// pause: a gateway that retries a failed check once on another node sees
// no failure (a node that refuses the connection is skipped, as a load
// balancer skips a backend that is down: nothing was sent to it).
func TestRollingRestartUnderCheckLoad(t *testing.T) {
	bin := buildBinary(t)
	nodes := newProcesses(t, bin, "r", 3, nil, "--shutdown-timeout", "8s")
	startProcesses(t, nodes)
	product := setupAcme(t, nodes[0].httpAddr, 100000)
	for _, n := range nodes {
		n.waitReady(t)
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	check := func(n *process) error {
		var a checkAnswer
		_, err := callURL(client, "http://"+n.httpAddr+"/v1/entitlements/check?customer_id=acme&product_id="+product, "GET", nil, &a)
		if err == nil && !a.Entitled {
			err = fmt.Errorf("not entitled: %+v", a)
		}
		return err
	}
	// Every node has the contract before the restarts begin (a follower
	// may answer from a state a few milliseconds old).
	for _, n := range nodes {
		eventually(t, "the contract on "+n.httpAddr, 10*time.Second, func() error { return check(n) })
	}
	var checks, retried, failed atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				time.Sleep(time.Millisecond) // a gateway's pace, not a spin
				checks.Add(1)
				if err := checkWithOneRetry(check, nodes, i, &retried); err != nil {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	began := time.Now()
	var exits []string
	for _, n := range nodes {
		if err := n.sigterm(t); err != nil {
			exits = append(exits, fmt.Sprintf("%s: %v (%s)", n.httpAddr, err, lastLines(n.log.String(), 2)))
		}
		n.start()
		n.waitReady(t)
	}
	if len(exits) > 0 {
		t.Logf("nodes that said something did not stop in time: %v", exits)
	}
	took := time.Since(began)
	close(stop)
	wg.Wait()
	t.Logf("rolling restart of 3 nodes in %v: %d checks, %d retried once on another node, %d failed after the retry",
		took.Round(time.Millisecond), checks.Load(), retried.Load(), failed.Load())
	if failed.Load() > 0 {
		t.Fatalf("%d checks failed after one retry on another node, e.g. %v", failed.Load(), firstFailure.Load())
	}
	if retried.Load() == 0 {
		t.Fatal("no check needed a retry: the restarts were not under load")
	}
}

// checkWithOneRetry checks on node i, then once more on another node when
// that fails; nodes that refuse the connection are passed over.
func checkWithOneRetry(check func(*process) error, nodes []*process, i int, retried *atomic.Int64) error {
	var err error
	tries := 0
	for k := 0; k < len(nodes) && tries < 2; k++ {
		if err = check(nodes[(i+k)%len(nodes)]); err == nil {
			return nil
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			continue
		}
		if tries++; tries == 1 {
			retried.Add(1)
		}
	}
	return err
}

// batchClient ingests batches like a careful client: a 503 or 429 is
// honoured (it waits Retry-After and sends the same batch again to the same
// node, which forwards it), a node that cannot be reached is left for the
// next one; anything else is an error the client sees.
type batchClient struct {
	nodes   []*process
	client  *http.Client
	unavail atomic.Int64 // 503 and 429 answers honoured
	moved   atomic.Int64 // sends that could not reach a node
	errs    atomic.Int64 // any other failure
	first   atomic.Value
}

// send delivers batch seq (10 events for acme) and returns once it is
// acknowledged.
func (c *batchClient) send(seq, start int) {
	events := make([]map[string]any, 10)
	for j := range events {
		events[j] = map[string]any{"transaction_id": fmt.Sprintf("k-%d-%d", seq, j), "customer_id": "acme", "event_type": "call",
			"timestamp": time.Now().UTC().Format(time.RFC3339)}
	}
	for i := start; ; {
		st, err := callURL(c.client, "http://"+c.nodes[i%len(c.nodes)].httpAddr+"/v1/ingest", "POST", events, nil)
		switch {
		case err == nil:
			return
		case st == http.StatusServiceUnavailable || st == http.StatusTooManyRequests:
			c.unavail.Add(1)
			time.Sleep(time.Second) // the Retry-After every such answer carries
		case st == 0:
			c.moved.Add(1)
			i++
		default:
			c.errs.Add(1)
			c.first.CompareAndSwap(nil, err.Error())
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// The leader is SIGKILLed while clients ingest: clients that honour
// Retry-After (and go to another node when one cannot be reached) see no
// error, every batch is acknowledged, and every node's balance is exactly
// what the acknowledged events burned.
func TestLeaderKillWithRetryAfterClients(t *testing.T) {
	bin := buildBinary(t)
	nodes := newProcesses(t, bin, "k", 3, nil)
	st := startProcesses(t, nodes)
	product := setupAcme(t, nodes[0].httpAddr, 10_000_000)
	c := &batchClient{nodes: nodes, client: &http.Client{Timeout: 10 * time.Second}}
	var seq, acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c.send(int(seq.Add(1)), w)
				acked.Add(10)
			}
		}()
	}
	time.Sleep(2 * time.Second)
	leader := nodes[int(st.Leader[1]-'1')]
	killed := time.Now()
	leader.kill()
	var rest []*process
	for _, n := range nodes {
		if n != leader {
			rest = append(rest, n)
		}
	}
	var newLeader time.Duration
	eventually(t, "a new leader", 20*time.Second, func() error {
		var s clusterStatus
		if _, err := call(rest[0].httpAddr, "GET", "/v1/cluster/status", nil, &s); err != nil {
			return err
		}
		if s.Leader == "" || s.Leader == st.Leader {
			return errors.New("no new leader yet")
		}
		newLeader = time.Since(killed)
		return nil
	})
	time.Sleep(2 * time.Second)
	leader.start()
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	want := strconv.FormatInt(10_000_000-acked.Load(), 10)
	for _, n := range nodes {
		eventually(t, "balance on "+n.httpAddr, 30*time.Second, func() error {
			var a checkAnswer
			if _, err := n.call("GET", "/v1/entitlements/check?customer_id=acme&product_id="+product, nil, &a); err != nil {
				return err
			}
			if a.Balance != want {
				return fmt.Errorf("balance %s, want %s (%d events acknowledged)", a.Balance, want, acked.Load())
			}
			return nil
		})
	}
	t.Logf("leader killed: a new leader within %v (observed by polling); %d events acknowledged; clients honoured %d 503/429 answers and moved %d times off the killed node; %d other errors",
		newLeader.Round(time.Millisecond), acked.Load(), c.unavail.Load(), c.moved.Load(), c.errs.Load())
	if c.errs.Load() > 0 {
		t.Fatalf("%d errors reached clients that honour Retry-After, e.g. %v", c.errs.Load(), c.first.Load())
	}
}
