package persist

import (
	"bytes"
	"sort"
	"testing"

	"burndown/engine"
	"burndown/money"
)

// The customer writer in customer_codec.go writes the current layout only:
// it carries no layout parameter and no branch per layout. The tests that
// prove DecodeCustomer still reads every older layout need records in those
// layouts, so this file keeps a writer of any layout: the production
// writer's code with each field written only from the layout that added it,
// and amounts written by a function (layout 1 wrote decimals).
// TestLayoutWriterWritesTheCurrentLayout keeps it in step with the
// production writer: at customerLayout the two write the same bytes, so a
// field added to one and not the other fails there.
//
// Parts no layout before 6 holds (seats, payments, the billing provider)
// are written by the production writer's helpers, through the embedded
// binWriter.

// layoutWriter writes a customer record in any layout.
type layoutWriter struct {
	binWriter
	layout byte
	// amount writes one amount: (*binWriter).binAmount from layout 2,
	// (*binWriter).decAmount in layout 1.
	amount func(*binWriter, money.Amount)
}

func (w *layoutWriter) amt(a money.Amount) { w.amount(&w.binWriter, a) }

func (w *layoutWriter) amtPtr(a *money.Amount) {
	w.boolean(a != nil)
	if a != nil {
		w.amt(*a)
	}
}

// appendCustomer writes c in the layout whose amounts amount writes.
func appendCustomer(dst []byte, c *engine.Customer, layout byte, amount func(*binWriter, money.Amount)) []byte {
	w := &layoutWriter{binWriter: binWriter{b: dst}, amount: amount, layout: layout}
	w.b = append(w.b, layout)
	w.str(c.ID)
	w.str(c.Name)
	w.strs(c.IngestAliases)
	w.strMap(c.CustomFields())
	w.uvarint(uint64(len(c.BillingProviders())))
	for _, bp := range c.BillingProviders() {
		w.str(bp.BillingProvider)
		w.str(bp.DeliveryMethod)
		w.strMap(bp.Configuration)
	}
	w.varint(c.CreatedAt)
	w.uvarint(uint64(len(c.Contracts)))
	for _, k := range c.Contracts {
		w.contract(k)
	}
	w.strs(c.UniquenessKeys())
	if c.Rejects() == nil {
		w.uvarint(0)
	} else {
		w.uvarint(uint64(len(c.Rejects())) + 1)
		reasons := make([]string, 0, len(c.Rejects()))
		for r := range c.Rejects() {
			reasons = append(reasons, string(r))
		}
		sort.Strings(reasons)
		for _, r := range reasons {
			w.str(r)
			w.varint(c.Rejects()[engine.RejectReason(r)])
		}
	}
	w.varint(c.NextDue)
	w.uvarint(uint64(c.Seq))
	if w.layout >= 5 {
		w.alerts(c.Alerts)
	}
	if w.layout >= 10 {
		w.varint(c.UpdatedAt())
		w.varint(c.ArchivedAt())
		for _, k := range c.Contracts {
			w.varint(k.ArchivedAt())
		}
	}
	if w.layout >= layoutManual {
		w.binWriter.manualEntries(c)
	}
	if w.layout >= layoutScheduledInvoices {
		w.binWriter.separateScheduled(c)
	}
	if w.layout >= layoutConcurrent {
		w.binWriter.concurrentContracts(c)
	}
	if w.layout >= layoutCustomerBalances {
		w.binWriter.customerBalances(c)
	}
	if w.layout >= layoutStripeGates {
		w.binWriter.stripeGates(c)
	}
	return w.b
}

// alerts writes a customer's alerts (layout 5).
func (w *layoutWriter) alerts(list []*engine.Alert) {
	w.uvarint(uint64(len(list)))
	for _, a := range list {
		w.str(a.ID)
		w.str(a.Name)
		w.str(a.Type)
		w.amt(a.Threshold)
		if a.Type == engine.AlertUsage {
			w.str(a.BillableMetricID)
		} else {
			w.str(a.CreditTypeID)
		}
		w.str(a.GroupKey())
		w.str(a.GroupValue())
		w.strs(a.InvoiceTypesFilter())
		w.boolean(a.BlockOnAlarm)
		w.str(a.UniquenessKey())
		w.boolean(a.KeyReleased)
		w.varint(a.CreatedAt)
		w.varint(a.UpdatedAt)
		w.varint(a.ArchivedAt())
		w.str(a.Status.String())
		w.str(a.GroupInvoiceID())
		w.varint(a.GroupInvoiceStart())
		w.amt(a.GroupSpend())
	}
}

