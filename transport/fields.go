package transport

// appliedFields lists, per endpoint, every request field the server applies:
// the fields its decoder reads. The reader refuses any other field that
// carries a value with 400 "<path>: is not supported by this server yet"
// (decode.go), and TestSDKFieldsAppliedOrRefused walks the official SDK's
// request types to prove both halves: a field listed here is accepted, any
// other is refused by name. A decoder that starts reading a field must apply
// it and list it here.
//
// Paths are JSON paths from the body's root; "[]" stands for every element of
// an array ("[]" alone at the start: the body is an array). A free-form map
// (custom_fields, event properties, provider configuration) is one entry.
//
// Fields kept and returned without changing what is billed are applied in
// that sense: names, descriptions, custom_fields, tags (which also select
// products for commits and overrides), a metric's group_keys (a product's
// pricing_group_key and presentation_group_key must together equal one of
// them; rates with pricing_group_values price those groups, and usage lines
// are split by both), the subscription terms of a
// SUBSCRIPTION rate (subscriptions on contracts bill by the rate's
// billing_frequency; see seats.go), and a
// customer's billing-provider configuration (a contract's
// billing_provider_configuration selects the stripe one to send its
// finalized usage invoices to; other providers receive nothing).
var appliedFields = map[string][]string{
	"/v1/ingest": {
		"[].transaction_id", "[].customer_id", "[].event_type", "[].timestamp", "[].properties",
	},
	"/v1/customers": {
		"name", "ingest_aliases", "external_id", "custom_fields",
		"customer_billing_provider_configurations[].billing_provider",
		"customer_billing_provider_configurations[].delivery_method",
		"customer_billing_provider_configurations[].configuration",
		"billing_config.billing_provider_type", "billing_config.billing_provider_customer_id",
		"billing_config.stripe_collection_method",
	},
	// Customer administration (customer_admin.go): delivery_method_id and
	// tax_provider stay refused.
	"/v1/customers/archive":               {"id"},
	"/v1/contracts/archive":               {"customer_id", "contract_id", "void_invoices"},
	"/v1/customers/{id}/setIngestAliases": {"ingest_aliases"},
	"/v1/customers/{id}/setName":          {"name"},
	"/v1/setCustomerBillingProviderConfigurations": {"data[].customer_id", "data[].billing_provider",
		"data[].delivery_method", "data[].configuration"},
	"/v1/getCustomerBillingProviderConfigurations": {"customer_id", "include_archived"},
	// Manual ledger entries (manual_ledger.go): per_group_amounts (seat
	// groups' shares) stays refused.
	"/v1/contracts/addManualBalanceLedgerEntry": {"customer_id", "contract_id", "id", "segment_id", "amount", "reason", "timestamp"},
	// Voided and regenerated invoices (invoice_void.go).
	"/v1/invoices/void":       {"id"},
	"/v1/invoices/regenerate": {"id"},
	"/v1/billable-metrics/create": {
		"name", "aggregation_type", "aggregation_key", "custom_fields",
		"event_type_filter.in_values", "event_type_filter.not_in_values",
		"property_filters[].name", "property_filters[].exists", "property_filters[].in_values", "property_filters[].not_in_values",
		"group_keys",
	},
	"/v1/contract-pricing/products/create": {
		"name", "type", "billable_metric_id", "tags", "pricing_group_key", "presentation_group_key", "custom_fields",
		"quantity_conversion.conversion_factor", "quantity_conversion.operation", "quantity_conversion.name",
		"quantity_rounding.decimal_places", "quantity_rounding.rounding_method",
		// COMPOSITE: composite_scope (only the default, contract),
		// exclude_free_usage and include_composite_spend stay refused.
		"composite_product_ids", "composite_tags",
	},
	// Every option is applied by the dashboard it names (dashboards.go).
	"/v1/dashboards/getEmbeddableUrl": {
		"customer_id", "dashboard", "color_overrides[].name", "color_overrides[].value",
		"dashboard_options[].key", "dashboard_options[].value",
		"bm_group_key_overrides[].group_key_name", "bm_group_key_overrides[].display_name", "bm_group_key_overrides[].value_display_names",
	},
	"/v1/contract-pricing/products/get":  {"id"},
	"/v1/contract-pricing/products/list": {"archive_filter"},
	"/v1/contract-pricing/rate-cards/create": {
		"name", "description", "fiat_credit_type_id", "custom_fields",
		"credit_type_conversions[].custom_credit_type_id", "credit_type_conversions[].fiat_per_custom_credit",
		"aliases[].name", "aliases[].starting_at", "aliases[].ending_before",
	},
	"/v1/contract-pricing/rate-cards/getRates": {
		"rate_card_id", "at", "selectors[].product_id", "selectors[].product_tags",
		"selectors[].pricing_group_values", "selectors[].partial_pricing_group_values",
	},
	"/v1/contract-pricing/rate-cards/get":      {"id"},
	"/v1/contract-pricing/rate-cards/list":     {},
	"/v1/contract-pricing/rate-cards/addRate":  append([]string{"rate_card_id"}, rateFields("")...),
	"/v1/contract-pricing/rate-cards/addRates": append([]string{"rate_card_id"}, rateFields("rates[].")...),
	"/v1/contracts/create": append(append(append(append(append([]string{
		"customer_id", "rate_card_id", "rate_card_alias", "name", "starting_at", "ending_before", "uniqueness_key", "custom_fields",
		"ending_at",    // the pay-as-you-go guide's spelling of ending_before
		"prepaid_only", // native: usage beyond the prepaid balance is refused
		"usage_statement_schedule.frequency", "usage_statement_schedule.day", "usage_statement_schedule.billing_anchor_date",
		"overrides[].starting_at", "overrides[].ending_before", "overrides[].product_id",
		"overrides[].applicable_product_tags", "overrides[].entitled", "overrides[].type", "overrides[].multiplier",
		"overrides[].overwrite_rate.rate_type", "overrides[].overwrite_rate.price",
		"overrides[].overwrite_rate.tiers[].size", "overrides[].overwrite_rate.tiers[].price",
		"overrides[].priority", "multiplier_override_prioritization",
		// The events the contract rates (engine/multicontract.go); a
		// starting_at other than the contract's is refused.
		"usage_filter.group_key", "usage_filter.group_values", "usage_filter.starting_at",
	}, commitFields("commits[].", false)...), commitFields("credits[].", true)...), purchaseFields("commits[].", "credits[].")...),
		// stripe / direct_to_billing_provider only: finalized usage
		// invoices are sent to Stripe (billing_provider_configuration_id
		// refused).
		"billing_provider_configuration.billing_provider", "billing_provider_configuration.delivery_method",
		// ALL: on the usage invoices; absent: SCHEDULED invoices.
		"scheduled_charges_on_usage_invoices",
	), append(append(append(append(append(scheduledChargeFields("scheduled_charges[]."), subscriptionFields("subscriptions[].")...),
		recurringFields("recurring_credits[].")...), recurringFields("recurring_commits[].")...),
		thresholdFields("prepaid_balance_threshold_configuration.", true)...), append(thresholdFields("spend_threshold_configuration.", false),
		// Older names of the two (payments.go's thresholdKeys).
		append(thresholdFields("credit_balance_threshold_configuration.", true), thresholdFields("threshold_billing_configuration.", true)...)...)...)...),
	"/v1/contracts/updateEndDate": {"customer_id", "contract_id", "ending_before", "allow_ending_before_finalized_invoice"},
	"/v2/contracts/edit": append(append(append(append([]string{
		"customer_id", "contract_id", "uniqueness_key", "update_contract_end_date", "allow_contract_ending_before_finalized_invoice",
		"update_contract_name",
		"archive_commits[].id", "archive_credits[].id", "archive_scheduled_charges[].id", "remove_overrides[].id",
		"add_overrides[].starting_at", "add_overrides[].ending_before", "add_overrides[].product_id",
		"add_overrides[].applicable_product_tags", "add_overrides[].entitled", "add_overrides[].type", "add_overrides[].multiplier",
		"add_overrides[].overwrite_rate.rate_type", "add_overrides[].overwrite_rate.price",
		"add_overrides[].overwrite_rate.tiers[].size", "add_overrides[].overwrite_rate.tiers[].price",
		"add_overrides[].priority",
	}, commitFields("add_commits[].", false)...), commitFields("add_credits[].", true)...), purchaseFields("add_commits[].", "add_credits[].")...), append(append(append(append(append(append(scheduledChargeFields("add_scheduled_charges[]."), subscriptionFields("add_subscriptions[].")...),
		updateSubscriptionFields...),
		thresholdFields("add_prepaid_balance_threshold_configuration.", true)...), thresholdFields("update_prepaid_balance_threshold_configuration.", true)...),
		thresholdFields("add_spend_threshold_configuration.", false)...), append(thresholdFields("update_spend_threshold_configuration.", false),
		append(balanceUpdateFields("update_commits[].", "commit_id"), balanceUpdateFields("update_credits[].", "credit_id")...)...)...)...),
	// Access-schedule edits (balance_edit.go); the rest of the SDK's
	// request stays refused.
	"/v2/contracts/commits/edit": append([]string{"customer_id"}, balanceUpdateFields("", "commit_id")...),
	"/v2/contracts/credits/edit": append([]string{"customer_id"}, balanceUpdateFields("", "credit_id")...),
	// Amendments (amend.go): proposed as the v2 edit's add_* parts.
	"/v1/contracts/amend": append(append(append(append([]string{
		"customer_id", "contract_id", "starting_at",
		"overrides[].starting_at", "overrides[].ending_before", "overrides[].product_id",
		"overrides[].applicable_product_tags", "overrides[].entitled", "overrides[].type", "overrides[].multiplier",
		"overrides[].overwrite_rate.rate_type", "overrides[].overwrite_rate.price",
		"overrides[].overwrite_rate.tiers[].size", "overrides[].overwrite_rate.tiers[].price",
		"overrides[].priority",
	}, commitFields("commits[].", false)...), commitFields("credits[].", true)...), purchaseFields("commits[].", "credits[].")...), scheduledChargeFields("scheduled_charges[].")...),
	"/v1/contracts/commits/threshold-billing/release": {"workflow_id", "outcome"},
	"/v1/contracts/get":  {"customer_id", "contract_id", "include_balance", "include_ledgers"},
	"/v1/contracts/list": {"customer_id", "include_balance", "include_ledgers", "include_archived", "covering_date", "starting_at"},
	// v2 reads: the v1 contract in the v2 shape; as_of_date is refused (a
	// contract's past terms are not kept).
	"/v2/contracts/get":  {"customer_id", "contract_id", "include_balance", "include_ledgers"},
	"/v2/contracts/list": {"customer_id", "include_balance", "include_ledgers", "include_archived", "covering_date", "starting_at"},
	// Usage reads (usage.go, usage_groups.go): window_size NONE only (HOUR
	// and DAY are refused by value: usage is kept per statement period);
	// next_page and limit travel in the query string.
	"/v1/usage": {"starting_on", "ending_before", "window_size", "customer_ids",
		"billable_metrics[].id", "billable_metrics[].group_by.key", "billable_metrics[].group_by.values"},
	"/v1/usage/groups": {"customer_id", "billable_metric_id", "window_size", "starting_on", "ending_before", "current_period",
		"group_by.key", "group_by.values"},
	"/v1/contracts/customerBalances/list": {
		"customer_id", "id", "covering_date", "starting_at", "effective_before", "include_balance", "include_ledgers",
		"include_contract_balances", "exclude_zero_balances", "include_archived", "limit", "next_page",
	},
	// Customer-level commits and credits (customer_balances.go):
	// specifiers and the NetSuite and Salesforce ids stay refused;
	// POSTPAID is refused by the engine naming type.
	"/v1/contracts/customerCommits/create": append(append(commitFields("", false), "customer_id", "uniqueness_key", "applicable_contract_ids",
		"access_schedule.schedule_items[].credit_type_id", "invoice_contract_id"), invoiceScheduleFields("")...),
	"/v1/contracts/customerCredits/create": append(commitFields("", true), "customer_id", "uniqueness_key", "applicable_contract_ids", "access_schedule.schedule_items[].credit_type_id"),
	"/v1/contracts/customerCommits/list": {"customer_id", "commit_id", "covering_date", "starting_at", "effective_before", "include_balance",
		"include_ledgers", "include_contract_commits", "include_archived", "limit", "next_page"},
	"/v1/contracts/customerCredits/list": {"customer_id", "credit_id", "covering_date", "starting_at", "effective_before", "include_balance",
		"include_ledgers", "include_contract_credits", "include_archived", "limit", "next_page"},
	"/v1/contracts/customerCommits/updateEndDate": {"customer_id", "commit_id", "access_ending_before", "invoices_ending_before"},
	"/v1/contracts/customerCredits/updateEndDate": {"customer_id", "credit_id", "access_ending_before"},
	"/v1/credit-types/create":                     {"name", "is_currency"},
	"/v1/entitlements/check":                      {"checks[].customer_id", "checks[].product_id", "checks[].group_key", "checks[].group_value"},
	"/v1/entitlements/consume": {"customer_id", "product_id", "group_key", "group_value",
		"events[].transaction_id", "events[].customer_id", "events[].event_type", "events[].timestamp", "events[].properties"},
	// Alerts: for one customer; block_on_alarm is native (a hard limit).
	"/v1/alerts/create": {"alert_type", "name", "threshold", "customer_id", "credit_type_id", "uniqueness_key",
		"evaluate_on_create", "group_values[].key", "group_values[].value", "invoice_types_filter", "block_on_alarm", "billable_metric_id"},
	"/v1/alerts/archive":             {"id", "release_uniqueness_key"},
	"/v1/customer-alerts/get":        {"customer_id", "alert_id", "group_values[].key", "group_values[].value"},
	"/v1/customer-alerts/list":       {"customer_id", "alert_statuses"},
	"/v1/customer-alerts/reset":      {"customer_id", "alert_id"},
	"/v1/webhooks/create":            {"url", "secret", "event_types"},
	"/v1/webhooks/archive":           {"id"},
	"/v1/webhooks/deliveries/replay": {"id", "since"},
	"/v1/cluster/join":               {"id", "raft_addr", "http_addr"},
	"/v1/admin/tokens/create":        {"name", "scope"},
	"/v1/admin/tokens/revoke":        {"id"},
	"/v1/cluster/remove":             {"id"},
	"/v1/cluster/restore":            {"path"},
	"/v1/admin/clock":                {"now"},
}

