package engine

import (
	"strconv"
	"unicode/utf8"

	"burndown/money"
)

// Edits of a commit's or credit's access schedule (Metronome's
// /v2/contracts/commits/edit and credits/edit, and an edit's
// update_commits and update_credits). Only what maps exactly onto the
// segments is applied: Metronome re-rates draft invoices after such an
// edit, this engine does not, so a change that would move usage already
// rated is refused with the reason, and everything else changes the
// segments in place (the ledger's SEGMENT_START shows the new amount, as
// Metronome's ledger does; it has no entry type for edits):
//   - an amount may fall to what usage drew from the segment, and rise
//     unless the segment started and is used up (usage billed beyond it
//     since would be redrawn);
//   - a start may move later when nothing was drawn, or earlier but not
//     before now; an end may move to any time not before now;
//   - a segment may be added from now on, and removed when nothing was
//     drawn from it and it holds no manual or seat-based entries.
// An expired segment, a POSTPAID commit (its remainder is trued up at its
// end), and the balance of a recurring commit or credit are not edited.

// KindEditBalance is the kind of EditBalance.
const KindEditBalance Kind = 52

// Bounds of a balance edit, checked at the API edge and again here, since
// it reaches the log.
const (
	// MaxSegmentEdits is how many items each of a balance update's lists
	// may hold.
	MaxSegmentEdits = 1000
	// MaxSegments is how many segments a commit may hold after an edit.
	MaxSegments = 1000
	// MaxContractName is the longest contract name an edit sets, in bytes.
	MaxContractName = 4096
)

// SegmentUpdate changes one segment: its amount (as the access schedule
// gives it, without manual or seat-based entries), start or end (0:
// unchanged).
type SegmentUpdate struct {
	ID           string        `msgpack:"ID"`
	Amount       *money.Amount `msgpack:"Amount,omitempty"`
	StartingAt   Nanos         `msgpack:"StartingAt,omitempty"`
	EndingBefore Nanos         `msgpack:"EndingBefore,omitempty"`
}

// BalanceUpdate is the access-schedule part of an edit of one commit or
// credit: segments removed, then updated, then added.
type BalanceUpdate struct {
	ID             string          `msgpack:"ID"`
	RemoveSegments []string        `msgpack:"RemoveSegments,omitempty"`
	UpdateSegments []SegmentUpdate `msgpack:"UpdateSegments,omitempty"`
	AddSegments    []ScheduleItem  `msgpack:"AddSegments,omitempty"`
}

// EditBalance edits a commit (or, with Credit, a credit) of any of the
// customer's contracts: /v2/contracts/commits/edit and credits/edit.
type EditBalance struct {
	CustomerID string        `msgpack:"CustomerID"`
	Credit     bool          `msgpack:"Credit"`
	Update     BalanceUpdate `msgpack:"Update"`
}

func (*EditBalance) Kind() Kind { return KindEditBalance }

func routeEditBalance(b *batch, pos int, cmd Command) (*CustomerHandle, *Error) {
	h, err := routeToCustomer(b, cmd.(*EditBalance).CustomerID)
	if err == nil {
		// The edit's id, from its log position: added segments' ids derive from it.
		b.results[pos].ID = entryID(b.index, pos, "balance_edit")
	}
	return h, err
}

// balanceNoun names a commit or a credit.
func balanceNoun(credit bool) string {
	if credit {
		return "credit"
	}
	return "commit"
}

// applyEditBalance finds the contract holding the commit and runs the edit
// there as an edit_contract's update_commits (or update_credits) would,
// with the fields named as the endpoint names them; the result's ID is the
// commit's.
func applyEditBalance(s *shard, t *task, c *Customer, cat *Catalog, now Nanos) {
	cmd := t.cmd.(*EditBalance)
	id := t.res.ID
	t.res.ID = ""
	if c == nil {
		t.res.Err = errorf(NotFound, "customer_id: customer %s not found", cmd.CustomerID)
		return
	}
	noun := balanceNoun(cmd.Credit)
	var holder *Contract
	for _, k := range c.Contracts {
		if cm := k.Commit(cmd.Update.ID); cm != nil && (cm.Type == CommitCredit) == cmd.Credit {
			holder = k
		}
	}
	if holder == nil {
		t.res.Err = errorf(NotFound, "%s_id: %s %s not found", noun, noun, cmd.Update.ID)
		return
	}
	if holder.Archived {
		t.res.Err = errorf(Invalid, "%s_id: the contract of %s %s (%s) is archived", noun, noun, cmd.Update.ID, holder.ID)
		return
	}
	edit := &EditContract{CustomerID: cmd.CustomerID, ContractID: holder.ID}
	if cmd.Credit {
		edit.UpdateCredits = []BalanceUpdate{cmd.Update}
	} else {
		edit.UpdateCommits = []BalanceUpdate{cmd.Update}
	}
	if err := runEdit(s, c, cat, now, edit, id, true); err != nil {
		t.res.Err = err
		return
	}
	t.res.ID = cmd.Update.ID
}

