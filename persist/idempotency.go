package persist

import (
	"errors"
	"fmt"

	"burndown/engine"
	"burndown/money"
)

// MaxIdempotencyKeyLen bounds an Idempotency-Key (bytes of printable ASCII).
const MaxIdempotencyKeyLen = 255

// MaxIdempotencyScopeLen bounds a record's scope (an endpoint path).
const MaxIdempotencyScopeLen = 1024

// IdempotencyRecord is one Idempotency-Key the cluster remembers: the request
// it guarded (scope and fingerprint) and the answer it got, the engine result
// of the guarded command. Records live in the cluster layer's replicated
// table (cluster/idempotency.go) and in snapshot section 7, one chunk each.
// A record is never changed once its entry has been applied.
type IdempotencyRecord struct {
	Scope       string `msgpack:"Scope"`       // the endpoint path the key was sent to
	Key         string `msgpack:"Key"`         // the Idempotency-Key header
	Fingerprint []byte `msgpack:"Fingerprint"` // SHA-256 of method, path and decoded body
	At          int64  `msgpack:"At"`          // leader-stamped time of the entry that recorded it
	// The answer: the guarded command's engine.Result.
	Err     bool                     `msgpack:"Err"`
	Code    uint8                    `msgpack:"Code"`
	Message string                   `msgpack:"Message"`
	ID      string                   `msgpack:"ID"`
	Ingest  *IdempotentIngestOutcome `msgpack:"Ingest"`
	// Check is a consume's answer (absent from every other record, and
	// from records of builds before consume).
	Check *IdempotentCheck `msgpack:"Check,omitempty"`
}

// IdempotentCheck is an engine.CheckAnswer as a record keeps it.
type IdempotentCheck struct {
	Entitled     bool   `msgpack:"Entitled"`
	Reason       string `msgpack:"Reason"`
	Balance      string `msgpack:"Balance"`
	CreditTypeID string `msgpack:"CreditTypeID"`
}

// IdempotentIngestOutcome is an engine.IngestOutcome as a record keeps it.
type IdempotentIngestOutcome struct {
	Accepted   int            `msgpack:"Accepted"`
	Duplicates int            `msgpack:"Duplicates"`
	Rejected   map[string]int `msgpack:"Rejected"`
}

// SetResult stores res as the record's answer.
func (r *IdempotencyRecord) SetResult(res engine.Result) {
	r.Err, r.Code, r.Message = false, 0, ""
	if res.Err != nil {
		r.Err, r.Code, r.Message = true, uint8(res.Err.Code), res.Err.Message
	}
	r.ID = res.ID
	r.Check = nil
	if c := res.Check; c != nil {
		r.Check = &IdempotentCheck{Entitled: c.Entitled, Reason: c.Reason, Balance: c.Balance.String(), CreditTypeID: c.CreditTypeID}
	}
	r.Ingest = nil
	if o := res.Ingest; o != nil {
		r.Ingest = &IdempotentIngestOutcome{Accepted: o.Accepted, Duplicates: o.Duplicates}
		if len(o.Rejected) > 0 {
			r.Ingest.Rejected = make(map[string]int, len(o.Rejected))
			for k, v := range o.Rejected {
				r.Ingest.Rejected[string(k)] = v
			}
		}
	}
}

// Result returns the record's answer as a fresh engine.Result.
func (r *IdempotencyRecord) Result() engine.Result {
	var res engine.Result
	if r.Err {
		res.Err = &engine.Error{Code: engine.Code(r.Code), Message: r.Message}
	}
	res.ID = r.ID
	if c := r.Check; c != nil {
		var bal money.Amount
		if err := bal.UnmarshalJSON([]byte(c.Balance)); err != nil { // written by SetResult from an Amount
			bal = money.Amount{}
		}
		res.Check = &engine.CheckAnswer{Entitled: c.Entitled, Reason: c.Reason, Balance: bal, CreditTypeID: c.CreditTypeID}
	}
	if o := r.Ingest; o != nil {
		res.Ingest = &engine.IngestOutcome{Accepted: o.Accepted, Duplicates: o.Duplicates}
		if len(o.Rejected) > 0 {
			res.Ingest.Rejected = make(map[engine.RejectReason]int, len(o.Rejected))
			for k, v := range o.Rejected {
				res.Ingest.Rejected[engine.RejectReason(k)] = v
			}
		}
	}
	return res
}