func (w *layoutWriter) contract(k *engine.Contract) {
	w.str(k.ID)
	w.str(k.Name)
	w.str(k.RateCardID)
	w.varint(k.StartingAt)
	w.varint(k.EndingBefore)
	w.str(k.UniquenessKey)
	w.boolean(k.PrepaidOnly)
	w.strMap(k.CustomFields)
	w.varint(k.CreatedAt)
	w.uvarint(uint64(len(k.Overrides)))
	for i := range k.Overrides {
		o := &k.Overrides[i]
		w.str(o.ID)
		w.varint(o.StartingAt)
		w.varint(o.EndingBefore)
		w.str(o.ProductID)
		w.strs(o.ApplicableProductTags)
		w.boolean(o.Entitled != nil)
		if o.Entitled != nil {
			w.boolean(*o.Entitled)
		}
		w.str(o.Type)
		w.amtPtr(o.Multiplier)
		w.amtPtr(o.OverwritePrice)
		if w.layout >= 3 {
			w.amtPtr(o.Priority)
			w.tiers(o.OverwriteTiers)
		}
	}
	w.uvarint(uint64(len(k.Balances)))
	for _, cm := range k.Balances {
		w.commit(cm)
	}
	w.uvarint(uint64(len(k.Invoices)))
	for _, inv := range k.Invoices {
		w.str(inv.ID)
		w.str(inv.ContractID)
		w.str(inv.CreditTypeID)
		w.varint(inv.Start)
		w.varint(inv.End)
		w.str(inv.Status)
		w.varint(inv.FinalizedAt)
		w.uvarint(uint64(len(inv.Lines)))
		for _, l := range inv.Lines {
			w.str(l.Type)
			w.str(l.ProductID)
			w.str(l.CommitID)
			w.str(l.CreditTypeID)
			w.amt(l.Quantity)
			w.amt(l.Total)
			if w.layout >= 3 {
				w.strs(l.GroupValues())
				w.str(l.ChargeID())
				w.str(l.ItemID())
				w.amt(l.UnitPrice())
			}
		}
		w.amt(inv.Total)
		if w.layout >= 3 {
			w.uvarint(uint64(len(inv.Aggs())))
			for _, a := range inv.Aggs() {
				w.str(a.ProductID)
				w.strs(a.GroupValues)
				w.amt(a.Quantity)
				w.boolean(a.Seen)
				w.varint(a.LatestAt)
				w.str(a.LatestTx)
				w.uvarint(uint64(len(a.Uniques)))
				w.b = append(w.b, a.Uniques...)
			}
			w.varint(inv.LastUsageAt)
		}
		if w.layout >= 9 {
			w.externalInvoice(inv.External())
		}
	}
	if w.layout >= 3 {
		w.boolean(k.FoundationRules)
		w.str(k.MultiplierPrioritization())
		w.str(k.StatementFrequency())
		w.str(k.StatementDay())
		w.varint(k.StatementAnchor)
		w.varint(k.InvoiceGracePeriod)
		w.presence(k.ScheduledCharges() == nil, len(k.ScheduledCharges()))
		for _, ch := range k.ScheduledCharges() {
			w.str(ch.ID)
			w.str(ch.ProductID)
			w.str(ch.Name)
			w.str(ch.CreditTypeID)
			w.strMap(ch.CustomFields)
			w.varint(ch.CreatedAt)
			w.varint(ch.ArchivedAt)
			w.presence(ch.Items == nil, len(ch.Items))
			for _, it := range ch.Items {
				w.str(it.ID)
				w.varint(it.Timestamp)
				w.amt(it.Amount)
				w.amt(it.UnitPrice)
				w.amt(it.Quantity)
				w.str(it.InvoiceID)
			}
		}
	}
	if w.layout >= 6 {
		w.seats(k)
	}
	if w.layout >= 8 {
		w.payments(k)
	}
	if w.layout >= 9 {
		w.contractBillingProvider(k.BillingProvider())
	}
}

