package persist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"

	"burndown/engine"
	"burndown/money"
)

// customerLayout is the version of the binary customer layout below, the
// one AppendCustomer writes. Each record starts with its layout byte; a
// change to engine.Customer's persisted fields needs a new layout version
// here. DecodeCustomer reads every layout:
//
//   - 1 (up to the decimal-to-Amount switch): amounts as decimals, exponent
//     and coefficient (binWriter.dec); converted exactly on reading, and
//     refused when out of engine.AmountFromStoredDecimal's bound.
//
//   - 2: amounts in money.Amount's binary encoding (AppendBinary).
//
//   - 3: layout 2 plus fields appended at the end of the records they
//     belong to: an override's priority and tiers; a usage line's group
//     values, then its scheduled-charge ids and unit price; an invoice's
//     period aggregates (rating), then its LastUsageAt; a commit's
//     ArchivedAt; a contract's multiplier prioritization, then its statement
//     schedule, invoice grace period and scheduled charges, after whether it
//     keeps the foundation's rules (true for every older record). Read only from
//     layout 3 records; older ones leave them zero, which means what those
//     builds did (compounding multipliers, monthly statements, no grace, no
//     charges).
//
//   - 4: layout 3 plus, at the end of a commit's record, whether it keeps
//     the rules from before postpaid commits were drawn and purchases
//     invoiced (true for every older record: engine.Commit.LegacyRules),
//     its do_not_invoice, then per invoice-schedule item its unit price,
//     quantity and invoice id, then per segment its true-up invoice id.
//
//   - 5: layout 4 plus the customer's alerts (engine.Alert, with their
//     statuses) in a record appended at the end of the customer record. Read
//     only from layout 5 records; older ones have none. A
//     usage_threshold_reached alert has no credit type: its record holds
//     its billable metric id in the credit type's place (usage alerts came
//     after layout 5, so no record means anything else there).
//
//   - 6: layout 5 plus, at the end of a segment's part of a commit's record,
//     per segment its seat adjustments; at the end of a contract's record its
//     subscriptions (with quantity schedules and charges) and its recurring
//     credits and commits. Older records have none.
//
//   - 7: never written by any build (skipped while layouts 5 to 8 were built
//     in parallel); refused.
//
//   - 8: layout 6 plus, at the end of a commit's record, its payment gate,
//     and at the end of a contract's record its auto-recharge and threshold
//     billing configurations, payment workflows and gated commits
//     (payments_codec.go). Older records have none.
//
//   - 9: layout 8 plus, at the end of each invoice's record, the billing
//     provider's invoice it was sent as (engine.Invoice.External(): a
//     presence byte, then provider, invoice id, status and issue time;
//     payments_codec.go), and at the end of a contract's record its
//     billing_provider_configuration (engine.Contract.BillingProvider: a
//     presence byte, then provider and delivery method). Older records
//     have neither. (Layout 9 never shipped before it had both.)
//
//   - 10: layout 9 plus a trailer at the end of the customer record
//     (customer_admin in engine): its UpdatedAt and ArchivedAt, then each
//     contract's ArchivedAt in contract order. Older records have none
//     (never updated, nothing archived). A record whose trailer is all
//     zeros means exactly its layout 9 record, which is what a cluster
//     still in the decimal data format writes (CustomerEncoderFor): nodes
//     of earlier releases read its snapshots.
//
//   - 11: layout 10 plus, after its trailer, the segments' manual ledger
//     entries (engine.Segment.ManualAdjustments, manual_codec.go; one zero
//     byte for a customer without any). Older records have none. The
//     decimal data format's layout 9 record drops them with the trailer,
//     so a customer with some is refused there as an archived one is.
//
//   - 12: layout 11 plus, after the manual ledger entries, the positions
//     of the contracts that bill scheduled charges on SCHEDULED invoices
//     of their own (engine.Contract.SeparateScheduledInvoices,
//     scheduled_codec.go; one zero byte for a customer without any).
//     Older records have none: their contracts consolidate the charges
//     onto usage invoices, as every build before did. The decimal data
//     format's layout 9 record drops them with the trailer, so a customer
//     with any is refused there (such contracts are created only in the
//     compact format: CommandNeedsFormat).
//
//   - 13: layout 12 plus, after those positions, the contracts that may be
//     in force together with others of their customer and their usage
//     filters (engine.Contract.Concurrent and UsageFilter,
//     multicontract_codec.go; one zero byte for a customer without any).
//     Older records have none: one contract at a time rates all usage, as
//     every build before did. The decimal data format's layout 9 record
//     drops them with the trailer, so a customer with any is refused there
//     (such contracts are created only in the compact format:
//     CommandNeedsFormat and create_contract version 5).
//
//   - 14: layout 13 plus, after the concurrent contracts, the customer-level
//     commits and credits (engine.Customer.Balances, each a commit record,
//     its applicable contract ids and uniqueness key;
//     customer_balance_codec.go; one zero byte for a customer without any).
//     Older records have none. The decimal data format's layout 9 record
//     drops them with the trailer, so a customer with any is refused there
//     (they are created only in the compact format: KindNeedsFormat).
//
//   - 15: layout 14 plus, after the customer-level balances, the
//     stripe_config of STRIPE payment gates (on the auto-recharge and
//     threshold billing configurations and on each workflow) and the
//     Stripe invoice a workflow is paid through (engine/stripe_gate.go,
//     stripe_codec.go; one zero byte for a customer without any). Older
//     records have none: their STRIPE gates charge a PaymentIntent, as
//     every build before did. The decimal data format's layout 9 record
//     drops them with the trailer, so a customer with any is refused
//     there (stripe_config is proposed only in the compact format:
//     CommandNeedsFormat).
//
// Layouts differ in how an amount is written, so the reader is one decoder
// parameterised by its amount reader (binReader.amount), and in the fields
// appended since, which it reads when the record's layout has them.
const customerLayout byte = 15

