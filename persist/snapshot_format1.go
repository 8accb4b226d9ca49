package persist

import (
	"fmt"
	"reflect"

	"github.com/vmihailenco/msgpack/v5"

	"burndown/engine"
	"burndown/money"
)

// Snapshot format 1 wrote each customer as msgpack of the engine's own
// structs, keyed by field name, and readPositional still reads it that way
// (decodeCustomers). A customer's and a commit's rarely set fields have
// since moved behind engine.Customer.Extra and engine.Commit.Extra (and a
// segment's expired amount behind engine.Segment.Expiry), which would
// leave them unread: customerV1, commitV1 and segmentV1 are the customer,
// the commit and the segment as format 1 knows them, frozen, and the decoders and encoders
// registered below go through them. Every key the reflection decoder read
// into a customer or a commit (those format 1 wrote, and those later
// builds added to the structs before these mirrors were frozen) keeps its
// meaning.
//
// msgpack's table is process-wide: like canon.go's map encoders, these
// are registered once, at initialisation, and nothing else may register
// engine.Customer or engine.Commit.
func init() {
	msgpack.Register(engine.Customer{}, encodeCustomerV1, decodeCustomerV1)
	msgpack.Register(engine.Commit{}, encodeCommitV1, decodeCommitV1)
}

// customerV1 is a customer in snapshot format 1. Never change it: it is
// what format 1 streams hold. Alerts arrived after format 2 replaced format
// 1 as what builds write, so no format 1 stream holds any: Alerts keeps the
// live engine.Alert, whose fields have changed since (its status is now a
// byte), only because there is nothing of format 1 to read into it.
type customerV1 struct {
	ID               string                         `msgpack:"ID"`
	Contracts        []*engine.Contract             `msgpack:"Contracts"`
	Seq              uint32                         `msgpack:"Seq"`
	Name             string                         `msgpack:"Name"`
	IngestAliases    []string                       `msgpack:"IngestAliases"`
	CustomFields     map[string]string              `msgpack:"CustomFields"`
	BillingProviders []engine.BillingProviderConfig `msgpack:"BillingProviders"`
	CreatedAt        engine.Nanos                   `msgpack:"CreatedAt"`
	UniquenessKeys   []string                       `msgpack:"UniquenessKeys"`
	Rejects          map[engine.RejectReason]int64  `msgpack:"Rejects"`
	NextDue          engine.Nanos                   `msgpack:"NextDue"`
	Alerts           []*engine.Alert                `msgpack:"Alerts"`
	Admin            *engine.CustomerAdmin          `msgpack:"Admin,omitempty"`
	Balances         []*engine.CustomerBalance      `msgpack:"Balances"`
}

// decodeCustomerV1 decodes a format 1 customer into v, an engine.Customer
// (which holds atomics: it is filled in place, never copied).
func decodeCustomerV1(d *msgpack.Decoder, v reflect.Value) error {
	var m customerV1
	if err := d.Decode(&m); err != nil {
		return fmt.Errorf("customer: %w", err)
	}
	c := v.Addr().Interface().(*engine.Customer)
	c.ID, c.Contracts, c.Seq, c.Name, c.IngestAliases = m.ID, m.Contracts, m.Seq, m.Name, m.IngestAliases
	c.CreatedAt, c.NextDue, c.Alerts, c.Admin = m.CreatedAt, m.NextDue, m.Alerts, m.Admin
	c.EditExtra(func(x *engine.CustomerExtra) {
		*x = engine.CustomerExtra{CustomFields: m.CustomFields, BillingProviders: m.BillingProviders, UniquenessKeys: m.UniquenessKeys,
			Rejects: m.Rejects, Balances: m.Balances}
	})
	return nil
}

func encodeCustomerV1(e *msgpack.Encoder, v reflect.Value) error {
	if !v.CanAddr() {
		return fmt.Errorf("persist: an engine.Customer is encoded through a pointer")
	}
	c := v.Addr().Interface().(*engine.Customer)
	return e.Encode(&customerV1{
		ID: c.ID, Contracts: c.Contracts, Seq: c.Seq, Name: c.Name, IngestAliases: c.IngestAliases, CustomFields: c.CustomFields(),
		BillingProviders: c.BillingProviders(), CreatedAt: c.CreatedAt, UniquenessKeys: c.UniquenessKeys(), Rejects: c.Rejects(),
		NextDue: c.NextDue, Alerts: c.Alerts, Admin: c.Admin, Balances: c.Balances(),
	})
}

// commitV1 is a commit in snapshot format 1. Never change it: it is what
// format 1 streams hold.
type commitV1 struct {
	Type                  string               `msgpack:"Type"`
	CreditTypeID          string               `msgpack:"CreditTypeID"`
	Segments              []*segmentV1         `msgpack:"Segments"`
	ArchivedAt            engine.Nanos         `msgpack:"ArchivedAt"`
	ID                    string               `msgpack:"ID"`
	ApplicableProductIDs  []string             `msgpack:"ApplicableProductIDs"`
	ApplicableProductTags []string             `msgpack:"ApplicableProductTags"`
	ProductID             string               `msgpack:"ProductID"`
	Name                  string               `msgpack:"Name"`
	Description           string               `msgpack:"Description"`
	Priority              *money.Amount        `msgpack:"Priority"`
	InvoiceSchedule       []engine.InvoiceItem `msgpack:"InvoiceSchedule"`
	CustomFields          map[string]string    `msgpack:"CustomFields"`
	CreatedAt             engine.Nanos         `msgpack:"CreatedAt"`
	Seq                   uint32               `msgpack:"Seq"`
	LegacyRules           bool                 `msgpack:"LegacyRules"`
	DoNotInvoice          bool                 `msgpack:"DoNotInvoice"`
	PaymentGate           *engine.CommitGate   `msgpack:"PaymentGate,omitempty"`
}

