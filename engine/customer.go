package engine

import (
	"slices"
	"sync/atomic"

	"burndown/money"
)

// Customer is everything the engine knows about one customer. It is owned by
// its shard's goroutine: only that goroutine reads or writes it.
type Customer struct {
	// ID, Contracts and the unexported fields after them are what a shard
	// touches for every event; they come first, within one cache line
	// (TestRatingFieldsAreCompact). Field order is no format: snapshots
	// write customers field by field (persist's customer layout).
	ID string `msgpack:"ID"`
	// Contracts in creation order.
	Contracts []*Contract `msgpack:"Contracts"`
	// pending is the customer's run of identically rated events not yet
	// rated (only during a shard run).
	pending *pendingUsage
	// handle is the customer's published part (directory entry and view).
	handle *CustomerHandle
	// reschedule asks the shard to recompute NextDue at the end of the run;
	// set by changes that add or remove transitions.
	reschedule bool
	// terms summarizes what the customer's terms add to rating (see
	// termsSummary in terms.go).
	terms termsSummary
	// Seq numbers the commits and credits created for this customer; older id
	// first is the last burn-down tiebreak. 32 bits (four billion commits a
	// customer), in the word the flags above leave, so a customer fits 224
	// bytes.
	Seq uint32 `msgpack:"Seq"`

	Name          string   `msgpack:"Name"`
	IngestAliases []string `msgpack:"IngestAliases"`
	CreatedAt     Nanos    `msgpack:"CreatedAt"`
	// Extra holds the fields few customers set (custom fields, billing
	// providers, contract uniqueness keys, reject counts;
	// customer_extra.go): one pointer, nil for the others
	// (BenchmarkMemoryPerCustomer). Read through accessors of the same
	// names, changed in place through EditExtra. Snapshot format 1 wrote
	// these fields inline; persist reads that layout through a frozen
	// mirror of it (persist/snapshot_format1.go).
	Extra *CustomerExtra `msgpack:"Extra,omitempty"`
	// NextDue is the earliest future time a transition changes this customer's
	// state (a segment starts or ends, a contract starts or ends, a period closes).
	NextDue Nanos `msgpack:"NextDue"`
	// Alerts are the customer's alerts with their statuses, in creation
	// order (archived ones kept, marked; since customer layout 5).
	Alerts []*Alert `msgpack:"Alerts"`
	// Admin holds when the customer's own fields last changed and when it
	// was archived (customer layout 10, customer_admin.go); nil for a
	// customer no command changed since its creation, so it does not carry
	// two zero words (BenchmarkMemoryPerCustomer). Read through UpdatedAt
	// and ArchivedAt; set through SetAdmin.
	Admin *CustomerAdmin `msgpack:"Admin,omitempty"`

	// snapClaimed and snapDone are the generation of the last snapshot that
	// claimed and finished encoding this customer (copy-on-write snapshots).
	// 32 bits each, so the two share one word and the customer fits the
	// 240-byte size class: a process would wrap them after four billion
	// snapshots, one every few seconds at most (over a century of them).
	snapClaimed atomic.Uint32
	snapDone    atomic.Uint32
}

