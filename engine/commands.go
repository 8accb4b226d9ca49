package engine

import (
	"burndown/money"
)

// Kind identifies a command type on the wire and in the log. Values are
// stable forever: a kind is never renumbered, only added.
type Kind uint8

// Command kinds. Kinds below 200 belong to the engine; 200 and above are
// reserved for the cluster layer's own commands.
const (
	KindTick           Kind = 1
	KindCreateCredit   Kind = 2
	KindCreateMetric   Kind = 3
	KindCreateProduct  Kind = 4
	KindCreateRateCard Kind = 5
	KindAddRates       Kind = 6
	KindCreateCustomer Kind = 7
	KindCreateContract Kind = 8
	KindIngest         Kind = 9
	KindUpdateEndDate  Kind = 10
	KindEditContract   Kind = 11
)

// Command is one state change. Every command carries its own kind and a
// version of its body layout, so old log entries stay decodable.
type Command interface {
	Kind() Kind
}

// Nanos is a point in time as nanoseconds since the Unix epoch, UTC. Zero
// means "not set" (for an end time: open-ended).
type Nanos = int64

// Tick applies every transition due up to the entry's stamped time and nothing
// else. The leader proposes one when the engine's next due time has passed or
// the test clock is moved.
type Tick struct{}

// CreateCreditType adds a custom pricing unit or a currency.
type CreateCreditType struct {
	ID         string `msgpack:"ID"`
	Name       string `msgpack:"Name"`
	IsCurrency bool   `msgpack:"IsCurrency"`
}

// EventTypeFilter restricts a metric to events whose type is (not) listed.
type EventTypeFilter struct {
	InValues    []string `msgpack:"InValues"`
	NotInValues []string `msgpack:"NotInValues"`
}

// PropertyFilter restricts a metric to events whose property matches; all of
// a metric's filters must hold.
type PropertyFilter struct {
	Name        string   `msgpack:"Name"`
	Exists      *bool    `msgpack:"Exists"`
	InValues    []string `msgpack:"InValues"`
	NotInValues []string `msgpack:"NotInValues"`
}

// Aggregation types of billable metrics.
const (
	AggCount  = "COUNT"
	AggSum    = "SUM"
	AggMax    = "MAX"
	AggUnique = "UNIQUE"
	AggLatest = "LATEST"
)

// CreateMetric defines a billable metric.
type CreateMetric struct {
	ID              string            `msgpack:"ID"`
	Name            string            `msgpack:"Name"`
	EventTypeFilter *EventTypeFilter  `msgpack:"EventTypeFilter"`
	PropertyFilters []PropertyFilter  `msgpack:"PropertyFilters"`
	Aggregation     string            `msgpack:"Aggregation"` // one of the Agg* constants
	AggregationKey  string            `msgpack:"AggregationKey"`
	GroupKeys       [][]string        `msgpack:"GroupKeys"`
	CustomFields    map[string]string `msgpack:"CustomFields"`
	// Unrated marks a MAX, UNIQUE or LATEST metric created through the
	// foundation's API, which accepted and kept such metrics but never rated
	// them: it still never rates, so old logs replay to what they billed.
	// Set only by the upgrade of version 1 commands and of old catalogs.
	Unrated bool `msgpack:"Unrated"`
}

// Product types.
const (
	ProductUsage        = "USAGE"
	ProductFixed        = "FIXED"
	ProductSubscription = "SUBSCRIPTION"
	ProductComposite    = "COMPOSITE"
)

