package engine

import (
	"math"
	"strconv"

	"burndown/money"
)

// A segment's id. The schedule items of a new commit or balance get ids
// derived from the commit's id and the item's place in the request
// (derivedSegmentID). Such a segment keeps only that ordinal, and its id is
// derived again when read: 52 bytes less per segment than holding the id
// (BenchmarkMemoryPerCustomer). The other segments (an id given in the
// request, a segment added by an edit, a recurring grant) hold theirs in
// SegmentExtra.ID. Persisted forms write the id itself, so the choice is
// never stored: a decoder hands the ids back through AdoptSegmentIDs.

// searchedSegmentOrdinals bounds the ordinals AdoptSegmentIDs tries for a
// decoded id beyond the segment's own position: decoding a commit costs at
// most one hash per segment (its position) plus that many, each computed
// once. A derived id not found that way is held like any other, which
// changes nothing but its size.
const searchedSegmentOrdinals = 16

// derivedSegmentID is the id of the ordinal-th schedule item of a new commit.
func derivedSegmentID(commitID string, ordinal int) string {
	return DeriveID(commitID, "segment", strconv.Itoa(ordinal))
}

// AppendSegmentID appends the id of s, one of cm's segments, to dst: what
// SegmentID returns, without allocating for a derived id.
func (cm *Commit) AppendSegmentID(dst []byte, s *Segment) []byte {
	if s.IDOrdinal > 0 {
		return appendDerivedID(dst, cm.ID, "segment", strconv.Itoa(int(s.IDOrdinal-1)))
	}
	return append(dst, cm.SegmentID(s)...)
}

// SegmentID is the id of s, one of cm's segments.
func (cm *Commit) SegmentID(s *Segment) string {
	if s.IDOrdinal > 0 {
		return derivedSegmentID(cm.ID, int(s.IDOrdinal-1))
	}
	if s.Extra == nil {
		return ""
	}
	return s.Extra.ID
}

// setDerivedID makes s's id the one derived from ordinal within its commit.
func (s *Segment) setDerivedID(ordinal int) {
	if ordinal < 0 || ordinal >= math.MaxUint32 {
		panic("engine: segment ordinal out of range") // bounded at the edge: MaxSegments
	}
	if s.Extra != nil && s.Extra.ID != "" {
		s.EditExtra(func(x *SegmentExtra) { x.ID = "" })
	}
	s.IDOrdinal = uint32(ordinal) + 1
}

// setID gives s an id of its own.
func (s *Segment) setID(id string) {
	s.IDOrdinal = 0
	if s.Extra == nil && id == "" {
		return
	}
	s.EditExtra(func(x *SegmentExtra) { x.ID = id })
}

// newSegment is a schedule item of a new commit: its id is given, or else
// derived from its ordinal.
func newSegment(given string, ordinal int, amount money.Amount, start, end Nanos) *Segment {
	s := &Segment{Amount: amount, StartingAt: start, EndingBefore: end}
	if given != "" {
		s.setID(given)
	} else {
		s.setDerivedID(ordinal)
	}
	return s
}

// AdoptSegmentIDs gives cm's segments, in order, the ids a decoder read for
// them (len(ids) == len(cm.Segments); cm.ID already set). An id derived
// from its segment's position, or from an ordinal below
// searchedSegmentOrdinals, is kept as that ordinal; any other is held.
func (cm *Commit) AdoptSegmentIDs(ids []string) {
	var derived [searchedSegmentOrdinals][derivedIDLen]byte
	var have [searchedSegmentOrdinals]bool
	isDerived := func(id string, k int) bool {
		if k >= searchedSegmentOrdinals {
			var b [derivedIDLen]byte
			return string(appendDerivedID(b[:0], cm.ID, "segment", strconv.Itoa(k))) == id
		}
		if !have[k] {
			appendDerivedID(derived[k][:0], cm.ID, "segment", strconv.Itoa(k))
			have[k] = true
		}
		return string(derived[k][:]) == id
	}
	for i, s := range cm.Segments {
		if s == nil {
			continue
		}
		id := ids[i]
		if len(id) != derivedIDLen {
			s.setID(id)
			continue
		}
		if isDerived(id, i) {
			s.setDerivedID(i)
			continue
		}
		s.setID(id)
		for k := range min(len(cm.Segments), searchedSegmentOrdinals) {
			if k != i && isDerived(id, k) {
				s.setDerivedID(k)
				break
			}
		}
	}
}

// segmentIDs reads each segment's id of one commit at most once per
// command: an edit looks segments up by id up to MaxSegmentEdits times,
// and a derived id costs a hash to read.
type segmentIDs map[*Segment]string

// of is s's id within cm.
func (m segmentIDs) of(cm *Commit, s *Segment) string {
	if s.IDOrdinal == 0 {
		return cm.SegmentID(s)
	}
	id, ok := m[s]
	if !ok {
		id = cm.SegmentID(s)
		m[s] = id
	}
	return id
}
