package engine

import (
	"encoding/json"
	"strconv"

	"burndown/money"
)

// Payment gates. A commit added with a payment_gate_config of EXTERNAL (a
// create's commits, an edit's add_commits, an auto-recharge, a threshold
// charge) is created
// pending: it lives in Contract.Gated, in no balance, never drawn, with a
// payment workflow (Contract.Workflows). The end of the shard run that made
// the workflow queues payment_gate.external_initiate with the workflow id
// and the invoice total; the client settles it with release_payment_gate
// (POST /v1/contracts/commits/threshold-billing/release). Paid: the commit
// moves into Balances (a threshold charge's commit first pays the spend
// already on the draft statements, threshold.go). Failed: the commit stays
// in Gated, voided with the reason kept; a failed recharge disables
// auto-recharge (recharge.go). Either way payment_gate.payment_status is
// notified. A workflow is settled once: a later release of it, whatever
// its outcome, changes nothing and answers the status it settled with.
//
// NONE is no gate: an edit's commit is added as any other; an engine-raised
// commit (recharge, threshold) is issued at once, its purchase recorded on
// its workflow's invoice.
//
// STRIPE (a create's commits, an edit's add_commits, both threshold
// configurations; commands written before create_contract version 4 and
// edit_contract version 3 refuse it on a create and on the threshold
// configurations, as their builds did: StripeGatesRefused) works as EXTERNAL except for who charges and who settles:
// the customer must have a stripe billing provider configuration with a
// stripe_customer_id; the end of the run queues payment_gate.stripe_charge
// (never sent to webhook destinations) with that id and the total, and the
// leader's dispatcher charges it through Stripe (effects/dispatch.go,
// effects/stripe.go), keyed by the notification id, and settles it with
// release_payment_gate from Stripe (Provider "stripe"): as a PaymentIntent,
// or through a Stripe invoice when the gate's stripe_config says INVOICE
// (stripe_gate.go). The API's release
// cannot settle a STRIPE workflow, nor Stripe an EXTERNAL one.
//
// Everything here is deterministic: ids derive from the contract and the
// workflow's place in it, times are the stamped time.

// Payment gate types and statuses.
const (
	GateNone     = "NONE"
	GateExternal = "EXTERNAL"
	GateStripe   = "STRIPE"

	GatePending = "pending"
	GatePaid    = "paid"
	GateFailed  = "failed"
)

// Workflow types, as payment_gate notifications name them.
const (
	WorkflowManualCommit = "manual_commit"
	WorkflowRecharge     = "prepaid_balance"
	WorkflowSpend        = "spend"
)

// KindReleasePaymentGate settles a payment workflow (numbered apart, as the
// alert kinds are).
const KindReleasePaymentGate Kind = 40

// PaymentGateInput is a payment_gate_config as given.
type PaymentGateInput struct {
	// Type is NONE, EXTERNAL or STRIPE.
	Type string `msgpack:"Type"`
	// Stripe is a STRIPE gate's stripe_config (stripe_gate.go; nil:
	// PAYMENT_INTENT, as every command written before it meant). Omitted
	// when nil, so such a command keeps its bytes.
	Stripe *StripeGateConfig `msgpack:"Stripe,omitempty"`
}

// ReleasePaymentGate is POST /v1/contracts/commits/threshold-billing/release.
type ReleasePaymentGate struct {
	WorkflowID string `msgpack:"WorkflowID"`
	// Outcome is paid or failed.
	Outcome string `msgpack:"Outcome"`
	// ErrorMessage is kept as the void reason of a failed payment ("" ⇒
	// "payment failed").
	ErrorMessage string `msgpack:"ErrorMessage"`
	// Provider is who settles: "" the API (EXTERNAL gates), ProviderStripe
	// the leader's Stripe client or a verified Stripe event (STRIPE gates).
	// Added with STRIPE gates; omitted when empty, so older entries (all
	// "") keep their bytes and meaning.
	Provider string `msgpack:"Provider,omitempty"`
	// PaymentIntentID is Stripe's PaymentIntent of an action_required
	// release (payment_action.go), for its notification; omitted when
	// empty, as in every earlier entry.
	PaymentIntentID string `msgpack:"PaymentIntentID,omitempty"`
	// StripeInvoiceID is the Stripe invoice a STRIPE gate of payment_type
	// INVOICE was paid through (stripe_gate.go), kept on the workflow the
	// first time a release names it; omitted when empty, as in every
	// earlier entry.
	StripeInvoiceID string `msgpack:"StripeInvoiceID,omitempty"`
}

