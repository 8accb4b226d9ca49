package engine

// invoice.finalized, Metronome's webhook for a finalized invoice:
// {invoice_id, customer_id, invoice_finalized_date}. Every invoice a
// contract finalizes (statement.go finalizeDue: a tick past its period and
// grace, a backdated create, an end date moved before it) is announced at
// the end of the shard run that finalized it, through the replicated
// outbox like every notification, with an id derived from the log entry:
// exactly once in the log, at least once to each destination.
//
// Whether it is sent must not depend on which build applied an entry:
// replaying an entry of an older release must queue what that release
// queued. So the cluster turns these notifications on only from the entry
// that moves its data format to v0.5.0's (every node runs a build that
// sends them; cluster/dataformat.go), and a snapshot restores that with
// its format. An engine alone (tests, tools) sends them.

// NoteInvoiceFinalized announces a finalized invoice to webhook
// destinations.
const NoteInvoiceFinalized = "invoice.finalized"

// SetInvoiceFinalizedNotes turns invoice.finalized notifications on or
// off (on by default). Call it between applies only, in log order, as the
// cluster's data format moves.
func (e *Engine) SetInvoiceFinalizedNotes(on bool) { e.quietFinalized.Store(!on) }

// invoiceFinalizedProps are the properties of an invoice.finalized
// notification.
type invoiceFinalizedProps struct {
	InvoiceID            string `json:"invoice_id"`
	CustomerID           string `json:"customer_id"`
	InvoiceFinalizedDate string `json:"invoice_finalized_date"`
}

// notifyFinalized queues invoice.finalized for an invoice the run
// finalized, unless the cluster keeps them off.
func (s *shard) notifyFinalized(c *Customer, inv *Invoice) {
	if s.eng.quietFinalized.Load() {
		return
	}
	s.notes = append(s.notes, pendingNote{customerID: c.ID, typ: NoteInvoiceFinalized,
		props: invoiceFinalizedProps{InvoiceID: inv.ID, CustomerID: c.ID, InvoiceFinalizedDate: fmtTime(inv.FinalizedAt)}})
}
