package engine

import (
	"sync/atomic"

	"github.com/shopspring/decimal"
)

// Customer is everything the engine knows about one customer. It is owned by
// its shard's goroutine: only that goroutine reads or writes it.
type Customer struct {
	ID               string
	Name             string
	IngestAliases    []string
	CustomFields     map[string]string
	BillingProviders []BillingProviderConfig
	CreatedAt        Nanos
	// Contracts in creation order.
	Contracts []*Contract
	// UniquenessKeys used by this customer's contracts.
	UniquenessKeys []string
	// Rejects counts events kept as counted rejects, by reason.
	Rejects map[RejectReason]int64
	// NextDue is the earliest future time a transition changes this customer's
	// state (a segment starts or ends, a contract starts or ends, a period closes).
	NextDue Nanos
	// Seq numbers the commits and credits created for this customer; older id
	// first is the last burn-down tiebreak.
	Seq uint64

	// snapClaimed and snapDone are the generation of the last snapshot that
	// claimed and finished encoding this customer (copy-on-write snapshots).
	snapClaimed atomic.Uint64
	snapDone    atomic.Uint64
	// pending is the customer's run of identically rated events not yet
	// rated (only during a shard run).
	pending *pendingUsage
	// handle is the customer's published part (directory entry and view).
	handle *CustomerHandle
	// reschedule asks the shard to recompute NextDue at the end of the run;
	// set by changes that add or remove transitions.
	reschedule bool
}

// Contract binds a customer to a rate card over time, with its balances and invoices.
type Contract struct {
	ID            string
	Name          string
	RateCardID    string
	StartingAt    Nanos
	EndingBefore  Nanos
	UniquenessKey string
	PrepaidOnly   bool
	CustomFields  map[string]string
	CreatedAt     Nanos
	Overrides     []OverrideInput
	// Balances holds commits and credits in creation order.
	Balances []*Commit
	// Invoices holds usage statements ordered by period start.
	Invoices []*Invoice
}

// InForce reports whether the contract applies at t.
func (c *Contract) InForce(t Nanos) bool {
	return t >= c.StartingAt && (c.EndingBefore == 0 || t < c.EndingBefore)
}

// Commit is a prepaid or postpaid commit, or a credit (Type CREDIT).
type Commit struct {
	ID                    string
	Type                  string
	ProductID             string
	Name                  string
	Description           string
	Priority              *decimal.Decimal
	CreditTypeID          string
	ApplicableProductIDs  []string
	ApplicableProductTags []string
	InvoiceSchedule       []InvoiceItem
	CustomFields          map[string]string
	CreatedAt             Nanos
	Seq                   uint64
	Segments              []*Segment

	// countCatalog and count cache applicableCount for one catalog version.
	countCatalog *Catalog
	count        int
}

// Segment is one access-schedule item of a commit or credit: an amount usable
// over [StartingAt, EndingBefore).
type Segment struct {
	ID           string
	Amount       decimal.Decimal
	StartingAt   Nanos
	EndingBefore Nanos
	// Drawn is what usage has consumed from the segment so far.
	Drawn decimal.Decimal
	// Expired is set once the segment's end has passed; ExpiredAmount is what
	// was left in it then.
	Expired       bool
	ExpiredAmount decimal.Decimal
	// Deductions aggregates draws per invoice, in first-draw order.
	Deductions []Deduction
}

// Deduction is the total drawn from a segment for one invoice.
type Deduction struct {
	InvoiceID string
	Timestamp Nanos // the invoice's start (or the segment's, if later)
	Amount    decimal.Decimal
}

// InForce reports whether the segment is usable at t.
func (s *Segment) InForce(t Nanos) bool {
	return t >= s.StartingAt && (s.EndingBefore == 0 || t < s.EndingBefore)
}

// Remaining is what is left to draw, ignoring time.
func (s *Segment) Remaining() decimal.Decimal {
	if s.Expired {
		return decimal.Zero
	}
	return s.Amount.Sub(s.Drawn)
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
)

// Invoice is one usage statement of a contract for one period.
type Invoice struct {
	ID           string
	ContractID   string
	CreditTypeID string
	Start        Nanos
	End          Nanos
	Status       string
	FinalizedAt  Nanos
	Lines        []*InvoiceLine
	// Total is usage minus applied commits and credits, in CreditTypeID.
	Total decimal.Decimal
}

// InvoiceLine is one line of an invoice: usage of a product, or an applied
// commit or credit (negative total). Names come from the catalog and the
// commit when the invoice is read, so a line stores only ids and amounts.
type InvoiceLine struct {
	Type         string
	ProductID    string
	CommitID     string
	CreditTypeID string
	Quantity     decimal.Decimal
	Total        decimal.Decimal
}
