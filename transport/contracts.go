package transport

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// decodeCommit validates one entry of commits[] or credits[]. Every key it
// reads is applied (see appliedFields); anything else is refused by the
// reader.
func decodeCommit(o obj, isCredit bool) engine.CommitInput {
	in := engine.CommitInput{
		ProductID:             o.str("product_id", true),
		Name:                  o.str("name", false),
		Description:           o.str("description", false),
		Priority:              o.amountPtr("priority", false),
		ApplicableProductIDs:  o.strList("applicable_product_ids", false),
		ApplicableProductTags: o.strList("applicable_product_tags", false),
		CustomFields:          o.strMap("custom_fields"),
	}
	switch {
	case isCredit:
		in.Type = engine.CommitCredit
	case !o.has("type") && paymentGated(o):
		// Only a PREPAID commit can be payment-gated, so a gated commit
		// without its type (as the prepaid-credits guide sends it) is one.
		in.Type = engine.CommitPrepaid
	default:
		in.Type = o.enum("type", true, engine.CommitPrepaid, engine.CommitPostpaid)
	}
	// rate_type says whether usage draws at the rate's commit_rate or its
	// list price. Rates here have no commit_rate (addRate refuses it), so
	// both values draw at the list price: either takes effect as asked.
	o.enum("rate_type", false, "COMMIT_RATE", "LIST_RATE")
	as, ok := o.object("access_schedule", true)
	if ok {
		in.CreditTypeID = as.str("credit_type_id", false)
		for _, it := range as.objects("schedule_items", true, 1000) {
			item := engine.ScheduleItem{StartingAt: it.time("starting_at", true), EndingBefore: it.time("ending_before", true)}
			// The hybrid-model guide gives the credit type on the item:
			// a commit has one, so it is the schedule's.
			if ct := it.str("credit_type_id", false); ct != "" && o.r.err == nil {
				if in.CreditTypeID == "" {
					in.CreditTypeID = ct
				} else if ct != in.CreditTypeID {
					o.r.fail(it.sub("credit_type_id"), "must match access_schedule.credit_type_id %s (a commit has one credit type: send it once, as access_schedule.credit_type_id)", in.CreditTypeID)
				}
			}
			// The engine refuses an item that does not end after it
			// starts, naming it: the rule lives there only.
			item.Amount, _ = it.amount("amount", true, true)
			in.AccessSchedule = append(in.AccessSchedule, item)
		}
	}
	if !isCredit {
		// The invoice schedule bills a PREPAID commit's purchase on the usage
		// invoices (commit_purchase lines); a POSTPAID commit's one item is
		// its true-up (see engine/commitbilling.go). do_not_invoice keeps the
		// schedule for the burn-down order only.
		if is, ok := o.object("invoice_schedule", false); ok {
			if ct := is.str("credit_type_id", false); ct != "" && ct != in.CreditTypeID && o.r.err == nil {
				o.r.fail(is.sub("credit_type_id"), "must match access_schedule.credit_type_id")
			}
			if b := is.boolPtr("do_not_invoice"); b != nil {
				in.DoNotInvoice = *b
			}
			items := is.objects("schedule_items", false, 1000)
			rec, hasRec := is.object("recurring_schedule", false)
			if o.r.err == nil && len(items) > 0 && hasRec {
				o.r.fail(is.sub("schedule_items"), "give schedule_items or recurring_schedule, not both")
			}
			for _, it := range items {
				item := engine.InvoiceItem{Timestamp: it.time("timestamp", true)}
				if it.has("amount") {
					item.Amount, _ = it.amount("amount", true, true)
				} else {
					item.UnitPrice, _ = it.amount("unit_price", true, true)
					item.Quantity, _ = it.amount("quantity", true, true)
					item.Amount = item.UnitPrice.Mul(item.Quantity)
				}
				in.InvoiceSchedule = append(in.InvoiceSchedule, item)
			}
			if hasRec {
				in.InvoiceRecurring = decodeRecurringSchedule(rec)
			}
		}
	}
	return in
}

