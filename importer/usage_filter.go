package importer

import "fmt"

// usageFilter is a contract's usage_filter as v1 reads show it: the filter
// in force now, the one it was created with, and its scheduled changes.
type usageFilter struct {
	Current *baseUsageFilter  `json:"current"`
	Initial *baseUsageFilter  `json:"initial"`
	Updates []baseUsageFilter `json:"updates"`
}

type baseUsageFilter struct {
	GroupKey    string   `json:"group_key"`
	GroupValues []string `json:"group_values"`
	StartingAt  string   `json:"starting_at"`
}

// addUsageFilter carries the source contract's usage filter: the one in
// force now, for the contract's whole term. A filter the source changed
// during the term, or will change, cannot be expressed by the target (its
// filters hold for the whole term); the summary says which one was kept.
func (r *run) addUsageFilter(body map[string]any, k contract) error {
	raw := k.Current.UsageFilter
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var f usageFilter
	if err := decode(raw, &f); err != nil {
		return fmt.Errorf("usage_filter: %w", err)
	}
	if f.Current == nil || f.Current.GroupKey == "" {
		return nil
	}
	body["usage_filter"] = map[string]any{"group_key": f.Current.GroupKey, "group_values": f.Current.GroupValues}
	changed := len(f.Updates) > 0 || (f.Initial != nil && (f.Initial.GroupKey != f.Current.GroupKey || !sameSet(f.Initial.GroupValues, f.Current.GroupValues)))
	if changed {
		r.rep.note(kindContracts, k.ID, "usage_filter: the source changes it during the term; the filter in force now (%s in %v) is carried for the whole term",
			f.Current.GroupKey, f.Current.GroupValues)
	}
	return nil
}