// rateFields are the fields of one rate (addRate's body, addRates' rates[]).
// billing_frequency, quantity and is_prorated are read on SUBSCRIPTION rates
// only, tiers on TIERED rates only.
func rateFields(prefix string) []string {
	out := []string{}
	for _, f := range []string{"product_id", "starting_at", "ending_before", "rate_type", "credit_type_id", "entitled", "price",
		"billing_frequency", "quantity", "is_prorated", "tiers[].size", "tiers[].price", "pricing_group_values"} {
		out = append(out, prefix+f)
	}
	return out
}

// scheduledChargeFields are the fields of a scheduled charge.
func scheduledChargeFields(prefix string) []string {
	out := []string{}
	for _, f := range []string{"product_id", "name", "custom_fields", "schedule.credit_type_id",
		"schedule.schedule_items[].timestamp", "schedule.schedule_items[].amount",
		"schedule.schedule_items[].unit_price", "schedule.schedule_items[].quantity",
		"schedule.recurring_schedule.starting_at", "schedule.recurring_schedule.ending_before",
		"schedule.recurring_schedule.frequency", "schedule.recurring_schedule.amount_distribution",
		"schedule.recurring_schedule.amount", "schedule.recurring_schedule.unit_price", "schedule.recurring_schedule.quantity"} {
		out = append(out, prefix+f)
	}
	return out
}