// paymentGated reports whether a commit's payment_gate_config gates it
// (EXTERNAL or STRIPE), without reading it: decodePaymentGate does.
func paymentGated(o obj) bool {
	g, _ := o.m["payment_gate_config"].(map[string]any)
	typ, _ := g["payment_gate_type"].(string)
	return strings.EqualFold(typ, engine.GateExternal) || strings.EqualFold(typ, engine.GateStripe)
}

// decodeOverride validates one entry of overrides[]. How several overrides
// that apply to one product combine is the contract's
// multiplier_override_prioritization (see engine/pricing.go).
func decodeOverride(o obj) engine.OverrideInput {
	in := engine.OverrideInput{
		StartingAt:            o.time("starting_at", true),
		EndingBefore:          o.time("ending_before", false),
		ProductID:             o.str("product_id", false),
		ApplicableProductTags: o.strList("applicable_product_tags", false),
		Entitled:              o.boolPtr("entitled"),
		Type:                  o.enum("type", false, "OVERWRITE", "MULTIPLIER"),
		Priority:              o.amountPtr("priority", true),
	}
	if in.Priority != nil && !in.Priority.IsPositive() && o.r.err == nil {
		o.r.fail(o.sub("priority"), "must be greater than zero")
	}
	if o.r.err != nil {
		return in
	}
	if in.ProductID == "" && len(in.ApplicableProductTags) == 0 {
		o.r.fail(o.sub("product_id"), "an override needs product_id or applicable_product_tags")
	}
	if in.EndingBefore != 0 && in.EndingBefore <= in.StartingAt {
		o.r.fail(o.sub("ending_before"), "must be after starting_at")
	}
	switch in.Type {
	case "MULTIPLIER":
		m, ok := o.amount("multiplier", true, true)
		if ok {
			in.Multiplier = &m
		}
	case "OVERWRITE":
		ow, ok := o.object("overwrite_rate", true)
		if ok {
			if ow.enum("rate_type", true, engine.RateFlat, engine.RateTiered) == engine.RateTiered {
				in.OverwriteTiers = decodeTiers(ow, "tiers")
			} else if p, ok := ow.amount("price", true, true); ok {
				in.OverwritePrice = &p
			}
		}
	case "":
		if in.Entitled == nil && o.r.err == nil {
			if o.has("multiplier") {
				in.Type = "MULTIPLIER"
				m, _ := o.amount("multiplier", true, true)
				in.Multiplier = &m
			} else {
				o.r.fail(o.sub("type"), "an override needs a type (OVERWRITE or MULTIPLIER) or entitled")
			}
		}
	}
	return in
}

// checkExplicitPriorities asks, under EXPLICIT prioritization, for the
// priority every MULTIPLIER needs (Metronome requires it).
func checkExplicitPriorities(r *reader, cmd *engine.CreateContract) {
	if cmd.MultiplierOverridePrioritization != engine.PrioritizationExplicit {
		return
	}
	for i, o := range cmd.Overrides {
		if o.Type == "MULTIPLIER" && o.Priority == nil {
			r.fail(index("overrides", i)+".priority", "is required for a MULTIPLIER under EXPLICIT multiplier_override_prioritization")
			return
		}
	}
}

