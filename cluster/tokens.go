package cluster

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"

	"burndown/engine"
	"burndown/persist"
)

// API tokens with scopes. A token is made and revoked through the log, so
// every node knows it, and a revocation takes effect on each node as it
// applies the entry. The log and snapshots hold a token's SHA-256, never the
// secret, which the HTTP layer generates, shows once, and hashes before
// proposing.

// Token scopes, from the narrowest: read (checks and every read), write
// (ingest and consume, and all of read), admin (everything).
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
	ScopeAdmin = "admin"
)

// Bounds a token command is held to on every replica.
const (
	MaxTokenNameLen = 128
	MaxTokens       = 10_000
)

// Cluster kinds of the tokens; stable forever.
const (
	kindTokenCreate engine.Kind = persist.FirstClusterKind + 3
	kindTokenRevoke engine.Kind = persist.FirstClusterKind + 4
)

// tokenCreateCmd records a token: its name, scope and secret's SHA-256.
type tokenCreateCmd struct {
	Name  string `msgpack:"Name"`
	Scope string `msgpack:"Scope"`
	Hash  []byte `msgpack:"Hash"`
}

// tokenRevokeCmd revokes a token by id.
type tokenRevokeCmd struct {
	ID string `msgpack:"ID"`
}

func (*tokenCreateCmd) Kind() engine.Kind { return kindTokenCreate }
func (*tokenRevokeCmd) Kind() engine.Kind { return kindTokenRevoke }

// NewTokenCreate returns the command that records a token whose secret
// hashes to hash (sha256).
func NewTokenCreate(name, scope string, hash [32]byte) engine.Command {
	return &tokenCreateCmd{Name: name, Scope: scope, Hash: hash[:]}
}

// NewTokenRevoke returns the command that revokes the token id.
func NewTokenRevoke(id string) engine.Command { return &tokenRevokeCmd{ID: id} }

// ValidScope reports whether s is a token scope.
func ValidScope(s string) bool { return s == ScopeRead || s == ScopeWrite || s == ScopeAdmin }

// ScopeAllows reports whether a token of scope has may do what needs.
func ScopeAllows(has, needs string) bool { return scopeRank(has) >= scopeRank(needs) }

func scopeRank(s string) int {
	switch s {
	case ScopeRead:
		return 1
	case ScopeWrite:
		return 2
	case ScopeAdmin:
		return 3
	}
	return 0
}

// tokenTable is the replicated table of tokens. It is changed on the FSM
// goroutine only, by publishing a new immutable state; readers (every
// request's authentication, the token list) load the current one.
type tokenTable struct {
	cur atomic.Pointer[tokenState]
}

// tokenState is one immutable version of the table: the tokens in creation
// order, and the active ones by the SHA-256 of their secret.
type tokenState struct {
	list   []*persist.APIToken
	byHash map[[32]byte]*persist.APIToken
}

func newTokenTable() *tokenTable {
	t := &tokenTable{}
	t.publish(nil)
	return t
}

// publish makes list (never written in place afterwards) the current state.
func (t *tokenTable) publish(list []*persist.APIToken) {
	st := &tokenState{list: list, byHash: make(map[[32]byte]*persist.APIToken, len(list))}
	for _, tok := range list {
		if !tok.Revoked && len(tok.Hash) == sha256.Size {
			st.byHash[[32]byte(tok.Hash)] = tok
		}
	}
	t.cur.Store(st)
}

// create records a token at the entry's position (index, pos), stamped at.
func (t *tokenTable) create(c *tokenCreateCmd, index uint64, pos int, at engine.Nanos) engine.Result {
	st := t.cur.Load()
	switch {
	case c.Name == "" || len(c.Name) > MaxTokenNameLen:
		return invalid("name: 1 to %d bytes", MaxTokenNameLen)
	case !ValidScope(c.Scope):
		return invalid("scope: must be read, write or admin")
	case len(c.Hash) != sha256.Size:
		return invalid("hash: must be a SHA-256")
	case len(st.list) >= MaxTokens:
		return invalid("the cluster holds %d tokens, its most; revoke some first", MaxTokens)
	}
	if _, dup := st.byHash[[32]byte(c.Hash)]; dup {
		return engine.Result{Err: &engine.Error{Code: engine.Conflict, Message: "token: already recorded"}}
	}
	tok := &persist.APIToken{ID: engine.DeriveID("token", strconv.FormatUint(index, 10), strconv.Itoa(pos)),
		Name: c.Name, Scope: c.Scope, Hash: slices.Clone(c.Hash), CreatedAt: at}
	t.publish(append(slices.Clip(st.list), tok))
	return engine.Result{ID: tok.ID}
}

// revoke revokes a token; revoking it again changes nothing.
func (t *tokenTable) revoke(id string, at engine.Nanos) engine.Result {
	st := t.cur.Load()
	for i, tok := range st.list {
		if tok.ID != id {
			continue
		}
		if !tok.Revoked {
			next := slices.Clone(st.list)
			revoked := *tok
			revoked.Revoked, revoked.RevokedAt = true, at
			next[i] = &revoked
			t.publish(next)
		}
		return engine.Result{ID: id}
	}
	return engine.Result{Err: &engine.Error{Code: engine.NotFound, Message: "id: token " + id + " not found"}}
}

// view returns the tokens for a snapshot.
func (t *tokenTable) view() []*persist.APIToken { return t.cur.Load().list }

// restore replaces the table with a snapshot's tokens.
func (t *tokenTable) restore(list []*persist.APIToken) { t.publish(slices.Clone(list)) }

func invalid(format string, args ...any) engine.Result {
	return engine.Result{Err: &engine.Error{Code: engine.Invalid, Message: fmt.Sprintf(format, args...)}}
}

// Authenticate returns the scope of the active token whose secret is given,
// from the replicated table as applied on this node; ok is false for none
// (or a revoked one). It does not allocate.
func (n *Node) Authenticate(secret []byte) (scope string, ok bool) {
	tok := n.fsm.tokens.cur.Load().byHash[sha256.Sum256(secret)]
	if tok == nil {
		return "", false
	}
	return tok.Scope, true
}

// TokenInfo is what may be shown of a token: never its secret or hash.
type TokenInfo struct {
	ID, Name, Scope      string
	Revoked              bool
	CreatedAt, RevokedAt engine.Nanos
}

// Tokens lists the tokens, revoked ones included, oldest first.
func (n *Node) Tokens() []TokenInfo {
	list := n.fsm.tokens.cur.Load().list
	out := make([]TokenInfo, len(list))
	for i, tok := range list {
		out[i] = TokenInfo{ID: tok.ID, Name: tok.Name, Scope: tok.Scope, Revoked: tok.Revoked, CreatedAt: tok.CreatedAt, RevokedAt: tok.RevokedAt}
	}
	return out
}
