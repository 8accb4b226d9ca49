package engine

import "fmt"

// Scope says where a command applies, and so how a batch schedules it.
type Scope uint8

const (
	// ScopeTime commands move time on every shard (Tick).
	ScopeTime Scope = iota + 1
	// ScopeCatalog commands replace the shared catalog; they are barriers:
	// every shard finishes the work queued before them first.
	ScopeCatalog
	// ScopeCustomer commands change one customer, on its shard, in log order
	// with the other work of that shard.
	ScopeCustomer
	// ScopeEvents commands carry usage for many customers; each event goes
	// to its customer's shard.
	ScopeEvents
)

// CommandSpec is a command's one registration: everything the engine, the
// codec and the proofs need to know about a kind. Adding a command is adding
// a spec to commandSpecs (and a generator case to the random log, which a
// test enforces).
type CommandSpec struct {
	Kind Kind
	// Name is the kind's stable name in logs and error messages.
	Name string
	// Version is the current layout version of the command's body; older
	// versions are decoded (and upgraded) by persist's registrations.
	Version uint8
	// New returns an empty command of the current version, for decoders.
	New   func() Command
	Scope Scope

	// IDKind names the derived id of a created catalog object ("" when the
	// command creates none), for ScopeCatalog.
	IDKind string
	// ApplyCatalog returns the next catalog (nil when the command changed
	// nothing) and the command's result; for ScopeCatalog.
	ApplyCatalog func(cat *Catalog, cmd Command, id string, now Nanos) (*Catalog, *Result, catalogEffect)

	// Route resolves, in log order, the customer a ScopeCustomer command
	// changes; it may register a new customer. A non-nil error is the
	// command's result and nothing is queued.
	Route func(b *batch, pos int, cmd Command) (*CustomerHandle, *Error)
	// Changes declares what applyCustomer may change: the batch takes the
	// shard's gate at that level (usageChange, termsChange) and hands the
	// handler the mutable customer; a handler never takes the gate itself.
	// newCustomer hands it nothing: it creates the customer and adopts it.
	Changes change
	// validate (optional) checks a ScopeCustomer command against the
	// catalog and the customer's state (read-only; nil when the shard holds
	// no such customer) before the gate is taken: a refused command costs
	// no copy-on-write preservation and marks nothing dirty. Its error is
	// the command's result.
	validate func(c *Customer, cmd Command, cat *Catalog, now Nanos) *Error
	// applyCustomer runs on the customer's shard with the customer the
	// gate admitted (nil when the shard holds none).
	applyCustomer func(s *shard, t *task, c *Customer, cat *Catalog, now Nanos)
	// OnArchived admits the command for an archived customer; any other
	// customer command is refused for one (batch.add), after its Route.
	OnArchived bool
}

// runCustomer applies a ScopeCustomer command through the gate: validation
// first, on the customer as it is, then the gate at the declared level,
// then the handler.
func (sp *CommandSpec) runCustomer(s *shard, t *task, cat *Catalog, now Nanos) {
	if sp.validate != nil {
		if err := sp.validate(s.held(t.h), t.cmd, cat, now); err != nil {
			t.res.ID, t.res.Err = "", err
			return
		}
	}
	var c *Customer
	if sp.Changes != newCustomer {
		c = s.mutableHandle(t.h, sp.Changes)
	}
	sp.applyCustomer(s, t, c, cat, now)
}

// catalogEffect is what a catalog change asks of the shards afterwards.
type catalogEffect struct {
	// refreshRateCard names a rate card whose customers' views and
	// schedules must be rebuilt.
	refreshRateCard string
}

