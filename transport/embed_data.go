package transport

import (
	"strings"

	"github.com/valyala/fasthttp"

	"burndown/dashboard"
	"burndown/engine"
	"burndown/money"
)

// embedBase is what every dashboard's data holds: which dashboard, whose,
// the engine's time and the colors the link sets.
type embedBase struct {
	Dashboard string            `json:"dashboard"`
	Customer  idRef             `json:"customer"`
	Now       string            `json:"now"`
	Colors    map[string]string `json:"colors,omitempty"`
}

type commitsData struct {
	embedBase
	Commits []embedCommit `json:"commits"`
	Totals  []embedTotal  `json:"totals"`
	Alerts  []embedAlert  `json:"alerts"`
}

type usageData struct {
	embedBase
	Period   *embedPeriod   `json:"period"`
	Products []embedProduct `json:"products"`
}

type invoicesData struct {
	embedBase
	Invoices []embedInvoice `json:"invoices"`
}

// embedDataOf answers /embed/<token>/data: the one customer the link names,
// read from this node's state.
func (s *Server) embedDataOf(ctx *fasthttp.RequestCtx, spec dashboard.Spec) error {
	rd, found, err := s.readCustomerByID(spec.Customer)
	switch {
	case err != nil:
		return err
	case !found:
		return notFound("customer_id: customer %s not found", spec.Customer)
	}
	base := embedBase{Dashboard: spec.Dashboard, Customer: idRef{ID: rd.Customer.ID, Name: rd.Customer.Name}, Now: tsv(rd.Now), Colors: spec.Colors}
	switch spec.Dashboard {
	case dashboard.CommitsAndCredit:
		commits, totals := embedCommits(rd)
		return writeData(ctx, commitsData{embedBase: base, Commits: orEmpty(commits), Totals: totals, Alerts: orEmpty(embedAlerts(rd))})
	case dashboard.Usage:
		period, products := embedUsage(rd, groupNamer(spec.GroupKeys))
		return writeData(ctx, usageData{embedBase: base, Period: period, Products: orEmpty(products)})
	}
	return writeData(ctx, invoicesData{embedBase: base, Invoices: orEmpty(embedInvoices(rd, spec.Filter(), groupNamer(spec.GroupKeys)))})
}

// embedCommit is one commit or credit: what remains of it and when it ends.
type embedCommit struct {
	ID                string        `json:"id"`
	Kind              string        `json:"kind"`
	Type              string        `json:"type"`
	Name              string        `json:"name,omitempty"`
	ProductName       string        `json:"product_name,omitempty"`
	CreditType        creditTypeRef `json:"credit_type"`
	Balance           num           `json:"balance"`
	Granted           num           `json:"granted"`
	StartingAt        string        `json:"starting_at"`
	EndingBefore      string        `json:"ending_before"`
	Expired           bool          `json:"expired"`
	PaymentGateStatus string        `json:"payment_gate_status,omitempty"`
}

type embedTotal struct {
	CreditType creditTypeRef `json:"credit_type"`
	Balance    num           `json:"balance"`
}

var commitKinds = map[string]string{engine.CommitPrepaid: "Prepaid commit", engine.CommitPostpaid: "Postpaid commit", engine.CommitCredit: "Credit"}

// embedCommits lists every commit and credit of the customer's contracts,
// and the balance still usable per credit type (expired ones excluded).
func embedCommits(rd engine.CustomerRead) ([]embedCommit, []embedTotal) {
	var out []embedCommit
	totals := map[string]money.Amount{}
	var order []string
	for _, k := range rd.Customer.Contracts {
		for _, cm := range k.ListedCommits() {
			ec := embedCommit{ID: cm.ID, Kind: commitKinds[cm.Type], Type: cm.Type, Name: cm.Name,
				CreditType: creditTypeOf(rd.Catalog, cm.CreditTypeID), PaymentGateStatus: cm.GateStatus()}
			if p := rd.Catalog.Products[cm.ProductID]; p != nil {
				ec.ProductName = p.Name
			}
			var granted money.Amount
			var start, end engine.Nanos
			for i, sg := range cm.Segments {
				granted = granted.Add(sg.Amount)
				if i == 0 || sg.StartingAt < start {
					start = sg.StartingAt
				}
				end = max(end, sg.EndingBefore)
			}
			bal := cm.BalanceAt(rd.Now)
			if cm.InGate() {
				bal = money.Amount{}
			}
			ec.Balance, ec.Granted, ec.StartingAt, ec.EndingBefore = num(bal), num(granted), tsv(start), tsv(end)
			ec.Expired = end != 0 && rd.Now >= end
			if !ec.Expired && cm.Type != engine.CommitPostpaid {
				if _, seen := totals[cm.CreditTypeID]; !seen {
					order = append(order, cm.CreditTypeID)
				}
				totals[cm.CreditTypeID] = totals[cm.CreditTypeID].Add(bal)
			}
			out = append(out, ec)
		}
	}
	tot := make([]embedTotal, 0, len(order))
	for _, ct := range order {
		tot = append(tot, embedTotal{CreditType: creditTypeOf(rd.Catalog, ct), Balance: num(totals[ct])})
	}
	return out, tot
}

// embedAlert is one alert as a limit: hard (block_on_alarm: usage is
// refused while in alarm) or soft (a notification only).
type embedAlert struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Threshold  num            `json:"threshold"`
	CreditType *creditTypeRef `json:"credit_type,omitempty"`
	Hard       bool           `json:"hard"`
	InAlarm    bool           `json:"in_alarm"`
	Status     string         `json:"status"`
}