// CreateProduct defines a product of the contract-pricing catalog.
type CreateProduct struct {
	ID                   string            `msgpack:"ID"`
	Name                 string            `msgpack:"Name"`
	Type                 string            `msgpack:"Type"`
	BillableMetricID     string            `msgpack:"BillableMetricID"`
	Tags                 []string          `msgpack:"Tags"`
	PricingGroupKey      []string          `msgpack:"PricingGroupKey"`
	PresentationGroupKey []string          `msgpack:"PresentationGroupKey"`
	CustomFields         map[string]string `msgpack:"CustomFields"`
	// QuantityConversion and QuantityRounding turn the period's aggregate
	// into the quantity priced (conversion first, then rounding).
	QuantityConversion *QuantityConversion `msgpack:"QuantityConversion"`
	QuantityRounding   *QuantityRounding   `msgpack:"QuantityRounding"`
	// CompositeProductIDs and CompositeTags select the USAGE products a
	// COMPOSITE product covers: those listed and those carrying any of the
	// tags. A composite charges its PERCENTAGE rate's fraction of their
	// usage spend (see rateComposites). Both are empty on every composite
	// created before they existed (the API refused them), and such a
	// composite covers nothing, as it did then.
	CompositeProductIDs []string `msgpack:"CompositeProductIDs,omitempty"`
	CompositeTags       []string `msgpack:"CompositeTags,omitempty"`
}

// Quantity conversion operations and rounding methods of products.
const (
	ConvertMultiply = "MULTIPLY"
	ConvertDivide   = "DIVIDE"
	RoundUp         = "ROUND_UP"   // toward +infinity
	RoundDown       = "ROUND_DOWN" // toward -infinity
	RoundHalfUpMode = "HALF_UP"    // half away from zero
)

// QuantityConversion multiplies or divides a product's period quantity by a
// positive factor (e.g. bytes to GB). A quotient is rounded half-up to 12
// fractional digits, as Mul is.
type QuantityConversion struct {
	ConversionFactor money.Amount `msgpack:"ConversionFactor"`
	Operation        string       `msgpack:"Operation"`
	Name             string       `msgpack:"Name"`
}

// QuantityRounding rounds a product's (converted) period quantity to
// DecimalPlaces fractional digits (0..12) by RoundingMethod.
type QuantityRounding struct {
	DecimalPlaces  int32  `msgpack:"DecimalPlaces"`
	RoundingMethod string `msgpack:"RoundingMethod"`
}

// CreditTypeConversion prices a custom pricing unit in the rate card's fiat.
type CreditTypeConversion struct {
	CustomCreditTypeID  string       `msgpack:"CustomCreditTypeID"`
	FiatPerCustomCredit money.Amount `msgpack:"FiatPerCustomCredit"`
}

// CreateRateCard defines an empty rate card; rates are added with AddRates.
type CreateRateCard struct {
	ID                    string                 `msgpack:"ID"`
	Name                  string                 `msgpack:"Name"`
	Description           string                 `msgpack:"Description"`
	FiatCreditTypeID      string                 `msgpack:"FiatCreditTypeID"`
	CreditTypeConversions []CreditTypeConversion `msgpack:"CreditTypeConversions"`
	CustomFields          map[string]string      `msgpack:"CustomFields"`
	// Aliases name the rate card for contracts (rate_card_alias), each over
	// an optional [StartingAt, EndingBefore).
	Aliases []RateCardAlias `msgpack:"Aliases,omitempty"`
}

// RateCardAlias is one alias of a rate card. Zero times: unbounded.
type RateCardAlias struct {
	Name         string `msgpack:"Name"`
	StartingAt   Nanos  `msgpack:"StartingAt"`
	EndingBefore Nanos  `msgpack:"EndingBefore"`
}

// Rate types.
const (
	RateFlat         = "FLAT"
	RateSubscription = "SUBSCRIPTION"
	RateTiered       = "TIERED"
	// RatePercentage prices a COMPOSITE product: Price is the fraction
	// (0..1) of the covered products' spend it charges.
	RatePercentage = "PERCENTAGE"
)

// Tier is one step of a TIERED rate; the last tier has no size.
type Tier struct {
	Size  *money.Amount `msgpack:"Size"`
	Price money.Amount  `msgpack:"Price"`
}

