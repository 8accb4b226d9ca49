package transport

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// invoiceOut is Metronome's Invoice.
type invoiceOut struct {
	ID             string        `json:"id"`
	CustomerID     string        `json:"customer_id"`
	ContractID     string        `json:"contract_id"`
	Type           string        `json:"type"`
	Status         string        `json:"status"`
	CreditType     creditTypeRef `json:"credit_type"`
	StartTimestamp string        `json:"start_timestamp"`
	EndTimestamp   string        `json:"end_timestamp"`
	IssuedAt       *string       `json:"issued_at,omitempty"`
	LineItems      []lineItemOut `json:"line_items"`
	Subtotal       num           `json:"subtotal"`
	Total          num           `json:"total"`
	// ExternalInvoice is the invoice sent to Stripe (omitted when none).
	ExternalInvoice *externalInvoiceOut `json:"external_invoice,omitempty"`
}

// externalInvoiceOut is Metronome's ExternalInvoice.
type externalInvoiceOut struct {
	BillingProviderType string  `json:"billing_provider_type"`
	InvoiceID           string  `json:"invoice_id"`
	ExternalStatus      string  `json:"external_status"`
	IssuedAtTimestamp   *string `json:"issued_at_timestamp,omitempty"`
}

// lineItemOut is Metronome's InvoiceLineItem.
type lineItemOut struct {
	Name                  string         `json:"name"`
	Type                  string         `json:"type"`
	CreditType            creditTypeRef  `json:"credit_type"`
	Total                 num            `json:"total"`
	Quantity              *num           `json:"quantity,omitempty"`
	UnitPrice             *num           `json:"unit_price,omitempty"`
	ProductID             string         `json:"product_id,omitempty"`
	ProductType           string         `json:"product_type,omitempty"`
	ProductTags           []string       `json:"product_tags,omitempty"`
	StartingAt            string         `json:"starting_at"`
	EndingBefore          string         `json:"ending_before"`
	CommitID              string         `json:"commit_id,omitempty"`
	CommitType            string         `json:"commit_type,omitempty"`
	AppliedCommitOrCredit *appliedCommit `json:"applied_commit_or_credit,omitempty"`
	ScheduledChargeID     string         `json:"scheduled_charge_id,omitempty"`
	SubscriptionID        string         `json:"subscription_id,omitempty"`
	IsProrated            bool           `json:"is_prorated,omitempty"`
	// PostpaidCommit is set on the line truing up a postpaid commit.
	PostpaidCommit *idRef `json:"postpaid_commit,omitempty"`
}

type appliedCommit struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// productListItem is Metronome's product_type of a line.
var productListItem = map[string]string{
	engine.ProductUsage: "UsageProductListItem", engine.ProductFixed: "FixedProductListItem",
	engine.ProductSubscription: "SubscriptionProductListItem", engine.ProductComposite: "CompositeProductListItem",
}

