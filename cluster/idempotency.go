package cluster

import (
	"errors"
	"fmt"
	"time"

	"burndown/engine"
	"burndown/persist"
)

// Idempotency keys. A client may send any write with a key (the HTTP layer's
// Idempotency-Key header); the first command proposed with a key is applied
// and its result recorded, every later one with the same key and the same
// fingerprint is not applied and gets the recorded result, and one with the
// same key and another fingerprint gets a conflict. The check runs in the
// FSM at apply time, in log order, on every replica: a retry that arrives
// while the first request is still in flight, or after a leader failover, is
// answered from the record, never applied twice.
//
// On the log, a guarded command is preceded in the same entry by an
// idemGuardCmd (a cluster-layer command). Records are stamped with the
// entry's time and expire once IdempotencyRetention of stamped time has
// passed, checked as each entry is applied, so every replica expires the
// same records at the same log position without reading a clock.
const (
	// IdempotencyRetention is how long a key is kept after it was recorded.
	IdempotencyRetention = 24 * time.Hour
	// MaxIdempotencyRecords and MaxIdempotencyBytes bound the table. A new key
	// that finds it full is refused (ErrIdempotencyFull, nothing applied):
	// keys are never evicted before IdempotencyRetention, so a retry is never
	// applied twice. Requests without a key are not affected. The bounds
	// and the retention are part of what every replica computes at apply
	// time: a build that changes them must do so behind a new guard version.
	MaxIdempotencyRecords = 1 << 20
	MaxIdempotencyBytes   = 256 << 20
	// maxAnswerMessage bounds the error message a record keeps. Longer ones
	// are cut, and the first request is answered with the cut message too, so
	// the first answer and every replay are identical.
	maxAnswerMessage = 8 << 10
)

// ConflictMessage is the message of the result a key reused with another
// request gets (HTTP 409).
const ConflictMessage = "Idempotency-Key: reused with a different request body"

// IdempotencyKey guards one command: Key is the client's key, Scope what it
// is scoped to (the endpoint path), Fingerprint a hash of the request (HTTP
// method, path and body) that tells a retry from a different request.
type IdempotencyKey struct {
	Scope       string
	Key         string
	Fingerprint [32]byte
}

// kindIdemGuard is the cluster-layer command that guards the command after it
// in the same entry. Its number is stable forever.
const kindIdemGuard engine.Kind = persist.FirstClusterKind + 1

// idemGuardCmd says: the next command of this entry is applied only if this
// key is new.
type idemGuardCmd struct {
	Scope       string `msgpack:"Scope"`
	Key         string `msgpack:"Key"`
	Fingerprint []byte `msgpack:"Fingerprint"`
	// Cluster says the guarded command is a cluster-layer one (version 2,
	// this build on). Earlier releases let a guard guard engine commands
	// only and took one before a cluster command as guarding nothing, so a
	// guard of a cluster command is written at version 2, which they
	// refuse loudly instead of applying the command unguarded (a replica
	// that did would diverge). A guard of an engine command is still
	// written at version 1, byte for byte as before.
	Cluster bool `msgpack:"Cluster,omitempty"`
}

func (*idemGuardCmd) Kind() engine.Kind { return kindIdemGuard }

// valid reports whether the guard is well formed. At apply time a
// malformed guard fails with the command it guards (errMalformedGuard):
// that command is never applied unguarded. No build proposes one.
func (g *idemGuardCmd) valid() bool {
	return persist.ValidIdempotencyKey(g.Key) && g.Scope != "" && len(g.Scope) <= persist.MaxIdempotencyScopeLen && len(g.Fingerprint) == 32
}

// fits reports whether the guard may guard next: a command a client sends,
// of the layer the guard names.
func (g *idemGuardCmd) fits(next engine.Command) bool {
	return guardable(next) && g.Cluster == (clusterSpecOf(next.Kind()) != nil)
}

// guardAsVersion1 writes a guard of an engine command at version 1, the
// bytes every earlier release wrote and reads.
func guardAsVersion1(cmd engine.Command) (engine.Command, bool) {
	return cmd, !cmd.(*idemGuardCmd).Cluster
}

func (k IdempotencyKey) check() error {
	if !persist.ValidIdempotencyKey(k.Key) {
		return fmt.Errorf("%w: 1 to %d printable ASCII characters", ErrBadIdempotencyKey, persist.MaxIdempotencyKeyLen)
	}
	if k.Scope == "" || len(k.Scope) > persist.MaxIdempotencyScopeLen {
		return fmt.Errorf("%w: scope of %d bytes", ErrBadIdempotencyKey, len(k.Scope))
	}
	return nil
}

// MaxIdempotencyKeyLen is the longest key a client may send.
const MaxIdempotencyKeyLen = persist.MaxIdempotencyKeyLen

// ValidIdempotencyKey reports whether a client's key can guard a command:
// 1 to MaxIdempotencyKeyLen printable ASCII characters without spaces.
func ValidIdempotencyKey(key string) bool { return persist.ValidIdempotencyKey(key) }

