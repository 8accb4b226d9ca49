package engine

import (
	"slices"

	"burndown/money"
)

// CommitExtra holds a commit's rarely set fields, behind Commit.Extra.
// It is changed copy on write (EditExtra, SetGate): a commit copied for a
// snapshot or an all-or-nothing edit shares it until one of them assigns
// a field. Items of the invoice schedule are the one thing changed in
// place (an item's invoice, renamed or voided), as they were when the
// schedule sat in the commit: Contract.clone copies the schedule.
type CommitExtra struct {
	Description string        `msgpack:"Description"`
	Priority    *money.Amount `msgpack:"Priority"`
	// ApplicableProductIDs and ApplicableProductTags limit the products
	// the commit applies to (neither: every product).
	ApplicableProductIDs  []string `msgpack:"ApplicableProductIDs"`
	ApplicableProductTags []string `msgpack:"ApplicableProductTags"`
	// ArchivedAt is set when an edit archived the commit or credit (since
	// customer layout 3; 0: active). An archived balance is not drawn.
	ArchivedAt      Nanos             `msgpack:"ArchivedAt"`
	InvoiceSchedule []InvoiceItem     `msgpack:"InvoiceSchedule"`
	CustomFields    map[string]string `msgpack:"CustomFields"`
	// Gate holds the fields since customer layout 8 (payments.go; nil for
	// the commits that went through no gate, nearly all of them).
	Gate *CommitGate `msgpack:"Gate,omitempty"`
}

// empty reports whether x holds nothing, so the commit can drop it.
func (x *CommitExtra) empty() bool {
	return x.Description == "" && x.Priority == nil && x.ApplicableProductIDs == nil && x.ApplicableProductTags == nil && x.ArchivedAt == 0 &&
		x.InvoiceSchedule == nil && x.CustomFields == nil && x.Gate == nil
}

// EditExtra changes the commit's rare fields copy on write: f edits a
// copy, which replaces Extra (nil when f left it empty). A slice f
// appends to is clipped first, so the append never writes into an array
// a copy of the commit still reads.
func (cm *Commit) EditExtra(f func(x *CommitExtra)) {
	var x CommitExtra
	if cm.Extra != nil {
		x = *cm.Extra
		x.ApplicableProductIDs = slices.Clip(x.ApplicableProductIDs)
		x.ApplicableProductTags = slices.Clip(x.ApplicableProductTags)
		x.InvoiceSchedule = slices.Clip(x.InvoiceSchedule)
	}
	f(&x)
	if x.empty() {
		cm.Extra = nil
		return
	}
	cm.Extra = &x
}

// Description is the commit's description ("": none).
func (cm *Commit) Description() string {
	if cm.Extra == nil {
		return ""
	}
	return cm.Extra.Description
}

// Priority is the commit's draw priority (nil: none given).
func (cm *Commit) Priority() *money.Amount {
	if cm.Extra == nil {
		return nil
	}
	return cm.Extra.Priority
}

// ApplicableProductIDs are the products the commit applies to (with its
// tags; neither: every product).
func (cm *Commit) ApplicableProductIDs() []string {
	if cm.Extra == nil {
		return nil
	}
	return cm.Extra.ApplicableProductIDs
}

// ArchivedAt is when an edit archived the commit or credit (0: active).
func (cm *Commit) ArchivedAt() Nanos {
	if cm.Extra == nil {
		return 0
	}
	return cm.Extra.ArchivedAt
}

// archive marks the commit archived at now unless it already is; it
// reports whether it changed anything.
func (cm *Commit) archive(now Nanos) bool {
	if cm.ArchivedAt() != 0 {
		return false
	}
	cm.EditExtra(func(x *CommitExtra) { x.ArchivedAt = now })
	return true
}

// ApplicableProductTags are the product tags the commit applies to.
func (cm *Commit) ApplicableProductTags() []string {
	if cm.Extra == nil {
		return nil
	}
	return cm.Extra.ApplicableProductTags
}

// InvoiceSchedule is what the commit's purchase is billed on, in order.
// Its items may be changed in place (their InvoiceID); the list itself
// is replaced through SetInvoiceSchedule.
func (cm *Commit) InvoiceSchedule() []InvoiceItem {
	if cm.Extra == nil {
		return nil
	}
	return cm.Extra.InvoiceSchedule
}

// SetInvoiceSchedule replaces the commit's invoice schedule.
func (cm *Commit) SetInvoiceSchedule(items []InvoiceItem) {
	cm.EditExtra(func(x *CommitExtra) { x.InvoiceSchedule = items })
}

// CustomFields are the commit's custom fields (nil: none).
func (cm *Commit) CustomFields() map[string]string {
	if cm.Extra == nil {
		return nil
	}
	return cm.Extra.CustomFields
}

// CommitGate is the payment gate a commit went through: its type ("" or
// NONE: none), its status (pending, paid, failed), its workflow and, when
// voided, why.
type CommitGate struct {
	Type       string `msgpack:"Type"`
	Status     string `msgpack:"Status"`
	WorkflowID string `msgpack:"WorkflowID"`
	VoidReason string `msgpack:"VoidReason"`
}

// GateType is the payment gate the commit went through ("": none).
func (cm *Commit) GateType() string { return cm.Gate().Type }

// GateStatus is the commit's payment status (pending, paid, failed; "":
// never gated).
func (cm *Commit) GateStatus() string { return cm.Gate().Status }

// WorkflowID is the payment workflow of a gated commit ("": none).
func (cm *Commit) WorkflowID() string { return cm.Gate().WorkflowID }

// VoidReason is why a failed payment voided the commit ("": not voided).
func (cm *Commit) VoidReason() string { return cm.Gate().VoidReason }

// Gate returns the commit's payment gate (the zero value: never gated).
func (cm *Commit) Gate() CommitGate {
	if cm.Extra == nil || cm.Extra.Gate == nil {
		return CommitGate{}
	}
	return *cm.Extra.Gate
}

// SetGate replaces the commit's payment gate; the zero value stores none.
func (cm *Commit) SetGate(g CommitGate) {
	cm.EditExtra(func(x *CommitExtra) {
		x.Gate = nil
		if g != (CommitGate{}) {
			x.Gate = &g
		}
	})
}

// editGate changes the commit's payment gate.
func (cm *Commit) editGate(f func(g *CommitGate)) {
	g := cm.Gate()
	f(&g)
	cm.SetGate(g)
}

// newCommitExtra holds a new commit's rare fields (nil when all are empty).
func newCommitExtra(description string, priority *money.Amount, ids, tags []string, schedule []InvoiceItem, custom map[string]string) *CommitExtra {
	x := CommitExtra{Description: description, Priority: priority, ApplicableProductIDs: ids, ApplicableProductTags: tags,
		InvoiceSchedule: schedule, CustomFields: custom}
	if x.empty() {
		return nil
	}
	// Allocated only when kept: most commits have no extra, and an empty
	// one thrown away lands in the size class the commits live in, so its
	// slot stays free beside them (BenchmarkMemoryPerCustomer's heap in use).
	kept := new(CommitExtra)
	*kept = x
	return kept
}
