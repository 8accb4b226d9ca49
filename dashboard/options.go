package dashboard

import (
	"fmt"
	"strings"
)

// InvoiceOptions are the dashboard_options Metronome defines for the
// invoices dashboard, each with the values it takes ("" : any non-empty
// value, checked by the caller: contract_id).
var InvoiceOptions = map[string][]string{
	"show_zero_usage_line_items": {"true", "false"},
	"hide_voided_invoices":       {"true", "false"},
	"contract_id":                nil,
	"invoice_type":               {"USAGE", "SCHEDULED"},
	"invoice_status_filter":      {"VOID", "FINALIZED", "DRAFT", "FINALIZED_AND_DRAFT", "ALL"},
	"billable_status_filter":     {"BILLABLE", "UNBILLABLE", "ALL"},
}

// CheckOption returns "" when key=value is an option of dashboard, else
// what is wrong, and whether the fault is the key (else the value).
func CheckOption(dashboard, key, value string) (problem string, badKey bool) {
	allowed, known := InvoiceOptions[key]
	switch {
	case !known:
		return fmt.Sprintf("%q is not a dashboard option (the invoices dashboard's are contract_id, billable_status_filter, hide_voided_invoices, invoice_status_filter, invoice_type, show_zero_usage_line_items)", key), true
	case dashboard != Invoices:
		return fmt.Sprintf("%q is an option of the invoices dashboard, not of %s", key, dashboard), true
	case value == "":
		return "must not be empty", false
	case allowed == nil:
		return "", false
	}
	for _, a := range allowed {
		if value == a {
			return "", false
		}
	}
	return "must be one of " + strings.Join(allowed, ", "), false
}

// InvoiceFilter is the invoices dashboard's options applied to one
// invoice: which to show, and whether to show zero-quantity usage lines.
type InvoiceFilter struct {
	ContractID    string
	HideVoid      bool
	ShowZeroLines bool
	// Statuses shown (DRAFT, FINALIZED, VOID); none: every status.
	Statuses map[string]bool
	// Type is the invoice type shown (USAGE or SCHEDULED; "": both).
	Type string
	// NoBillable: only UNBILLABLE invoices, and every one is billable.
	NoBillable bool
}

// Filter reads a spec's options. Metronome's default hides
// zero-quantity usage lines and shows voided invoices.
func (s Spec) Filter() InvoiceFilter {
	o := s.Options
	f := InvoiceFilter{ContractID: o["contract_id"], HideVoid: o["hide_voided_invoices"] == "true",
		ShowZeroLines: o["show_zero_usage_line_items"] == "true", Type: o["invoice_type"],
		NoBillable: o["billable_status_filter"] == "UNBILLABLE"}
	switch o["invoice_status_filter"] {
	case "VOID", "FINALIZED", "DRAFT":
		f.Statuses = map[string]bool{o["invoice_status_filter"]: true}
	case "FINALIZED_AND_DRAFT":
		f.Statuses = map[string]bool{"FINALIZED": true, "DRAFT": true}
	}
	return f
}

// Shows reports whether an invoice of contract with status and type
// (USAGE or SCHEDULED) is listed.
func (f InvoiceFilter) Shows(contract, status, typ string) bool {
	switch {
	case f.NoBillable, f.Type != "" && typ != f.Type:
		return false
	case f.ContractID != "" && contract != f.ContractID:
		return false
	case f.HideVoid && status == "VOID":
		return false
	case f.Statuses != nil && !f.Statuses[status]:
		return false
	}
	return true
}