// commandSpecs is the command table. It is built once and never modified.
//
// Every command that carries amounts took a new version in v0.5.0 whose
// body holds them in money's compact binary form (create_product 2,
// create_rate_card 2, add_rates 3, create_contract 5, edit_contract 4,
// create_alert 2); the versions before hold the decimal layout and mean
// the same (persist.compactAmountsSince).
var commandSpecs = buildSpecs(
	CommandSpec{Kind: KindTick, Name: "tick", Version: 1, New: func() Command { return &Tick{} }, Scope: ScopeTime},
	CommandSpec{Kind: KindCreateCredit, Name: "create_credit_type", Version: 1, New: func() Command { return &CreateCreditType{} },
		Scope: ScopeCatalog, IDKind: "credit_type", ApplyCatalog: applyCreateCreditType},
	CommandSpec{Kind: KindCreateMetric, Name: "create_billable_metric", Version: 2, New: func() Command { return &CreateMetric{} },
		Scope: ScopeCatalog, IDKind: "metric", ApplyCatalog: applyCreateMetric},
	CommandSpec{Kind: KindCreateProduct, Name: "create_product", Version: 2, New: func() Command { return &CreateProduct{} },
		Scope: ScopeCatalog, IDKind: "product", ApplyCatalog: applyCreateProduct},
	CommandSpec{Kind: KindCreateRateCard, Name: "create_rate_card", Version: 2, New: func() Command { return &CreateRateCard{} },
		Scope: ScopeCatalog, IDKind: "rate_card", ApplyCatalog: applyCreateRateCard},
	CommandSpec{Kind: KindAddRates, Name: "add_rates", Version: 3, New: func() Command { return &AddRates{} },
		Scope: ScopeCatalog, ApplyCatalog: applyAddRates},
	CommandSpec{Kind: KindCreateCustomer, Name: "create_customer", Version: 1, New: func() Command { return &CreateCustomer{} },
		Scope: ScopeCustomer, Route: routeCreateCustomer, applyCustomer: applyCreateCustomer,
		Changes: newCustomer},
	// create_contract version 2 adds the statement schedule, scheduled
	// charges and the invoice grace period; version 3 draws postpaid
	// commits and invoices commit purchases (persist upgrades 1 and 2, whose
	// commits keep LegacyRules); version 4 accepts STRIPE payment gates on
	// commits and threshold configurations and adds the
	// billing_provider_configuration (persist upgrades 1 to 3 with
	// StripeGatesRefused: they refuse STRIPE as their builds did); version
	// 5 holds amounts in money's compact form; version 6 allows contracts
	// overlapping others of their customer and adds the usage_filter
	// (multicontract.go; persist upgrades 2 to 5 with OverlapsRefused: they
	// refuse overlaps as their builds did).
	CommandSpec{Kind: KindCreateContract, Name: "create_contract", Version: 6, New: func() Command { return &CreateContract{} },
		Scope: ScopeCustomer, Route: routeCreateContract, applyCustomer: applyCreateContract,
		Changes: termsChange},
	CommandSpec{Kind: KindUpdateEndDate, Name: "update_contract_end_date", Version: 1, New: func() Command { return &UpdateEndDate{} },
		Scope: ScopeCustomer, Route: routeUpdateEndDate, applyCustomer: applyUpdateEndDate,
		Changes: termsChange, validate: validateUpdateEndDate},
	// edit_contract version 2: commits it adds follow the rules of
	// create_contract version 3 (persist upgrades version 1); version 3
	// accepts STRIPE payment gates on the threshold configurations it adds
	// or updates (persist upgrades 1 and 2 with StripeGatesRefused).
	// Version 5 adds the name and the balances' access-schedule edits
	// (balance_edit.go); an edit without them is written at version 4.
	CommandSpec{Kind: KindEditContract, Name: "edit_contract", Version: 5, New: func() Command { return &EditContract{} },
		Scope: ScopeCustomer, Route: routeEditContract, applyCustomer: applyEditContract,
		Changes: termsChange},
	CommandSpec{Kind: KindIngest, Name: "ingest", Version: 1, New: func() Command { return &Ingest{} }, Scope: ScopeEvents},
	// Alerts (alerts.go) and consume (consume.go).
	CommandSpec{Kind: KindCreateAlert, Name: "create_alert", Version: 2, New: func() Command { return &CreateAlert{} },
		Scope: ScopeCustomer, Route: routeCreateAlert, applyCustomer: applyCreateAlert,
		Changes: termsChange, validate: validateCreateAlert},
	CommandSpec{Kind: KindArchiveAlert, Name: "archive_alert", Version: 1, New: func() Command { return &ArchiveAlert{} },
		Scope: ScopeCustomer, Route: routeArchiveAlert, applyCustomer: applyArchiveAlert,
		Changes: termsChange, validate: validateArchiveAlert, OnArchived: true},
	CommandSpec{Kind: KindResetAlert, Name: "reset_customer_alert", Version: 1, New: func() Command { return &ResetAlert{} },
		Scope: ScopeCustomer, Route: routeResetAlert, applyCustomer: applyResetAlert,
		Changes: termsChange, validate: validateResetAlert},
	CommandSpec{Kind: KindConsume, Name: "consume", Version: 1, New: func() Command { return &Consume{} },
		Scope: ScopeCustomer, Route: routeConsume, applyCustomer: applyConsume,
		Changes: usageChange},
	// Payment gates (payments.go).
	CommandSpec{Kind: KindReleasePaymentGate, Name: "release_payment_gate", Version: 1, New: func() Command { return &ReleasePaymentGate{} },
		Scope: ScopeCustomer, Route: routeReleasePaymentGate, applyCustomer: applyReleasePaymentGate,
		Changes: termsChange, validate: validateReleasePaymentGate},
	// Finalized usage invoices sent to Stripe (stripe_invoice.go).
	CommandSpec{Kind: KindRecordExternalInvoice, Name: "record_external_invoice", Version: 1, New: func() Command { return &RecordExternalInvoice{} },
		Scope: ScopeCustomer, Route: routeRecordExternalInvoice, applyCustomer: applyRecordExternalInvoice,
		Changes: usageChange, validate: validateRecordExternalInvoice, OnArchived: true},
	// Customer administration (customer_admin.go).
	CommandSpec{Kind: KindArchiveCustomer, Name: "archive_customer", Version: 1, New: func() Command { return &ArchiveCustomer{} },
		Scope: ScopeCustomer, Route: routeArchiveCustomer, applyCustomer: applyArchiveCustomer,
		Changes: termsChange, OnArchived: true},
	CommandSpec{Kind: KindArchiveContract, Name: "archive_contract", Version: 1, New: func() Command { return &ArchiveContract{} },
		Scope: ScopeCustomer, Route: routeArchiveContract, applyCustomer: applyArchiveContract,
		Changes: termsChange, validate: validateArchiveContract, OnArchived: true},
	CommandSpec{Kind: KindSetIngestAliases, Name: "set_ingest_aliases", Version: 1, New: func() Command { return &SetIngestAliases{} },
		Scope: ScopeCustomer, Route: routeSetIngestAliases, applyCustomer: applySetIngestAliases,
		Changes: termsChange},
	CommandSpec{Kind: KindSetCustomerName, Name: "set_customer_name", Version: 1, New: func() Command { return &SetCustomerName{} },
		Scope: ScopeCustomer, Route: routeSetCustomerName, applyCustomer: applySetCustomerName,
		Changes: termsChange, validate: validateSetCustomerName},
	CommandSpec{Kind: KindAddBillingProviders, Name: "add_billing_provider_configurations", Version: 1, New: func() Command { return &AddBillingProviders{} },
		Scope: ScopeCustomer, Route: routeAddBillingProviders, applyCustomer: applyAddBillingProviders,
		Changes: termsChange, validate: validateAddBillingProviders},
	// Manual balance ledger entries (manual_ledger.go).
	CommandSpec{Kind: KindAddManualLedgerEntry, Name: "add_manual_ledger_entry", Version: 1, New: func() Command { return &AddManualLedgerEntry{} },
		Scope: ScopeCustomer, Route: routeAddManualLedgerEntry, applyCustomer: applyAddManualLedgerEntry,
		Changes: termsChange, validate: validateAddManualLedgerEntry},
	// Commits' and credits' access-schedule edits (balance_edit.go).
	CommandSpec{Kind: KindEditBalance, Name: "edit_balance", Version: 1, New: func() Command { return &EditBalance{} },
		Scope: ScopeCustomer, Route: routeEditBalance, applyCustomer: applyEditBalance,
		Changes: termsChange},
	// Voided and regenerated invoices (invoice_void.go).
	CommandSpec{Kind: KindVoidInvoice, Name: "void_invoice", Version: 1, New: func() Command { return &VoidInvoice{} },
		Scope: ScopeCustomer, Route: routeVoidInvoice, applyCustomer: applyVoidInvoice,
		Changes: usageChange, validate: validateVoidInvoice, OnArchived: true},
	CommandSpec{Kind: KindRegenerateInvoice, Name: "regenerate_invoice", Version: 1, New: func() Command { return &RegenerateInvoice{} },
		Scope: ScopeCustomer, Route: routeRegenerateInvoice, applyCustomer: applyRegenerateInvoice,
		Changes: usageChange, validate: validateRegenerateInvoice},
	// Customer-level commits and credits (customer_balance.go).
	CommandSpec{Kind: KindCreateCustomerBalance, Name: "create_customer_balance", Version: 1, New: func() Command { return &CreateCustomerBalance{} },
		Scope: ScopeCustomer, Route: routeCreateCustomerBalance, applyCustomer: applyCreateCustomerBalance,
		Changes: termsChange, validate: validateCreateCustomerBalance},
	CommandSpec{Kind: KindUpdateCustomerBalanceEnd, Name: "update_customer_balance_end_date", Version: 1, New: func() Command { return &UpdateCustomerBalanceEnd{} },
		Scope: ScopeCustomer, Route: routeUpdateCustomerBalanceEnd, applyCustomer: applyUpdateCustomerBalanceEnd,
		Changes: termsChange, validate: validateUpdateCustomerBalanceEnd},
)