// invoiceScheduleFields are the applied fields of a commit's invoice_schedule.
func invoiceScheduleFields(prefix string) []string {
	fields := []string{"credit_type_id", "do_not_invoice", "schedule_items[].timestamp", "schedule_items[].amount",
		"schedule_items[].unit_price", "schedule_items[].quantity", "recurring_schedule.starting_at", "recurring_schedule.ending_before",
		"recurring_schedule.frequency", "recurring_schedule.amount_distribution", "recurring_schedule.amount",
		"recurring_schedule.unit_price", "recurring_schedule.quantity"}
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		out = append(out, prefix+"invoice_schedule."+f)
	}
	return out
}

// commitFields are the fields of a commit or a credit.
func commitFields(prefix string, credit bool) []string {
	fields := []string{"product_id", "name", "description", "priority", "applicable_product_ids", "applicable_product_tags",
		"custom_fields", "rate_type", "access_schedule.credit_type_id", "access_schedule.schedule_items[].starting_at",
		"access_schedule.schedule_items[].ending_before", "access_schedule.schedule_items[].amount"}
	if !credit {
		fields = append(fields, "type")
	}
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		out = append(out, prefix+f)
	}
	return out
}

// thresholdFields are the applied fields of a prepaid balance threshold
// (recharge) or spend threshold configuration: custom_credit_type_id,
// discount_configuration, threshold_balance_specifiers, the commit's
// specifiers and a tax_type other than NONE stay refused.
func thresholdFields(prefix string, recharge bool) []string {
	fields := []string{"is_enabled", "threshold_amount", "commit.product_id", "commit.name", "commit.description",
		"payment_gate_config.payment_gate_type", "payment_gate_config.tax_type",
		"payment_gate_config.stripe_config.payment_type", "payment_gate_config.stripe_config.invoice_metadata"}
	if recharge {
		fields = append(fields, "recharge_to_amount", "commit.applicable_product_ids", "commit.applicable_product_tags")
	}
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		out = append(out, prefix+f)
	}
	return out
}

