package transport

import (
	"github.com/valyala/fasthttp"

	"burndown/engine"
	"burndown/money"
)

type scheduleItemOut struct {
	ID           string `json:"id"`
	Amount       num    `json:"amount"`
	StartingAt   string `json:"starting_at"`
	EndingBefore string `json:"ending_before"`
}

type accessScheduleOut struct {
	CreditType    creditTypeRef     `json:"credit_type"`
	ScheduleItems []scheduleItemOut `json:"schedule_items"`
}

type invoiceItemOut struct {
	ID        string  `json:"id"`
	Amount    num     `json:"amount"`
	UnitPrice num     `json:"unit_price"`
	Quantity  num     `json:"quantity"`
	Timestamp string  `json:"timestamp"`
	InvoiceID *string `json:"invoice_id"`
}

type invoiceScheduleOut struct {
	CreditType    creditTypeRef    `json:"credit_type"`
	ScheduleItems []invoiceItemOut `json:"schedule_items"`
	DoNotInvoice  bool             `json:"do_not_invoice"`
}

type ledgerOut struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Amount    num    `json:"amount"`
	SegmentID string `json:"segment_id,omitempty"`
	InvoiceID string `json:"invoice_id,omitempty"`
	// Reason is a manual entry's (PREPAID_COMMIT_MANUAL, CREDIT_MANUAL, ...).
	Reason string `json:"reason,omitempty"`
}

// commitOut is Metronome's Commit (type PREPAID / POSTPAID) or Credit (type CREDIT).
type commitOut struct {
	ID                    string              `json:"id"`
	Type                  string              `json:"type"`
	Name                  string              `json:"name,omitempty"`
	Description           string              `json:"description,omitempty"`
	Priority              *num                `json:"priority,omitempty"`
	Product               idRef               `json:"product"`
	Contract              *idRef              `json:"contract,omitempty"`
	AccessSchedule        accessScheduleOut   `json:"access_schedule"`
	InvoiceSchedule       *invoiceScheduleOut `json:"invoice_schedule,omitempty"`
	ApplicableProductIDs  []string            `json:"applicable_product_ids,omitempty"`
	ApplicableProductTags []string            `json:"applicable_product_tags,omitempty"`
	CustomFields          map[string]string   `json:"custom_fields"`
	CreatedAt             string              `json:"created_at"`
	Balance               *num                `json:"balance,omitempty"`
	Ledger                []ledgerOut         `json:"ledger,omitempty"`
	// PaymentGateStatus is pending, paid or failed for a payment-gated
	// commit (payments.go); a pending or voided one has balance 0.
	PaymentGateStatus string `json:"payment_gate_status,omitempty"`
	VoidReason        string `json:"void_reason,omitempty"`
	// ApplicableContractIDs, UniquenessKey and InvoiceContract are a
	// customer-level balance's (customer_balances.go).
	ApplicableContractIDs []string `json:"applicable_contract_ids,omitempty"`
	UniquenessKey         string   `json:"uniqueness_key,omitempty"`
	InvoiceContract       *idRef   `json:"invoice_contract,omitempty"`
}

func renderCommit(cm *engine.Commit, k *engine.Contract, cat *engine.Catalog, now engine.Nanos, opts readOpts) commitOut {
	out := commitOut{
		ID: cm.ID, Type: cm.Type, Name: cm.Name, Description: cm.Description(), Priority: amountNumPtr(cm.Priority()),
		Product:               *productRef(cat, cm.ProductID),
		AccessSchedule:        accessScheduleOut{CreditType: creditTypeOf(cat, cm.CreditTypeID), ScheduleItems: []scheduleItemOut{}},
		ApplicableProductIDs:  append([]string(nil), cm.ApplicableProductIDs()...),
		ApplicableProductTags: append([]string(nil), cm.ApplicableProductTags()...),
		CustomFields:          map[string]string{},
		CreatedAt:             tsv(cm.CreatedAt),
	}
	if k != nil { // nil: a customer-level balance
		out.Contract = &idRef{ID: k.ID}
	}
	for key, v := range cm.CustomFields() {
		out.CustomFields[key] = v
	}
	for _, sg := range cm.Segments {
		out.AccessSchedule.ScheduleItems = append(out.AccessSchedule.ScheduleItems, scheduleItemOut{
			ID: cm.SegmentID(sg), Amount: amountNum(sg.Amount), StartingAt: tsv(sg.StartingAt), EndingBefore: tsv(sg.EndingBefore),
		})
	}
	if len(cm.InvoiceSchedule()) > 0 {
		is := &invoiceScheduleOut{CreditType: creditTypeOf(cat, cm.CreditTypeID), DoNotInvoice: cm.DoNotInvoice}
		for _, it := range cm.InvoiceSchedule() {
			item := invoiceItemOut{ID: it.ID, Amount: num(it.Amount), UnitPrice: num(it.Amount), Quantity: num(money.FromInt(1)), Timestamp: tsv(it.Timestamp)}
			if !it.Quantity.IsZero() {
				item.UnitPrice, item.Quantity = num(it.UnitPrice), num(it.Quantity)
			}
			if it.InvoiceID != "" {
				id := it.InvoiceID
				item.InvoiceID = &id
			}
			is.ScheduleItems = append(is.ScheduleItems, item)
		}
		out.InvoiceSchedule = is
	}
	out.PaymentGateStatus = cm.GateStatus()
	out.VoidReason = cm.VoidReason()
	if opts.balance {
		b := amountNum(cm.BalanceAt(now))
		if cm.InGate() {
			b = amountNum(money.Amount{})
		}
		out.Balance = &b
	}
	if opts.ledgers && cm.InGate() {
		out.Ledger = []ledgerOut{}
	} else if opts.ledgers {
		out.Ledger = []ledgerOut{}
		for _, e := range cm.Ledger(now) {
			out.Ledger = append(out.Ledger, ledgerOut{Type: e.Type, Timestamp: tsv(e.Timestamp), Amount: amountNum(e.Amount), SegmentID: e.SegmentID, InvoiceID: e.InvoiceID, Reason: e.Reason})
		}
	}
	return out
}

// overlaps reports whether any segment of cm intersects [from, before)
// (0 bounds are open).
func overlaps(cm *engine.Commit, from, before engine.Nanos) bool {
	for _, sg := range cm.Segments {
		if (before == 0 || sg.StartingAt < before) && (from == 0 || sg.EndingBefore > from) {
			return true
		}
	}
	return false
}

// listBalances serves POST /v1/contracts/customerBalances/list: the
// customer-level commits and credits (without contract), and as in
// Metronome the contract-level ones only with include_contract_balances:
// true.
func (s *Server) listBalances(ctx *fasthttp.RequestCtx, _ string) error {
	return s.listBalancesOf(ctx, balanceList{idKey: "id", includeContractKey: "include_contract_balances", commits: true, credits: true, excludeZero: true})
}
