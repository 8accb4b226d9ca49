package engine

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// A credit of 300 (three units of 100 drawn 100) is edited through
// edit_balance and an edit's update_credits: raised to 500 (balance 400),
// lowered to what was drawn (balance 0, not entitled on a prepaid-only
// contract), refused below that and, once used up, refused a raise; a
// segment added from now brings 50 back, is removed while undrawn, and a
// segment drawn from is not removed. The ledger's SEGMENT_START shows the
// amount as edited; an end moved earlier expires what a manual entry left
// there; the contract's name changes with update_contract_name.
func TestBalanceEditSegments(t *testing.T) {
	h := newHarness(t, "2026-01-02T00:00:00Z")
	product, rc, fixed := payGo(h)
	start, end := ns(t, "2026-01-01T00:00:00Z"), ns(t, "2026-03-01T00:00:00Z")
	a := h.customer("a", &CreateContract{RateCardID: rc, StartingAt: start, PrepaidOnly: true, Name: "Platform", Credits: []CommitInput{{ID: "cr", ProductID: fixed,
		AccessSchedule: []ScheduleItem{{ID: "seg", Amount: dec("300"), StartingAt: start, EndingBefore: end}}}}})
	k := h.read(a).Contracts[0].ID
	h.must(h.events("a", "unit", "u", 0, 1, "2026-01-01T12:00:00Z"))
	one := func(u SegmentUpdate) *EditBalance {
		return &EditBalance{CustomerID: a, Credit: true, Update: BalanceUpdate{ID: "cr", UpdateSegments: []SegmentUpdate{u}}}
	}
	if r := h.must(one(SegmentUpdate{ID: "seg", Amount: ptr(dec("500"))})); r.ID != "cr" {
		t.Fatalf("result id %q, want the credit's", r.ID)
	}
	if got := h.balance(a); got.String() != "400" {
		t.Fatalf("balance after raising to 500: %s, want 400", got)
	}
	wantErr(t, h.apply(one(SegmentUpdate{ID: "seg", Amount: ptr(dec("99.99"))}))[0], Invalid,
		"access_schedule.update_schedule_items[0].amount: usage has drawn 100 from segment seg")
	h.must(&EditContract{CustomerID: a, ContractID: k, UpdateName: ptr("Platform 2026"),
		UpdateCredits: []BalanceUpdate{{ID: "cr", UpdateSegments: []SegmentUpdate{{ID: "seg", Amount: ptr(dec("100"))}}}}})
	c := h.read(a)
	if got := h.balance(a); !got.IsZero() || c.Contracts[0].Name != "Platform 2026" {
		t.Fatalf("balance %s name %q, want 0 and the new name", got, c.Contracts[0].Name)
	}
	if e, _, _ := h.check(a, product); e != "false" {
		t.Fatal("entitled on a prepaid-only contract with nothing left")
	}
	wantErr(t, h.apply(&EditContract{CustomerID: a, ContractID: k,
		UpdateCredits: []BalanceUpdate{{ID: "cr", UpdateSegments: []SegmentUpdate{{ID: "seg", Amount: ptr(dec("150"))}}}}})[0], Invalid,
		"update_credits[0].access_schedule.update_schedule_items[0].amount: segment seg is used up")

	// A segment from now on: 50 more, entitled again; removed while undrawn.
	h.must(&EditBalance{CustomerID: a, Credit: true, Update: BalanceUpdate{ID: "cr",
		AddSegments: []ScheduleItem{{Amount: dec("50"), StartingAt: h.now.UnixNano(), EndingBefore: end}}}})
	if got := h.balance(a); got.String() != "50" {
		t.Fatalf("balance with the added segment: %s, want 50", got)
	}
	if e, _, _ := h.check(a, product); e != "true" {
		t.Fatal("not entitled with 50 left")
	}
	cr := h.read(a).Contracts[0].Commit("cr")
	segs := cr.Segments
	if len(segs) != 2 || cr.SegmentID(segs[0]) != "seg" {
		t.Fatalf("segments %d, first %s", len(segs), cr.SegmentID(segs[0]))
	}
	added := cr.SegmentID(segs[1])
	wantErr(t, h.apply(&EditBalance{CustomerID: a, Credit: true, Update: BalanceUpdate{ID: "cr", RemoveSegments: []string{"seg"}}})[0], Invalid,
		"access_schedule.remove_schedule_items[0].id: usage has drawn 100 from segment seg; a segment drawn from cannot be removed")
	h.must(&EditBalance{CustomerID: a, Credit: true, Update: BalanceUpdate{ID: "cr", RemoveSegments: []string{added}}})
	if got := h.balance(a); !got.IsZero() {
		t.Fatalf("balance after removing the added segment: %s, want 0", got)
	}

	// Refusals name their field.
	wantErr(t, h.apply(&EditBalance{CustomerID: a, Credit: true, Update: BalanceUpdate{ID: "cr",
		AddSegments: []ScheduleItem{{Amount: dec("5"), StartingAt: start, EndingBefore: end}}}})[0], Invalid,
		"access_schedule.add_schedule_items[0].starting_at: must not be before now")
	wantErr(t, h.apply(one(SegmentUpdate{ID: "seg", EndingBefore: start + int64(time.Hour)}))[0], Invalid,
		"access_schedule.update_schedule_items[0].ending_before: must not be before now")
	wantErr(t, h.apply(one(SegmentUpdate{ID: "seg", StartingAt: ns(t, "2026-01-05T00:00:00Z")}))[0], Invalid,
		"access_schedule.update_schedule_items[0].starting_at: usage has drawn 100")
	wantErr(t, h.apply(one(SegmentUpdate{ID: "nope"}))[0], NotFound, "access_schedule.update_schedule_items[0].id: segment nope not found")
	wantErr(t, h.apply(&EditBalance{CustomerID: a, Update: BalanceUpdate{ID: "cr"}})[0], NotFound, "commit_id: commit cr not found")
	wantErr(t, h.apply(&EditContract{CustomerID: a, ContractID: k, UpdateName: ptr(string([]byte{0xff}))})[0], Invalid, "update_contract_name:")

	// Given 30 by a manual entry, then ended early: what is left expires
	// at the new end.
	h.must(&AddManualLedgerEntry{CustomerID: a, CommitID: "cr", SegmentID: "seg", Amount: dec("30"), Reason: "goodwill"})
	h.must(one(SegmentUpdate{ID: "seg", EndingBefore: ns(t, "2026-01-10T00:00:00Z")}))
	h.setClock("2026-01-10T00:00:00Z")
	ledger := h.read(a).Contracts[0].Commit("cr").Ledger(h.now.UnixNano())
	var got []string
	for _, e := range ledger {
		got = append(got, fmt.Sprintf("%s %s %s", e.Type, e.Amount, fmtTime(e.Timestamp)))
	}
	want := []string{"CREDIT_SEGMENT_START 100 2026-01-01T00:00:00Z", "CREDIT_MANUAL 30 2026-01-01T00:00:00Z", "CREDIT_AUTOMATED_INVOICE_DEDUCTION -100 2026-01-01T00:00:00Z",
		"CREDIT_EXPIRATION -30 2026-01-10T00:00:00Z"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ledger %v\nwant %v", got, want)
	}
	wantErr(t, h.apply(one(SegmentUpdate{ID: "seg", Amount: ptr(dec("200"))}))[0], Invalid, "segment seg ended at 2026-01-10T00:00:00Z")
}