// Size is what the record counts against the table's byte bound: its
// variable-length fields plus a fixed allowance for the rest.
func (r *IdempotencyRecord) Size() int {
	n := 128 + len(r.Scope) + len(r.Key) + len(r.Fingerprint) + len(r.Message) + len(r.ID)
	if r.Check != nil {
		n += 64 + len(r.Check.Reason) + len(r.Check.Balance) + len(r.Check.CreditTypeID)
	}
	if r.Ingest != nil {
		n += 32
		for k := range r.Ingest.Rejected {
			n += 16 + len(k)
		}
	}
	return n
}

// TableKey is the key of r in a table: scope and key, which cannot contain a
// NUL byte.
func (r *IdempotencyRecord) TableKey() string { return IdempotencyTableKey(r.Scope, r.Key) }

// IdempotencyTableKey joins a scope and a key into one map key.
func IdempotencyTableKey(scope, key string) string { return scope + "\x00" + key }

// ValidIdempotencyKey reports whether key is 1 to MaxIdempotencyKeyLen
// bytes of printable ASCII (0x21 to 0x7e: no spaces, no control bytes).
func ValidIdempotencyKey(key string) bool {
	if len(key) == 0 || len(key) > MaxIdempotencyKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// check refuses a record no build writes.
func (r *IdempotencyRecord) check() error {
	switch {
	case !ValidIdempotencyKey(r.Key):
		return errors.New("invalid key")
	case r.Scope == "" || len(r.Scope) > MaxIdempotencyScopeLen:
		return errors.New("invalid scope")
	case len(r.Fingerprint) != 32:
		return fmt.Errorf("fingerprint of %d bytes", len(r.Fingerprint))
	}
	return nil
}

// idempotencyVersion is the layout of the idempotency section: one msgpack
// IdempotencyRecord per chunk, in the order they were recorded.
const idempotencyVersion = 1

// writeIdempotency writes the records (nothing at all when there are none,
// so snapshots without keys are byte-identical to earlier builds').
func writeIdempotency(sw *sectionWriter, recs []*IdempotencyRecord) error {
	if len(recs) == 0 {
		return nil
	}
	if err := sw.begin(sectionIdempotency, idempotencyVersion); err != nil {
		return err
	}
	for i, r := range recs {
		b, err := Marshal(r)
		if err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		if err := sw.chunk(b); err != nil {
			return err
		}
	}
	return sw.end()
}

// readIdempotency reads the idempotency section into meta.
func readIdempotency(sr *sectionReader, version uint64, meta *ClusterMeta) error {
	if version != idempotencyVersion {
		return fmt.Errorf("unknown idempotency version %d", version)
	}
	seen := make(map[string]bool, len(meta.Idempotency))
	for _, r := range meta.Idempotency { // a second section 7 (no build writes one)
		seen[r.TableKey()] = true
	}
	for {
		b, err := sr.chunk(nil)
		if err != nil {
			return fmt.Errorf("record %d: %w", len(meta.Idempotency), err)
		}
		if b == nil {
			return nil
		}
		r := new(IdempotencyRecord)
		if err := Unmarshal(b, r); err != nil {
			return fmt.Errorf("record %d: %w", len(meta.Idempotency), err)
		}
		if err := r.check(); err != nil {
			return fmt.Errorf("record %d: %w", len(meta.Idempotency), err)
		}
		if seen[r.TableKey()] {
			return fmt.Errorf("record %d: key %q of %s appears twice", len(meta.Idempotency), r.Key, r.Scope)
		}
		seen[r.TableKey()] = true
		meta.Idempotency = append(meta.Idempotency, r)
	}
}