// ProviderStripe is ReleasePaymentGate.Provider of a release from Stripe.
const ProviderStripe = "stripe"

func (*ReleasePaymentGate) Kind() Kind { return KindReleasePaymentGate }

// PaymentWorkflow is one charge through a payment gate and the commit it
// pays for.
type PaymentWorkflow struct {
	ID string `msgpack:"ID"`
	// Type is manual_commit, prepaid_balance (auto-recharge) or spend.
	Type       string       `msgpack:"Type"`
	CommitID   string       `msgpack:"CommitID"`
	GateType   string       `msgpack:"GateType"`
	Status     string       `msgpack:"Status"`
	InvoiceID  string       `msgpack:"InvoiceID"`
	Amount     money.Amount `msgpack:"Amount"`
	CreditType string       `msgpack:"CreditType"`
	CreatedAt  Nanos        `msgpack:"CreatedAt"`
	SettledAt  Nanos        `msgpack:"SettledAt"`
	// ErrorMessage is why a failed payment failed; on a pending STRIPE
	// workflow, the customer action its payment waits for
	// (payment_action.go).
	ErrorMessage string `msgpack:"ErrorMessage"`
	// Notified: its initiate notification was queued (the end of the run
	// that made it queues it, so an edit that fails queues nothing).
	Notified bool `msgpack:"Notified"`
	// Stripe is the stripe_config of a STRIPE gate's workflow (nil: a
	// PaymentIntent), and StripeInvoiceID the Stripe invoice it is paid
	// through, once known (stripe_gate.go; customer layout 13).
	Stripe          *StripeGateConfig `msgpack:"Stripe,omitempty"`
	StripeInvoiceID string            `msgpack:"StripeInvoiceID,omitempty"`
}

// GateAnswer is what a release answers: the workflow as settled.
type GateAnswer struct {
	WorkflowID string
	Status     string
	CommitID   string
}

// paymentProps are the properties of a payment_gate notification, in
// Metronome's names; the fields a type does not use are omitted.
type paymentProps struct {
	WorkflowType    string       `json:"workflow_type"`
	CustomerID      string       `json:"customer_id"`
	ContractID      string       `json:"contract_id"`
	WorkflowID      string       `json:"workflow_id,omitempty"`
	CommitID        string       `json:"commit_id,omitempty"`
	InvoiceID       string       `json:"invoice_id,omitempty"`
	InvoiceTotal    *json.Number `json:"invoice_total,omitempty"`
	InvoiceCurrency string       `json:"invoice_currency,omitempty"`
	PaymentStatus   string       `json:"payment_status,omitempty"`
	ErrorMessage    string       `json:"error_message,omitempty"`
	Timestamp       string       `json:"timestamp,omitempty"`
	Threshold       *json.Number `json:"threshold_amount,omitempty"`
	CurrentSpend    *json.Number `json:"current_spend,omitempty"`
	IsEnabled       *bool        `json:"is_enabled,omitempty"`
	// StripeCustomerID is the customer's Stripe id (stripe_charge only).
	StripeCustomerID string `json:"stripe_customer_id,omitempty"`
	// PaymentType and InvoiceMetadata are a stripe_charge's
	// stripe_config when it pays by invoice (omitted for a PaymentIntent,
	// so those notifications keep their bytes).
	PaymentType     string            `json:"payment_type,omitempty"`
	InvoiceMetadata map[string]string `json:"invoice_metadata,omitempty"`
}

// StripeCharge is the properties of a payment_gate.stripe_charge
// notification, as the Stripe client reads them.
type StripeCharge struct {
	WorkflowType     string      `json:"workflow_type"`
	CustomerID       string      `json:"customer_id"`
	ContractID       string      `json:"contract_id"`
	WorkflowID       string      `json:"workflow_id"`
	CommitID         string      `json:"commit_id"`
	InvoiceID        string      `json:"invoice_id"`
	InvoiceTotal     json.Number `json:"invoice_total"`
	InvoiceCurrency  string      `json:"invoice_currency"`
	StripeCustomerID string      `json:"stripe_customer_id"`
	// PaymentType is INVOICE for a Stripe invoice ("": a PaymentIntent),
	// with its InvoiceMetadata.
	PaymentType     string            `json:"payment_type"`
	InvoiceMetadata map[string]string `json:"invoice_metadata"`
}