// A segment's amount edit keeps its manual entries: the access schedule's
// amount is what update_schedule_items sets.
func TestBalanceEditKeepsManualEntries(t *testing.T) {
	h := newHarness(t, "2026-01-02T00:00:00Z")
	_, rc, fixed := payGo(h)
	start, end := ns(t, "2026-01-01T00:00:00Z"), ns(t, "2026-03-01T00:00:00Z")
	a := h.customer("a", &CreateContract{RateCardID: rc, StartingAt: start, Commits: []CommitInput{{ID: "cm", Type: CommitPrepaid, ProductID: fixed,
		AccessSchedule: []ScheduleItem{{ID: "seg", Amount: dec("100"), StartingAt: start, EndingBefore: end}}}}})
	h.must(&AddManualLedgerEntry{CustomerID: a, CommitID: "cm", SegmentID: "seg", Amount: dec("25"), Reason: "goodwill"})
	h.must(&EditBalance{CustomerID: a, Update: BalanceUpdate{ID: "cm", UpdateSegments: []SegmentUpdate{{ID: "seg", Amount: ptr(dec("60"))}}}})
	if got := h.balance(a); got.String() != "85" {
		t.Fatalf("balance %s, want 60 + 25", got)
	}
	l := h.read(a).Contracts[0].Commit("cm").Ledger(h.now.UnixNano())
	if l[0].Type != "PREPAID_COMMIT_SEGMENT_START" || l[0].Amount.String() != "60" || l[1].Type != "PREPAID_COMMIT_MANUAL" || l[1].Amount.String() != "25" {
		t.Fatalf("ledger %+v", l)
	}
	wantErr(t, h.apply(&EditBalance{CustomerID: a, Update: BalanceUpdate{ID: "cm", RemoveSegments: []string{"seg"}}})[0], Invalid, "manual or seat-based")
}