// editName applies update_contract_name.
func editName(x *editCtx) *Error {
	n := x.cmd.UpdateName
	if n == nil {
		return nil
	}
	if len(*n) > MaxContractName || !utf8.ValidString(*n) {
		return errorf(Invalid, "update_contract_name: must be at most %d bytes of UTF-8", MaxContractName)
	}
	x.k.Name = *n
	return nil
}

// editUpdateBalances applies update_commits or update_credits.
func editUpdateBalances(x *editCtx, field string, list []BalanceUpdate, credits bool) *Error {
	for i := range list {
		prefix := field + "[" + strconv.Itoa(i) + "]."
		if x.single {
			prefix = "" // commits/edit: the update is the body
		}
		if err := x.updateBalance(prefix, &list[i], credits); err != nil {
			return err
		}
	}
	return nil
}

// updateBalance applies one balance update to the edit's copy of the
// contract; prefix is the JSON path of the update.
func (x *editCtx) updateBalance(prefix string, u *BalanceUpdate, credits bool) *Error {
	noun := balanceNoun(credits)
	idField := prefix + noun + "_id"
	cm := x.k.Commit(u.ID)
	switch {
	case cm == nil || (cm.Type == CommitCredit) != credits:
		return errorf(NotFound, "%s: %s %s not found", idField, noun, u.ID)
	case cm.ArchivedAt() != 0:
		return errorf(Invalid, "%s: %s %s is archived", idField, noun, u.ID)
	case len(u.RemoveSegments) > MaxSegmentEdits || len(u.UpdateSegments) > MaxSegmentEdits || len(u.AddSegments) > MaxSegmentEdits:
		return errorf(Invalid, "%saccess_schedule: at most %d items in each of add, update and remove_schedule_items", prefix, MaxSegmentEdits)
	case len(u.RemoveSegments)+len(u.UpdateSegments)+len(u.AddSegments) == 0:
		return nil
	case cm.Type == CommitPostpaid:
		return errorf(Invalid, "%saccess_schedule: editing a POSTPAID commit's access schedule is not supported by this server yet (its unused remainder is trued up at its end)", prefix)
	}
	for _, r := range x.k.Recurring() {
		if r.CommitID == cm.ID {
			return errorf(Invalid, "%s: %s %s is granted by recurring %s %s; its segments follow that schedule and are not edited one by one", idField, noun, u.ID, noun, r.ID)
		}
	}
	cm.Segments = append([]*Segment(nil), cm.Segments...) // the copy's own list
	for j, sid := range u.RemoveSegments {
		if err := x.removeSegment(cm, prefix+"access_schedule.remove_schedule_items["+strconv.Itoa(j)+"].id", sid); err != nil {
			return err
		}
	}
	for j := range u.UpdateSegments {
		if err := x.updateSegment(cm, prefix+"access_schedule.update_schedule_items["+strconv.Itoa(j)+"].", &u.UpdateSegments[j]); err != nil {
			return err
		}
	}
	for j := range u.AddSegments {
		if err := x.addSegment(cm, prefix+"access_schedule.add_schedule_items["+strconv.Itoa(j)+"].", &u.AddSegments[j], prefix, j); err != nil {
			return err
		}
	}
	if len(cm.Segments) == 0 {
		return errorf(Invalid, "%saccess_schedule: a %s keeps at least one segment (archive it instead)", prefix, noun)
	}
	if len(cm.Segments) > MaxSegments {
		return errorf(Invalid, "%saccess_schedule: a %s holds at most %d segments", prefix, noun, MaxSegments)
	}
	sortSegments(cm.Segments)
	return nil
}

// segmentAt finds a segment of the commit by id, reading each segment's id
// once per command (segmentIDs).
func (x *editCtx) segmentAt(cm *Commit, id string) (int, *Segment) {
	if x.segIDs == nil {
		x.segIDs = segmentIDs{}
	}
	for i, s := range cm.Segments {
		if x.segIDs.of(cm, s) == id {
			return i, s
		}
	}
	return -1, nil
}

// removeSegment removes a segment nothing was drawn from.
func (x *editCtx) removeSegment(cm *Commit, field, id string) *Error {
	i, s := x.segmentAt(cm, id)
	switch {
	case s == nil:
		return errorf(NotFound, "%s: segment %s not found on %s", field, id, cm.ID)
	case !s.Drawn.IsZero() || len(s.Deductions) > 0:
		return errorf(Invalid, "%s: usage has drawn %s from segment %s; a segment drawn from cannot be removed (lower its amount to what was drawn, or end it now)", field, s.Drawn, id)
	case len(s.ManualAdjustments()) > 0 || len(s.SeatAdjustments()) > 0:
		return errorf(Invalid, "%s: segment %s holds manual or seat-based ledger entries; it cannot be removed", field, id)
	}
	cm.Segments = append(cm.Segments[:i], cm.Segments[i+1:]...)
	return nil
}