// Notification types of payment gates.
const (
	NotePaymentInitiate  = "payment_gate.external_initiate"
	NotePaymentStatus    = "payment_gate.payment_status"
	NoteThresholdReached = "payment_gate.threshold_reached"
	// NoteStripeCharge asks the leader's Stripe client to charge a STRIPE
	// gate's workflow; it is not a webhook (destinations never get it).
	NoteStripeCharge = "payment_gate.stripe_charge"
)

// StripeCustomerID is the customer's Stripe customer id: the
// stripe_customer_id of its stripe billing provider configuration ("" if
// none).
func (c *Customer) StripeCustomerID() string {
	for _, bp := range c.BillingProviders() {
		if bp.BillingProvider == "stripe" && bp.Configuration["stripe_customer_id"] != "" {
			return bp.Configuration["stripe_customer_id"]
		}
	}
	return ""
}

// prepareGate validates an added commit's payment_gate_config and, for a
// gate, marks the commit pending: its purchase is paid through the gate
// (an invoice of its own), so it bills nothing on usage statements; it is a
// paid commit for the burn-down order.
func prepareGate(c *Customer, cm *Commit, in *CommitInput, field string, now Nanos) *Error {
	g := in.PaymentGate
	if g == nil || g.Type == GateNone || g.Type == "" {
		return checkStripeConfig(g, field)
	}
	switch g.Type {
	case GateExternal:
	case GateStripe:
		if c.StripeCustomerID() == "" {
			return errorf(Invalid, "%s.payment_gate_config.payment_gate_type: STRIPE needs the customer's stripe billing provider configuration with a stripe_customer_id", field)
		}
	default:
		return errorf(Invalid, "%s.payment_gate_config.payment_gate_type: %q is not supported (NONE, EXTERNAL or STRIPE)", field, g.Type)
	}
	if err := checkStripeConfig(g, field); err != nil {
		return err
	}
	if cm.Type != CommitPrepaid {
		return errorf(Invalid, "%s.payment_gate_config: only PREPAID commits can be payment-gated", field)
	}
	total := cm.purchaseTotal()
	if len(cm.InvoiceSchedule()) == 0 {
		cm.SetInvoiceSchedule([]InvoiceItem{{ID: DeriveID(cm.ID, "invoice_item", "0"), Timestamp: now, Amount: total}})
	}
	cm.DoNotInvoice = true
	cm.editGate(func(cg *CommitGate) { cg.Type, cg.Status = g.Type, GatePending })
	return nil
}

// purchaseTotal is what buying the commit costs: its invoice schedule, or
// without one its access amounts.
func (cm *Commit) purchaseTotal() money.Amount {
	var total money.Amount
	if len(cm.InvoiceSchedule()) > 0 {
		for _, it := range cm.InvoiceSchedule() {
			a, _ := inputAmount(it.Amount)
			total = total.Add(a)
		}
		return total
	}
	for _, s := range cm.Segments {
		total = total.Add(s.Amount)
	}
	return total
}

// gate parks a pending commit in Gated with a new workflow of the type,
// paid with the STRIPE gate's configuration (nil for other gates).
func (k *Contract) gate(cm *Commit, typ string, stripe *StripeGateConfig, now Nanos) *PaymentWorkflow {
	wf := &PaymentWorkflow{
		ID: DeriveID(k.ID, "payment_workflow", strconv.Itoa(len(k.Workflows()))), Type: typ, CommitID: cm.ID,
		GateType: cm.GateType(), Status: GatePending, Amount: cm.purchaseTotal(), CreditType: cm.CreditTypeID, CreatedAt: now,
	}
	if cm.GateType() == GateStripe {
		wf.Stripe = stripe.clone()
	}
	wf.InvoiceID = DeriveID(wf.ID, "invoice")
	cm.editGate(func(g *CommitGate) { g.WorkflowID = wf.ID })
	k.EditExtra(func(e *ContractExtra) { e.Gated = append(e.Gated, cm) })
	k.EditExtra(func(e *ContractExtra) { e.Workflows = append(e.Workflows, wf) })
	return wf
}

// workflow finds a payment workflow of the customer, with its contract.
func (c *Customer) workflow(id string) (*Contract, *PaymentWorkflow) {
	for _, k := range c.Contracts {
		for i := len(k.Workflows()) - 1; i >= 0; i-- {
			if k.Workflows()[i].ID == id {
				return k, k.Workflows()[i]
			}
		}
	}
	return nil, nil
}