// amountReaders maps each layout DecodeCustomer reads to its amount reader.
var amountReaders = map[byte]func(*binReader) money.Amount{
	1:  (*binReader).decAmount,
	2:  (*binReader).binAmount,
	3:  (*binReader).binAmount,
	4:  (*binReader).binAmount,
	5:  (*binReader).binAmount,
	6:  (*binReader).binAmount,
	8:  (*binReader).binAmount,
	9:  (*binReader).binAmount,
	10: (*binReader).binAmount,
	11: (*binReader).binAmount,
	12: (*binReader).binAmount,
	13: (*binReader).binAmount,
	14: (*binReader).binAmount,
	15: (*binReader).binAmount,
}

// The customer layout is a hand-written, reflection-free encoding: snapshots
// of millions of customers are written while applies go on and read back on
// every restart, and msgpack's reflection made both the slowest part. Each
// field is written in declaration order; maps are written with sorted keys so
// equal customers give equal bytes; pointers and nil maps carry a presence
// byte so a round trip is exact.

// binWriter writes the current layout (customerLayout) only: no layout
// parameter, no branch per layout. Tests write the older layouts with a
// writer of their own (customer_layouts_test.go), kept in step with this one
// by TestLayoutWriterWritesTheCurrentLayout.
type binWriter struct {
	b []byte
}

func (w *binWriter) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *binWriter) varint(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *binWriter) str(s string)     { w.uvarint(uint64(len(s))); w.b = append(w.b, s...) }
func (w *binWriter) raw(b []byte)     { w.uvarint(uint64(len(b))); w.b = append(w.b, b...) }
func (w *binWriter) boolean(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *binWriter) strs(list []string) {
	if list == nil {
		w.uvarint(0)
		return
	}
	w.uvarint(uint64(len(list)) + 1)
	for _, s := range list {
		w.str(s)
	}
}

func (w *binWriter) strMap(m map[string]string) {
	if m == nil {
		w.uvarint(0)
		return
	}
	w.uvarint(uint64(len(m)) + 1)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w.str(k)
		w.str(m[k])
	}
}

// coefficient writes a decimal's coefficient: an int64 when it fits,
// otherwise sign and magnitude bytes.
func (w *binWriter) coefficient(c *big.Int) {
	if c.IsInt64() {
		w.b = append(w.b, 0)
		w.varint(c.Int64())
		return
	}
	if c.Sign() < 0 {
		w.b = append(w.b, 2)
	} else {
		w.b = append(w.b, 1)
	}
	mag := c.Bytes()
	w.uvarint(uint64(len(mag)))
	w.b = append(w.b, mag...)
}

// decAmount writes an amount in the decimal layout (exponent, coefficient)
// that invoice items keep in every customer layout.
func (w *binWriter) decAmount(a money.Amount) {
	w.varint(-int64(a.Scale()))
	w.coefficient(a.Coefficient())
}

