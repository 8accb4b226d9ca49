package transport

import "testing"

// A write sent to a follower is answered by the leader; reads stay local;
// without a leader the answer is 503 with Retry-After.
func TestFollowerForwardsWrites(t *testing.T) {
	leaderNode := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(leaderNode.eng.Close)
	leader := startServer(t, leaderNode)

	followerNode := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(followerNode.eng.Close)
	followerNode.leader = false
	followerNode.leaderAddr = leader.base[len("http://"):]
	follower := startServer(t, followerNode)

	id := follower.create("/v1/customers", map[string]any{"name": "Via follower", "ingest_aliases": []string{"vf"}})
	if h := leaderNode.eng.LookupCustomer("vf"); h == nil || h.ID != id {
		t.Fatalf("the leader does not hold the customer created through the follower")
	}
	if followerNode.eng.LookupCustomer("vf") != nil {
		t.Fatalf("the follower applied the write itself")
	}
	// Errors come back from the leader unchanged.
	if status, body := follower.do("POST", "/v1/customers", map[string]any{"name": "dup", "ingest_aliases": []string{"vf"}}); status != 409 {
		t.Fatalf("forwarded conflict: %d %s", status, body)
	}
	// Strong reads go through the leader too.
	if status, body := follower.do("GET", "/v1/customers/"+id+"?consistency=strong", nil); status != 200 || !contains(body, "Via follower") {
		t.Fatalf("strong read via follower: %d %s", status, body)
	}
	// A local read on the follower does not see it (no replication in the fake).
	if status, _ := follower.do("GET", "/v1/customers/"+id, nil); status != 404 {
		t.Fatalf("local read on follower: %d", status)
	}

	followerNode.leaderAddr = ""
	req, resp := follower.do("POST", "/v1/customers", map[string]any{"name": "x"})
	if req != 503 || !contains(resp, "leader") {
		t.Fatalf("no leader: %d %s", req, resp)
	}
	if status, _ := follower.do("GET", "/readyz", nil); status != 503 {
		t.Fatalf("readyz without leader: %d", status)
	}
	if status, _ := leader.do("GET", "/readyz", nil); status != 200 {
		t.Fatalf("readyz on leader: %d", status)
	}
}