// RateInput is one rate of a rate card: a price for a product over time.
type RateInput struct {
	ProductID        string        `msgpack:"ProductID"`
	StartingAt       Nanos         `msgpack:"StartingAt"`
	EndingBefore     Nanos         `msgpack:"EndingBefore"`
	Entitled         bool          `msgpack:"Entitled"`
	RateType         string        `msgpack:"RateType"`
	Price            money.Amount  `msgpack:"Price"`
	Tiers            []Tier        `msgpack:"Tiers"`
	CreditTypeID     string        `msgpack:"CreditTypeID"`
	BillingFrequency string        `msgpack:"BillingFrequency"`
	Quantity         *money.Amount `msgpack:"Quantity"`
	IsProrated       bool          `msgpack:"IsProrated"`
	// PricingGroupValues restricts the rate to usage whose pricing group
	// (the product's pricing_group_key) has these values; empty: every group.
	PricingGroupValues map[string]string `msgpack:"PricingGroupValues"`
	// FlatLegacy marks a TIERED rate added through the foundation's API,
	// which priced it at its flat Price: it still does. Set only by the
	// upgrade of version 1 commands and of old catalogs.
	FlatLegacy bool `msgpack:"FlatLegacy"`
}

// AddRates appends rates to a rate card.
type AddRates struct {
	RateCardID string      `msgpack:"RateCardID"`
	Rates      []RateInput `msgpack:"Rates"`
}

// BillingProviderConfig links a customer to a billing provider account.
type BillingProviderConfig struct {
	BillingProvider string            `msgpack:"BillingProvider"`
	DeliveryMethod  string            `msgpack:"DeliveryMethod"`
	Configuration   map[string]string `msgpack:"Configuration"`
}

// CreateCustomer adds a customer with its (globally unique) ingest aliases.
type CreateCustomer struct {
	ID               string                  `msgpack:"ID"`
	Name             string                  `msgpack:"Name"`
	IngestAliases    []string                `msgpack:"IngestAliases"`
	CustomFields     map[string]string       `msgpack:"CustomFields"`
	BillingProviders []BillingProviderConfig `msgpack:"BillingProviders"`
}

// ScheduleItem is one access segment of a commit or credit.
type ScheduleItem struct {
	ID           string       `msgpack:"ID"`
	Amount       money.Amount `msgpack:"Amount"`
	StartingAt   Nanos        `msgpack:"StartingAt"`
	EndingBefore Nanos        `msgpack:"EndingBefore"`
}

// InvoiceItem is one scheduled invoice of a commit purchase: Amount is
// billed on the usage invoice of the period containing Timestamp (see
// Contract.billCommit). UnitPrice and Quantity are what was given (zero
// Quantity: an amount, shown as unit price Amount times 1); InvoiceID is the
// invoice the item is billed on (state only; "" in commands).
type InvoiceItem struct {
	ID        string       `msgpack:"ID"`
	Timestamp Nanos        `msgpack:"Timestamp"`
	Amount    money.Amount `msgpack:"Amount"`
	UnitPrice money.Amount `msgpack:"UnitPrice"`
	Quantity  money.Amount `msgpack:"Quantity"`
	InvoiceID string       `msgpack:"InvoiceID"`
}

// Commit and credit types.
const (
	CommitPrepaid  = "PREPAID"
	CommitPostpaid = "POSTPAID"
	CommitCredit   = "CREDIT"
)

// CommitInput is a commit (PREPAID or POSTPAID) or a credit (Type CREDIT) as
// given on a contract.
type CommitInput struct {
	ID                    string            `msgpack:"ID"`
	Type                  string            `msgpack:"Type"`
	ProductID             string            `msgpack:"ProductID"`
	Name                  string            `msgpack:"Name"`
	Description           string            `msgpack:"Description"`
	Priority              *money.Amount     `msgpack:"Priority"`
	CreditTypeID          string            `msgpack:"CreditTypeID"`
	AccessSchedule        []ScheduleItem    `msgpack:"AccessSchedule"`
	InvoiceSchedule       []InvoiceItem     `msgpack:"InvoiceSchedule"`
	ApplicableProductIDs  []string          `msgpack:"ApplicableProductIDs"`
	ApplicableProductTags []string          `msgpack:"ApplicableProductTags"`
	CustomFields          map[string]string `msgpack:"CustomFields"`
	// InvoiceRecurring is the invoice schedule's recurring_schedule (instead
	// of InvoiceSchedule items), expanded into items when the commit is made.
	InvoiceRecurring *RecurringScheduleInput `msgpack:"InvoiceRecurring"`
	// DoNotInvoice is invoice_schedule.do_not_invoice: the schedule is kept
	// (it makes the commit a paid one for the burn-down order) but bills
	// nothing; a POSTPAID commit with it expires instead of being trued up.
	DoNotInvoice bool `msgpack:"DoNotInvoice"`
	// PaymentGate is the commit's payment_gate_config (payments.go): with
	// EXTERNAL the commit is pending until its payment is released.
	PaymentGate *PaymentGateInput `msgpack:"PaymentGate,omitempty"`
}