// binAmount writes an amount in layout 2 (and every layout since).
func (w *binWriter) binAmount(a money.Amount) { w.b = a.AppendBinary(w.b) }

// amt writes an amount as the current layout does.
func (w *binWriter) amt(a money.Amount) { w.binAmount(a) }

func (w *binWriter) amtPtr(a *money.Amount) {
	w.boolean(a != nil)
	if a != nil {
		w.amt(*a)
	}
}

// AppendCustomer appends c in the binary customer layout (customerLayout).
func AppendCustomer(dst []byte, c *engine.Customer) []byte {
	b, _ := appendCustomerTrailer(dst, c)
	return b
}

// appendCustomerTrailer is AppendCustomer, and where the layout 10
// trailer starts in the result.
func appendCustomerTrailer(dst []byte, c *engine.Customer) ([]byte, int) {
	w := &binWriter{b: dst}
	w.b = append(w.b, customerLayout)
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
	w.alerts(c.Alerts)
	at := len(w.b)
	w.varint(c.UpdatedAt())
	w.varint(c.ArchivedAt())
	for _, k := range c.Contracts {
		w.varint(k.ArchivedAt())
	}
	w.manualEntries(c)
	w.separateScheduled(c)
	w.concurrentContracts(c)
	w.customerBalances(c)
	w.stripeGates(c)
	return w.b, at
}

// trailerIsZero reports whether a layout 10 trailer holds only zeros (one
// byte each).
func trailerIsZero(t []byte) bool {
	for _, b := range t {
		if b != 0 {
			return false
		}
	}
	return true
}

// alerts writes a customer's alerts (layout 5).
func (w *binWriter) alerts(list []*engine.Alert) {
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

// alertStatus reads an alert's status by its name; a name no build wrote
// fails the customer rather than leave the alert in a state the engine
// does not know. The engine sets a status only from its four constants,
// so the writer never writes such a name (an AlertStatus out of range
// would be written as "unknown" and refused here).
func (r *binReader) alertStatus() engine.AlertStatus {
	name := r.str()
	st, ok := engine.ParseAlertStatus(name)
	if !ok && r.err == nil {
		r.fail(fmt.Errorf("alert status %.40q unknown", name))
	}
	return st
}

// alerts reads a customer's alerts (layout 5).
func (r *binReader) alerts() []*engine.Alert {
	n := r.count(r.uvarint())
	if n == 0 {
		return nil
	}
	out := make([]*engine.Alert, n)
	for i := range out {
		a := &engine.Alert{}
		a.ID = r.uniqueStr()
		a.Name = r.str()
		a.Type = r.str()
		a.Threshold = r.amount(r)
		var x engine.AlertExtra
		if ct := r.str(); a.Type == engine.AlertUsage {
			a.BillableMetricID = ct
		} else {
			a.CreditTypeID = ct
		}
		x.GroupKey = r.str()
		x.GroupValue = r.str()
		x.InvoiceTypesFilter = r.strs()
		a.BlockOnAlarm = r.boolean()
		x.UniquenessKey = r.str()
		a.KeyReleased = r.boolean()
		a.CreatedAt = r.varint()
		a.UpdatedAt = r.varint()
		x.ArchivedAt = r.varint()
		a.Status = r.alertStatus()
		x.GroupInvoiceID = r.str()
		x.GroupInvoiceStart = r.varint()
		x.GroupSpend = r.amount(r)
		a.SetExtra(x)
		out[i] = a
	}
	return out
}

func (w *binWriter) contract(k *engine.Contract) {
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
		w.amtPtr(o.Priority)
		w.tiers(o.OverwriteTiers)
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
			w.strs(l.GroupValues())
			w.str(l.ChargeID())
			w.str(l.ItemID())
			w.amt(l.UnitPrice())
		}
		w.amt(inv.Total)
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
		w.externalInvoice(inv.External())
	}
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
	w.seats(k)
	w.payments(k)
	w.contractBillingProvider(k.BillingProvider())
}