// balanceEdits are the balance edits of a step of the random log (a
// generator of its own): amounts raised and lowered (some below what was
// drawn, or raised once used up: refused), ends moved, segments added from
// now and removed (drawn ones refused), through edit_balance and through
// an edit's update_credits and update_commits, with a rename.
func balanceEdits(rng *rand.Rand, now Nanos, customers int) []Command {
	if rng.Intn(3) != 0 {
		return nil
	}
	c := fmt.Sprintf("c%02d", rng.Intn(customers))
	credit := rng.Intn(3) != 0
	id := DeriveID("k"+c, "credits", fmt.Sprint(rng.Intn(2)))
	if !credit {
		id = DeriveID("k"+c, "commits", "0")
	}
	seg := DeriveID(id, "segment", fmt.Sprint(rng.Intn(3)))
	var u BalanceUpdate
	u.ID = id
	switch rng.Intn(4) {
	case 0:
		u.UpdateSegments = []SegmentUpdate{{ID: seg, Amount: ptr(dec(fmt.Sprint(rng.Intn(120))))}}
	case 1:
		u.UpdateSegments = []SegmentUpdate{{ID: seg, EndingBefore: now + int64(rng.Intn(30)-2)*nanosPerDay}}
	case 2:
		u.AddSegments = []ScheduleItem{{Amount: dec(fmt.Sprint(rng.Intn(90))), StartingAt: now + int64(rng.Intn(3))*nanosPerDay, EndingBefore: now + int64(5+rng.Intn(20))*nanosPerDay}}
	case 3:
		u.RemoveSegments = []string{seg}
	}
	if rng.Intn(2) == 0 {
		return []Command{&EditBalance{CustomerID: c, Credit: credit, Update: u}}
	}
	e := &EditContract{CustomerID: c, ContractID: "k" + c}
	if credit {
		e.UpdateCredits = []BalanceUpdate{u}
	} else {
		e.UpdateCommits = []BalanceUpdate{u}
	}
	if rng.Intn(3) == 0 {
		e.UpdateName = ptr(fmt.Sprintf("%s contract %d", c, rng.Intn(9)))
	}
	return []Command{e}
}

// The random log's balance edits are both applied and refused, through
// both commands, across the seeds the proofs replay.
func TestRandomLogEditsBalances(t *testing.T) {
	seen := map[string]bool{}
	for seed := int64(1); seed <= 6; seed++ {
		e := New(Config{Shards: 2})
		log := randomLog(t, seed)
		for i, results := range e.Apply(log) {
			for j, cmd := range log[i].Commands {
				ed, isEdit := cmd.(*EditContract)
				switch {
				case cmd.Kind() == KindEditBalance:
					seen[fmt.Sprintf("edit_balance refused %t", results[j].Err != nil)] = true
				case isEdit && ed.UsesVersion5():
					seen[fmt.Sprintf("update_commits or update_credits refused %t", results[j].Err != nil)] = true
				}
			}
		}
		e.Close()
	}
	for _, k := range []string{"edit_balance refused true", "edit_balance refused false",
		"update_commits or update_credits refused true", "update_commits or update_credits refused false"} {
		if !seen[k] {
			t.Errorf("the random logs hold no %s", k)
		}
	}
}
