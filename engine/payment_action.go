package engine

// A STRIPE payment that needs the customer's action. When Stripe answers a
// gate's PaymentIntent with requires_action (3D Secure and the like: the
// customer must authenticate, which an off-session charge cannot), the
// leader's Stripe client (or Stripe's payment_intent.requires_action event)
// proposes release_payment_gate with Outcome GateActionRequired. As in
// Metronome, the workflow stays pending (its commit is not issued, its
// charge not voided) and payment_gate.payment_pending_action_required is
// notified, through the replicated outbox like every notification, so it
// goes out once per distinct action: the action is kept as the pending
// workflow's ErrorMessage, and the same answer again (a retried charge
// gets the same PaymentIntent back) notifies nothing. Stripe's
// payment_intent.succeeded or payment_intent.payment_failed settles it
// later, as any STRIPE workflow; a paid one clears the message.

// GateActionRequired is ReleasePaymentGate.Outcome of a STRIPE payment
// waiting for the customer's action: the workflow stays pending.
const GateActionRequired = "action_required"

// NotePendingAction tells that a gate's payment waits for the customer.
const NotePendingAction = "payment_gate.payment_pending_action_required"

// AwaitsAction reports whether the workflow is pending on the customer's
// action: its charge was made, so it must not be made again.
func (wf *PaymentWorkflow) AwaitsAction() bool {
	return wf.Status == GatePending && wf.ErrorMessage != ""
}

// pendingActionProps are the properties of a
// payment_gate.payment_pending_action_required notification.
type pendingActionProps struct {
	paymentProps
	BillingProvider *stripeProviderProps `json:"billing_provider,omitempty"`
}

// stripeProviderProps is Metronome's billing_provider of a payment_gate
// notification: {type: "stripe", stripe: {payment_intent_id}}.
type stripeProviderProps struct {
	Type   string `json:"type"`
	Stripe struct {
		PaymentIntentID string `json:"payment_intent_id"`
	} `json:"stripe"`
}

// awaitAction records that a pending STRIPE workflow's payment waits for
// the customer's action, and notifies it unless that action was already
// notified.
func (s *shard) awaitAction(c *Customer, k *Contract, wf *PaymentWorkflow, cmd *ReleasePaymentGate, now Nanos) {
	action := cmd.ErrorMessage
	if action == "" {
		action = "requires_action"
	}
	if wf.ErrorMessage == action {
		return
	}
	wf.ErrorMessage = action
	p := pendingActionProps{paymentProps: paymentProps{WorkflowType: wf.Type, CustomerID: c.ID, ContractID: k.ID, WorkflowID: wf.ID,
		CommitID: wf.CommitID, InvoiceID: wf.InvoiceID, ErrorMessage: action, Timestamp: fmtTime(now)}}
	if cmd.PaymentIntentID != "" {
		p.BillingProvider = &stripeProviderProps{Type: ProviderStripe}
		p.BillingProvider.Stripe.PaymentIntentID = cmd.PaymentIntentID
	}
	s.notes = append(s.notes, pendingNote{customerID: c.ID, typ: NotePendingAction, props: p})
}