// tiers writes a nil-preserving list of priced tiers (layout 3).
func (w *binWriter) tiers(list []engine.TierAmount) {
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

// presence writes a collection's length plus one, or 0 for nil, so a round
// trip keeps nil and empty apart.
func (w *binWriter) presence(isNil bool, n int) {
	if isNil {
		w.uvarint(0)
		return
	}
	w.uvarint(uint64(n) + 1)
}

func (w *binWriter) commit(cm *engine.Commit) {
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
		var id [64]byte
		w.raw(cm.AppendSegmentID(id[:0], s))
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
	w.varint(cm.ArchivedAt())
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
	for _, s := range cm.Segments {
		w.presence(s.SeatAdjustments() == nil, len(s.SeatAdjustments()))
		for _, a := range s.SeatAdjustments() {
			w.varint(a.At)
			w.amt(a.Amount)
		}
	}
	w.commitGate(cm)
}

var errCustomerTruncated = errors.New("customer record truncated")

// binReader decodes the layout; the first error sticks and every later read
// returns zero values, so decoding code stays linear.
type binReader struct {
	b      []byte
	i      int
	err    error
	intern map[string]string
	// amount reads one amount as the record's layout writes it.
	amount func(*binReader) money.Amount
	// layout is the record's layout byte.
	layout byte
}

func (r *binReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *binReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.i:])
	if n <= 0 {
		r.fail(errCustomerTruncated)
		return 0
	}
	r.i += n
	return v
}

func (r *binReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.i:])
	if n <= 0 {
		r.fail(errCustomerTruncated)
		return 0
	}
	r.i += n
	return v
}

func (r *binReader) byteVal() byte {
	if r.err != nil {
		return 0
	}
	if r.i >= len(r.b) {
		r.fail(errCustomerTruncated)
		return 0
	}
	v := r.b[r.i]
	r.i++
	return v
}

func (r *binReader) boolean() bool {
	switch r.byteVal() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail(errors.New("bad boolean"))
	return false
}

// count reads a collection length and checks it against the bytes left (every
// element takes at least one byte), so corrupt input cannot allocate wildly.
func (r *binReader) count(v uint64) int {
	if r.err != nil {
		return 0
	}
	if v > uint64(len(r.b)-r.i) {
		r.fail(fmt.Errorf("collection of %d elements in %d bytes", v, len(r.b)-r.i))
		return 0
	}
	return int(v)
}

func (r *binReader) raw() []byte {
	n := r.count(r.uvarint())
	if r.err != nil {
		return nil
	}
	b := r.b[r.i : r.i+n]
	r.i += n
	return b
}

// str reads a string; short strings repeated across customers (types, ids
// of products and credit types) are shared, which keeps restored state small.
func (r *binReader) str() string {
	b := r.raw()
	if len(b) == 0 {
		return ""
	}
	if len(b) <= 64 {
		if s, ok := r.intern[string(b)]; ok {
			return s
		}
	}
	s := string(b)
	if len(b) <= 64 && len(r.intern) < 1<<16 {
		r.intern[s] = s
	}
	return s
}

// uniqueStr reads a string that is unique per object (ids): never interned.
func (r *binReader) uniqueStr() string { return string(r.raw()) }

func (r *binReader) strs() []string {
	n := r.uvarint()
	if n == 0 {
		return nil
	}
	out := make([]string, r.count(n-1))
	for i := range out {
		out[i] = r.str()
	}
	return out
}

func (r *binReader) strMap() map[string]string {
	n := r.uvarint()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, r.count(n-1))
	for i := uint64(0); i < n-1 && r.err == nil; i++ {
		k := r.str()
		m[k] = r.str()
	}
	return m
}

// decAmount reads an amount in the decimal layout (layout 1's amounts and
// every layout's invoice items): its exponent and coefficient, converted
// exactly within the stored bound.
func (r *binReader) decAmount() money.Amount {
	exp := r.varint()
	if exp < math.MinInt32 || exp > math.MaxInt32 {
		r.fail(fmt.Errorf("decimal exponent %d out of range", exp))
		return money.Amount{}
	}
	var c *big.Int
	switch r.byteVal() {
	case 0:
		c = big.NewInt(r.varint())
	case 1, 2:
		neg := r.b[r.i-1] == 2
		c = new(big.Int).SetBytes(r.raw())
		if neg {
			c.Neg(c)
		}
	default:
		r.fail(errors.New("bad decimal tag"))
		return money.Amount{}
	}
	if r.err != nil {
		return money.Amount{}
	}
	a, err := money.FromStoredScaled(c, exp)
	if err != nil {
		r.fail(fmt.Errorf("amount with exponent %d: %w", exp, err))
	}
	return a
}

