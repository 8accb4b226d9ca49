package cluster

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"burndown/engine"
	"burndown/money"
)

// A thousand concurrent consumers against a prepaid balance of 10 requests'
// worth, on a 3-node cluster: exactly 10 are admitted.
func TestConsumeConcurrentThreeNodes(t *testing.T) {
	_, nodes := startThree(t)
	leader := nodes[0]
	start := leader.Now().UnixNano()
	setupCatalog(t, leader, start)
	mustPropose(t, leader, &engine.CreateCustomer{ID: "c1", Name: "c1"})
	mustPropose(t, leader, &engine.CreateContract{ID: "k1", CustomerID: "c1", RateCardID: "rc1", StartingAt: start, PrepaidOnly: true,
		Commits: []engine.CommitInput{{Type: engine.CommitPrepaid, ProductID: "p1", AccessSchedule: []engine.ScheduleItem{
			{Amount: money.FromInt(10), StartingAt: start, EndingBefore: start + 90*day}}}}})
	var admitted, refused atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := leader.Propose(ctxT(t, 30*time.Second), &engine.Consume{CustomerID: "c1", ProductID: "p1",
				Events: []engine.Event{{TransactionID: fmt.Sprint("t", i), CustomerID: "c1", EventType: "api", Timestamp: start, Properties: map[string]string{"n": "1"}}}})
			if err != nil || r.Err != nil || r.Check == nil {
				t.Errorf("consume %d: %v %v", i, err, r.Err)
				return
			}
			if r.Check.Entitled {
				admitted.Add(1)
			} else {
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	if admitted.Load() != 10 || refused.Load() != 990 {
		t.Fatalf("admitted %d refused %d", admitted.Load(), refused.Load())
	}
	converge(t, leader, nodes...)
	if b, _ := balance(nodes[2].Engine(), "c1"); !b.IsZero() {
		t.Fatalf("balance %s on a follower", b)
	}
}