// updateSegment changes a segment's amount, start or end where that moves
// no usage already rated (see the file comment).
func (x *editCtx) updateSegment(cm *Commit, f string, u *SegmentUpdate) *Error {
	i, old := x.segmentAt(cm, u.ID)
	switch {
	case old == nil:
		return errorf(NotFound, "%sid: segment %s not found on %s", f, u.ID, cm.ID)
	case old.Expired:
		return errorf(Invalid, "%sid: segment %s ended at %s and its remainder expired", f, u.ID, fmtTime(old.EndingBefore))
	case len(old.SeatAdjustments()) > 0:
		return errorf(Invalid, "%sid: segment %s holds seat-based adjustments; it is not edited", f, u.ID)
	}
	s := *old
	drawn := !s.Drawn.IsZero() || len(s.Deductions) > 0
	if u.StartingAt != 0 && u.StartingAt != s.StartingAt {
		if u.StartingAt < s.StartingAt && u.StartingAt < x.now {
			return errorf(Invalid, "%sstarting_at: must not be before now (%s): usage already rated would be drawn again, which this server does not do", f, fmtTime(x.now))
		}
		if u.StartingAt > s.StartingAt && drawn {
			return errorf(Invalid, "%sstarting_at: usage has drawn %s from segment %s; its start cannot move later", f, s.Drawn, u.ID)
		}
		s.StartingAt = u.StartingAt
	}
	if u.EndingBefore != 0 && u.EndingBefore != s.EndingBefore {
		if u.EndingBefore < x.now {
			return errorf(Invalid, "%sending_before: must not be before now (%s): usage until now may have drawn from the segment", f, fmtTime(x.now))
		}
		s.EndingBefore = u.EndingBefore
	}
	if s.EndingBefore <= s.StartingAt {
		return errorf(Invalid, "%sending_before: must be after starting_at%s", f, swappedHint(s.StartingAt, s.EndingBefore))
	}
	if u.Amount != nil {
		amount, err := inputAmount(*u.Amount)
		if err != nil {
			return errorf(Invalid, "%samount: %v", f, err)
		}
		if amount.IsNegative() {
			return errorf(Invalid, "%samount: must not be negative", f)
		}
		next := amount.Add(s.Amount.Sub(s.scheduledAmount()))
		if next.LessThan(s.Amount) && next.LessThan(s.Drawn) {
			return errorf(Invalid, "%samount: usage has drawn %s from segment %s; its amount cannot leave less than that", f, s.Drawn, u.ID)
		}
		if next.GreaterThan(s.Amount) && old.StartingAt < x.now && s.left().IsZero() {
			return errorf(Invalid, "%samount: segment %s is used up; usage billed beyond it since would be drawn again, which this server does not do (add a segment from now, or a manual ledger entry)", f, u.ID)
		}
		s.Amount = next
	}
	cm.Segments[i] = &s
	return nil
}

// scheduledAmount is the segment's amount as its access schedule gives
// it: without its manual and seat-based entries.
func (s *Segment) scheduledAmount() money.Amount {
	a := s.Amount
	for _, m := range s.ManualAdjustments() {
		a = a.Sub(m.Amount)
	}
	for _, m := range s.SeatAdjustments() {
		a = a.Sub(m.Amount)
	}
	return a
}

// addSegment adds a segment starting now or later.
func (x *editCtx) addSegment(cm *Commit, f string, it *ScheduleItem, prefix string, j int) *Error {
	amount, err := inputAmount(it.Amount)
	switch {
	case err != nil:
		return errorf(Invalid, "%samount: %v", f, err)
	case amount.IsNegative():
		return errorf(Invalid, "%samount: must not be negative", f)
	case it.StartingAt < x.now:
		return errorf(Invalid, "%sstarting_at: must not be before now (%s): usage already rated would be drawn again, which this server does not do (a manual ledger entry adds to a segment in force)", f, fmtTime(x.now))
	case it.EndingBefore <= it.StartingAt:
		return errorf(Invalid, "%sending_before: must be after starting_at%s", f, swappedHint(it.StartingAt, it.EndingBefore))
	}
	sid := DeriveID(x.id, "segment", cm.ID, prefix, strconv.Itoa(j))
	if _, s := x.segmentAt(cm, sid); s != nil {
		return errorf(Conflict, "%s: segment %s already exists on %s", f, sid, cm.ID)
	}
	cm.Segments = append(cm.Segments, newSegment(sid, 0, amount, it.StartingAt, it.EndingBefore))
	return nil
}

// sortSegments orders segments by start, as newCommit does.
func sortSegments(list []*Segment) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && list[j].StartingAt < list[j-1].StartingAt; j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}