// Contract binds a customer to a rate card over time, with its balances and invoices.
type Contract struct {
	// The fields rating reads for every event come first, within two cache
	// lines (TestRatingFieldsAreCompact; field order is no format).
	StartingAt   Nanos  `msgpack:"StartingAt"`
	EndingBefore Nanos  `msgpack:"EndingBefore"`
	RateCardID   string `msgpack:"RateCardID"`
	// Balances holds commits and credits in creation order.
	Balances []*Commit `msgpack:"Balances"`
	// Invoices holds usage statements ordered by period start.
	Invoices    []*Invoice `msgpack:"Invoices"`
	Overrides   []Override `msgpack:"Overrides"`
	PrepaidOnly bool       `msgpack:"PrepaidOnly"`
	// FoundationRules: see CreateContract.FoundationRules. Contracts stored
	// in customer layouts 1 and 2 have it.
	FoundationRules bool `msgpack:"FoundationRules"`
	// Archived is set once the contract is archived (ArchivedAt()):
	// it is then never in force. Kept here, in the padding after the two
	// flags above, so InForce reads one cache line.
	Archived bool `msgpack:"Archived"`
	// SeparateScheduledInvoices bills each scheduled-charge item on a
	// SCHEDULED invoice of its own timestamp (Metronome's default) instead
	// of the usage invoice of its period (scheduled_charges_on_usage_invoices
	// ALL). Since customer layout 12; false on every contract stored before
	// and on every contract a command written before it existed created:
	// they keep the consolidated invoices they always had. (With the flags
	// above, in one word.)
	SeparateScheduledInvoices bool `msgpack:"SeparateScheduledInvoices"`
	// Concurrent marks a contract that may be in force together with
	// other contracts of its customer (created by a create_contract that
	// allows overlaps: version 6, multicontract.go); each such contract
	// rates the usage its UsageFilter selects. False on every contract
	// stored before customer layout 13 and every contract an older command
	// created: among those, one at a time rates, as those builds did.
	// (Beside the flags above: Contract stays in the 384-byte size class.)
	Concurrent bool `msgpack:"Concurrent"`
	// Extra holds the lists and settings few contracts have (scheduled
	// charges, subscriptions, recurring balances, payment workflows, gated
	// commits, billing provider, usage filter, threshold configurations,
	// archive time; contract_extra.go): one pointer, nil for the others
	// (BenchmarkMemoryPerCustomer). It sits beside the fields rating reads,
	// which reads the threshold configurations and usage filter through it.
	// Read through accessors of the same names; changed in place through
	// EditExtra (Contract.clone copies it).
	Extra *ContractExtra `msgpack:"Extra,omitempty"`

	ID            string            `msgpack:"ID"`
	Name          string            `msgpack:"Name"`
	UniquenessKey string            `msgpack:"UniquenessKey"`
	CustomFields  map[string]string `msgpack:"CustomFields"`
	CreatedAt     Nanos             `msgpack:"CreatedAt"`
	// Terms are the contract's multiplier prioritization and statement
	// frequency and day (contract_terms.go): one pointer, shared by every
	// contract with the same three, instead of three strings in each
	// (BenchmarkMemoryPerCustomer). nil: all three "".
	Terms *ContractTerms `msgpack:"Terms,omitempty"`

	// Fields since customer layout 3; contracts stored before have the
	// zero values, which mean what those builds did: monthly statements on
	// the first of the month, no grace period, no scheduled charges.
	// StatementAnchor is the billing anchor date: periods start at it plus
	// whole multiples of the frequency (0: the first of each month).
	StatementAnchor Nanos `msgpack:"StatementAnchor"`
	// InvoiceGracePeriod is how long after its period's end a draft still
	// takes late events; the tick at End + grace finalizes it.
	InvoiceGracePeriod int64 `msgpack:"InvoiceGracePeriod"`
}

// ScheduledCharge is a charge of a FIXED product, billed on the usage
// invoice of the period containing each item's timestamp.
type ScheduledCharge struct {
	ID           string            `msgpack:"ID"`
	ProductID    string            `msgpack:"ProductID"`
	Name         string            `msgpack:"Name"`
	CreditTypeID string            `msgpack:"CreditTypeID"`
	CustomFields map[string]string `msgpack:"CustomFields"`
	Items        []ChargeItem      `msgpack:"Items"`
	CreatedAt    Nanos             `msgpack:"CreatedAt"`
	// ArchivedAt is set when an edit archived the charge (0: active).
	ArchivedAt Nanos `msgpack:"ArchivedAt"`
}

// ChargeItem is one billed item of a scheduled charge.
type ChargeItem struct {
	ID        string       `msgpack:"ID"`
	Timestamp Nanos        `msgpack:"Timestamp"`
	Amount    money.Amount `msgpack:"Amount"`
	UnitPrice money.Amount `msgpack:"UnitPrice"`
	Quantity  money.Amount `msgpack:"Quantity"`
	// InvoiceID is the usage invoice the item is billed on.
	InvoiceID string `msgpack:"InvoiceID"`
}

