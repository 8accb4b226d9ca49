package persist

import "burndown/engine"

// Customer layout 8 (payments): layout 6 plus, at the end of a commit's
// record, its payment gate (type, status, workflow, void reason), and at the
// end of a contract's record its auto-recharge and threshold billing
// configurations, its payment workflows and its gated (pending or voided)
// commits. Layout 7 is reserved for a parallel branch; records of layouts
// 1-6 read without these fields.

// commitGate writes a commit's payment gate (layout 8).
func (w *binWriter) commitGate(cm *engine.Commit) {
	g := cm.Gate()
	w.str(g.Type)
	w.str(g.Status)
	w.str(g.WorkflowID)
	w.str(g.VoidReason)
}

func (r *binReader) commitGate(cm *engine.Commit) {
	// Read in record order (a composite literal's calls run left to right).
	cm.SetGate(engine.CommitGate{Type: r.str(), Status: r.str(), WorkflowID: r.uniqueStr(), VoidReason: r.str()})
}

func (w *binWriter) thresholdCommit(tc *engine.ThresholdCommit) {
	w.str(tc.ProductID)
	w.str(tc.Name)
	w.str(tc.Description)
	w.amtPtr(tc.Priority)
	w.strs(tc.ApplicableProductIDs)
	w.strs(tc.ApplicableProductTags)
}

func (r *binReader) thresholdCommit(tc *engine.ThresholdCommit) {
	tc.ProductID = r.str()
	tc.Name = r.str()
	tc.Description = r.str()
	tc.Priority = r.amtPtr()
	tc.ApplicableProductIDs = r.strs()
	tc.ApplicableProductTags = r.strs()
}

// payments writes a contract's payment state (layout 8).
func (w *binWriter) payments(k *engine.Contract) {
	w.boolean(k.Recharge() != nil)
	if c := k.Recharge(); c != nil {
		w.boolean(c.IsEnabled)
		w.amt(c.Threshold)
		w.amt(c.RechargeTo)
		w.thresholdCommit(&c.Commit)
		w.str(c.GateType)
	}
	w.boolean(k.SpendThreshold() != nil)
	if c := k.SpendThreshold(); c != nil {
		w.boolean(c.IsEnabled)
		w.amt(c.Threshold)
		w.thresholdCommit(&c.Commit)
		w.str(c.GateType)
		w.amt(c.FailedUnbilled)
	}
	w.presence(k.Workflows() == nil, len(k.Workflows()))
	for _, wf := range k.Workflows() {
		w.str(wf.ID)
		w.str(wf.Type)
		w.str(wf.CommitID)
		w.str(wf.GateType)
		w.str(wf.Status)
		w.str(wf.InvoiceID)
		w.amt(wf.Amount)
		w.str(wf.CreditType)
		w.varint(wf.CreatedAt)
		w.varint(wf.SettledAt)
		w.str(wf.ErrorMessage)
		w.boolean(wf.Notified)
	}
	w.presence(k.Gated() == nil, len(k.Gated()))
	for _, cm := range k.Gated() {
		w.commit(cm)
	}
}

func (r *binReader) payments(k *engine.Contract) {
	if r.boolean() {
		c := &engine.RechargeConfig{}
		c.IsEnabled = r.boolean()
		c.Threshold = r.amount(r)
		c.RechargeTo = r.amount(r)
		r.thresholdCommit(&c.Commit)
		c.GateType = r.str()
		k.EditExtra(func(x *engine.ContractExtra) { x.Recharge = c })
	}
	if r.boolean() {
		c := &engine.SpendThresholdConfig{}
		c.IsEnabled = r.boolean()
		c.Threshold = r.amount(r)
		r.thresholdCommit(&c.Commit)
		c.GateType = r.str()
		c.FailedUnbilled = r.amount(r)
		k.EditExtra(func(x *engine.ContractExtra) { x.SpendThreshold = c })
	}
	if n := r.uvarint(); n > 0 {
		k.EditExtra(func(x *engine.ContractExtra) { x.Workflows = make([]*engine.PaymentWorkflow, r.count(n-1)) })
		for i := range k.Workflows() {
			wf := &engine.PaymentWorkflow{}
			wf.ID = r.uniqueStr()
			wf.Type = r.str()
			wf.CommitID = r.uniqueStr()
			wf.GateType = r.str()
			wf.Status = r.str()
			wf.InvoiceID = r.uniqueStr()
			wf.Amount = r.amount(r)
			wf.CreditType = r.str()
			wf.CreatedAt = r.varint()
			wf.SettledAt = r.varint()
			wf.ErrorMessage = r.str()
			wf.Notified = r.boolean()
			k.Workflows()[i] = wf
		}
	}
	if n := r.uvarint(); n > 0 {
		k.EditExtra(func(x *engine.ContractExtra) { x.Gated = make([]*engine.Commit, r.count(n-1)) })
		for i := range k.Gated() {
			k.Gated()[i] = r.commit()
		}
	}
}

// externalInvoice writes an invoice's billing provider invoice (layout 9).
func (w *binWriter) externalInvoice(x *engine.ExternalInvoice) {
	w.boolean(x != nil)
	if x != nil {
		w.str(x.Provider)
		w.str(x.InvoiceID)
		w.str(x.Status)
		w.varint(x.IssuedAt)
	}
}

func (r *binReader) externalInvoice() *engine.ExternalInvoice {
	if !r.boolean() {
		return nil
	}
	x := &engine.ExternalInvoice{}
	x.Provider = r.str()
	x.InvoiceID = r.str()
	x.Status = r.str()
	x.IssuedAt = r.varint()
	return x
}

// contractBillingProvider writes a contract's billing_provider_configuration
// (layout 9).
func (w *binWriter) contractBillingProvider(b *engine.ContractBillingProvider) {
	w.boolean(b != nil)
	if b != nil {
		w.str(b.BillingProvider)
		w.str(b.DeliveryMethod)
	}
}

func (r *binReader) contractBillingProvider() *engine.ContractBillingProvider {
	if !r.boolean() {
		return nil
	}
	b := &engine.ContractBillingProvider{}
	b.BillingProvider = r.str()
	b.DeliveryMethod = r.str()
	return b
}