// Workflow is workflow for readers.
func (c *Customer) Workflow(id string) (*Contract, *PaymentWorkflow) { return c.workflow(id) }

// gated returns the pending or voided commit with this id, and its index.
func (k *Contract) gated(id string) (*Commit, int) {
	for i, cm := range k.Gated() {
		if cm.ID == id {
			return cm, i
		}
	}
	return nil, -1
}

// lastWorkflow is the contract's latest workflow of the type, or nil.
func (k *Contract) lastWorkflow(typ string) *PaymentWorkflow {
	for i := len(k.Workflows()) - 1; i >= 0; i-- {
		if k.Workflows()[i].Type == typ {
			return k.Workflows()[i]
		}
	}
	return nil
}

// inFlight reports whether a workflow of the type awaits its payment.
func (k *Contract) inFlight(typ string) bool {
	wf := k.lastWorkflow(typ)
	return wf != nil && wf.Status == GatePending
}

func routeReleasePaymentGate(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	id := cmd.(*ReleasePaymentGate).WorkflowID
	if h, ok := b.e.workflowOwners.load(id); ok {
		return h, nil
	}
	return nil, errorf(NotFound, "workflow_id: workflow %s not found", id)
}

// validateReleasePaymentGate refuses an outcome other than paid or failed
// and an unknown workflow, before the gate.
func validateReleasePaymentGate(c *Customer, command Command, _ *Catalog, _ Nanos) *Error {
	cmd := command.(*ReleasePaymentGate)
	if cmd.Outcome == GateActionRequired && cmd.Provider != ProviderStripe {
		return errorf(Invalid, "outcome: %s comes from Stripe alone", GateActionRequired)
	}
	if cmd.Outcome != GatePaid && cmd.Outcome != GateFailed && cmd.Outcome != GateActionRequired {
		return errorf(Invalid, "outcome: must be paid or failed")
	}
	if len(cmd.StripeInvoiceID) > MaxExternalIDLen || (cmd.StripeInvoiceID != "" && cmd.Provider != ProviderStripe) {
		return errorf(Invalid, "stripe_invoice_id: at most %d characters, from Stripe alone", MaxExternalIDLen)
	}
	if c == nil {
		return errorf(NotFound, "workflow_id: workflow %s not found", cmd.WorkflowID)
	}
	if _, wf := c.workflow(cmd.WorkflowID); wf == nil {
		return errorf(NotFound, "workflow_id: workflow %s not found", cmd.WorkflowID)
	}
	return nil
}

func applyReleasePaymentGate(s *shard, t *task, c *Customer, cat *Catalog, now Nanos) {
	cmd := t.cmd.(*ReleasePaymentGate)
	k, wf := c.workflow(cmd.WorkflowID)
	t.res.ID = wf.ID
	switch {
	case wf.GateType == GateStripe && cmd.Provider != ProviderStripe:
		t.res.Err = errorf(Invalid, "workflow_id: workflow %s has a STRIPE gate: Stripe settles it", wf.ID)
		return
	case wf.GateType != GateStripe && cmd.Provider != "":
		t.res.Err = errorf(Invalid, "workflow_id: workflow %s has no STRIPE gate", wf.ID)
		return
	}
	if cmd.StripeInvoiceID != "" && wf.StripeInvoiceID == "" && wf.Stripe.PaysByInvoice() {
		wf.StripeInvoiceID = cmd.StripeInvoiceID
	}
	switch {
	case wf.Status != GatePending:
	case cmd.Outcome == GateActionRequired:
		s.awaitAction(c, k, wf, cmd, now)
	default:
		s.settle(c, k, wf, cmd.Outcome == GatePaid, cmd.ErrorMessage, cat, now)
	}
	t.res.Gate = &GateAnswer{WorkflowID: wf.ID, Status: wf.Status, CommitID: wf.CommitID}
}