func renderInvoice(c *engine.Customer, k *engine.Contract, inv *engine.Invoice, cat *engine.Catalog, skipZero bool) invoiceOut {
	out := invoiceOut{
		ID: inv.ID, CustomerID: c.ID, ContractID: k.ID, Type: inv.Type(), Status: inv.Status,
		CreditType: creditTypeOf(cat, inv.CreditTypeID), StartTimestamp: tsv(inv.Start), EndTimestamp: tsv(inv.End),
		LineItems: []lineItemOut{}, Total: amountNum(inv.Total),
	}
	switch {
	case inv.Scheduled():
		// Issued at its charges' timestamp (finalized then).
		out.IssuedAt = ts(inv.Start)
	case inv.Status != engine.InvoiceDraft: // finalized, or finalized then voided
		out.IssuedAt = ts(inv.FinalizedAt)
	}
	if x := inv.External(); x != nil {
		out.ExternalInvoice = &externalInvoiceOut{BillingProviderType: x.Provider, InvoiceID: x.InvoiceID, ExternalStatus: x.Status, IssuedAtTimestamp: ts(x.IssuedAt)}
	}
	subtotal := inv.Total
	for _, l := range inv.Lines {
		if skipZero && l.Type == engine.LineUsage && l.Quantity.IsZero() {
			continue
		}
		li := lineItemOut{
			Type: l.Type, CreditType: creditTypeOf(cat, l.CreditTypeID), Total: amountNum(l.Total),
			StartingAt: tsv(inv.Start), EndingBefore: tsv(inv.End),
		}
		product := func(id string) {
			li.ProductID = id
			if p := cat.Products[id]; p != nil {
				li.Name, li.ProductType, li.ProductTags = p.Name, productListItem[p.Type], p.Tags
			}
		}
		switch l.Type {
		case engine.LineUsage:
			product(l.ProductID)
			q := amountNum(l.Quantity)
			li.Quantity = &q
		case engine.LineScheduled:
			product(l.ProductID)
			q, p := amountNum(l.Quantity), amountNum(l.UnitPrice())
			li.Quantity, li.UnitPrice, li.ScheduledChargeID = &q, &p, l.ChargeID()
			if ch := k.ScheduledCharge(l.ChargeID()); ch != nil && ch.Name != "" {
				li.Name = ch.Name
			}
		case engine.LineAppliedCommit:
			li.CommitID = l.CommitID
			if cm := appliedBalance(c, k, l.CommitID); cm != nil {
				typ := cm.Type
				li.Name = cm.Name
				if li.Name == "" {
					if p := cat.Products[cm.ProductID]; p != nil {
						li.Name = p.Name
					}
				}
				li.AppliedCommitOrCredit = &appliedCommit{ID: cm.ID, Type: typ}
				switch typ {
				case engine.CommitPrepaid:
					li.CommitType = "PrepaidCommit"
				case engine.CommitPostpaid:
					li.CommitType = "PostpaidCommit"
				}
				if typ == engine.CommitPostpaid && !cm.LegacyRules {
					// shown, not subtracted: postpaid usage is billed in arrears
					break
				}
			}
			if l.CreditTypeID == inv.CreditTypeID {
				subtotal = subtotal.Sub(l.Total)
			}
		case engine.LineCommitPurchase:
			product(l.ProductID)
			q, p := amountNum(l.Quantity), amountNum(l.UnitPrice())
			li.Quantity, li.UnitPrice, li.CommitID = &q, &p, l.CommitID
			li.ProductType = "FixedProductListItem"
			if cm := k.Commit(l.CommitID); cm != nil {
				if cm.Name != "" {
					li.Name = cm.Name
				}
				li.CommitType = "PrepaidCommit"
				if cm.Type == engine.CommitPostpaid {
					li.CommitType = "PostpaidCommit"
					li.PostpaidCommit = &idRef{ID: cm.ID}
				}
			}
		case engine.LineSubscription:
			product(l.ProductID)
			q, p := amountNum(l.Quantity), amountNum(l.UnitPrice())
			li.Quantity, li.UnitPrice, li.SubscriptionID = &q, &p, l.ChargeID()
			if sub := k.Subscription(l.ChargeID()); sub != nil {
				if ch := sub.Charge(l.ItemID()); ch != nil {
					li.StartingAt, li.EndingBefore, li.IsProrated = tsv(ch.From), tsv(ch.PeriodEnd), ch.Prorated
				}
			}
		case engine.LineCPUConversion:
			li.Name = "Custom pricing unit conversion"
		}
		out.LineItems = append(out.LineItems, li)
	}
	out.Subtotal = amountNum(subtotal)
	return out
}

// invoiceQuery is the query string of the invoice list.
type invoiceQuery struct {
	status, creditType, contractID string
	startingOn, endingBefore       engine.Nanos
	desc, skipZero                 bool
	// typ is the type asked for ("": any): USAGE or SCHEDULED, or
	// USAGE_CONSOLIDATED, which no invoice here is.
	typ           string
	limit, offset int
}

