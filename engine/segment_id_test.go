package engine

import (
	"slices"
	"testing"
)

// A new commit's schedule items without ids keep no id bytes: each id is
// derived from the item's place in the request, even once the segments are
// sorted by start, and an id given in the request is kept as given. An edit
// finds a derived segment by that id.
func TestDerivedSegmentIDsAreNotHeld(t *testing.T) {
	h := newHarness(t, "2026-01-10T00:00:00Z")
	_, rc, fixed := payGo(h)
	jan, feb, mar := ns(t, "2026-01-01T00:00:00Z"), ns(t, "2026-02-01T00:00:00Z"), ns(t, "2026-03-01T00:00:00Z")
	cust := h.customer("seg", &CreateContract{RateCardID: rc, StartingAt: jan,
		Commits: []CommitInput{{ID: "cm", Type: CommitPrepaid, ProductID: fixed, AccessSchedule: []ScheduleItem{
			{Amount: dec("20"), StartingAt: feb, EndingBefore: mar},
			{Amount: dec("10"), StartingAt: jan, EndingBefore: feb},
			{ID: "given", Amount: dec("30"), StartingAt: mar, EndingBefore: mar + 1}}}}})
	cm := h.read(cust).Contracts[0].Commit("cm")
	if cm == nil || len(cm.Segments) != 3 {
		t.Fatalf("commit %+v, want three segments", cm)
	}
	want := []string{derivedSegmentID("cm", 1), derivedSegmentID("cm", 0), "given"} // sorted by start
	var got []string
	for i, s := range cm.Segments {
		got = append(got, cm.SegmentID(s))
		if derived := i < 2; derived != (s.IDOrdinal > 0 && s.Extra == nil) {
			t.Errorf("segment %d: ordinal %d extra %+v, want the id held only for the given one", i, s.IDOrdinal, s.Extra)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("segment ids %q, want %q", got, want)
	}
	h.must(&EditBalance{CustomerID: cust, Update: BalanceUpdate{ID: "cm", RemoveSegments: []string{want[0]}}})
	cm = h.read(cust).Contracts[0].Commit("cm")
	if len(cm.Segments) != 2 || cm.SegmentID(cm.Segments[0]) != want[1] {
		t.Fatalf("after removing %s: %d segments, first %s", want[0], len(cm.Segments), cm.SegmentID(cm.Segments[0]))
	}
}

// A decoder's ids come back as they were read: one derived from its
// position or from another small ordinal keeps only the ordinal; any other
// (a given id, an id of another length, a derived id of another commit) is
// held; a nil segment stays nil.
func TestAdoptSegmentIDs(t *testing.T) {
	cm := &Commit{ID: "c", Segments: []*Segment{{}, {}, nil, {}, {}, {}}}
	ids := []string{derivedSegmentID("c", 0), derivedSegmentID("c", 4), "", "short", derivedSegmentID("other", 3), derivedSegmentID("c", 5)}
	cm.AdoptSegmentIDs(ids)
	wantOrdinal := []uint32{1, 5, 0, 0, 0, 6}
	for i, s := range cm.Segments {
		if s == nil {
			if i != 2 {
				t.Fatalf("segment %d became nil", i)
			}
			continue
		}
		if got := cm.SegmentID(s); got != ids[i] {
			t.Errorf("segment %d: id %q, want %q", i, got, ids[i])
		}
		if s.IDOrdinal != wantOrdinal[i] || (s.IDOrdinal > 0) != (s.Extra == nil) {
			t.Errorf("segment %d: ordinal %d extra %+v, want ordinal %d and the id held only without one", i, s.IDOrdinal, s.Extra, wantOrdinal[i])
		}
	}
	// Adopting a derived id drops a held one, and the other way round.
	s := cm.Segments[3]
	s.setDerivedID(2)
	if s.Extra != nil || cm.SegmentID(s) != derivedSegmentID("c", 2) {
		t.Errorf("derived after held: extra %+v id %s", s.Extra, cm.SegmentID(s))
	}
	s.setID("mine")
	if s.IDOrdinal != 0 || cm.SegmentID(s) != "mine" {
		t.Errorf("held after derived: ordinal %d id %s", s.IDOrdinal, cm.SegmentID(s))
	}
}