// binAmount reads a layout 2 amount (money.Amount's binary encoding).
func (r *binReader) binAmount() money.Amount {
	if r.err != nil {
		return money.Amount{}
	}
	a, n, err := money.DecodeBinary(r.b[r.i:])
	if err != nil {
		r.fail(err)
		return money.Amount{}
	}
	r.i += n
	return a
}

func (r *binReader) amtPtr() *money.Amount {
	if !r.boolean() {
		return nil
	}
	a := r.amount(r)
	return &a
}

// DecodeCustomer parses a record written by AppendCustomer. intern may be
// shared by the calls of one goroutine (nil: none shared).
func DecodeCustomer(b []byte, intern map[string]string) (*engine.Customer, error) {
	if intern == nil {
		intern = map[string]string{}
	}
	r := &binReader{b: b, intern: intern}
	v := r.byteVal()
	r.layout = v
	if r.amount = amountReaders[v]; r.amount == nil {
		return nil, fmt.Errorf("persist: customer layout %d is not one of 1..%d", v, customerLayout)
	}
	c := &engine.Customer{}
	c.ID = r.uniqueStr()
	c.Name = r.uniqueStr()
	c.IngestAliases = r.strs()
	var x engine.CustomerExtra
	x.CustomFields = r.strMap()
	if n := r.count(r.uvarint()); n > 0 {
		x.BillingProviders = make([]engine.BillingProviderConfig, n)
		for i := range x.BillingProviders {
			bp := &x.BillingProviders[i]
			bp.BillingProvider = r.str()
			bp.DeliveryMethod = r.str()
			bp.Configuration = r.strMap()
		}
	}
	c.CreatedAt = r.varint()
	if n := r.count(r.uvarint()); n > 0 {
		c.Contracts = make([]*engine.Contract, n)
		for i := range c.Contracts {
			c.Contracts[i] = r.contract()
		}
	}
	x.UniquenessKeys = r.strs()
	if n := r.uvarint(); n > 0 {
		x.Rejects = make(map[engine.RejectReason]int64, r.count(n-1))
		for i := uint64(0); i < n-1 && r.err == nil; i++ {
			k := engine.RejectReason(r.str())
			x.Rejects[k] = r.varint()
		}
	}
	c.EditExtra(func(e *engine.CustomerExtra) { *e = x })
	c.NextDue = r.varint()
	if seq := r.uvarint(); seq > math.MaxUint32 {
		r.fail(fmt.Errorf("customer %s: sequence number %d out of range", c.ID, seq))
	} else {
		c.Seq = uint32(seq)
	}
	if r.layout >= 5 {
		c.Alerts = r.alerts()
	}
	if r.layout >= 10 {
		// In record order (a call's arguments run left to right).
		c.SetAdmin(r.varint(), r.varint())
		for _, k := range c.Contracts {
			if at := r.varint(); at != 0 {
				k.EditExtra(func(x *engine.ContractExtra) { x.ArchivedAt = at })
			}
			k.Archived = k.ArchivedAt() != 0
		}
	}
	if r.layout >= layoutManual {
		r.manualEntries(c)
	}
	if r.layout >= layoutScheduledInvoices {
		r.separateScheduled(c)
	}
	if r.layout >= layoutConcurrent {
		r.concurrentContracts(c)
	}
	if r.layout >= layoutCustomerBalances {
		r.customerBalances(c)
	}
	if r.layout >= layoutStripeGates {
		r.stripeGates(c)
	}
	if r.err == nil && r.i != len(r.b) {
		r.fail(fmt.Errorf("%d trailing bytes", len(r.b)-r.i))
	}
	if r.err != nil {
		return nil, fmt.Errorf("persist: decode customer: %w", r.err)
	}
	return c, nil
}

