package transport

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"burndown/cluster"
	"burndown/engine"
)

// startThreeNodes starts a real three-node cluster on loopback (Raft and
// HTTP), the first node its leader, and returns the three servers once the
// followers know the leader and serve reads.
func startThreeNodes(t testing.TB, start string) []*testEnv {
	t.Helper()
	leader := newEnv(t, start)
	leaderNode := leader.node.(*cluster.Node)
	envs := []*testEnv{leader}
	for _, id := range []string{"n2", "n3"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		raftAddr := freeAddr(t)
		n, err := cluster.Open(cluster.Config{NodeID: id, DataDir: t.TempDir(), RaftAddr: raftAddr, HTTPAddr: ln.Addr().String(),
			TestClock: true, Engine: engine.Config{Shards: 4}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err = leaderNode.AddNode(ctx, id, raftAddr, ln.Addr().String())
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, startServerOn(t, ln, n, func(c *Config) { c.ForwardBatching = true }))
	}
	leaderAddr := strings.TrimPrefix(leader.base, "http://")
	waitFor(t, "the followers to know the leader and serve reads", func() bool {
		for _, e := range envs[1:] {
			if e.node.LeaderHTTPAddr() != leaderAddr || send(e.base, "GET", "/readyz", "", "").status != 200 {
				return false
			}
		}
		return true
	})
	return envs
}

// waitFor polls cond until it holds (20 s at most).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// metricValue reads one series' value from a node's /metrics.
func metricValue(t testing.TB, e *testEnv, series string) float64 {
	t.Helper()
	a := send(e.base, "GET", "/metrics", testToken, "")
	sc := bufio.NewScanner(strings.NewReader(a.body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return 0
}

// Many concurrent writes sent to the two followers of a real three-node
// cluster (ingest with distinct transaction ids, consume, an admin create,
// a refused duplicate, a bad token, a read token, a bad body, an
// Idempotency-Key and its retries) each get exactly the answer the leader
// gives directly, every acknowledged event is counted once on every node,
// and every write the followers forwarded went to the leader in a batch.
func TestForwardedWritesOnThreeNodes(t *testing.T) {
	nodes := startThreeNodes(t, "2026-03-01T12:00:00Z")
	leader, followers := nodes[0], nodes[1:]

	const customers, balance = 6, 100000
	p := setupPrepaid(t, nodes, customers, balance)
	ids, product, writeTok, readTok := p.ids, p.product, p.writeTok, p.readTok

	event := func(tx string, c int) string {
		return fmt.Sprintf(`{"transaction_id":%q,"customer_id":"cust-%d","event_type":"call","timestamp":"2026-03-01T11:00:00Z"}`, tx, c)
	}
	spent := make([]int, customers) // events acknowledged per customer
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		go_      = make(chan struct{})
		failures []string
		batched  int // writes the followers forward
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	// run sends one request to a follower when the wave starts and checks
	// its answer.
	run := func(forwarded bool, do func() answer, check func(answer)) {
		if forwarded {
			batched++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-go_
			check(do())
		}()
	}
	// sameAsLeader sends the request to follower f and to the leader, and
	// wants one answer of status want from both.
	sameAsLeader := func(f int, path, tok, body string, want int) {
		run(want != 401 && want != 403, func() answer { return send(followers[f].base, "POST", path, tok, body) }, func(a answer) {
			direct := send(leader.base, "POST", path, tok, body)
			if a.status != want || !sameAnswer(a, direct) {
				fail("POST %s via a follower: %s; directly: %s", path, a, direct)
			}
		})
	}
	const ingests, perIngest, consumes = 120, 3, 12
	for i := range ingests {
		c := i % customers
		var evs []string
		for j := range perIngest {
			evs = append(evs, event(fmt.Sprintf("tx-%d-%d", i, j), c))
		}
		body := "[" + strings.Join(evs, ",") + "]"
		run(true, func() answer { return send(followers[i%2].base, "POST", "/v1/ingest", writeTok, body) }, func(a answer) {
			if a.status != 200 || a.body != "" {
				fail("ingest %d: %s", i, a)
				return
			}
			mu.Lock()
			spent[c] += perIngest
			mu.Unlock()
		})
	}
	for i := range consumes {
		c := i % customers
		body := fmt.Sprintf(`{"customer_id":"cust-%d","product_id":%q,"events":[%s]}`, c, product, event(fmt.Sprint("consume-", i), c))
		run(true, func() answer { return send(followers[i%2].base, "POST", "/v1/entitlements/consume", writeTok, body) }, func(a answer) {
			var out struct{ Entitled bool }
			if a.status != 200 || json.Unmarshal([]byte(a.body), &out) != nil || !out.Entitled {
				fail("consume %d: %s", i, a)
				return
			}
			mu.Lock()
			spent[c]++
			mu.Unlock()
		})
	}
	var created string
	run(true, func() answer {
		return send(followers[0].base, "POST", "/v1/customers", testToken, `{"name":"made via a follower","ingest_aliases":["via-follower"]}`)
	}, func(a answer) {
		var out struct{ Data struct{ ID string } }
		if a.status != 200 || json.Unmarshal([]byte(a.body), &out) != nil || out.Data.ID == "" {
			fail("create via a follower: %s", a)
		}
		created = out.Data.ID
	})
	sameAsLeader(1, "/v1/customers", testToken, `{"name":"dup","ingest_aliases":["cust-0"]}`, 409)
	sameAsLeader(0, "/v1/ingest", "not-a-token", "["+event("bad-token", 0)+"]", 401)
	sameAsLeader(1, "/v1/ingest", readTok, "["+event("read-token", 0)+"]", 403)
	sameAsLeader(0, "/v1/ingest", writeTok, `[{"transaction_id":"x"}]`, 400)
	idemBody := "[" + event("idem-0", 1) + "," + event("idem-1", 1) + "]"
	var first answer
	run(true, func() answer {
		return send(followers[0].base, "POST", "/v1/ingest", writeTok, idemBody, "Idempotency-Key", "retry-me", "X-Request-Id", "req-idem")
	}, func(a answer) {
		first = a
		if a.status != 200 || a.requestID != "req-idem" {
			fail("ingest with an Idempotency-Key: %s (X-Request-Id %q)", a, a.requestID)
		}
	})
	close(go_)
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	if t.Failed() {
		t.FailNow()
	}
	// The retries, through the other follower and the leader, are answered
	// as the first was and not applied again.
	for _, base := range []string{followers[1].base, leader.base} {
		if a := send(base, "POST", "/v1/ingest", writeTok, idemBody, "Idempotency-Key", "retry-me"); !sameAnswer(a, first) {
			t.Errorf("retry via %s: %s, first %s", base, a, first)
		}
	}
	batched++ // the retry via the follower
	spent[1] += 2
	if a := send(leader.base, "GET", "/v1/customers/"+created, testToken, ""); a.status != 200 || !strings.Contains(a.body, "made via a follower") {
		t.Errorf("the customer created via a follower, on the leader: %s", a)
	}

	// Every acknowledged event counted once, on every node.
	for c, id := range ids {
		want := balance - spent[c]
		for i, n := range nodes {
			var got float64
			waitFor(t, fmt.Sprintf("node %d to apply customer %d's usage", i, c), func() bool {
				var out checkResult
				a := send(n.base, "GET", "/v1/entitlements/check?customer_id="+id+"&product_id="+product, readTok, "")
				if a.status != 200 || json.Unmarshal([]byte(a.body), &out) != nil {
					return false
				}
				got, _ = strconv.ParseFloat(out.Balance, 64)
				return got <= float64(want)
			})
			if got != float64(want) {
				t.Errorf("node %d: customer %d's balance %v, want %d (%d events acknowledged)", i, c, got, want, spent[c])
			}
		}
	}

	// Every write the followers forwarded went in a batch.
	sum, count := 0.0, 0.0
	for _, f := range followers {
		sum += metricValue(t, f, "burndown_forward_batch_requests_sum")
		count += metricValue(t, f, "burndown_forward_batch_requests_count")
	}
	if int(sum) != batched {
		t.Errorf("the followers' batches carried %v writes, want the %d they forwarded", sum, batched)
	}
	t.Logf("%d forwarded writes in %v batches", batched, count)
}

// prepaid is what setupPrepaid made: customers cust-0... with a prepaid
// balance on a product priced 1 per event, and a write and a read token.
type prepaid struct {
	ids                        []string
	product, writeTok, readTok string
}

// setupPrepaid makes n prepaid customers through the leader (nodes[0]) and
// waits for every node to hold them and the tokens.
func setupPrepaid(t testing.TB, nodes []*testEnv, customers, balance int) prepaid {
	t.Helper()
	leader := nodes[0]
	metric := leader.create("/v1/billable-metrics/create", map[string]any{"name": "calls", "aggregation_type": "COUNT"})
	product := leader.create("/v1/contract-pricing/products/create", map[string]any{"name": "API", "type": "USAGE", "billable_metric_id": metric})
	rateCard := leader.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "card"})
	leader.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rateCard, "product_id": product,
		"starting_at": "2026-03-01T00:00:00Z", "entitled": true, "rate_type": "FLAT", "price": 1}, nil)
	ids := make([]string, customers)
	for i := range ids {
		ids[i] = leader.create("/v1/customers", map[string]any{"name": fmt.Sprint("customer ", i), "ingest_aliases": []string{fmt.Sprint("cust-", i)}})
		leader.ok("POST", "/v1/contracts/create", map[string]any{"customer_id": ids[i], "rate_card_id": rateCard, "starting_at": "2026-03-01T00:00:00Z",
			"commits": []any{map[string]any{"type": "PREPAID", "product_id": product, "access_schedule": map[string]any{"schedule_items": []any{
				map[string]any{"amount": balance, "starting_at": "2026-03-01T00:00:00Z", "ending_before": "2027-03-01T00:00:00Z"}}}}}}, nil)
	}
	token := func(scope string) string {
		var out struct{ Data struct{ Token string } }
		leader.ok("POST", "/v1/admin/tokens/create", map[string]any{"name": scope + " client", "scope": scope}, &out)
		return out.Data.Token
	}
	writeTok, readTok := token("write"), token("read")
	waitFor(t, "every node to hold the customers and tokens", func() bool {
		for _, f := range nodes {
			if send(f.base, "GET", "/v1/entitlements/check?customer_id="+ids[customers-1]+"&product_id="+product, readTok, "").status != 200 {
				return false
			}
		}
		return true
	})
	return prepaid{ids: ids, product: product, writeTok: writeTok, readTok: readTok}
}
