package engine

import "testing"

// Contracts with the same enumerated terms share one ContractTerms; all ""
// is nil, and a value outside the enumerations still reads back.
func TestContractTermsShared(t *testing.T) {
	a := ContractTermsOf(PrioritizationExplicit, FrequencyQuarterly, DayContractStart)
	b := ContractTermsOf(PrioritizationExplicit, FrequencyQuarterly, DayContractStart)
	if a == nil || a != b {
		t.Fatalf("equal terms not shared: %p %p", a, b)
	}
	if ContractTermsOf("", "", "") != nil {
		t.Fatal("empty terms are not nil")
	}
	k := &Contract{Terms: ContractTermsOf("", "WEEKLY", "")}
	if k.StatementFrequency() != "WEEKLY" || k.StatementDay() != "" || k.MultiplierPrioritization() != "" {
		t.Fatalf("terms read back %+v", k.Terms)
	}
	if (&Contract{}).StatementFrequency() != "" {
		t.Fatal("nil terms read non-empty")
	}
}

// A segment's extra fields change copy on write: a copied segment (as a
// contract clone makes) keeps what it had, and emptied extras are nil.
func TestSegmentExtraCopyOnWrite(t *testing.T) {
	s := &Segment{}
	s.EditExtra(func(x *SegmentExtra) { x.SeatAdjustments = append(x.SeatAdjustments, SeatAdjustment{At: 1}) })
	c := *s
	c.EditExtra(func(x *SegmentExtra) {
		x.SeatAdjustments = append(x.SeatAdjustments, SeatAdjustment{At: 2})
		x.TrueUpInvoiceID = "inv"
	})
	if len(s.SeatAdjustments()) != 1 || s.TrueUpInvoiceID() != "" {
		t.Fatalf("the original changed with its copy: %+v", s.Extra)
	}
	if len(c.SeatAdjustments()) != 2 || c.TrueUpInvoiceID() != "inv" {
		t.Fatalf("the copy lost its change: %+v", c.Extra)
	}
	e := &Segment{}
	e.EditExtra(func(x *SegmentExtra) { x.TrueUpInvoiceID = "inv" })
	e.EditExtra(func(x *SegmentExtra) { x.TrueUpInvoiceID = "" })
	if e.Extra != nil {
		t.Fatalf("emptied extra kept: %+v", e.Extra)
	}
}

// The shard's applicable-count cache answers for one catalog version only.
func TestCommitCountsPerCatalog(t *testing.T) {
	var counts commitCounts
	cm := &Commit{}
	a, b := NewCatalog(), NewCatalog()
	if _, ok := counts.get(cm, a); ok {
		t.Fatal("empty cache answered")
	}
	counts.put(cm, 3)
	if n, ok := counts.get(cm, a); !ok || n != 3 {
		t.Fatalf("cached count = %d, %v", n, ok)
	}
	if _, ok := counts.get(cm, b); ok {
		t.Fatal("a count from another catalog version answered")
	}
}
