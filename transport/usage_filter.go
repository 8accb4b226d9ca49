package transport

import "burndown/engine"

// decodeUsageFilter reads contracts/create's usage_filter (Metronome's
// BaseUsageFilter): the contract rates only the events whose property
// group_key holds one of group_values (engine/multicontract.go). A
// starting_at other than the contract's (a filter that changes during the
// term) is refused by the engine, naming usage_filter.starting_at.
func decodeUsageFilter(o obj) *engine.UsageFilterInput {
	f, ok := o.object("usage_filter", false)
	if !ok {
		return nil
	}
	in := &engine.UsageFilterInput{GroupKey: f.str("group_key", true)}
	values, path := f.list("group_values", true, engine.MaxUsageFilterValues)
	for i, v := range values {
		in.GroupValues = append(in.GroupValues, o.r.str(v, index(path, i), false))
	}
	in.StartingAt = f.time("starting_at", false)
	return in
}

// baseUsageFilterOut is Metronome's BaseUsageFilter.
type baseUsageFilterOut struct {
	GroupKey    string   `json:"group_key"`
	GroupValues []string `json:"group_values"`
	StartingAt  string   `json:"starting_at"`
}

// usageFilterOut is Metronome's ContractWithoutAmendmentsUsageFilter: the
// filter as created and as it is now (the same: filters never change
// here), with no updates.
type usageFilterOut struct {
	Current baseUsageFilterOut   `json:"current"`
	Initial baseUsageFilterOut   `json:"initial"`
	Updates []baseUsageFilterOut `json:"updates"`
}

// usageFilterV2Out is Metronome's ContractV2UsageFilter: one filter and
// the span it is in force (the contract's term).
type usageFilterV2Out struct {
	GroupKey     string   `json:"group_key"`
	GroupValues  []string `json:"group_values"`
	StartingAt   string   `json:"starting_at"`
	EndingBefore *string  `json:"ending_before,omitempty"`
}

// renderUsageFilter renders a contract's usage filter for v1 reads (nil:
// none, the contract rates all usage).
func renderUsageFilter(k *engine.Contract) *usageFilterOut {
	f := k.UsageFilter()
	if f == nil {
		return nil
	}
	base := baseUsageFilterOut{GroupKey: f.GroupKey, GroupValues: f.GroupValues, StartingAt: tsv(k.StartingAt)}
	return &usageFilterOut{Current: base, Initial: base, Updates: []baseUsageFilterOut{}}
}

// usageFilterV2 renders the v1 terms' usage filter as v2's list.
func usageFilterV2(t contractTerms) []usageFilterV2Out {
	if t.UsageFilter == nil {
		return []usageFilterV2Out{}
	}
	f := t.UsageFilter.Current
	return []usageFilterV2Out{{GroupKey: f.GroupKey, GroupValues: f.GroupValues, StartingAt: f.StartingAt, EndingBefore: t.EndingBefore}}
}