// OverrideInput changes rates of a contract for a product or a tag.
type OverrideInput struct {
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
	// OverwriteTiers, when set, makes an OVERWRITE a TIERED overwrite_rate
	// (OverwritePrice is then unused).
	OverwriteTiers []Tier `msgpack:"OverwriteTiers"`
}

// Multiplier override prioritizations of contracts. A contract created
// before prioritization was built stores "" (PrioritizationLegacy): its
// multipliers compound in list order, as they always did for it.
const (
	PrioritizationLegacy           = ""
	PrioritizationLowestMultiplier = "LOWEST_MULTIPLIER"
	PrioritizationExplicit         = "EXPLICIT"
)

// CreateContract adds a contract to a customer.
type CreateContract struct {
	ID         string `msgpack:"ID"`
	CustomerID string `msgpack:"CustomerID"`
	RateCardID string `msgpack:"RateCardID"`
	// RateCardAlias, when RateCardID is empty, selects the rate card whose
	// alias of that name is in force at StartingAt (the most recently
	// assigned one when several are); resolved when the command applies.
	RateCardAlias string            `msgpack:"RateCardAlias,omitempty"`
	Name          string            `msgpack:"Name"`
	StartingAt    Nanos             `msgpack:"StartingAt"`
	EndingBefore  Nanos             `msgpack:"EndingBefore"`
	UniquenessKey string            `msgpack:"UniquenessKey"`
	PrepaidOnly   bool              `msgpack:"PrepaidOnly"`
	Overrides     []OverrideInput   `msgpack:"Overrides"`
	Commits       []CommitInput     `msgpack:"Commits"`
	Credits       []CommitInput     `msgpack:"Credits"`
	CustomFields  map[string]string `msgpack:"CustomFields"`
	// MultiplierOverridePrioritization is LOWEST_MULTIPLIER or EXPLICIT;
	// "" (every command written before it existed) keeps the legacy rule.
	MultiplierOverridePrioritization string `msgpack:"MultiplierOverridePrioritization"`
	// UsageStatementSchedule sets the statement periods (nil: monthly,
	// starting on the first of the month).
	UsageStatementSchedule *StatementScheduleInput `msgpack:"UsageStatementSchedule"`
	ScheduledCharges       []ScheduledChargeInput  `msgpack:"ScheduledCharges"`
	// InvoiceGracePeriod is how long after a period's end its invoice stays
	// a draft that late events still rate into, in nanoseconds. nil: the
	// engine's configured InvoiceGracePeriod; the API edge always stamps the
	// configured value, so the log carries it. Version 1 bodies (written
	// before grace periods existed) are upgraded with an explicit 0: an old
	// log replays to the state it always reached.
	InvoiceGracePeriod *int64 `msgpack:"InvoiceGracePeriod"`
	// FoundationRules marks a contract created by a version 1 command (the
	// foundation's): it may overlap another contract of its customer, and
	// an event for a past period without an invoice opens a draft, as those
	// builds did. Set only by the upgrade of version 1 commands.
	FoundationRules bool `msgpack:"FoundationRules"`
	// LegacyCommits marks a command written before postpaid commits were
	// drawn and commit purchases invoiced (create_contract versions 1 and
	// 2): its commits keep that meaning (Commit.LegacyRules). Set only by the
	// upgrade of those versions.
	LegacyCommits bool `msgpack:"LegacyCommits"`
	// Subscriptions and recurring credits and commits (see subscriptions.go
	// and recurring.go). Commands written before they existed have none
	// (omitted on the wire, so their bytes are unchanged).
	Subscriptions    []SubscriptionInput `msgpack:"Subscriptions,omitempty"`
	RecurringCredits []RecurringInput    `msgpack:"RecurringCredits,omitempty"`
	RecurringCommits []RecurringInput    `msgpack:"RecurringCommits,omitempty"`
	// Auto-recharge and threshold billing (recharge.go, threshold.go).
	PrepaidBalanceThreshold *RechargeInput       `msgpack:"PrepaidBalanceThreshold,omitempty"`
	SpendThreshold          *SpendThresholdInput `msgpack:"SpendThreshold,omitempty"`
	// StripeGatesRefused marks a command written by a build that refused
	// STRIPE payment gates on a create's commits and credits and on both
	// threshold configurations: create_contract versions 1 to 3, whose
	// last shipped writer (v0.3.0) refused them when it applied them, as
	// every earlier build did (versions 1 and 2 could not carry them at
	// all). Such a command still refuses them, with that build's errors,
	// so an old log replays to the state it reached. Set only by the
	// upgrade of those versions (persist); omitted when false, so the
	// current version's bodies do not carry it.
	StripeGatesRefused bool `msgpack:"StripeGatesRefused,omitempty"`
	// BillingProviderConfiguration is the contract's
	// billing_provider_configuration (create_contract version 4): with
	// stripe / direct_to_billing_provider its finalized usage invoices are
	// sent to Stripe (stripe_invoice.go). nil: none, as for every contract
	// created before version 4: their invoices are never sent.
	BillingProviderConfiguration *ContractBillingProvider `msgpack:"BillingProviderConfiguration,omitempty"`
	// SeparateScheduledInvoices bills the scheduled charges on SCHEDULED
	// invoices of their own (scheduled_invoice.go): what the API edge
	// writes when scheduled_charges_on_usage_invoices is absent, Metronome's
	// default. False (ALL, and every command written before the field
	// existed, which omitted it) consolidates them onto the usage invoices
	// of their periods, as those builds did. Omitted when false, so a
	// command without it keeps the bytes of its version.
	SeparateScheduledInvoices bool `msgpack:"SeparateScheduledInvoices,omitempty"`
	// UsageFilter is the usage_filter: the contract rates only the events
	// it selects (multicontract.go). nil: every event. Omitted when nil.
	UsageFilter *UsageFilterInput `msgpack:"UsageFilter,omitempty"`
	// OverlapsRefused marks a command written by a build that refused a
	// contract overlapping another of its customer (create_contract
	// versions 2 to 5; version 1 is FoundationRules, which allowed them):
	// such a command is still refused on replay, with that build's error,
	// since the refusal depended on the state. Set only by the upgrade of
	// those versions (persist); omitted when false.
	OverlapsRefused bool `msgpack:"OverlapsRefused,omitempty"`
}