// ErrBadIdempotencyKey: the key is empty, too long or not printable ASCII.
var ErrBadIdempotencyKey = errors.New("cluster: invalid idempotency key")

// errIdemFull is the result the FSM gives a guarded command whose new key
// finds the table full; the proposer turns it into ErrIdempotencyFull.
var errIdemFull = &engine.Error{Code: engine.Invalid, Message: "Idempotency-Key: the table of keys is full"}

// errMalformedGuard is the result of a malformed guard and of the command
// after it, which is not applied; errGuardsNothing that of a guard that ends
// its entry or stands before another guard. Only a broken build could write either.
var (
	errMalformedGuard = &engine.Error{Code: engine.Invalid, Message: "Idempotency-Key: malformed guard (bad key, scope or fingerprint, or a command no client sends); the command was not applied"}
	errGuardsNothing  = &engine.Error{Code: engine.Invalid, Message: "Idempotency-Key: the guard guards no command (it ends its entry or another guard follows)"}
)

// idemTable is the replicated table of keys. It is touched only on the FSM
// goroutine, except that a snapshot keeps a view of the queue, which is why
// the queue is only ever appended to or replaced, never written in place.
type idemTable struct {
	byKey map[string]*persist.IdempotencyRecord
	// queue holds the records in the order they were recorded, from head.
	queue []*persist.IdempotencyRecord
	head  int
	bytes int
	// maxRecords and maxBytes are the bounds: MaxIdempotencyRecords and
	// MaxIdempotencyBytes; only tests lower them (export_test.go).
	maxRecords, maxBytes int64
}

func newIdemTable() *idemTable {
	return &idemTable{byKey: map[string]*persist.IdempotencyRecord{},
		maxRecords: MaxIdempotencyRecords, maxBytes: MaxIdempotencyBytes}
}

// expire forgets the records at least IdempotencyRetention older than now,
// oldest first. Stamps never go backwards, so the queue is in time order; if
// one ever did, a record behind a younger one would only be kept longer.
func (t *idemTable) expire(now engine.Nanos) {
	for t.head < len(t.queue) {
		r := t.queue[t.head]
		if now-r.At < int64(IdempotencyRetention) {
			break
		}
		delete(t.byKey, r.TableKey())
		t.bytes -= r.Size()
		t.head++
	}
	if t.head > 1024 && t.head > len(t.queue)/2 {
		// A fresh array: a snapshot may still be reading the old one.
		t.queue = append([]*persist.IdempotencyRecord(nil), t.queue[t.head:]...)
		t.head = 0
	}
}

// full reports whether a new key would go beyond a bound. The byte bound is
// checked before the record's answer is known, so it can be passed by at
// most one batch's answers.
func (t *idemTable) full() bool {
	return int64(len(t.byKey)) >= t.maxRecords || int64(t.bytes) >= t.maxBytes
}

func (t *idemTable) add(r *persist.IdempotencyRecord) {
	t.byKey[r.TableKey()] = r
	t.queue = append(t.queue, r)
	t.bytes += r.Size()
}

// answered records r's answer (on the FSM goroutine, before any snapshot can
// see r) and returns it as the guarded command's result. A later entry of
// the same batch may already have expired r (its stamp 24 h on): then r is
// no longer counted.
func (t *idemTable) answered(r *persist.IdempotencyRecord, res engine.Result) engine.Result {
	if res.Err != nil && len(res.Err.Message) > maxAnswerMessage {
		res.Err = &engine.Error{Code: res.Err.Code, Message: cutMessage(res.Err.Message)}
	}
	before := r.Size()
	r.SetResult(res)
	if t.byKey[r.TableKey()] == r {
		t.bytes += r.Size() - before
	}
	return r.Result()
}

// cutMessage shortens msg to maxAnswerMessage bytes without splitting a rune.
func cutMessage(msg string) string {
	const tail = " (cut)"
	n := maxAnswerMessage - len(tail)
	for n > 0 && n < len(msg) && msg[n]&0xc0 == 0x80 {
		n--
	}
	return msg[:n] + tail
}

// view returns the live records for a snapshot, oldest first. The slice is
// capped, so later appends never write into it.
func (t *idemTable) view() []*persist.IdempotencyRecord {
	if t.head == len(t.queue) {
		return nil
	}
	return t.queue[t.head:len(t.queue):len(t.queue)]
}

// restore replaces the table with a snapshot's records.
func (t *idemTable) restore(recs []*persist.IdempotencyRecord) {
	t.byKey = make(map[string]*persist.IdempotencyRecord, len(recs))
	t.queue = append([]*persist.IdempotencyRecord(nil), recs...)
	t.head, t.bytes = 0, 0
	for _, r := range recs {
		t.byKey[r.TableKey()] = r
		t.bytes += r.Size()
	}
}