// settle records a pending workflow's outcome.
func (s *shard) settle(c *Customer, k *Contract, wf *PaymentWorkflow, paid bool, reason string, cat *Catalog, now Nanos) {
	cm, i := k.gated(wf.CommitID)
	wf.SettledAt = now
	if paid {
		wf.Status, wf.ErrorMessage = GatePaid, "" // a customer action it waited for is done
		if cm != nil {
			cm.editGate(func(g *CommitGate) { g.Status = GatePaid })
			k.EditExtra(func(e *ContractExtra) { e.Gated = append(e.Gated[:i:i], e.Gated[i+1:]...) })
			k.Balances = append(k.Balances, cm)
			if wf.Type == WorkflowSpend {
				k.payOutstanding(cm, cat)
			}
		}
	} else {
		if reason == "" {
			reason = "payment failed"
		}
		wf.Status, wf.ErrorMessage = GateFailed, reason
		if cm != nil {
			cm.editGate(func(g *CommitGate) { g.Status, g.VoidReason = GateFailed, reason })
		}
		switch wf.Type {
		case WorkflowRecharge:
			if k.Recharge() != nil {
				k.Recharge().IsEnabled = false
			}
		case WorkflowSpend:
			if k.SpendThreshold() != nil {
				k.SpendThreshold().FailedUnbilled = k.SpendThreshold().FailedUnbilled.Add(wf.Amount)
			}
		}
	}
	s.notifyPayment(c, k, wf, NotePaymentStatus, now)
}

// evaluatePayments runs at the end of every shard run for each customer the
// run changed: auto-recharge and threshold billing look at the state the
// run left, and new workflows are announced (and made routable).
func (s *shard) evaluatePayments(c *Customer, cat *Catalog, now Nanos) {
	for _, k := range c.Contracts {
		if k.Recharge() == nil && k.SpendThreshold() == nil && len(k.Workflows()) == 0 {
			continue
		}
		s.evaluateThresholds(c, k, cat, now)
		n := len(k.Workflows())
		for n > 0 && !k.Workflows()[n-1].Notified {
			n--
		}
		for _, wf := range k.Workflows()[n:] {
			wf.Notified = true
			s.eng.workflowOwners.store(wf.ID, c.handle)
			if wf.Status == GatePending && wf.GateType == GateExternal {
				s.notifyPayment(c, k, wf, NotePaymentInitiate, now)
			}
			if wf.Status == GatePending && wf.GateType == GateStripe {
				s.notifyPayment(c, k, wf, NoteStripeCharge, now)
			}
		}
	}
}

// paymentWatched reports whether the contract's usage is evaluated after
// each event: it has auto-recharge or threshold billing.
func (k *Contract) paymentWatched() bool { return k.Recharge() != nil || k.SpendThreshold() != nil }

// evaluateThresholds evaluates threshold billing, then auto-recharge, of
// the contract if it is one of those in force at now (contractsAt). It runs after every event
// rated for such a contract and at the end of every run that changed its
// customer, so where a log entry's events are cut into entries never
// changes what is raised: each crossing raises at the event that crossed.
func (s *shard) evaluateThresholds(c *Customer, k *Contract, cat *Catalog, now Nanos) {
	if !k.paymentWatched() || !c.ratesAt(k, now) {
		return
	}
	if rc := cat.RateCards[k.RateCardID]; rc != nil {
		s.evaluateSpendThreshold(c, k, rc, cat, now)
		s.evaluateRecharge(c, k, rc, cat, now)
	}
}

// raise makes an engine-initiated commit (a recharge or a threshold
// charge) of amount: pending behind an EXTERNAL or STRIPE gate (the end
// of the run announces it: evaluatePayments), or issued at once with NONE. Its access runs from now to the contract's end (100 years
// for an open-ended contract).
func (s *shard) raise(c *Customer, k *Contract, rc *RateCard, typ string, tc *ThresholdCommit, gateType string, stripe *StripeGateConfig, amount money.Amount, now Nanos, cat *Catalog) *PaymentWorkflow {
	id := DeriveID(k.ID, "payment_workflow", strconv.Itoa(len(k.Workflows())), "commit")
	end := k.EndingBefore
	if end == 0 || end <= now {
		end = now + 100*365*nanosPerDay
	}
	c.Seq++
	cm := &Commit{
		ID: id, Type: CommitPrepaid, ProductID: tc.ProductID, Name: tc.Name,
		CreditTypeID: rc.FiatCreditTypeID,
		CreatedAt:    now, Seq: c.Seq, DoNotInvoice: true,
		Extra: newCommitExtra(tc.Description, tc.Priority, tc.ApplicableProductIDs, tc.ApplicableProductTags,
			[]InvoiceItem{{ID: DeriveID(id, "invoice_item", "0"), Timestamp: now, Amount: amount}}, nil),
		Segments: []*Segment{newSegment("", 0, amount, now, end)},
	}
	cm.Extra.Gate = &CommitGate{Type: gateType, Status: GatePending}
	wf := k.gate(cm, typ, stripe, now)
	if gateType != GateExternal && gateType != GateStripe {
		wf.GateType = GateNone
		s.settle(c, k, wf, true, "", cat, now)
		wf.Notified = true
		s.eng.workflowOwners.store(wf.ID, c.handle)
	}
	c.reschedule = true // a new segment ends: a transition
	return wf
}