// purchaseFields are the fields of a contract's commits (under commits)
// beyond commitFields' that a create, a v2 edit and an amendment all
// accept: the invoice schedule (items or recurring), the payment gate
// (NONE, EXTERNAL or STRIPE; tax_type NONE only; a STRIPE gate's
// stripe_config, engine/stripe_gate.go), and, in the guides' spelling, the
// credit type on the access-schedule items of commits and credits.
func purchaseFields(commits, credits string) []string {
	fields := []string{"invoice_schedule.credit_type_id",
		"invoice_schedule.schedule_items[].timestamp", "invoice_schedule.schedule_items[].amount",
		"invoice_schedule.schedule_items[].unit_price", "invoice_schedule.schedule_items[].quantity",
		"invoice_schedule.do_not_invoice",
		"invoice_schedule.recurring_schedule.starting_at", "invoice_schedule.recurring_schedule.ending_before",
		"invoice_schedule.recurring_schedule.frequency", "invoice_schedule.recurring_schedule.amount_distribution",
		"invoice_schedule.recurring_schedule.amount", "invoice_schedule.recurring_schedule.unit_price",
		"invoice_schedule.recurring_schedule.quantity",
		"payment_gate_config.payment_gate_type", "payment_gate_config.tax_type",
		"payment_gate_config.stripe_config.payment_type", "payment_gate_config.stripe_config.invoice_metadata",
		"access_schedule.schedule_items[].credit_type_id"}
	out := make([]string, 0, len(fields)+1)
	for _, f := range fields {
		out = append(out, commits+f)
	}
	return append(out, credits+"access_schedule.schedule_items[].credit_type_id")
}
