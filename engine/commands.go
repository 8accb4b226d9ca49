package engine

import "github.com/shopspring/decimal"

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
	ID         string
	Name       string
	IsCurrency bool
}

// EventTypeFilter restricts a metric to events whose type is (not) listed.
type EventTypeFilter struct {
	InValues    []string
	NotInValues []string
}

// PropertyFilter restricts a metric to events whose property matches; all of
// a metric's filters must hold.
type PropertyFilter struct {
	Name        string
	Exists      *bool
	InValues    []string
	NotInValues []string
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
	ID              string
	Name            string
	EventTypeFilter *EventTypeFilter
	PropertyFilters []PropertyFilter
	Aggregation     string // one of the Agg* constants
	AggregationKey  string
	GroupKeys       [][]string
	CustomFields    map[string]string
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
	ID                   string
	Name                 string
	Type                 string
	BillableMetricID     string
	Tags                 []string
	PricingGroupKey      []string
	PresentationGroupKey []string
	CustomFields         map[string]string
}

// CreditTypeConversion prices a custom pricing unit in the rate card's fiat.
type CreditTypeConversion struct {
	CustomCreditTypeID  string
	FiatPerCustomCredit decimal.Decimal
}

// CreateRateCard defines an empty rate card; rates are added with AddRates.
type CreateRateCard struct {
	ID                    string
	Name                  string
	Description           string
	FiatCreditTypeID      string
	CreditTypeConversions []CreditTypeConversion
	CustomFields          map[string]string
}

// Rate types.
const (
	RateFlat         = "FLAT"
	RateSubscription = "SUBSCRIPTION"
	RateTiered       = "TIERED"
)

// Tier is one step of a TIERED rate; the last tier has no size.
type Tier struct {
	Size  *decimal.Decimal
	Price decimal.Decimal
}

// RateInput is one rate of a rate card: a price for a product over time.
type RateInput struct {
	ProductID        string
	StartingAt       Nanos
	EndingBefore     Nanos
	Entitled         bool
	RateType         string
	Price            decimal.Decimal
	Tiers            []Tier
	CreditTypeID     string
	BillingFrequency string
	Quantity         *decimal.Decimal
	IsProrated       bool
}

// AddRates appends rates to a rate card.
type AddRates struct {
	RateCardID string
	Rates      []RateInput
}

// BillingProviderConfig links a customer to a billing provider account.
type BillingProviderConfig struct {
	BillingProvider string
	DeliveryMethod  string
	Configuration   map[string]string
}

// CreateCustomer adds a customer with its (globally unique) ingest aliases.
type CreateCustomer struct {
	ID               string
	Name             string
	IngestAliases    []string
	CustomFields     map[string]string
	BillingProviders []BillingProviderConfig
}

// ScheduleItem is one access segment of a commit or credit.
type ScheduleItem struct {
	ID           string
	Amount       decimal.Decimal
	StartingAt   Nanos
	EndingBefore Nanos
}

// InvoiceItem is one scheduled invoice of a commit purchase.
type InvoiceItem struct {
	ID        string
	Timestamp Nanos
	Amount    decimal.Decimal
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
	ID                    string
	Type                  string
	ProductID             string
	Name                  string
	Description           string
	Priority              *decimal.Decimal
	CreditTypeID          string
	AccessSchedule        []ScheduleItem
	InvoiceSchedule       []InvoiceItem
	ApplicableProductIDs  []string
	ApplicableProductTags []string
	CustomFields          map[string]string
}

// OverrideInput changes rates of a contract for a product or a tag.
type OverrideInput struct {
	ID                    string
	StartingAt            Nanos
	EndingBefore          Nanos
	ProductID             string
	ApplicableProductTags []string
	Entitled              *bool
	Type                  string // OVERWRITE or MULTIPLIER, empty for entitled-only
	Multiplier            *decimal.Decimal
	OverwritePrice        *decimal.Decimal
}

// CreateContract adds a contract to a customer.
type CreateContract struct {
	ID            string
	CustomerID    string
	RateCardID    string
	Name          string
	StartingAt    Nanos
	EndingBefore  Nanos
	UniquenessKey string
	PrepaidOnly   bool
	Overrides     []OverrideInput
	Commits       []CommitInput
	Credits       []CommitInput
	CustomFields  map[string]string
}

// Event is one usage event as ingested. CustomerID is a customer id or an
// ingest alias.
type Event struct {
	TransactionID string
	CustomerID    string
	EventType     string
	Timestamp     Nanos
	Properties    map[string]string
}

// Ingest rates a batch of usage events.
type Ingest struct {
	Events []Event
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

// NewCommand returns an empty command of the given kind, for decoders; nil for
// a kind the engine does not know.
func NewCommand(k Kind) Command {
	switch k {
	case KindTick:
		return &Tick{}
	case KindCreateCredit:
		return &CreateCreditType{}
	case KindCreateMetric:
		return &CreateMetric{}
	case KindCreateProduct:
		return &CreateProduct{}
	case KindCreateRateCard:
		return &CreateRateCard{}
	case KindAddRates:
		return &AddRates{}
	case KindCreateCustomer:
		return &CreateCustomer{}
	case KindCreateContract:
		return &CreateContract{}
	case KindIngest:
		return &Ingest{}
	}
	return nil
}