// specTable indexes specs by kind.
type specTable [256]*CommandSpec

func buildSpecs(list ...CommandSpec) *specTable {
	var t specTable
	for i := range list {
		sp := &list[i]
		if t[sp.Kind] != nil {
			panic(fmt.Sprintf("engine: command kind %d registered twice", sp.Kind))
		}
		if sp.Kind >= 200 {
			panic(fmt.Sprintf("engine: kind %d is reserved for the cluster layer", sp.Kind))
		}
		if err := sp.check(); err != nil {
			panic(err)
		}
		t[sp.Kind] = sp
	}
	return &t
}

// check asserts that a spec has what its scope needs.
func (sp *CommandSpec) check() error {
	if sp.Name == "" || sp.New == nil || sp.Version == 0 {
		return fmt.Errorf("engine: command kind %d needs a name, a version and a constructor", sp.Kind)
	}
	if got := sp.New().Kind(); got != sp.Kind {
		return fmt.Errorf("engine: command %s constructs kind %d", sp.Name, got)
	}
	switch sp.Scope {
	case ScopeCatalog:
		if sp.ApplyCatalog == nil {
			return fmt.Errorf("engine: catalog command %s has no ApplyCatalog", sp.Name)
		}
	case ScopeCustomer:
		if sp.Route == nil || sp.applyCustomer == nil {
			return fmt.Errorf("engine: customer command %s needs Route and applyCustomer", sp.Name)
		}
	case ScopeTime, ScopeEvents:
	default:
		return fmt.Errorf("engine: command %s has no scope", sp.Name)
	}
	return nil
}

// Commands lists every registered command, by kind.
func Commands() []CommandSpec {
	var out []CommandSpec
	for _, sp := range commandSpecs {
		if sp != nil {
			out = append(out, *sp)
		}
	}
	return out
}

// Spec returns the registration of a kind, or nil.
func Spec(k Kind) *CommandSpec { return commandSpecs[k] }

// NewCommand returns an empty command of the given kind at its current
// version, for decoders; nil for a kind the engine does not know.
func NewCommand(k Kind) Command {
	if sp := commandSpecs[k]; sp != nil {
		return sp.New()
	}
	return nil
}