func (r *binReader) contract() *engine.Contract {
	k := &engine.Contract{}
	k.ID = r.uniqueStr()
	k.Name = r.str()
	k.RateCardID = r.str()
	k.StartingAt = r.varint()
	k.EndingBefore = r.varint()
	k.UniquenessKey = r.uniqueStr()
	k.PrepaidOnly = r.boolean()
	k.CustomFields = r.strMap()
	k.CreatedAt = r.varint()
	if n := r.count(r.uvarint()); n > 0 {
		k.Overrides = make([]engine.Override, n)
		for i := range k.Overrides {
			o := &k.Overrides[i]
			o.ID = r.uniqueStr()
			o.StartingAt = r.varint()
			o.EndingBefore = r.varint()
			o.ProductID = r.str()
			o.ApplicableProductTags = r.strs()
			if r.boolean() {
				v := r.boolean()
				o.Entitled = &v
			}
			o.Type = r.str()
			o.Multiplier = r.amtPtr()
			o.OverwritePrice = r.amtPtr()
			if r.layout >= 3 {
				o.Priority = r.amtPtr()
				o.OverwriteTiers = r.tiers()
			}
		}
	}
	if n := r.count(r.uvarint()); n > 0 {
		k.Balances = make([]*engine.Commit, n)
		for i := range k.Balances {
			k.Balances[i] = r.commit()
		}
	}
	if n := r.count(r.uvarint()); n > 0 {
		k.Invoices = make([]*engine.Invoice, n)
		for i := range k.Invoices {
			inv := &engine.Invoice{}
			inv.ID = r.uniqueStr()
			inv.ContractID = r.str()
			inv.CreditTypeID = r.str()
			inv.Start = r.varint()
			inv.End = r.varint()
			inv.Status = r.str()
			inv.FinalizedAt = r.varint()
			if m := r.count(r.uvarint()); m > 0 {
				inv.Lines = make([]*engine.InvoiceLine, m)
				for j := range inv.Lines {
					l := &engine.InvoiceLine{}
					l.Type = r.str()
					l.ProductID = r.str()
					l.CommitID = r.str()
					l.CreditTypeID = r.str()
					l.Quantity = r.amount(r)
					l.Total = r.amount(r)
					if r.layout >= 3 {
						l.Group = engine.NewLineGroup(r.strs())
						// In record order (a call's arguments run left to right).
						l.Item = engine.NewLineItem(r.str(), r.uniqueStr(), r.amount(r))
					}
					inv.Lines[j] = l
				}
			}
			inv.Total = r.amount(r)
			if r.layout >= 3 {
				if m := r.count(r.uvarint()); m > 0 {
					aggs := make([]*engine.UsageAgg, m)
					for j := range aggs {
						a := &engine.UsageAgg{}
						a.ProductID = r.str()
						a.GroupValues = r.strs()
						a.Quantity = r.amount(r)
						a.Seen = r.boolean()
						a.LatestAt = r.varint()
						a.LatestTx = r.uniqueStr()
						if u := r.raw(); len(u) > 0 {
							if len(u)%16 != 0 {
								r.fail(fmt.Errorf("unique set of %d bytes", len(u)))
							}
							a.Uniques = append([]byte(nil), u...)
						}
						aggs[j] = a
					}
					inv.SetAggs(aggs)
				}
				inv.LastUsageAt = r.varint()
			}
			if r.layout >= 9 {
				inv.SetExternal(r.externalInvoice())
			}
			k.Invoices[i] = inv
		}
	}
	// Contracts stored before layout 3 were created under the foundation's
	// rules (engine.Contract.FoundationRules).
	k.FoundationRules = r.layout < 3
	if r.layout >= 3 {
		k.FoundationRules = r.boolean()
		// In record order (a call's arguments run left to right).
		k.Terms = engine.ContractTermsOf(r.str(), r.str(), r.str())
		k.StatementAnchor = r.varint()
		k.InvoiceGracePeriod = r.varint()
		if n := r.uvarint(); n > 0 {
			k.EditExtra(func(x *engine.ContractExtra) { x.ScheduledCharges = make([]*engine.ScheduledCharge, r.count(n-1)) })
			for i := range k.ScheduledCharges() {
				ch := &engine.ScheduledCharge{}
				ch.ID = r.uniqueStr()
				ch.ProductID = r.str()
				ch.Name = r.str()
				ch.CreditTypeID = r.str()
				ch.CustomFields = r.strMap()
				ch.CreatedAt = r.varint()
				ch.ArchivedAt = r.varint()
				if m := r.uvarint(); m > 0 {
					ch.Items = make([]engine.ChargeItem, r.count(m-1))
					for j := range ch.Items {
						it := &ch.Items[j]
						it.ID = r.uniqueStr()
						it.Timestamp = r.varint()
						it.Amount = r.amount(r)
						it.UnitPrice = r.amount(r)
						it.Quantity = r.amount(r)
						it.InvoiceID = r.str()
					}
				}
				k.ScheduledCharges()[i] = ch
			}
		}
	}
	if r.layout >= 6 {
		r.seats(k)
	}
	if r.layout >= 8 {
		r.payments(k)
	}
	if r.layout >= 9 {
		k.EditExtra(func(x *engine.ContractExtra) { x.BillingProvider = r.contractBillingProvider() })
	}
	return k
}