// InForce reports whether the contract applies at t.
// An archived contract is never in force.
func (c *Contract) InForce(t Nanos) bool {
	return !c.Archived && t >= c.StartingAt && (c.EndingBefore == 0 || t < c.EndingBefore)
}

// Commit is a prepaid or postpaid commit, or a credit (Type CREDIT).
type Commit struct {
	// The fields a draw reads come first, within two cache lines
	// (TestRatingFieldsAreCompact; field order is no format).
	Type         string     `msgpack:"Type"`
	CreditTypeID string     `msgpack:"CreditTypeID"`
	Segments     []*Segment `msgpack:"Segments"`
	ID           string     `msgpack:"ID"`
	// Extra holds the fields few commits set (commit_extra.go; nil for
	// the rest; rating reads its product ids and tags and whether it is
	// archived): a pointer, so a plain commit does not carry their empty
	// values (BenchmarkMemoryPerCustomer). Read through Description,
	// Priority, ApplicableProductIDs, ApplicableProductTags, ArchivedAt,
	// InvoiceSchedule, CustomFields and Gate; changed through EditExtra,
	// copy on write. Snapshot format 1
	// wrote these fields inline; persist reads that layout through a
	// frozen mirror of it (persist/snapshot_format1.go).
	Extra *CommitExtra `msgpack:"Extra,omitempty"`

	ProductID string `msgpack:"ProductID"`
	Name      string `msgpack:"Name"`
	CreatedAt Nanos  `msgpack:"CreatedAt"`
	// Seq is the customer's Seq when the commit was made (32 bits: with
	// the two flags below, one word; four billion commits a customer).
	Seq uint32 `msgpack:"Seq"`

	// Fields since customer layout 4.

	// LegacyRules marks a commit made before postpaid commits were drawn
	// and commit purchases invoiced (every commit stored before layout 4,
	// and those of create_contract versions 1-2 and edit_contract version
	// 1): a POSTPAID one is never drawn nor trued up, and its invoice
	// schedule bills nothing, as those builds did.
	LegacyRules bool `msgpack:"LegacyRules"`
	// DoNotInvoice: the invoice schedule bills nothing (see CommitInput).
	DoNotInvoice bool `msgpack:"DoNotInvoice"`
}

// Segment is one access-schedule item of a commit or credit: an amount usable
// over [StartingAt, EndingBefore). Its id is read through Commit.SegmentID
// (segment_id.go): most segments keep only the ordinal it is derived from.
type Segment struct {
	Amount       money.Amount `msgpack:"Amount"`
	StartingAt   Nanos        `msgpack:"StartingAt"`
	EndingBefore Nanos        `msgpack:"EndingBefore"`
	// Drawn is what usage has consumed from the segment so far.
	Drawn money.Amount `msgpack:"Drawn"`
	// Expired is set once the segment's end has passed; Expiry holds what
	// was left in it then (read through ExpiredAmount, set through
	// SetExpiredAmount): nil for the zero amount, so a segment that has
	// not expired does not carry 24 empty bytes (BenchmarkMemoryPerCustomer).
	// Snapshot format 1 wrote the amount inline; persist reads that layout
	// through a frozen mirror of it (persist/snapshot_format1.go).
	Expired bool `msgpack:"Expired"`
	// IDOrdinal is 1 + the ordinal the segment's id is derived from
	// (derivedSegmentID), or 0 when SegmentExtra.ID holds the id: read the
	// id through Commit.SegmentID. Exported for the read copy (readcopy.go);
	// persisted forms write the id itself, so msgpack leaves it out.
	IDOrdinal uint32        `msgpack:"-"`
	Expiry    *money.Amount `msgpack:"Expiry,omitempty"`
	// Deductions aggregates draws per invoice, in first-draw order.
	Deductions []Deduction `msgpack:"Deductions"`
	// Extra holds what few segments have (true-ups, seat and manual
	// adjustments; nil for the others): a pointer, so a plain segment
	// does not carry their empty fields (BenchmarkMemoryPerCustomer).
	// Read through TrueUpInvoiceID, SeatAdjustments and ManualAdjustments;
	// changed through EditExtra, copy on write, so a copied segment never
	// shares what the original changes.
	Extra *SegmentExtra `msgpack:"Extra,omitempty"`
}