func embedAlerts(rd engine.CustomerRead) []embedAlert {
	var out []embedAlert
	for _, a := range rd.Customer.Alerts {
		if !a.Active() {
			continue
		}
		ea := embedAlert{ID: a.ID, Name: a.Name, Type: a.Type, Threshold: num(a.Threshold), Hard: a.BlockOnAlarm,
			InAlarm: a.Status == engine.AlertInAlarm, Status: a.Status.String()}
		if engine.ThresholdIsAmount(a.Type) { // the dashboard shows it as money
			ct := creditTypeOf(rd.Catalog, a.CreditTypeID)
			ea.CreditType = &ct
		}
		out = append(out, ea)
	}
	return out
}

type embedPeriod struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// embedProduct is one product's usage over the period, split by group.
type embedProduct struct {
	ID         string        `json:"id"`
	Name       string        `json:"name"`
	CreditType creditTypeRef `json:"credit_type"`
	Quantity   num           `json:"quantity"`
	Total      num           `json:"total"`
	Groups     []embedGroup  `json:"groups,omitempty"`
}

type embedGroup struct {
	Label    string `json:"label"`
	Quantity num    `json:"quantity"`
	Total    num    `json:"total"`
}

// embedUsage sums the usage lines of the draft invoices whose period holds
// the engine's now (the current billing period) by product and group.
func embedUsage(rd engine.CustomerRead, name func(*engine.Product, []string) string) (*embedPeriod, []embedProduct) {
	var period *embedPeriod
	var out []embedProduct
	at := map[string]int{}
	for _, k := range rd.Customer.Contracts {
		for _, inv := range k.Invoices {
			if inv.Status != engine.InvoiceDraft || rd.Now < inv.Start || rd.Now >= inv.End {
				continue
			}
			if period == nil {
				period = &embedPeriod{Start: tsv(inv.Start), End: tsv(inv.End)}
			}
			for _, l := range inv.Lines {
				if l.Type != engine.LineUsage || l.Quantity.IsZero() {
					continue
				}
				p := rd.Catalog.Products[l.ProductID]
				i, ok := at[l.ProductID+"\x00"+l.CreditTypeID]
				if !ok {
					i = len(out)
					at[l.ProductID+"\x00"+l.CreditTypeID] = i
					ep := embedProduct{ID: l.ProductID, Name: l.ProductID, CreditType: creditTypeOf(rd.Catalog, l.CreditTypeID)}
					if p != nil {
						ep.Name = p.Name
					}
					out = append(out, ep)
				}
				ep := &out[i]
				ep.Quantity = num(money.Amount(ep.Quantity).Add(l.Quantity))
				ep.Total = num(money.Amount(ep.Total).Add(l.Total))
				if label := name(p, l.GroupValues()); label != "" {
					ep.Groups = addGroup(ep.Groups, label, l.Quantity, l.Total)
				}
			}
		}
	}
	return period, out
}

func addGroup(gs []embedGroup, label string, q, t money.Amount) []embedGroup {
	for i := range gs {
		if gs[i].Label == label {
			gs[i].Quantity = num(money.Amount(gs[i].Quantity).Add(q))
			gs[i].Total = num(money.Amount(gs[i].Total).Add(t))
			return gs
		}
	}
	return append(gs, embedGroup{Label: label, Quantity: num(q), Total: num(t)})
}

// groupNamer labels a usage line's group values ("Region: Europe"), with
// the link's bm_group_key_overrides renaming keys and values.
func groupNamer(overrides []dashboard.GroupKey) func(*engine.Product, []string) string {
	by := map[string]dashboard.GroupKey{}
	for _, g := range overrides {
		by[g.Name] = g
	}
	return func(p *engine.Product, values []string) string {
		if p == nil || len(values) == 0 {
			return ""
		}
		keys := append(append([]string(nil), p.PricingGroupKey...), p.PresentationGroupKey...)
		var parts []string
		for i, v := range values {
			key := ""
			if i < len(keys) {
				key = keys[i]
			}
			o := by[key]
			if o.DisplayName != "" {
				key = o.DisplayName
			}
			if dv, ok := o.Values[v]; ok && dv != "" {
				v = dv
			}
			parts = append(parts, key+": "+v)
		}
		return strings.Join(parts, ", ")
	}
}

// embedInvoice is Metronome's invoice as the API renders it, with each
// line's group label beside it.
type embedInvoice struct {
	invoiceOut
	LineGroups []string `json:"line_groups"`
}

// embedInvoices lists the invoices the link's options select, oldest
// first, with zero-quantity usage lines unless show_zero_usage_line_items.
func embedInvoices(rd engine.CustomerRead, f dashboard.InvoiceFilter, name func(*engine.Product, []string) string) []embedInvoice {
	var out []embedInvoice
	for _, k := range rd.Customer.Contracts {
		for _, inv := range contractInvoices(k, rd.Catalog) {
			if !f.Shows(k.ID, inv.Status, inv.Type()) {
				continue
			}
			ei := embedInvoice{invoiceOut: renderInvoice(rd.Customer, k, inv, rd.Catalog, !f.ShowZeroLines), LineGroups: []string{}}
			for _, l := range inv.Lines { // the lines renderInvoice keeps, in its order
				if !f.ShowZeroLines && l.Type == engine.LineUsage && l.Quantity.IsZero() {
					continue
				}
				ei.LineGroups = append(ei.LineGroups, name(rd.Catalog.Products[l.ProductID], l.GroupValues()))
			}
			out = append(out, ei)
		}
	}
	return out
}