// invoiceQueryParams are the list's applied query parameters; any other is
// refused with 400 (nothing accepted is silently ignored).
var invoiceQueryParams = map[string]bool{
	"status": true, "starting_on": true, "ending_before": true, "credit_type_id": true, "contract_id": true,
	"limit": true, "next_page": true, "sort": true, "type": true, "skip_zero_qty_line_items": true,
}

func parseInvoiceQuery(q *fasthttp.Args, list bool) (invoiceQuery, error) {
	var iq invoiceQuery
	var err error
	q.VisitAll(func(k, v []byte) {
		if err == nil && (!invoiceQueryParams[string(k)] || (!list && string(k) != "skip_zero_qty_line_items")) {
			err = badRequest("%s: is not supported by this server yet", k)
		}
	})
	if err != nil {
		return iq, err
	}
	boolArg := func(name string) (bool, error) {
		switch v := string(q.Peek(name)); v {
		case "", "false":
			return false, nil
		case "true":
			return true, nil
		default:
			return false, badRequest("%s: must be true or false", name)
		}
	}
	if iq.skipZero, err = boolArg("skip_zero_qty_line_items"); err != nil || !list {
		return iq, err
	}
	if v := strings.ToUpper(string(q.Peek("status"))); v != "" {
		if v != engine.InvoiceDraft && v != engine.InvoiceFinalized && v != engine.InvoiceVoid {
			return iq, badRequest("status: must be DRAFT, FINALIZED or VOID")
		}
		iq.status = v
	}
	if v := strings.ToUpper(string(q.Peek("type"))); v != "" {
		if v != "USAGE" && v != "SCHEDULED" && v != "USAGE_CONSOLIDATED" {
			return iq, badRequest("type: must be USAGE, USAGE_CONSOLIDATED or SCHEDULED")
		}
		iq.typ = v
	}
	for name, dst := range map[string]*engine.Nanos{"starting_on": &iq.startingOn, "ending_before": &iq.endingBefore} {
		if v := q.Peek(name); len(v) > 0 {
			n, msg := parseTime(string(v))
			if msg != "" {
				return iq, badRequest("%s: %s", name, msg)
			}
			*dst = n
		}
	}
	switch v := string(q.Peek("sort")); v {
	case "", "date_asc":
	case "date_desc":
		iq.desc = true
	default:
		return iq, badRequest("sort: must be date_asc or date_desc")
	}
	iq.creditType, iq.contractID = string(q.Peek("credit_type_id")), string(q.Peek("contract_id"))
	iq.limit, iq.offset, err = pageArgs(q, 25)
	return iq, err
}

// customerRoute resolves the customer id of a /v1/customers/{id}/... path;
// Metronome's paths take the customer id, not an alias.
func (s *Server) customerRoute(id string) error {
	if h := s.node.Engine().LookupCustomer(id); h == nil || h.ID != id {
		return notFound("customer_id: customer %s not found", id)
	}
	return nil
}

// listInvoices serves GET /v1/customers/{customer_id}/invoices.
func (s *Server) listInvoices(ctx *fasthttp.RequestCtx, customerID string) error {
	if err := s.customerRoute(customerID); err != nil {
		return err
	}
	q, err := parseInvoiceQuery(ctx.QueryArgs(), true)
	if err != nil {
		return err
	}
	rd, found, err := s.readCustomerByID(customerID)
	if err != nil {
		return err
	}
	if !found {
		return notFound("customer_id: customer %s not found", customerID)
	}
	var all []invoiceOut
	for _, k := range rd.Customer.Contracts {
		if q.contractID != "" && k.ID != q.contractID {
			continue
		}
		for _, inv := range contractInvoices(k, rd.Catalog) {
			switch {
			case q.typ != "" && inv.Type() != q.typ,
				q.status != "" && inv.Status != q.status,
				q.creditType != "" && inv.CreditTypeID != q.creditType,
				q.startingOn != 0 && inv.Start < q.startingOn,
				q.endingBefore != 0 && inv.End > q.endingBefore:
				continue
			}
			all = append(all, renderInvoice(rd.Customer, k, inv, rd.Catalog, q.skipZero))
		}
	}
	// By period start (drafts have no issue date yet).
	sort.SliceStable(all, func(i, j int) bool {
		a, _ := parseTime(all[i].StartTimestamp)
		b, _ := parseTime(all[j].StartTimestamp)
		if q.desc {
			return a > b
		}
		return a < b
	})
	var next *string
	if q.offset >= len(all) {
		all = nil
	} else {
		all = all[q.offset:]
	}
	if len(all) > q.limit {
		all = all[:q.limit]
		n := strconv.Itoa(q.offset + q.limit)
		next = &n
	}
	return writeJSON(ctx, listEnvelope{Data: orEmpty(all), NextPage: next})
}