// SegmentExtra holds a segment's rarely set fields.
type SegmentExtra struct {
	// TrueUpInvoiceID is the invoice a POSTPAID segment's unused remainder
	// (ExpiredAmount) was trued up on at its end (since customer layout 4;
	// "" when nothing was trued up).
	TrueUpInvoiceID string `msgpack:"TrueUpInvoiceID"`
	// SeatAdjustments are what seat increases added to a recurring grant's
	// segment after it started (since customer layout 6); Amount includes
	// them.
	SeatAdjustments []SeatAdjustment `msgpack:"SeatAdjustments"`
	// ManualAdjustments are the segment's manual ledger entries (since
	// customer layout 11, manual_ledger.go); Amount includes them.
	ManualAdjustments []ManualAdjustment `msgpack:"ManualAdjustments"`
	// ID is the id of a segment whose id is not derived from its ordinal
	// (segment_id.go). Snapshot format 1 wrote a segment's id beside this
	// struct, not in it, so msgpack leaves it out.
	ID string `msgpack:"-"`
}

// ExpiredAmount is what was left in the segment when it expired (the
// zero value before).
func (s *Segment) ExpiredAmount() money.Amount {
	if s.Expiry == nil {
		return money.Amount{}
	}
	return *s.Expiry
}

// SetExpiredAmount replaces ExpiredAmount (nil for the zero value). It
// never changes the amount in place: a copy of the segment keeps its own.
func (s *Segment) SetExpiredAmount(a money.Amount) {
	if a == (money.Amount{}) {
		s.Expiry = nil
		return
	}
	s.Expiry = &a
}

// TrueUpInvoiceID is the invoice the segment's remainder was trued up on
// ("": none).
func (s *Segment) TrueUpInvoiceID() string {
	if s.Extra == nil {
		return ""
	}
	return s.Extra.TrueUpInvoiceID
}

// SeatAdjustments are what seat increases added to the segment.
func (s *Segment) SeatAdjustments() []SeatAdjustment {
	if s.Extra == nil {
		return nil
	}
	return s.Extra.SeatAdjustments
}

// ManualAdjustments are the segment's manual ledger entries.
func (s *Segment) ManualAdjustments() []ManualAdjustment {
	if s.Extra == nil {
		return nil
	}
	return s.Extra.ManualAdjustments
}

// EditExtra changes the segment's rarely set fields on a copy (its slices
// clipped, so an append reallocates) and stores it, or nil when it is
// left empty.
func (s *Segment) EditExtra(f func(x *SegmentExtra)) {
	var x SegmentExtra
	if s.Extra != nil {
		x = *s.Extra
		x.SeatAdjustments = slices.Clip(x.SeatAdjustments)
		x.ManualAdjustments = slices.Clip(x.ManualAdjustments)
	}
	f(&x)
	if x.TrueUpInvoiceID == "" && x.SeatAdjustments == nil && x.ManualAdjustments == nil && x.ID == "" {
		s.Extra = nil
		return
	}
	s.Extra = &x
}

// Deduction is the total drawn from a segment for one invoice, or, with a
// negative amount, its cancellation when the invoice was voided
// (invoice_void.go).
type Deduction struct {
	InvoiceID string       `msgpack:"InvoiceID"`
	Timestamp Nanos        `msgpack:"Timestamp"` // the invoice's start (or the segment's, if later); a cancellation's: the void
	Amount    money.Amount `msgpack:"Amount"`
}

// InForce reports whether the segment is usable at t.
func (s *Segment) InForce(t Nanos) bool {
	return t >= s.StartingAt && (s.EndingBefore == 0 || t < s.EndingBefore)
}

