package importer

import "encoding/json"

// The objects as the API shows them: only the fields the import carries or
// checks. Amounts stay json.Number (or any, for objects passed through), so
// no digit is lost on the way.

type ref struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

type creditType struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	IsCurrency bool   `json:"is_currency"`
}

type customer struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	IngestAliases []string          `json:"ingest_aliases"`
	CustomFields  map[string]string `json:"custom_fields"`
}

type billingProviderConfig struct {
	BillingProvider string         `json:"billing_provider"`
	DeliveryMethod  string         `json:"delivery_method"`
	Configuration   map[string]any `json:"configuration"`
	ArchivedAt      *string        `json:"archived_at"`
}

type metric struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	AggregationType string            `json:"aggregation_type"`
	AggregationKey  string            `json:"aggregation_key"`
	EventTypeFilter map[string]any    `json:"event_type_filter"`
	PropertyFilters []map[string]any  `json:"property_filters"`
	GroupKeys       [][]string        `json:"group_keys"`
	CustomFields    map[string]string `json:"custom_fields"`
}

type product struct {
	ID           string            `json:"id"`
	Type         string            `json:"type"`
	Current      productTerms      `json:"current"`
	CustomFields map[string]string `json:"custom_fields"`
}

type productTerms struct {
	Name                 string         `json:"name"`
	BillableMetricID     string         `json:"billable_metric_id"`
	Tags                 []string       `json:"tags"`
	PricingGroupKey      []string       `json:"pricing_group_key"`
	PresentationGroupKey []string       `json:"presentation_group_key"`
	QuantityConversion   map[string]any `json:"quantity_conversion"`
	QuantityRounding     map[string]any `json:"quantity_rounding"`
	CompositeProductIDs  []string       `json:"composite_product_ids"`
	CompositeTags        []string       `json:"composite_tags"`
}

type rateCard struct {
	ID                    string            `json:"id"`
	Name                  string            `json:"name"`
	Description           string            `json:"description"`
	FiatCreditType        ref               `json:"fiat_credit_type"`
	CreditTypeConversions []conversion      `json:"credit_type_conversions"`
	CustomFields          map[string]string `json:"custom_fields"`
	Aliases               []rateCardAlias   `json:"aliases"`
}

type conversion struct {
	CustomCreditType    ref `json:"custom_credit_type"`
	FiatPerCustomCredit any `json:"fiat_per_custom_credit"`
}

type rateCardAlias struct {
	Name         string `json:"name"`
	StartingAt   string `json:"starting_at,omitempty"`
	EndingBefore string `json:"ending_before,omitempty"`
}

type rate struct {
	ProductID          string            `json:"product_id"`
	StartingAt         string            `json:"starting_at"`
	EndingBefore       string            `json:"ending_before"`
	Entitled           *bool             `json:"entitled"`
	PricingGroupValues map[string]string `json:"pricing_group_values"`
	BillingFrequency   string            `json:"billing_frequency"`
	Rate               struct {
		RateType   string           `json:"rate_type"`
		Price      any              `json:"price"`
		Tiers      []map[string]any `json:"tiers"`
		CreditType ref              `json:"credit_type"`
		IsProrated *bool            `json:"is_prorated"`
		Quantity   any              `json:"quantity"`
	} `json:"rate"`
}

type contract struct {
	ID                                   string            `json:"id"`
	CustomerID                           string            `json:"customer_id"`
	Current                              contractTerms     `json:"current"`
	CustomFields                         map[string]string `json:"custom_fields"`
	PrepaidOnly                          bool              `json:"prepaid_only"`
	ArchivedAt                           *string           `json:"archived_at"`
	Subscriptions                        []json.RawMessage `json:"subscriptions"`
	Amendments                           []json.RawMessage `json:"amendments"`
	CustomerBillingProviderConfiguration *struct {
		BillingProvider string `json:"billing_provider"`
		DeliveryMethod  string `json:"delivery_method"`
	} `json:"customer_billing_provider_configuration"`
	PrepaidBalanceThresholdConfiguration json.RawMessage `json:"prepaid_balance_threshold_configuration"`
	SpendThresholdConfiguration          json.RawMessage `json:"spend_threshold_configuration"`
	// ScheduledChargesOnUsageInvoices is ALL when the source bills the
	// contract's scheduled charges on its usage invoices (also in Current).
	ScheduledChargesOnUsageInvoices string `json:"scheduled_charges_on_usage_invoices"`
}