// notifyPayment queues a payment_gate notification about a workflow.
func (s *shard) notifyPayment(c *Customer, k *Contract, wf *PaymentWorkflow, typ string, now Nanos) {
	p := paymentProps{WorkflowType: wf.Type, CustomerID: c.ID, ContractID: k.ID, WorkflowID: wf.ID, CommitID: wf.CommitID,
		InvoiceID: wf.InvoiceID, Timestamp: fmtTime(now)}
	switch typ {
	case NotePaymentInitiate:
		p.InvoiceTotal, p.InvoiceCurrency = num(wf.Amount), "USD"
	case NoteStripeCharge:
		p.InvoiceTotal, p.InvoiceCurrency, p.StripeCustomerID = num(wf.Amount), "USD", c.StripeCustomerID()
		if wf.Stripe.PaysByInvoice() {
			p.PaymentType, p.InvoiceMetadata = wf.Stripe.PaymentType, wf.Stripe.InvoiceMetadata
		}
	case NotePaymentStatus:
		p.PaymentStatus, p.ErrorMessage = wf.Status, wf.ErrorMessage
		if wf.Type == WorkflowRecharge && wf.Status == GateFailed && k.Recharge() != nil {
			off := false
			p.IsEnabled = &off
		}
	}
	s.notes = append(s.notes, pendingNote{customerID: c.ID, typ: typ, props: p})
}

// clonePayments deep-copies the payment state for an edit's private copy.
func (k *Contract) clonePayments(n *Contract) {
	if k.Recharge() != nil {
		r := *k.Recharge()
		r.Stripe = r.Stripe.clone()
		n.Extra.Recharge = &r
	}
	if k.SpendThreshold() != nil {
		t := *k.SpendThreshold()
		t.Stripe = t.Stripe.clone()
		n.Extra.SpendThreshold = &t
	}
	if k.Workflows() != nil {
		n.Extra.Workflows = make([]*PaymentWorkflow, len(k.Workflows()))
		for i, wf := range k.Workflows() {
			w := *wf
			w.Stripe = wf.Stripe.clone()
			n.Extra.Workflows[i] = &w
		}
	}
	if k.Gated() != nil {
		n.Extra.Gated = make([]*Commit, len(k.Gated()))
		for i, cm := range k.Gated() {
			c := *cm
			c.Segments = make([]*Segment, len(cm.Segments))
			for j, sg := range cm.Segments {
				sc := *sg
				c.Segments[j] = &sc
			}
			n.Extra.Gated[i] = &c
		}
	}
}

// restoreWorkflowOwners rebuilds the workflow routing of restored customers.
func (e *Engine) restoreWorkflowOwners(customers []*Customer, handles map[string]*CustomerHandle) {
	m := map[string]*CustomerHandle{}
	for _, c := range customers {
		for _, k := range c.Contracts {
			for _, wf := range k.Workflows() {
				m[wf.ID] = handles[c.ID]
			}
		}
	}
	e.workflowOwners.reset(m)
}

// InGate reports whether the commit is held by its payment gate: pending,
// or voided by a failed payment. It is in no balance.
func (cm *Commit) InGate() bool {
	s := cm.GateStatus()
	return s == GatePending || s == GateFailed
}

// ListedCommits is the contract's commits and credits as listed: its
// balances, then its gated (pending or voided) commits.
func (k *Contract) ListedCommits() []*Commit {
	if len(k.Gated()) == 0 {
		return k.Balances
	}
	out := make([]*Commit, 0, len(k.Balances)+len(k.Gated()))
	return append(append(out, k.Balances...), k.Gated()...)
}

// WorkflowOwner returns the customer id a payment workflow belongs to (""
// if unknown).
func (e *Engine) WorkflowOwner(id string) string {
	if h, ok := e.workflowOwners.load(id); ok {
		return h.ID
	}
	return ""
}