func (r *binReader) tiers() []engine.TierAmount {
	n := r.uvarint()
	if n == 0 {
		return nil
	}
	out := make([]engine.TierAmount, r.count(n-1))
	for i := range out {
		out[i].Size = r.amount(r)
		out[i].Price = r.amount(r)
	}
	return out
}

func (r *binReader) commit() *engine.Commit {
	cm := &engine.Commit{}
	cm.ID = r.uniqueStr()
	cm.Type = r.str()
	cm.ProductID = r.str()
	cm.Name = r.str()
	var x engine.CommitExtra
	x.Description = r.str()
	x.Priority = r.amtPtr()
	cm.CreditTypeID = r.str()
	x.ApplicableProductIDs = r.strs()
	x.ApplicableProductTags = r.strs()
	if n := r.uvarint(); n > 0 {
		x.InvoiceSchedule = make([]engine.InvoiceItem, r.count(n-1))
		for i := range x.InvoiceSchedule {
			it := &x.InvoiceSchedule[i]
			it.ID = r.uniqueStr()
			it.Timestamp = r.varint()
			it.Amount = r.decAmount()
		}
	}
	x.CustomFields = r.strMap()
	// The schedule's items are completed in place below (layout 4).
	cm.EditExtra(func(e *engine.CommitExtra) { *e = x })
	cm.CreatedAt = r.varint()
	if seq := r.uvarint(); seq > math.MaxUint32 {
		r.fail(fmt.Errorf("commit %s: sequence number %d out of range", cm.ID, seq))
	} else {
		cm.Seq = uint32(seq)
	}
	if n := r.count(r.uvarint()); n > 0 {
		cm.Segments = make([]*engine.Segment, n)
		ids := make([]string, n)
		for i := range cm.Segments {
			s := &engine.Segment{}
			ids[i] = r.uniqueStr()
			s.Amount = r.amount(r)
			s.StartingAt = r.varint()
			s.EndingBefore = r.varint()
			s.Drawn = r.amount(r)
			s.Expired = r.boolean()
			s.SetExpiredAmount(r.amount(r))
			if m := r.count(r.uvarint()); m > 0 {
				s.Deductions = make([]engine.Deduction, m)
				for j := range s.Deductions {
					d := &s.Deductions[j]
					d.InvoiceID = r.str()
					d.Timestamp = r.varint()
					d.Amount = r.amount(r)
				}
			}
			cm.Segments[i] = s
		}
		cm.AdoptSegmentIDs(ids)
	}
	if r.layout >= 3 {
		if at := r.varint(); at != 0 {
			cm.EditExtra(func(e *engine.CommitExtra) { e.ArchivedAt = at })
		}
	}
	// Commits stored before layout 4 were made before postpaid commits were
	// drawn and purchases invoiced (engine.Commit.LegacyRules).
	cm.LegacyRules = r.layout < 4
	if r.layout >= 4 {
		cm.LegacyRules = r.boolean()
		cm.DoNotInvoice = r.boolean()
		for i := range x.InvoiceSchedule {
			it := &x.InvoiceSchedule[i]
			it.UnitPrice = r.decAmount()
			it.Quantity = r.decAmount()
			it.InvoiceID = r.str()
		}
		for _, s := range cm.Segments {
			id := r.str()
			s.EditExtra(func(x *engine.SegmentExtra) { x.TrueUpInvoiceID = id })
		}
	}
	if r.layout >= 6 {
		for _, s := range cm.Segments {
			if n := r.uvarint(); n > 0 {
				seats := make([]engine.SeatAdjustment, r.count(n-1))
				for j := range seats {
					seats[j].At = r.varint()
					seats[j].Amount = r.amount(r)
				}
				s.EditExtra(func(x *engine.SegmentExtra) { x.SeatAdjustments = seats })
			}
		}
	}
	if r.layout >= 8 {
		r.commitGate(cm)
	}
	return cm
}