// Statement frequencies and anchor days.
const (
	FrequencyMonthly    = "MONTHLY"
	FrequencyQuarterly  = "QUARTERLY"
	FrequencySemiAnnual = "SEMI_ANNUAL"
	FrequencyAnnual     = "ANNUAL"

	DayFirstOfMonth  = "FIRST_OF_MONTH"
	DayContractStart = "CONTRACT_START"
	DayCustomDate    = "CUSTOM_DATE"
)

// StatementScheduleInput is a contract's usage_statement_schedule.
type StatementScheduleInput struct {
	Frequency string `msgpack:"Frequency"` // MONTHLY, QUARTERLY or ANNUAL
	Day       string `msgpack:"Day"`       // FIRST_OF_MONTH (default), CONTRACT_START or CUSTOM_DATE
	// BillingAnchorDate anchors a CUSTOM_DATE schedule.
	BillingAnchorDate Nanos `msgpack:"BillingAnchorDate"`
}

// Amount distributions of a recurring schedule.
const (
	DistributionDivided        = "DIVIDED"
	DistributionDividedRounded = "DIVIDED_ROUNDED"
	DistributionEach           = "EACH"
)

// ChargeItemInput is one point-in-time item of a schedule: an amount, or a
// unit price and a quantity.
type ChargeItemInput struct {
	Timestamp Nanos         `msgpack:"Timestamp"`
	Amount    *money.Amount `msgpack:"Amount"`
	UnitPrice *money.Amount `msgpack:"UnitPrice"`
	Quantity  *money.Amount `msgpack:"Quantity"`
}