// tiers writes a nil-preserving list of priced tiers (layout 3).
func (w *layoutWriter) tiers(list []engine.TierAmount) {
	if list == nil {
		w.uvarint(0)
		return
	}
	w.uvarint(uint64(len(list)) + 1)
	for _, t := range list {
		w.amt(t.Size)
		w.amt(t.Price)
	}
}

func (w *layoutWriter) commit(cm *engine.Commit) {
	w.str(cm.ID)
	w.str(cm.Type)
	w.str(cm.ProductID)
	w.str(cm.Name)
	w.str(cm.Description())
	w.amtPtr(cm.Priority())
	w.str(cm.CreditTypeID)
	w.strs(cm.ApplicableProductIDs())
	w.strs(cm.ApplicableProductTags())
	if cm.InvoiceSchedule() == nil {
		w.uvarint(0)
	} else {
		w.uvarint(uint64(len(cm.InvoiceSchedule())) + 1)
		for _, it := range cm.InvoiceSchedule() {
			w.str(it.ID)
			w.varint(it.Timestamp)
			w.decAmount(it.Amount)
		}
	}
	w.strMap(cm.CustomFields())
	w.varint(cm.CreatedAt)
	w.uvarint(uint64(cm.Seq))
	w.uvarint(uint64(len(cm.Segments)))
	for _, s := range cm.Segments {
		w.str(cm.SegmentID(s))
		w.amt(s.Amount)
		w.varint(s.StartingAt)
		w.varint(s.EndingBefore)
		w.amt(s.Drawn)
		w.boolean(s.Expired)
		w.amt(s.ExpiredAmount())
		w.uvarint(uint64(len(s.Deductions)))
		for _, d := range s.Deductions {
			w.str(d.InvoiceID)
			w.varint(d.Timestamp)
			w.amt(d.Amount)
		}
	}
	if w.layout >= 3 {
		w.varint(cm.ArchivedAt())
	}
	if w.layout >= 4 {
		w.boolean(cm.LegacyRules)
		w.boolean(cm.DoNotInvoice)
		for _, it := range cm.InvoiceSchedule() {
			w.decAmount(it.UnitPrice)
			w.decAmount(it.Quantity)
			w.str(it.InvoiceID)
		}
		for _, s := range cm.Segments {
			w.str(s.TrueUpInvoiceID())
		}
	}
	if w.layout >= 6 {
		for _, s := range cm.Segments {
			w.presence(s.SeatAdjustments() == nil, len(s.SeatAdjustments()))
			for _, a := range s.SeatAdjustments() {
				w.varint(a.At)
				w.amt(a.Amount)
			}
		}
	}
	if w.layout >= 8 {
		w.commitGate(cm)
	}
}

// The test writer at the current layout is the production writer: same
// bytes for every customer the codec tests build, so neither can gain a
// field the other lacks. (Older layouts are checked by decoding them:
// TestCustomerCodecReadsLayout1 and the tests after it.)
func TestLayoutWriterWritesTheCurrentLayout(t *testing.T) {
	customers := []*engine.Customer{fullCustomer(), {ID: "bare"}, manualCustomer()}
	for _, c := range customers {
		want := AppendCustomer(nil, c)
		if got := appendCustomer(nil, c, customerLayout, (*binWriter).binAmount); !bytes.Equal(got, want) {
			t.Fatalf("customer %s: the layout writer at layout %d writes %d bytes, AppendCustomer %d", c.ID, customerLayout, len(got), len(want))
		}
	}
}

// roundTripCurrent writes c in the current customer layout and reads it
// back, failing the test if the record is of another layout or does not
// decode: the start of every layout's round-trip test.
func roundTripCurrent(t *testing.T, c *engine.Customer) ([]byte, *engine.Customer) {
	t.Helper()
	b := AppendCustomer(nil, c)
	if b[0] != customerLayout {
		t.Fatalf("layout %d, want %d", b[0], customerLayout)
	}
	got, err := DecodeCustomer(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b, got
}