// decodeCreateContract validates POST /v1/contracts/create.
func decodeCreateContract(body []byte) (*engine.CreateContract, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	cmd := &engine.CreateContract{
		CustomerID:    o.str("customer_id", true),
		RateCardID:    o.str("rate_card_id", false),
		RateCardAlias: o.str("rate_card_alias", false),
		Name:          o.str("name", false),
		StartingAt:    o.time("starting_at", true),
		EndingBefore:  o.time("ending_before", false),
		UniquenessKey: o.str("uniqueness_key", false),
		CustomFields:  o.strMap("custom_fields"),
	}
	if o.has("ending_at") {
		// The pay-as-you-go guide ends its contract with ending_at: the
		// instant it ends, which is what ending_before says.
		if cmd.EndingBefore != 0 {
			r.fail("ending_at", "give ending_before or ending_at (its spelling in Metronome's guides), not both")
		} else {
			cmd.EndingBefore = o.time("ending_at", true)
		}
	}
	cmd.PrepaidOnly, _ = o.boolean("prepaid_only", false)
	// New contracts store their prioritization (Metronome's default
	// LOWEST_MULTIPLIER); only contracts from older logs have none.
	cmd.MultiplierOverridePrioritization = o.enum("multiplier_override_prioritization", false,
		engine.PrioritizationLowestMultiplier, engine.PrioritizationExplicit)
	if cmd.MultiplierOverridePrioritization == "" {
		cmd.MultiplierOverridePrioritization = engine.PrioritizationLowestMultiplier
	}
	cmd.UsageStatementSchedule = decodeStatementSchedule(o)
	for _, c := range o.objects("scheduled_charges", false, 1000) {
		cmd.ScheduledCharges = append(cmd.ScheduledCharges, decodeScheduledCharge(c))
	}
	// ALL bills the scheduled charges on the usage invoices of their
	// periods; absent, on SCHEDULED invoices of their own (Metronome's
	// default; engine/scheduled_invoice.go).
	cmd.SeparateScheduledInvoices = o.enum("scheduled_charges_on_usage_invoices", false, scheduledOnUsageAll) == ""
	// A term that does not end after it starts is refused by the engine
	// ("ending_before: must be after starting_at"): the rule lives there.
	if r.err == nil {
		switch {
		case cmd.RateCardID == "" && cmd.RateCardAlias == "":
			r.fail("rate_card_id", "is required (or rate_card_alias)")
		case cmd.RateCardID != "" && cmd.RateCardAlias != "":
			r.fail("rate_card_alias", "give rate_card_id or rate_card_alias, not both")
		}
	}
	if commits := o.objects("commits", false, 1000); len(commits) > 0 {
		cmd.Commits = slices.Grow(cmd.Commits, len(commits)) // one allocation, not one per doubling
		for _, c := range commits {
			in := decodeCommit(c, false)
			in.PaymentGate = decodePaymentGate(c, false) // EXTERNAL: pending until released (engine/payments.go)
			cmd.Commits = append(cmd.Commits, in)
		}
	}
	for _, c := range o.objects("credits", false, 1000) {
		cmd.Credits = append(cmd.Credits, decodeCommit(c, true))
	}
	for _, ov := range o.objects("overrides", false, 1000) {
		cmd.Overrides = append(cmd.Overrides, decodeOverride(ov))
	}
	for _, sub := range o.objects("subscriptions", false, 100) {
		cmd.Subscriptions = append(cmd.Subscriptions, decodeSubscription(sub))
	}
	for _, rc := range o.objects("recurring_credits", false, 100) {
		cmd.RecurringCredits = append(cmd.RecurringCredits, decodeRecurring(rc))
	}
	for _, rc := range o.objects("recurring_commits", false, 100) {
		cmd.RecurringCommits = append(cmd.RecurringCommits, decodeRecurring(rc))
	}
	rechargeAt, spendAt := thresholdKeys(o)
	cmd.PrepaidBalanceThreshold = decodeRecharge(o, rechargeAt, false)
	cmd.SpendThreshold = decodeSpendThreshold(o, spendAt, false)
	cmd.BillingProviderConfiguration = decodeContractBillingProvider(o)
	cmd.UsageFilter = decodeUsageFilter(o)
	if r.err == nil {
		checkExplicitPriorities(r, cmd)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// decodeContractBillingProvider reads contracts/create's
// billing_provider_configuration: billing_provider stripe with
// delivery_method direct_to_billing_provider (the default), the one pairing served (the
// contract's finalized usage invoices are sent to Stripe). Other providers
// and delivery methods, and billing_provider_configuration_id, are
// refused by name; the engine checks that the customer has a stripe
// configuration with a stripe_customer_id.
func decodeContractBillingProvider(o obj) *engine.ContractBillingProvider {
	c, ok := o.object("billing_provider_configuration", false)
	if !ok {
		return nil
	}
	if c.has("billing_provider_configuration_id") {
		c.r.fail(c.sub("billing_provider_configuration_id"), "is not supported by this server yet: give billing_provider and delivery_method")
		return nil
	}
	out := &engine.ContractBillingProvider{BillingProvider: c.str("billing_provider", true), DeliveryMethod: c.str("delivery_method", false)}
	if c.r.err != nil {
		return nil
	}
	if out.DeliveryMethod == "" {
		// Stripe is reached one way only, so the hybrid-model guide's
		// {"billing_provider": "STRIPE"} needs no delivery_method.
		out.DeliveryMethod = engine.DeliveryDirect
	}
	switch {
	case !strings.EqualFold(out.BillingProvider, engine.ProviderStripeBilling):
		c.r.fail(c.sub("billing_provider"), "%q is not supported by this server yet (stripe only: finalized usage invoices are sent to Stripe)", out.BillingProvider)
		return nil
	case !strings.EqualFold(out.DeliveryMethod, engine.DeliveryDirect):
		c.r.fail(c.sub("delivery_method"), "%q is not supported by this server yet (%s only)", out.DeliveryMethod, engine.DeliveryDirect)
		return nil
	}
	out.BillingProvider, out.DeliveryMethod = engine.ProviderStripeBilling, engine.DeliveryDirect
	return out
}

// createContract serves POST /v1/contracts/create; 409 on a reused
// uniqueness_key. The contract gets this node's configured invoice grace
// period, stamped on the command so the log carries it.
func (s *Server) createContract(ctx *fasthttp.RequestCtx, _ string) error {
	grace := s.node.Engine().Config().InvoiceGracePeriod.Nanoseconds()
	return createFrom(s, ctx, func(body []byte) (*engine.CreateContract, error) {
		cmd, err := decodeCreateContract(body)
		if err == nil {
			cmd.InvoiceGracePeriod = &grace
		}
		return cmd, err
	})
}

// contractTerms is Metronome's ContractWithoutAmendments (initial / current).
type contractTerms struct {
	Name                   string               `json:"name,omitempty"`
	RateCardID             string               `json:"rate_card_id"`
	StartingAt             string               `json:"starting_at"`
	EndingBefore           *string              `json:"ending_before,omitempty"`
	CreatedAt              string               `json:"created_at"`
	CreatedBy              string               `json:"created_by"`
	Commits                []commitOut          `json:"commits"`
	Credits                []commitOut          `json:"credits"`
	Overrides              []overrideOut        `json:"overrides"`
	ScheduledCharges       []scheduledChargeOut `json:"scheduled_charges"`
	RecurringCommits       []recurringOut       `json:"recurring_commits"`
	RecurringCredits       []recurringOut       `json:"recurring_credits"`
	Transitions            []struct{}           `json:"transitions"`
	UsageStatementSchedule map[string]string    `json:"usage_statement_schedule"`
	// MultiplierOverridePrioritization is omitted for a contract created
	// before it was stored (its multipliers compound).
	MultiplierOverridePrioritization string `json:"multiplier_override_prioritization,omitempty"`
	// ScheduledChargesOnUsageInvoices is ALL for a contract consolidating
	// its scheduled charges onto usage invoices (every contract created
	// before the choice existed), omitted for one billing them on
	// SCHEDULED invoices of their own.
	ScheduledChargesOnUsageInvoices string `json:"scheduled_charges_on_usage_invoices,omitempty"`
	// UsageFilter is the contract's usage_filter (usage_filter.go);
	// omitted for a contract rating all usage.
	UsageFilter *usageFilterOut `json:"usage_filter,omitempty"`
}

// scheduledOnUsageAll is scheduled_charges_on_usage_invoices' one value.
const scheduledOnUsageAll = "ALL"

// scheduledOnUsage renders a contract's scheduled_charges_on_usage_invoices.
func scheduledOnUsage(k *engine.Contract) string {
	if k.SeparateScheduledInvoices {
		return ""
	}
	return scheduledOnUsageAll
}

// contractOut is Metronome's v1 Contract, plus our prepaid_only.
type contractOut struct {
	ID            string            `json:"id"`
	CustomerID    string            `json:"customer_id"`
	Initial       contractTerms     `json:"initial"`
	Current       contractTerms     `json:"current"`
	Amendments    []struct{}        `json:"amendments"`
	CustomFields  map[string]string `json:"custom_fields"`
	UniquenessKey string            `json:"uniqueness_key,omitempty"`
	PrepaidOnly   bool              `json:"prepaid_only"`
	ArchivedAt    *string           `json:"archived_at,omitempty"`
	Subscriptions []subscriptionOut `json:"subscriptions"`
	// CustomerBillingProviderConfiguration is the contract's
	// billing_provider_configuration (omitted when it has none).
	CustomerBillingProviderConfiguration *billingProviderOut `json:"customer_billing_provider_configuration,omitempty"`
	// The threshold configurations (thresholds_out.go); omitted when the
	// contract has none.
	PrepaidBalanceThresholdConfiguration *rechargeOut       `json:"prepaid_balance_threshold_configuration,omitempty"`
	SpendThresholdConfiguration          *spendThresholdOut `json:"spend_threshold_configuration,omitempty"`
}

// billingProviderOut is Metronome's ContractCustomerBillingProviderConfiguration.
type billingProviderOut struct {
	BillingProvider string `json:"billing_provider"`
	DeliveryMethod  string `json:"delivery_method"`
}

type overrideOut struct {
	ID                    string         `json:"id"`
	StartingAt            string         `json:"starting_at"`
	EndingBefore          *string        `json:"ending_before,omitempty"`
	Product               *idRef         `json:"product,omitempty"`
	ApplicableProductTags []string       `json:"applicable_product_tags,omitempty"`
	Entitled              *bool          `json:"entitled,omitempty"`
	Type                  string         `json:"type,omitempty"`
	Multiplier            *num           `json:"multiplier,omitempty"`
	OverwriteRate         map[string]any `json:"overwrite_rate,omitempty"`
	Priority              *num           `json:"priority,omitempty"`
}

// readOpts are the include_* switches of contract and balance reads.
type readOpts struct {
	balance, ledgers bool
}

func renderContract(c *engine.Customer, k *engine.Contract, cat *engine.Catalog, now engine.Nanos, opts readOpts) contractOut {
	t := contractTerms{
		Name: k.Name, RateCardID: k.RateCardID, StartingAt: tsv(k.StartingAt), EndingBefore: ts(k.EndingBefore),
		CreatedAt: tsv(k.CreatedAt), CreatedBy: createdBy, Commits: []commitOut{}, Credits: []commitOut{},
		Overrides: []overrideOut{}, ScheduledCharges: renderCharges(k, cat), Transitions: []struct{}{},
		RecurringCommits: renderRecurring(k, cat, false), RecurringCredits: renderRecurring(k, cat, true),
		UsageStatementSchedule:           statementScheduleOut(k),
		MultiplierOverridePrioritization: k.MultiplierPrioritization(),
		ScheduledChargesOnUsageInvoices:  scheduledOnUsage(k),
		UsageFilter:                      renderUsageFilter(k),
	}
	for _, cm := range k.Balances {
		out := renderCommit(cm, k, cat, now, opts)
		if cm.Type == engine.CommitCredit {
			t.Credits = append(t.Credits, out)
		} else {
			t.Commits = append(t.Commits, out)
		}
	}
	for _, o := range k.Overrides {
		ov := overrideOut{
			ID: o.ID, StartingAt: tsv(o.StartingAt), EndingBefore: ts(o.EndingBefore),
			ApplicableProductTags: o.ApplicableProductTags, Entitled: o.Entitled, Type: o.Type, Multiplier: amountNumPtr(o.Multiplier),
		}
		if o.ProductID != "" {
			ov.Product = productRef(cat, o.ProductID)
		}
		if o.OverwritePrice != nil {
			ov.OverwriteRate = map[string]any{"rate_type": engine.RateFlat, "price": amountNum(*o.OverwritePrice)}
		}
		if o.OverwriteTiers != nil {
			tiers := make([]map[string]any, 0, len(o.OverwriteTiers))
			for _, tr := range o.OverwriteTiers {
				m := map[string]any{"price": amountNum(tr.Price)}
				if !tr.Size.IsZero() {
					m["size"] = amountNum(tr.Size)
				}
				tiers = append(tiers, m)
			}
			ov.OverwriteRate = map[string]any{"rate_type": engine.RateTiered, "tiers": tiers}
		}
		ov.Priority = amountNumPtr(o.Priority)
		t.Overrides = append(t.Overrides, ov)
	}
	fields := make(map[string]string, len(k.CustomFields))
	for key, v := range k.CustomFields {
		fields[key] = v
	}
	out := contractOut{
		ID: k.ID, CustomerID: c.ID, Initial: t, Current: t, Amendments: []struct{}{}, CustomFields: fields,
		UniquenessKey: k.UniquenessKey, PrepaidOnly: k.PrepaidOnly, Subscriptions: renderSubscriptions(k, cat),
		PrepaidBalanceThresholdConfiguration: renderRecharge(k), SpendThresholdConfiguration: renderSpendThreshold(k),
	}
	if b := k.BillingProvider(); b != nil {
		out.CustomerBillingProviderConfiguration = &billingProviderOut{BillingProvider: b.BillingProvider, DeliveryMethod: b.DeliveryMethod}
	}
	return out
}

// statementScheduleOut is Metronome's UsageStatementSchedule {frequency,
// billing_anchor_date}; contracts from before schedules are monthly from
// the first of their start's month.
func statementScheduleOut(k *engine.Contract) map[string]string {
	freq, anchor := k.StatementFrequency(), k.StatementAnchor
	if freq == "" {
		freq = engine.FrequencyMonthly
	}
	if anchor == 0 {
		t := time.Unix(0, k.StartingAt).UTC()
		anchor = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).UnixNano()
	}
	return map[string]string{"frequency": freq, "billing_anchor_date": tsv(anchor)}
}

// scheduledChargeOut is Metronome's ScheduledCharge.
type scheduledChargeOut struct {
	ID           string            `json:"id"`
	Product      *idRef            `json:"product"`
	Name         string            `json:"name,omitempty"`
	CustomFields map[string]string `json:"custom_fields,omitempty"`
	ArchivedAt   *string           `json:"archived_at,omitempty"`
	Schedule     struct {
		CreditType    creditTypeRef   `json:"credit_type"`
		ScheduleItems []chargeItemOut `json:"schedule_items"`
	} `json:"schedule"`
}

type chargeItemOut struct {
	ID        string  `json:"id"`
	InvoiceID *string `json:"invoice_id"`
	Amount    num     `json:"amount"`
	UnitPrice num     `json:"unit_price"`
	Quantity  num     `json:"quantity"`
	Timestamp string  `json:"timestamp"`
}

func renderCharges(k *engine.Contract, cat *engine.Catalog) []scheduledChargeOut {
	out := []scheduledChargeOut{}
	for _, ch := range k.ScheduledCharges() {
		o := scheduledChargeOut{ID: ch.ID, Product: productRef(cat, ch.ProductID), Name: ch.Name, CustomFields: ch.CustomFields, ArchivedAt: ts(ch.ArchivedAt)}
		o.Schedule.CreditType = creditTypeOf(cat, ch.CreditTypeID)
		o.Schedule.ScheduleItems = []chargeItemOut{}
		for _, it := range ch.Items {
			item := chargeItemOut{ID: it.ID, Amount: amountNum(it.Amount), UnitPrice: amountNum(it.UnitPrice), Quantity: amountNum(it.Quantity), Timestamp: tsv(it.Timestamp)}
			if it.InvoiceID != "" {
				id := it.InvoiceID
				item.InvoiceID = &id
			}
			o.Schedule.ScheduleItems = append(o.Schedule.ScheduleItems, item)
		}
		out = append(out, o)
	}
	return out
}

func productRef(cat *engine.Catalog, id string) *idRef {
	ref := &idRef{ID: id}
	if p := cat.Products[id]; p != nil {
		ref.Name = p.Name
	}
	return ref
}

// contractQuery holds the common body of contracts/get and contracts/list.
type contractQuery struct {
	customerID, contractID string
	opts                   readOpts
	coveringDate           engine.Nanos
	startingAt             engine.Nanos
	includeArchived        bool
}

func (s *Server) decodeContractQuery(ctx *fasthttp.RequestCtx, needContract bool) (contractQuery, error) {
	var q contractQuery
	body, err := readBody(ctx, s.cfg.MaxBodyBytes)
	if err != nil {
		return q, err
	}
	o, r, err := decodeObject(body)
	if err != nil {
		return q, err
	}
	q.customerID = o.str("customer_id", true)
	if needContract {
		q.contractID = o.str("contract_id", true)
	}
	q.opts.balance, _ = o.boolean("include_balance", false)
	q.opts.ledgers, _ = o.boolean("include_ledgers", false)
	// Nothing is ever archived here, so include_archived changes nothing.
	q.includeArchived, _ = o.boolean("include_archived", false)
	q.coveringDate = o.time("covering_date", false)
	q.startingAt = o.time("starting_at", false)
	if q.coveringDate != 0 && q.startingAt != 0 && r.err == nil {
		r.fail("starting_at", "give covering_date or starting_at, not both")
	}
	return q, r.Err()
}

// getContract serves POST /v1/contracts/get {customer_id, contract_id}.
func (s *Server) getContract(ctx *fasthttp.RequestCtx, _ string) error {
	q, err := s.decodeContractQuery(ctx, true)
	if err != nil {
		return err
	}
	rd, found, err := s.readCustomerByID(q.customerID)
	if err != nil {
		return err
	}
	if !found {
		return notFound("customer_id: customer %s not found", q.customerID)
	}
	c := rd.Customer
	k := c.Contract(q.contractID)
	if k == nil {
		return notFound("contract_id: contract %s not found", q.contractID)
	}
	out := renderContract(c, k, rd.Catalog, rd.Now, q.opts)
	return writeData(ctx, &out)
}

// listContracts serves POST /v1/contracts/list {customer_id, covering_date?, starting_at?}.
func (s *Server) listContracts(ctx *fasthttp.RequestCtx, _ string) error {
	q, err := s.decodeContractQuery(ctx, false)
	if err != nil {
		return err
	}
	rd, found, err := s.readCustomerByID(q.customerID)
	if err != nil {
		return err
	}
	if !found {
		return notFound("customer_id: customer %s not found", q.customerID)
	}
	out := []contractOut{}
	for _, k := range selectContracts(rd.Customer, q) {
		out = append(out, renderContract(rd.Customer, k, rd.Catalog, rd.Now, q.opts))
	}
	return writeData(ctx, out)
}

// selectContracts lists the customer's contracts that contracts/list (v1
// and v2) answers: those in force at covering_date, or those starting on or
// after starting_at (Metronome allows one filter or the other).
func selectContracts(c *engine.Customer, q contractQuery) []*engine.Contract {
	var out []*engine.Contract
	for _, k := range c.Contracts {
		if q.coveringDate != 0 && !k.InForce(q.coveringDate) {
			continue
		}
		if q.startingAt != 0 && k.StartingAt < q.startingAt {
			continue
		}
		out = append(out, k)
	}
	return out
}

// readCustomerByID reads a copy of the customer from its shard, which the
// caller renders on its own goroutine. Metronome's contract endpoints take
// the customer id (an ingest alias is accepted too, which is harmless and
// convenient). It returns false for an unknown customer, and a 503 when the
// shard does not get to the read within the read timeout.
func (s *Server) readCustomerByID(id string) (engine.CustomerRead, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.readTimeout())
	defer cancel()
	rd, found, err := s.node.Engine().ReadCustomer(ctx, id)
	if err != nil {
		return engine.CustomerRead{}, false, unavailable("customer %s: the replica is busy, read timed out; retry", id)
	}
	return rd, found, nil
}