// getInvoice serves GET /v1/customers/{customer_id}/invoices/{invoice_id}.
func (s *Server) getInvoice(ctx *fasthttp.RequestCtx, param string) error {
	customerID, invoiceID, _ := strings.Cut(param, "/")
	if err := s.customerRoute(customerID); err != nil {
		return err
	}
	q, err := parseInvoiceQuery(ctx.QueryArgs(), false)
	if err != nil {
		return err
	}
	rd, found, err := s.readCustomerByID(customerID)
	if err != nil {
		return err
	}
	if !found {
		return notFound("customer_id: customer %s not found", customerID)
	}
	for _, k := range rd.Customer.Contracts {
		for _, inv := range contractInvoices(k, rd.Catalog) {
			if inv.ID == invoiceID {
				out := renderInvoice(rd.Customer, k, inv, rd.Catalog, q.skipZero)
				return writeData(ctx, &out)
			}
		}
	}
	return notFound("invoice_id: invoice %s not found", invoiceID)
}

// rejectsOut is the native reject report of a customer.
type rejectsOut struct {
	CustomerID string           `json:"customer_id"`
	Rejects    map[string]int64 `json:"rejects"`
	Total      int64            `json:"total"`
}

// customerRejects serves GET /v1/customers/{customer_id}/rejects (native):
// the customer's events kept as counted rejects, by reason.
func (s *Server) customerRejects(ctx *fasthttp.RequestCtx, customerID string) error {
	if err := s.customerRoute(customerID); err != nil {
		return err
	}
	rd, found, err := s.readCustomerByID(customerID)
	if err != nil {
		return err
	}
	if !found {
		return notFound("customer_id: customer %s not found", customerID)
	}
	out := rejectsOut{CustomerID: customerID, Rejects: map[string]int64{}}
	for _, r := range engine.RejectReasons {
		if r != engine.RejectUnknownCustomer {
			out.Rejects[string(r)] = rd.Customer.Rejects()[r]
			out.Total += rd.Customer.Rejects()[r]
		}
	}
	return writeData(ctx, out)
}

// contractInvoices are a contract's statements and SCHEDULED invoices,
// then the purchase invoices of its payment-gated commits.
func contractInvoices(k *engine.Contract, cat *engine.Catalog) []*engine.Invoice {
	var fiat string
	if rc := cat.RateCards[k.RateCardID]; rc != nil {
		fiat = rc.FiatCreditTypeID
	}
	purchases := k.PurchaseInvoices(fiat)
	if len(purchases) == 0 {
		return k.Invoices
	}
	return append(slices.Clip(k.Invoices), purchases...)
}

// appliedBalance is the commit or credit an applied line drew on: the
// contract's, or a customer-level one (customer_balances.go).
func appliedBalance(c *engine.Customer, k *engine.Contract, id string) *engine.Commit {
	if cm := k.Commit(id); cm != nil {
		return cm
	}
	if c == nil {
		return nil
	}
	if b := c.CustomerBalanceByID(id); b != nil {
		return b.Commit
	}
	return nil
}
