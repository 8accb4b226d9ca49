package importer

import (
	"fmt"
	"io"
	"sort"
)

// Counts are what happened to the objects of one kind.
type Counts struct {
	// Source is how many the source holds (of those the import reads).
	Source int `json:"source"`
	// Created were made in the target by this run (or would be, in a dry run).
	Created int `json:"created"`
	// Existing were found already imported and left alone.
	Existing int `json:"existing"`
	// Updated were found and brought in line (aliases, billing providers,
	// balances).
	Updated int `json:"updated"`
}

// Note is one thing the import could not carry exactly, and why.
type Note struct {
	Kind     string `json:"kind"`
	SourceID string `json:"source_id"`
	What     string `json:"what"`
}

// BalanceDifference is a commit or credit whose remaining balance in the
// target differs from the source's after the import: the target cannot
// take a manual ledger entry (addManualBalanceLedgerEntry answered 404), so
// the commit was carried with its full schedule.
type BalanceDifference struct {
	SourceCustomerID string `json:"source_customer_id"`
	SourceContractID string `json:"source_contract_id"`
	SourceID         string `json:"source_id"`
	Name             string `json:"name"`
	SourceBalance    string `json:"source_balance"`
	TargetBalance    string `json:"target_balance"`
}

// Report is the outcome of a run: counts per kind in the order the kinds
// were imported, notes on what was not carried, and balance differences.
type Report struct {
	Kinds       []string            `json:"kinds"`
	Counts      map[string]*Counts  `json:"counts"`
	Notes       []Note              `json:"notes"`
	Differences []BalanceDifference `json:"balance_differences"`
}

func newReport() *Report {
	return &Report{Counts: map[string]*Counts{}, Notes: []Note{}, Differences: []BalanceDifference{}}
}

// kind returns the counts of kind, adding it to the order on first use.
func (r *Report) kind(kind string) *Counts {
	c := r.Counts[kind]
	if c == nil {
		c = &Counts{}
		r.Counts[kind] = c
		r.Kinds = append(r.Kinds, kind)
	}
	return c
}

// note records something not carried.
func (r *Report) note(kind, sourceID, format string, args ...any) {
	r.Notes = append(r.Notes, Note{Kind: kind, SourceID: sourceID, What: fmt.Sprintf(format, args...)})
}

// progress prints one kind's counts.
func (r *Report) progress(w io.Writer, kind string) {
	c := r.kind(kind)
	fmt.Fprintf(w, "%-20s %4d in the source: %d created, %d already imported, %d updated\n", kind, c.Source, c.Created, c.Existing, c.Updated)
}

// WriteSummary prints what could not be carried and the balance
// differences, so nothing is left out silently.
func (r *Report) WriteSummary(w io.Writer) {
	if len(r.Notes) == 0 && len(r.Differences) == 0 {
		fmt.Fprintln(w, "summary: everything read from the source was carried")
		return
	}
	notes := append([]Note(nil), r.Notes...)
	sort.SliceStable(notes, func(i, j int) bool { return notes[i].Kind < notes[j].Kind })
	fmt.Fprintf(w, "summary: %d things not carried exactly\n", len(notes)+len(r.Differences))
	for _, n := range notes {
		if n.SourceID == "" {
			fmt.Fprintf(w, "  %s: %s\n", n.Kind, n.What)
		} else {
			fmt.Fprintf(w, "  %s %s: %s\n", n.Kind, n.SourceID, n.What)
		}
	}
	for _, d := range r.Differences {
		fmt.Fprintf(w, "  balance %s (%q, contract %s, customer %s): remaining %s in the source, %s in the target (the target has no addManualBalanceLedgerEntry: the full schedule was carried)\n",
			d.SourceID, d.Name, d.SourceContractID, d.SourceCustomerID, d.SourceBalance, d.TargetBalance)
	}
}