// Remaining is what is left to draw, ignoring time.
func (s *Segment) Remaining() money.Amount {
	if s.Expired {
		return money.Amount{}
	}
	return s.left()
}

// Invoice statuses.
const (
	InvoiceDraft     = "DRAFT"
	InvoiceFinalized = "FINALIZED"
)

// Invoice line types, as Metronome names them.
const (
	LineUsage         = "usage"
	LineAppliedCommit = "applied_commit_or_credit"
	LineScheduled     = "scheduled"
	LineCPUConversion = "cpu_conversion"
	// LineCommitPurchase bills a commit: an item of a commit's invoice
	// schedule (ItemID the item), or a POSTPAID commit's true-up (ItemID the
	// segment trued up).
	LineCommitPurchase = "commit_purchase"
)

// Invoice types, as Metronome names them.
const (
	InvoiceTypeUsage     = "USAGE"
	InvoiceTypeScheduled = "SCHEDULED"
)

// Invoice is one usage statement of a contract for one period, or (when
// Start equals End) a SCHEDULED invoice of the scheduled-charge items dated
// at that instant: a usage period is never empty, so no stored field is
// needed to tell them apart.
type Invoice struct {
	// The fields rating reads for every event come first, within two cache
	// lines (TestRatingFieldsAreCompact; field order is no format).
	Start  Nanos          `msgpack:"Start"`
	End    Nanos          `msgpack:"End"`
	Status string         `msgpack:"Status"`
	Lines  []*InvoiceLine `msgpack:"Lines"`
	// LastUsageAt is the latest timestamp of an event rated on the invoice
	// (since customer layout 3; 0 on older invoices: unknown).
	LastUsageAt Nanos  `msgpack:"LastUsageAt"`
	ID          string `msgpack:"ID"`
	// Total is usage minus applied commits and credits, in CreditTypeID.
	Total money.Amount `msgpack:"Total"`

	ContractID   string `msgpack:"ContractID"`
	CreditTypeID string `msgpack:"CreditTypeID"`
	FinalizedAt  Nanos  `msgpack:"FinalizedAt"`
	// Extra holds what few invoices have (invoice_extra.go): nil for the
	// others, so an invoice fits a smaller size class
	// (BenchmarkMemoryPerCustomer). Read through Aggs and External.
	Extra *InvoiceExtra `msgpack:"Extra,omitempty"`
}

// UsageAgg is one (product, group) aggregate of an invoice's period.
type UsageAgg struct {
	ProductID string `msgpack:"ProductID"`
	// GroupValues are the event's values of the product's pricing group
	// keys then presentation group keys ("" for a missing property).
	GroupValues []string `msgpack:"GroupValues"`
	// Quantity is the metric's raw aggregate over the period: the sum
	// (COUNT, SUM), the maximum (MAX), the number of distinct values
	// (UNIQUE) or the latest value (LATEST), before conversion and rounding.
	Quantity money.Amount `msgpack:"Quantity"`
	// Seen is set once a MAX or LATEST value has been taken.
	Seen bool `msgpack:"Seen"`
	// LatestAt and LatestTx identify the event LATEST took its value from.
	LatestAt Nanos  `msgpack:"LatestAt"`
	LatestTx string `msgpack:"LatestTx"`
	// Uniques holds the distinct values of a UNIQUE metric as sorted
	// 16-byte hashes (MurmurHash3 x64 128 of the value), at most
	// MaxUniqueValues of them (up to 256 KB an aggregate). Rating state no
	// reader needs: a customer read leaves it out of the copy (read:"-"),
	// which would otherwise hold the shard for every invoice's set.
	Uniques []byte `msgpack:"Uniques" read:"-"`
}

