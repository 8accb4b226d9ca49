package cluster

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"burndown/engine"
	"burndown/persist"
)

// A token is recorded by its secret's hash, authenticates with its scope,
// stops authenticating the moment its revocation is applied, and survives
// a snapshot and restore; bad names, scopes and hashes are refused by name.
func TestTokensThroughTheLog(t *testing.T) {
	codec, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(engine.Config{Shards: 1})
	defer e.Close()
	f := newFSM(e, codec)
	n := &Node{fsm: f}
	secret := []byte("bd_secret")
	rs := applyEntries(t, f, codec, [][]engine.Command{
		{NewTokenCreate("gateway", ScopeRead, sha256.Sum256(secret))},
		{NewTokenCreate("", ScopeRead, sha256.Sum256([]byte("x"))), NewTokenCreate("x", "root", sha256.Sum256([]byte("y"))),
			&tokenCreateCmd{Name: "short", Scope: ScopeRead, Hash: []byte{1, 2}}, NewTokenCreate("again", ScopeAdmin, sha256.Sum256(secret))},
	})
	id := rs[0][0].ID
	if id == "" || rs[1][0].Err == nil || rs[1][1].Err == nil || rs[1][2].Err == nil || rs[1][3].Err == nil || rs[1][3].Err.Code != engine.Conflict {
		t.Fatalf("results %+v", rs)
	}
	if scope, ok := n.Authenticate(secret); !ok || scope != ScopeRead {
		t.Fatalf("authenticate: %q %v", scope, ok)
	}
	if _, ok := n.Authenticate([]byte("bd_other")); ok {
		t.Fatal("an unknown secret authenticated")
	}
	list := n.Tokens()
	if len(list) != 1 || list[0].ID != id || list[0].Name != "gateway" || list[0].Scope != ScopeRead {
		t.Fatalf("list %+v", list)
	}
	restored := newFSM(e, codec)
	if err := restored.Restore(nopCloser{bytes.NewBuffer(fsmState(t, f))}); err != nil {
		t.Fatal(err)
	}
	if scope, ok := (&Node{fsm: restored}).Authenticate(secret); !ok || scope != ScopeRead {
		t.Fatal("the token did not survive a snapshot")
	}
	rs = applyEntries(t, f, codec, [][]engine.Command{{NewTokenRevoke(id), NewTokenRevoke(id), NewTokenRevoke("nope")}})
	if rs[0][0].ID != id || rs[0][1].ID != id || rs[0][2].Err == nil || rs[0][2].Err.Code != engine.NotFound {
		t.Fatalf("revoke results %+v", rs)
	}
	if _, ok := n.Authenticate(secret); ok {
		t.Fatal("a revoked token still authenticates")
	}
	if l := n.Tokens(); len(l) != 1 || !l[0].Revoked || l[0].RevokedAt == 0 {
		t.Fatalf("list after revoking %+v", l)
	}
}

// Scopes nest: admin does all, write what read does and more.
func TestScopeAllows(t *testing.T) {
	for _, c := range []struct {
		has, needs string
		ok         bool
	}{{ScopeAdmin, ScopeWrite, true}, {ScopeWrite, ScopeRead, true}, {ScopeRead, ScopeWrite, false}, {ScopeWrite, ScopeAdmin, false}, {"", ScopeRead, false}} {
		if ScopeAllows(c.has, c.needs) != c.ok {
			t.Errorf("%q for %q: want %v", c.has, c.needs, c.ok)
		}
	}
}

// A token is made only once the upgrade is finalized: earlier releases stop
// on its kind.
func TestTokensNeedAFinalizedUpgrade(t *testing.T) {
	n := openOldDataDir(t)
	defer n.Close()
	if _, err := n.Propose(ctxT(t, 10*time.Second), NewTokenCreate("x", ScopeRead, sha256.Sum256([]byte("s")))); err != ErrUpgradeNotFinalized {
		t.Fatalf("a token before finalizing: %v", err)
	}
	if n.DataFormat() != persist.DataFormatDecimalAmounts {
		t.Fatal("the format moved")
	}
}

// A token made on the leader authenticates on every node once applied there,
// and a revocation is refused by every node within a second.
func TestTokenRevokedOnEveryNodeWithinASecond(t *testing.T) {
	_, nodes := startThree(t)
	leader := nodes[0]
	secret := []byte("bdt_three")
	id := mustPropose(t, leader, NewTokenCreate("gw", ScopeWrite, sha256.Sum256(secret))).ID
	eventually(t, 5*time.Second, "the token on every node", func() bool {
		for _, n := range nodes {
			if scope, ok := n.Authenticate(secret); !ok || scope != ScopeWrite {
				return false
			}
		}
		return true
	})
	mustPropose(t, leader, NewTokenRevoke(id))
	eventually(t, time.Second, "the revocation on every node", func() bool {
		for _, n := range nodes {
			if _, ok := n.Authenticate(secret); ok {
				return false
			}
		}
		return true
	})
}