type contractTerms struct {
	Name                             string            `json:"name"`
	RateCardID                       string            `json:"rate_card_id"`
	StartingAt                       string            `json:"starting_at"`
	EndingBefore                     string            `json:"ending_before"`
	Commits                          []commit          `json:"commits"`
	Credits                          []commit          `json:"credits"`
	Overrides                        []override        `json:"overrides"`
	ScheduledCharges                 []charge          `json:"scheduled_charges"`
	RecurringCommits                 []json.RawMessage `json:"recurring_commits"`
	RecurringCredits                 []json.RawMessage `json:"recurring_credits"`
	Transitions                      []json.RawMessage `json:"transitions"`
	UsageStatementSchedule           map[string]string `json:"usage_statement_schedule"`
	MultiplierOverridePrioritization string            `json:"multiplier_override_prioritization"`
	ScheduledChargesOnUsageInvoices  string            `json:"scheduled_charges_on_usage_invoices"`
	UsageFilter                      json.RawMessage   `json:"usage_filter"`
}

type commit struct {
	ID                    string            `json:"id"`
	Type                  string            `json:"type"`
	Name                  string            `json:"name"`
	Description           string            `json:"description"`
	Priority              any               `json:"priority"`
	Product               ref               `json:"product"`
	ApplicableProductIDs  []string          `json:"applicable_product_ids"`
	ApplicableProductTags []string          `json:"applicable_product_tags"`
	RateType              string            `json:"rate_type"`
	AccessSchedule        accessSchedule    `json:"access_schedule"`
	InvoiceSchedule       *invoiceSchedule  `json:"invoice_schedule"`
	CustomFields          map[string]string `json:"custom_fields"`
	ArchivedAt            *string           `json:"archived_at"`
	Balance               *json.Number      `json:"balance"`
	Ledger                []ledgerEntry     `json:"ledger"`
	PaymentGateConfig     json.RawMessage   `json:"payment_gate_config"`
	// Customer-level commits and credits only (customerCommits/list,
	// customerCredits/list): the contracts they apply to (none: all), the
	// contract their invoice schedule bills on, their uniqueness key.
	ApplicableContractIDs []string `json:"applicable_contract_ids"`
	InvoiceContract       *ref     `json:"invoice_contract"`
	UniquenessKey         string   `json:"uniqueness_key"`
}

type accessSchedule struct {
	CreditType    ref `json:"credit_type"`
	ScheduleItems []struct {
		ID           string      `json:"id"`
		Amount       json.Number `json:"amount"`
		StartingAt   string      `json:"starting_at"`
		EndingBefore string      `json:"ending_before"`
	} `json:"schedule_items"`
}

type invoiceSchedule struct {
	CreditType    ref           `json:"credit_type"`
	ScheduleItems []invoiceItem `json:"schedule_items"`
	DoNotInvoice  bool          `json:"do_not_invoice"`
}

type invoiceItem struct {
	ID        string  `json:"id"`
	Amount    any     `json:"amount"`
	UnitPrice any     `json:"unit_price"`
	Quantity  any     `json:"quantity"`
	Timestamp string  `json:"timestamp"`
	InvoiceID *string `json:"invoice_id"`
}

type ledgerEntry struct {
	Type      string      `json:"type"`
	Timestamp string      `json:"timestamp"`
	Amount    json.Number `json:"amount"`
	SegmentID string      `json:"segment_id"`
	Reason    string      `json:"reason"`
}

type override struct {
	StartingAt            string         `json:"starting_at"`
	EndingBefore          string         `json:"ending_before"`
	Product               *ref           `json:"product"`
	ApplicableProductTags []string       `json:"applicable_product_tags"`
	Entitled              *bool          `json:"entitled"`
	Type                  string         `json:"type"`
	Multiplier            any            `json:"multiplier"`
	OverwriteRate         map[string]any `json:"overwrite_rate"`
	Priority              any            `json:"priority"`
}

type charge struct {
	ID           string            `json:"id"`
	Product      ref               `json:"product"`
	Name         string            `json:"name"`
	CustomFields map[string]string `json:"custom_fields"`
	ArchivedAt   *string           `json:"archived_at"`
	Schedule     struct {
		CreditType    ref           `json:"credit_type"`
		ScheduleItems []invoiceItem `json:"schedule_items"`
	} `json:"schedule"`
}

type alert struct {
	ID                 string           `json:"id"`
	Name               string           `json:"name"`
	Type               string           `json:"type"`
	Status             string           `json:"status"`
	Threshold          json.Number      `json:"threshold"`
	CreditType         *ref             `json:"credit_type"`
	BillableMet        *ref             `json:"billable_metric"`
	UniquenessKey      string           `json:"uniqueness_key"`
	GroupValues        []map[string]any `json:"group_values"`
	BlockOnAlarm       bool             `json:"block_on_alarm"`
	InvoiceTypesFilter []string         `json:"invoice_types_filter"`
}

type webhook struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	EventTypes []string `json:"event_types"`
	ArchivedAt *string  `json:"archived_at"`
}