// RecurringScheduleInput generates items every Frequency from StartingAt
// until EndingBefore.
type RecurringScheduleInput struct {
	StartingAt         Nanos         `msgpack:"StartingAt"`
	EndingBefore       Nanos         `msgpack:"EndingBefore"`
	Frequency          string        `msgpack:"Frequency"`
	AmountDistribution string        `msgpack:"AmountDistribution"`
	Amount             *money.Amount `msgpack:"Amount"`
	UnitPrice          *money.Amount `msgpack:"UnitPrice"`
	Quantity           *money.Amount `msgpack:"Quantity"`
}

// ScheduledChargeInput is a charge of a FIXED product billed on the usage
// invoice of the period containing each item's timestamp.
type ScheduledChargeInput struct {
	ID           string                  `msgpack:"ID"`
	ProductID    string                  `msgpack:"ProductID"`
	Name         string                  `msgpack:"Name"`
	CreditTypeID string                  `msgpack:"CreditTypeID"`
	Items        []ChargeItemInput       `msgpack:"Items"`
	Recurring    *RecurringScheduleInput `msgpack:"Recurring"`
	CustomFields map[string]string       `msgpack:"CustomFields"`
}

// UpdateEndDate changes when a contract ends (0: open-ended). Shortening
// truncates the contract's overrides, draft statements and scheduled charges;
// it is refused when a finalized invoice ends after the new end, unless
// AllowEndingBeforeFinalizedInvoice.
type UpdateEndDate struct {
	CustomerID                        string `msgpack:"CustomerID"`
	ContractID                        string `msgpack:"ContractID"`
	EndingBefore                      Nanos  `msgpack:"EndingBefore"`
	AllowEndingBeforeFinalizedInvoice bool   `msgpack:"AllowEndingBeforeFinalizedInvoice"`
}

// EndDateUpdate is an edit's update_contract_end_date (EndingBefore 0: open-ended).
type EndDateUpdate struct {
	EndingBefore Nanos `msgpack:"EndingBefore"`
}