// InvoiceLine is one line of an invoice: usage of a product, or an applied
// commit or credit (negative total). Names come from the catalog and the
// commit when the invoice is read, so a line stores only ids and amounts.
type InvoiceLine struct {
	Type         string       `msgpack:"Type"`
	ProductID    string       `msgpack:"ProductID"`
	CommitID     string       `msgpack:"CommitID"`
	CreditTypeID string       `msgpack:"CreditTypeID"`
	Quantity     money.Amount `msgpack:"Quantity"`
	Total        money.Amount `msgpack:"Total"`
	// Group holds the usage's pricing then presentation group values (see
	// UsageAgg; read through GroupValues): nil for a product without group
	// keys, so most lines do not carry an empty list
	// (BenchmarkMemoryPerCustomer).
	Group *LineGroup `msgpack:"Group,omitempty"`
	// Item is what a line billing an item has (scheduled charges,
	// subscriptions, commit purchases; since customer layout 3), nil on
	// usage and applied-commit lines, so those do not carry it empty
	// (BenchmarkMemoryPerCustomer). Read through ChargeID, ItemID and
	// UnitPrice; changed only by replacing it (lines are copied).
	Item *LineItem `msgpack:"Item,omitempty"`
}

// LineGroup is the group values of an invoice line.
type LineGroup struct {
	Values []string `msgpack:"Values"`
}

// NewLineGroup returns the group of a line with these values, or nil for
// nil values (an empty list is kept: nil and empty stay apart).
func NewLineGroup(values []string) *LineGroup {
	if values == nil {
		return nil
	}
	return &LineGroup{Values: values}
}

// GroupValues are the line's group values (nil: none).
func (l *InvoiceLine) GroupValues() []string {
	if l.Group == nil {
		return nil
	}
	return l.Group.Values
}

// LineItem is the item an invoice line bills: the charge (or
// subscription) and item billed, and the unit price.
type LineItem struct {
	ChargeID  string       `msgpack:"ChargeID"`
	ItemID    string       `msgpack:"ItemID"`
	UnitPrice money.Amount `msgpack:"UnitPrice"`
}

// NewLineItem returns the item of a line, or nil for the zero value.
func NewLineItem(chargeID, itemID string, unitPrice money.Amount) *LineItem {
	if chargeID == "" && itemID == "" && unitPrice == (money.Amount{}) {
		return nil
	}
	return &LineItem{ChargeID: chargeID, ItemID: itemID, UnitPrice: unitPrice}
}

// ChargeID is the scheduled charge or subscription the line bills.
func (l *InvoiceLine) ChargeID() string {
	if l.Item == nil {
		return ""
	}
	return l.Item.ChargeID
}

// ItemID is the item the line bills.
func (l *InvoiceLine) ItemID() string {
	if l.Item == nil {
		return ""
	}
	return l.Item.ItemID
}

// UnitPrice is the unit price of the item the line bills.
func (l *InvoiceLine) UnitPrice() money.Amount {
	if l.Item == nil {
		return money.Amount{}
	}
	return l.Item.UnitPrice
}

// Override is a contract's override of its rates (OverrideInput as applied):
// the same fields, with the amounts converted to money.Amount.
type Override struct {
	ID                    string        `msgpack:"ID"`
	StartingAt            Nanos         `msgpack:"StartingAt"`
	EndingBefore          Nanos         `msgpack:"EndingBefore"`
	ProductID             string        `msgpack:"ProductID"`
	ApplicableProductTags []string      `msgpack:"ApplicableProductTags"`
	Entitled              *bool         `msgpack:"Entitled"`
	Type                  string        `msgpack:"Type"` // OVERWRITE or MULTIPLIER, empty for entitled-only
	Multiplier            *money.Amount `msgpack:"Multiplier"`
	OverwritePrice        *money.Amount `msgpack:"OverwritePrice"`
	// Priority orders overrides under EXPLICIT prioritization (lower first).
	Priority *money.Amount `msgpack:"Priority"`
	// OverwriteTiers makes an OVERWRITE tiered (OverwritePrice unused).
	OverwriteTiers []TierAmount `msgpack:"OverwriteTiers"`
}

// TierAmount is a tier of a TIERED rate as priced: Size zero is the last,
// open tier.
type TierAmount struct {
	Size  money.Amount `msgpack:"Size"`
	Price money.Amount `msgpack:"Price"`
}
