package engine

import (
	"unicode/utf8"

	"burndown/money"
)

// Manual balance ledger entries (Metronome's
// contracts/addManualBalanceLedgerEntry): a support adjustment of one
// segment of a commit or credit, positive (more to draw) or negative
// (drawn down by hand). The segment's Amount includes its adjustments, as
// it includes seat adjustments; the ledger shows each as a *_MANUAL entry
// with its reason. A negative entry may exceed what is left, as Metronome
// allows: the ledger then sums below zero and the balance is floored at
// zero (Segment.left) until later entries bring it back above.

// KindAddManualLedgerEntry is the kind of AddManualLedgerEntry.
const KindAddManualLedgerEntry Kind = 50

// Bounds of a manual ledger entry, checked at the API edge and again here,
// since it reaches the log.
const (
	// MaxManualReason is the longest reason, in bytes.
	MaxManualReason = 4096
	// MaxManualEntries is how many manual entries one segment may hold.
	MaxManualEntries = 1000
)

// AddManualLedgerEntry adds Amount to a segment of a commit or credit of
// the customer's contract, dated At (0: the segment's start).
type AddManualLedgerEntry struct {
	CustomerID string       `msgpack:"CustomerID"`
	ContractID string       `msgpack:"ContractID"`
	CommitID   string       `msgpack:"CommitID"`
	SegmentID  string       `msgpack:"SegmentID"`
	Amount     money.Amount `msgpack:"Amount"`
	Reason     string       `msgpack:"Reason"`
	At         Nanos        `msgpack:"At"`
}

func (*AddManualLedgerEntry) Kind() Kind { return KindAddManualLedgerEntry }

// ManualAdjustment is one manual ledger entry of a segment (since customer
// layout 11).
type ManualAdjustment struct {
	At     Nanos        `msgpack:"At"`
	Amount money.Amount `msgpack:"Amount"`
	Reason string       `msgpack:"Reason"`
}

func routeAddManualLedgerEntry(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	return routeToCustomer(b, cmd.(*AddManualLedgerEntry).CustomerID)
}

// manualTarget finds the commit or credit and segment an entry adjusts.
// Without a contract id the commit is looked up in every contract of the
// customer (ids are unique within a customer), then among its
// customer-level commits and credits (Metronome: "leave blank to update a
// customer level balance"), whose contract is nil.
func manualTarget(c *Customer, cmd *AddManualLedgerEntry) (*Contract, *Commit, *Segment, *Error) {
	var k *Contract
	var cm *Commit
	if cmd.ContractID != "" {
		if k = c.Contract(cmd.ContractID); k == nil {
			return nil, nil, nil, errorf(NotFound, "contract_id: contract %s not found", cmd.ContractID)
		}
		cm = k.Commit(cmd.CommitID)
	} else {
		for _, kk := range c.Contracts {
			if cm = kk.Commit(cmd.CommitID); cm != nil {
				k = kk
				break
			}
		}
		if b := c.CustomerBalanceByID(cmd.CommitID); cm == nil && b != nil {
			cm = b.Commit
		}
	}
	if cm == nil {
		return nil, nil, nil, errorf(NotFound, "id: commit or credit %s not found", cmd.CommitID)
	}
	for _, s := range cm.Segments {
		if cm.SegmentID(s) == cmd.SegmentID {
			return k, cm, s, nil
		}
	}
	return nil, nil, nil, errorf(NotFound, "segment_id: segment %s not found on %s", cmd.SegmentID, cmd.CommitID)
}

func validateAddManualLedgerEntry(c *Customer, command Command, _ *Catalog, now Nanos) *Error {
	cmd := command.(*AddManualLedgerEntry)
	if c == nil {
		return errorf(NotFound, "customer_id: customer %s not found", cmd.CustomerID)
	}
	if err := cmd.Amount.CheckInput(); err != nil {
		return errorf(Invalid, "amount: %v", err)
	}
	if cmd.Amount.IsZero() {
		return errorf(Invalid, "amount: must not be zero")
	}
	if cmd.Reason == "" || len(cmd.Reason) > MaxManualReason || !utf8.ValidString(cmd.Reason) {
		return errorf(Invalid, "reason: must be 1 to %d bytes of UTF-8", MaxManualReason)
	}
	k, cm, s, err := manualTarget(c, cmd)
	if err != nil {
		return err
	}
	switch {
	case (k != nil && k.Archived) || cm.ArchivedAt() != 0:
		return errorf(Invalid, "id: %s is archived", cm.ID)
	case s.Expired:
		return errorf(Invalid, "segment_id: segment %s ended at %s and its remainder expired", cmd.SegmentID, fmtTime(s.EndingBefore))
	case len(s.ManualAdjustments()) >= MaxManualEntries:
		return errorf(Invalid, "segment_id: segment %s holds the most manual entries a segment may (%d)", cmd.SegmentID, MaxManualEntries)
	}
	at := cmd.At
	if at == 0 {
		at = s.StartingAt
	}
	if !s.InForce(at) {
		return errorf(Invalid, "timestamp: must be within the segment, %s", termString(s.StartingAt, s.EndingBefore))
	}
	if at > max(now, s.StartingAt) {
		return errorf(Invalid, "timestamp: must not be in the future (after %s)", fmtTime(max(now, s.StartingAt)))
	}
	return nil
}

// applyAddManualLedgerEntry records the entry and moves the segment's
// amount by it; the result's ID is the commit's.
func applyAddManualLedgerEntry(_ *shard, t *task, c *Customer, _ *Catalog, _ Nanos) {
	cmd := t.cmd.(*AddManualLedgerEntry)
	_, cm, s, _ := manualTarget(c, cmd)
	at := cmd.At
	if at == 0 {
		at = s.StartingAt
	}
	s.EditExtra(func(x *SegmentExtra) {
		x.ManualAdjustments = append(x.ManualAdjustments, ManualAdjustment{At: at, Amount: cmd.Amount, Reason: cmd.Reason})
	})
	s.Amount = s.Amount.Add(cmd.Amount)
	t.res.ID = cm.ID
}

// left is what the segment can still pay, ignoring time: its amount less
// what was drawn, floored at zero (negative manual entries may exceed it).
func (s *Segment) left() money.Amount {
	l := s.Amount.Sub(s.Drawn)
	if l.IsNegative() {
		return money.Amount{}
	}
	return l
}