// EditContract is /v2/contracts/edit: sub-operations applied in a fixed
// order (editOps), all or nothing.
type EditContract struct {
	CustomerID              string                 `msgpack:"CustomerID"`
	ContractID              string                 `msgpack:"ContractID"`
	UniquenessKey           string                 `msgpack:"UniquenessKey"`
	AddCommits              []CommitInput          `msgpack:"AddCommits"`
	AddCredits              []CommitInput          `msgpack:"AddCredits"`
	AddOverrides            []OverrideInput        `msgpack:"AddOverrides"`
	AddScheduledCharges     []ScheduledChargeInput `msgpack:"AddScheduledCharges"`
	ArchiveCommits          []string               `msgpack:"ArchiveCommits"`
	ArchiveCredits          []string               `msgpack:"ArchiveCredits"`
	RemoveOverrides         []string               `msgpack:"RemoveOverrides"`
	ArchiveScheduledCharges []string               `msgpack:"ArchiveScheduledCharges"`
	UpdateContractEndDate   *EndDateUpdate         `msgpack:"UpdateContractEndDate"`
	// AllowEndingBeforeFinalizedInvoice is the edit's
	// allow_contract_ending_before_finalized_invoice.
	AllowEndingBeforeFinalizedInvoice bool `msgpack:"AllowEndingBeforeFinalizedInvoice"`
	// LegacyCommits: see CreateContract.LegacyCommits (edit_contract
	// version 1).
	LegacyCommits bool `msgpack:"LegacyCommits"`
	// AddSubscriptions and UpdateSubscriptions (seats; subscriptions.go).
	AddSubscriptions    []SubscriptionInput  `msgpack:"AddSubscriptions,omitempty"`
	UpdateSubscriptions []SubscriptionUpdate `msgpack:"UpdateSubscriptions,omitempty"`
	// Auto-recharge and threshold billing (recharge.go, threshold.go).
	AddPrepaidBalanceThreshold    *RechargeInput       `msgpack:"AddPrepaidBalanceThreshold,omitempty"`
	UpdatePrepaidBalanceThreshold *RechargeInput       `msgpack:"UpdatePrepaidBalanceThreshold,omitempty"`
	AddSpendThreshold             *SpendThresholdInput `msgpack:"AddSpendThreshold,omitempty"`
	UpdateSpendThreshold          *SpendThresholdInput `msgpack:"UpdateSpendThreshold,omitempty"`
	// StripeGatesRefused marks an edit written by a build that refused a
	// STRIPE payment gate on the threshold configurations it adds or
	// updates: edit_contract versions 1 and 2, whose last shipped writer
	// (v0.3.0) refused them when it applied them (version 1 could not
	// carry them). Such an edit still refuses them, with that build's
	// error; STRIPE on add_commits was accepted by that build and stays
	// accepted. Set only by the upgrade of those versions (persist);
	// omitted when false.
	StripeGatesRefused bool `msgpack:"StripeGatesRefused,omitempty"`
	// Since edit_contract version 5 (balance_edit.go): the contract's new
	// name (nil: unchanged), and access-schedule edits of its commits and
	// credits. Omitted when empty, so an edit without them has version
	// 4's body.
	UpdateName    *string         `msgpack:"UpdateName,omitempty"`
	UpdateCommits []BalanceUpdate `msgpack:"UpdateCommits,omitempty"`
	UpdateCredits []BalanceUpdate `msgpack:"UpdateCredits,omitempty"`
}

// UsesVersion5 reports whether the edit uses what edit_contract version 5
// added (its name, access-schedule edits, a payment gate's stripe_config:
// stripe_gate.go): builds that write version 4 and earlier do not know it.
func (e *EditContract) UsesVersion5() bool {
	return e.UpdateName != nil || len(e.UpdateCommits) > 0 || len(e.UpdateCredits) > 0 || e.UsesStripeConfig()
}

// Event is one usage event as ingested. CustomerID is a customer id or an
// ingest alias.
type Event struct {
	TransactionID string            `msgpack:"TransactionID"`
	CustomerID    string            `msgpack:"CustomerID"`
	EventType     string            `msgpack:"EventType"`
	Timestamp     Nanos             `msgpack:"Timestamp"`
	Properties    map[string]string `msgpack:"Properties"`
}

// Ingest rates a batch of usage events.
type Ingest struct {
	Events []Event `msgpack:"Events"`
}

func (*Tick) Kind() Kind             { return KindTick }
func (*CreateCreditType) Kind() Kind { return KindCreateCredit }
func (*CreateMetric) Kind() Kind     { return KindCreateMetric }
func (*CreateProduct) Kind() Kind    { return KindCreateProduct }
func (*CreateRateCard) Kind() Kind   { return KindCreateRateCard }
func (*AddRates) Kind() Kind         { return KindAddRates }
func (*CreateCustomer) Kind() Kind   { return KindCreateCustomer }
func (*CreateContract) Kind() Kind   { return KindCreateContract }
func (*Ingest) Kind() Kind           { return KindIngest }
func (*UpdateEndDate) Kind() Kind    { return KindUpdateEndDate }
func (*EditContract) Kind() Kind     { return KindEditContract }

// givenID is the client-given id of the catalog object a command creates
// ("" to derive one from the log position).
func (c *CreateCreditType) givenID() string { return c.ID }
func (c *CreateMetric) givenID() string     { return c.ID }
func (c *CreateProduct) givenID() string    { return c.ID }
func (c *CreateRateCard) givenID() string   { return c.ID }