// commit is the engine's commit holding what m holds.
func (m *commitV1) commit() engine.Commit {
	cm := engine.Commit{
		Type: m.Type, CreditTypeID: m.CreditTypeID, ID: m.ID, ProductID: m.ProductID, Name: m.Name, CreatedAt: m.CreatedAt,
		Seq: m.Seq, LegacyRules: m.LegacyRules, DoNotInvoice: m.DoNotInvoice,
	}
	if m.Segments != nil {
		cm.Segments = make([]*engine.Segment, len(m.Segments))
		ids := make([]string, len(m.Segments))
		for i, s := range m.Segments {
			cm.Segments[i] = s.segment()
			if s != nil {
				ids[i] = s.ID
			}
		}
		cm.AdoptSegmentIDs(ids)
	}
	cm.EditExtra(func(x *engine.CommitExtra) {
		*x = engine.CommitExtra{Description: m.Description, Priority: m.Priority, ApplicableProductIDs: m.ApplicableProductIDs,
			ApplicableProductTags: m.ApplicableProductTags, ArchivedAt: m.ArchivedAt,
			InvoiceSchedule: m.InvoiceSchedule, CustomFields: m.CustomFields, Gate: m.PaymentGate}
	})
	return cm
}

// commitV1Of is cm as format 1 writes it.
func commitV1Of(cm *engine.Commit) *commitV1 {
	m := &commitV1{
		Type: cm.Type, CreditTypeID: cm.CreditTypeID, ArchivedAt: cm.ArchivedAt(), ID: cm.ID,
		ApplicableProductIDs: cm.ApplicableProductIDs(), ApplicableProductTags: cm.ApplicableProductTags(), ProductID: cm.ProductID,
		Name: cm.Name, Description: cm.Description(), Priority: cm.Priority(), InvoiceSchedule: cm.InvoiceSchedule(),
		CustomFields: cm.CustomFields(), CreatedAt: cm.CreatedAt, Seq: cm.Seq, LegacyRules: cm.LegacyRules, DoNotInvoice: cm.DoNotInvoice,
	}
	if g := cm.Gate(); g != (engine.CommitGate{}) {
		m.PaymentGate = &g
	}
	if cm.Segments != nil {
		m.Segments = make([]*segmentV1, len(cm.Segments))
		for i, s := range cm.Segments {
			m.Segments[i] = segmentV1Of(cm, s)
		}
	}
	return m
}

// segmentV1 is a commit's segment in snapshot format 1. Never change it.
// (A nil segment in a list stays nil.)
type segmentV1 struct {
	ID            string               `msgpack:"ID"`
	Amount        money.Amount         `msgpack:"Amount"`
	StartingAt    engine.Nanos         `msgpack:"StartingAt"`
	EndingBefore  engine.Nanos         `msgpack:"EndingBefore"`
	Drawn         money.Amount         `msgpack:"Drawn"`
	Expired       bool                 `msgpack:"Expired"`
	ExpiredAmount money.Amount         `msgpack:"ExpiredAmount"`
	Deductions    []engine.Deduction   `msgpack:"Deductions"`
	Extra         *engine.SegmentExtra `msgpack:"Extra,omitempty"`
}

func (m *segmentV1) segment() *engine.Segment {
	if m == nil {
		return nil
	}
	s := &engine.Segment{Amount: m.Amount, StartingAt: m.StartingAt, EndingBefore: m.EndingBefore, Drawn: m.Drawn,
		Expired: m.Expired, Deductions: m.Deductions, Extra: m.Extra}
	s.SetExpiredAmount(m.ExpiredAmount)
	return s
}

// segmentV1Of is s, one of cm's segments, as format 1 writes it.
func segmentV1Of(cm *engine.Commit, s *engine.Segment) *segmentV1 {
	if s == nil {
		return nil
	}
	return &segmentV1{ID: cm.SegmentID(s), Amount: s.Amount, StartingAt: s.StartingAt, EndingBefore: s.EndingBefore, Drawn: s.Drawn,
		Expired: s.Expired, ExpiredAmount: s.ExpiredAmount(), Deductions: s.Deductions, Extra: extraV1(s.Extra)}
}

// extraV1 is a segment's extra fields as format 1 knew them: its id, which
// format 1 wrote beside them, does not make them present.
func extraV1(x *engine.SegmentExtra) *engine.SegmentExtra {
	if x == nil || (x.TrueUpInvoiceID == "" && x.SeatAdjustments == nil && x.ManualAdjustments == nil) {
		return nil
	}
	return x
}

func decodeCommitV1(d *msgpack.Decoder, v reflect.Value) error {
	var m commitV1
	if err := d.Decode(&m); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	v.Set(reflect.ValueOf(m.commit()))
	return nil
}

func encodeCommitV1(e *msgpack.Encoder, v reflect.Value) error {
	cm := v.Interface().(engine.Commit)
	return e.Encode(commitV1Of(&cm))
}
