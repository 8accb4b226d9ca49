package transport

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/shared"

	"burndown/engine"
)

// sdkLeaf is one settable field of an SDK request type: its JSON path ("[]"
// for array elements, as in appliedFields) and its Go type.
type sdkLeaf struct {
	path string
	typ  reflect.Type
}

var timeType = reflect.TypeOf(time.Time{})

// isOpt reports whether t is the SDK's param.Opt[T] wrapper.
func isOpt(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && strings.HasPrefix(t.Name(), "Opt[") && strings.HasSuffix(t.PkgPath(), "packages/param")
}

// isUnion reports whether t is an SDK union param (it embeds param.APIUnion):
// a leaf here, sent as an object.
func isUnion(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Anonymous && f.Type.Name() == "APIUnion" {
			return true
		}
	}
	return false
}

// sdkLeaves walks an SDK param struct by its json tags.
func sdkLeaves(t reflect.Type, prefix string, depth int, out *[]sdkLeaf) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" {
			continue
		}
		sdkField(f.Type, prefix+name, depth, out)
	}
}

func sdkField(ft reflect.Type, path string, depth int, out *[]sdkLeaf) {
	if isOpt(ft) {
		ft = ft.Field(0).Type // Opt[T].Value
	}
	if ft.Kind() == reflect.Ptr {
		ft = ft.Elem()
	}
	switch {
	case ft.Kind() == reflect.Struct && ft != timeType && !isUnion(ft) && depth < 8:
		sdkLeaves(ft, path+".", depth+1, out)
	case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && ft.Elem() != timeType && !isUnion(ft.Elem()) && depth < 8:
		sdkLeaves(ft.Elem(), path+"[].", depth+1, out)
	default:
		*out = append(*out, sdkLeaf{path: path, typ: ft})
	}
}

// plausible is a value of t that the server can read: a number 1, true, a
// time, "x", one-element lists, a small object.
func plausible(t reflect.Type, at string) any {
	switch {
	case t == timeType:
		return at
	case isOpt(t):
		return plausible(t.Field(0).Type, at)
	}
	switch t.Kind() {
	case reflect.String:
		return "x"
	case reflect.Bool:
		return true
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
		return 1
	case reflect.Slice:
		return []any{plausible(t.Elem(), at)}
	case reflect.Map:
		return map[string]any{"k": "v"}
	case reflect.Ptr:
		return plausible(t.Elem(), at)
	}
	return map[string]any{"x": "x"} // unions, interfaces, structs past the depth limit
}

// sdkEndpoint is one endpoint tried field by field.
type sdkEndpoint struct {
	path   string
	params any // a zero SDK params value; for ingest, the event type
	array  bool
	// base builds a valid request; templates give the required fields of a
	// container (object path or "x[]" element) that a leaf creates.
	base      func() any
	templates map[string]map[string]any
	// values overrides the plausible value of a path; also adjusts the body
	// before a leaf at or under its key is set (siblings a field needs to
	// take effect).
	values map[string]func() any
	also   map[string]func(body any)
	// url, when set, is the request's path for a path-parameter endpoint
	// (path is then its pattern, as appliedFields names it).
	url func() string
}

// setPath sets the value at a "[]"-path in body, creating objects (from
// templates) and one-element arrays as needed.
func setPath(body any, path string, v any, templates map[string]map[string]any) any {
	segs := strings.Split(path, ".")
	var set func(cur any, i int, sofar string) any
	set = func(cur any, i int, sofar string) any {
		seg := segs[i]
		name, isArr := strings.CutSuffix(seg, "[]")
		full := strings.TrimPrefix(sofar+"."+seg, ".")
		m, _ := cur.(map[string]any)
		if m == nil && name != "" {
			m = copyTemplate(templates[strings.TrimPrefix(sofar, ".")])
		}
		var child any
		if name == "" { // the root is the array
			child = cur
		} else {
			child = m[name]
		}
		if isArr {
			arr, _ := child.([]any)
			var elem any
			if len(arr) > 0 {
				elem = arr[0]
			} else if i < len(segs)-1 {
				elem = copyTemplate(templates[full])
			}
			if i == len(segs)-1 {
				elem = v
				if inner, ok := v.([]any); ok && len(inner) == 1 {
					elem = inner[0]
				}
			} else {
				elem = set(elem, i+1, full)
			}
			if len(arr) == 0 {
				arr = []any{elem}
			} else {
				arr[0] = elem
			}
			child = arr
		} else if i == len(segs)-1 {
			child = v
		} else {
			if child == nil {
				child = copyTemplate(templates[full])
			}
			child = set(child, i+1, full)
		}
		if name == "" {
			return child
		}
		m[name] = child
		return m
	}
	return set(body, 0, "")
}

func copyTemplate(t map[string]any) map[string]any {
	if t == nil {
		return map[string]any{}
	}
	b, _ := json.Marshal(t)
	out := map[string]any{}
	json.Unmarshal(b, &out) //nolint:errcheck
	return out
}

// expectedRefusal is the path the server names when the field at path is
// refused: its shortest prefix that is neither applied nor holds an applied
// field, with [0] for the element each array got.
func expectedRefusal(path string, applied map[string]bool) string {
	segs := strings.Split(path, ".")
	for i := range segs {
		p := strings.Join(segs[:i+1], ".")
		holds := false
		for a := range applied {
			if a == p || strings.HasPrefix(a, p+".") || strings.HasPrefix(a, p+"[]") {
				holds = true
				break
			}
		}
		if !holds {
			bare, _ := strings.CutSuffix(p, "[]")
			return strings.ReplaceAll(bare, "[]", "[0]")
		}
	}
	return strings.ReplaceAll(path, "[]", "[0]")
}

// Every field of every SDK request type for an endpoint served here is either
// applied (listed in appliedFields, and then accepted) or refused with a 400
// naming it: nothing the SDK can send is silently dropped (DESIGN.md §6).
func TestSDKFieldsAppliedOrRefused(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	start, later, end := e.at("2026-01-01T00:00:00Z"), e.at("2026-06-01T00:00:00Z"), e.at("2027-01-01T00:00:00Z")
	usd := engine.USDCreditTypeID
	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "calls", "event_type_filter": map[string]any{"in_values": []string{"call"}}})
	api := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "API", "type": "USAGE", "billable_metric_id": metric})
	fixed := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Purchase", "type": "FIXED"})
	groupedMetric := e.create("/v1/billable-metrics/create", map[string]any{"name": "grouped", "group_keys": [][]string{{"k"}, {"x"}}})
	grouped := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Grouped", "type": "USAGE", "billable_metric_id": groupedMetric, "pricing_group_key": []string{"k"}})
	custom := e.create("/v1/credit-types/create", map[string]any{"name": "AI credits"})
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "RC", "aliases": []any{map[string]any{"name": "sdk-card"}}})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": api, "starting_at": start, "entitled": true, "rate_type": "FLAT", "price": 1}, nil)
	seat := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Seat", "type": "SUBSCRIPTION"})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": seat, "starting_at": start, "entitled": true,
		"rate_type": "SUBSCRIPTION", "price": 1000, "billing_frequency": "MONTHLY", "is_prorated": true}, nil)
	cust := e.create("/v1/customers", map[string]any{"name": "C", "ingest_aliases": []string{"c"}})
	contract := e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": start})

	// Contracts for one customer may not overlap: contracts/create gets a
	// fresh customer per request, and edits a fresh contract (with a commit,
	// a credit, an override and a scheduled charge to archive or remove).
	freshCustomer := func() any { return e.create("/v1/customers", map[string]any{"name": "F"}) }
	// A contract's billing_provider_configuration needs a Stripe customer.
	freshStripeCustomer := func(body any) {
		body.(map[string]any)["customer_id"] = e.create("/v1/customers", map[string]any{"name": "FS",
			"billing_config": map[string]any{"billing_provider_type": "stripe", "billing_provider_customer_id": "cus_sdk"}})
	}
	freshStripe := func() string {
		return e.create("/v1/customers", map[string]any{"name": "FS",
			"billing_config": map[string]any{"billing_provider_type": "stripe", "billing_provider_customer_id": "cus_sdk"}})
	}
	var editCust, editContract string
	editBase := func() any {
		editCust = freshStripe() // STRIPE gates (stripe_config) need its stripe_customer_id
		editContract = e.create("/v1/contracts/create", map[string]any{"customer_id": editCust, "rate_card_id": rc, "starting_at": start,
			"commits":           []any{map[string]any{"type": "PREPAID", "product_id": fixed, "access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": 1, "starting_at": start, "ending_before": end}}}}},
			"credits":           []any{map[string]any{"product_id": fixed, "access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": 1, "starting_at": start, "ending_before": end}}}}},
			"overrides":         []any{map[string]any{"starting_at": start, "product_id": api, "entitled": true}},
			"scheduled_charges": []any{map[string]any{"product_id": fixed, "schedule": map[string]any{"schedule_items": []any{map[string]any{"timestamp": later, "amount": 5}}}}},
			"subscriptions": []any{map[string]any{"subscription_rate": map[string]any{"product_id": seat, "billing_frequency": "MONTHLY"},
				"collection_schedule": "ADVANCE", "proration": map[string]any{"is_prorated": true}, "initial_quantity": 1, "ending_before": end}}})
		return map[string]any{"customer_id": editCust, "contract_id": editContract}
	}
	editValue := func(kind, index string) func() any {
		return func() any { return engine.DeriveID(editContract, kind, index) }
	}
	// The credit of the edit contract and its segment (manual entries).
	editCredit := editValue("credits", "0")
	editSegment := func() any { return engine.DeriveID(editCredit().(string), "segment", "0") }
	// A finalized invoice of its own for each void: a contract backdated
	// to October with a charge then (its statement is finalized at once);
	// voided first for each regenerate.
	finalizedInvoice := func() any {
		// ALL: the charge is billed on October's usage invoice, whose id is
		// derived from the period.
		k := e.create("/v1/contracts/create", map[string]any{"customer_id": freshCustomer(), "rate_card_id": rc, "starting_at": e.at("2025-10-01T00:00:00Z"),
			"scheduled_charges_on_usage_invoices": "ALL", "scheduled_charges": []any{map[string]any{"product_id": fixed, "schedule": map[string]any{"schedule_items": []any{
				map[string]any{"timestamp": e.at("2025-10-15T00:00:00Z"), "amount": 5}}}}}})
		return engine.DeriveID(k, "invoice", "2025-10-01T00:00:00Z")
	}
	voidedInvoice := func() any {
		id := finalizedInvoice()
		e.ok("POST", "/v1/invoices/void", map[string]any{"id": id}, nil)
		return id
	}
	// A customer-level commit or credit of cust for each end-date update.
	freshCustomerBalance := func(kind string) string {
		body := map[string]any{"customer_id": cust, "product_id": fixed, "priority": 1, "access_schedule": map[string]any{
			"schedule_items": []any{map[string]any{"amount": 3, "starting_at": start, "ending_before": end}}}}
		if kind == "customerCommits" {
			body["type"] = "PREPAID"
		}
		return e.create("/v1/contracts/"+kind+"/create", body)
	}
	seq := 0
	unique := func(p string) func() any { return func() any { seq++; return fmt.Sprintf("%s-%d", p, seq) } }
	uniqueList := func(p string) func() any { return func() any { return []any{unique(p)()} } }
	constant := func(v any) func() any { return func() any { return v } }
	obj := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	setIn := func(path string, v any) func(body any) {
		return func(body any) { setPath(body, path, v, nil) }
	}
	subscription := func(prefix string) func(body any) {
		return func(body any) {
			setPath(body, prefix+"rate_type", "SUBSCRIPTION", nil)
			setPath(body, prefix+"billing_frequency", "MONTHLY", nil)
		}
	}
	rate := func() map[string]any {
		return obj("product_id", api, "starting_at", start, "entitled", true, "rate_type", "FLAT", "price", 1)
	}
	rateValues := func(prefix string) map[string]func() any {
		return map[string]func() any{
			prefix + "product_id": constant(api), prefix + "rate_type": constant("FLAT"), prefix + "credit_type_id": constant(usd),
			prefix + "billing_frequency": constant("MONTHLY"), prefix + "starting_at": constant(start), prefix + "ending_before": constant(later),
		}
	}
	commitValues := func(prefix string) map[string]func() any {
		return map[string]func() any{
			prefix + "product_id": constant(fixed), prefix + "type": constant("PREPAID"), prefix + "rate_type": constant("COMMIT_RATE"),
			prefix + "applicable_product_ids": constant([]any{api}), prefix + "access_schedule.credit_type_id": constant(usd),
			prefix + "access_schedule.schedule_items[].ending_before":          constant(end),
			prefix + "invoice_schedule.recurring_schedule.frequency":           constant("MONTHLY"),
			prefix + "invoice_schedule.recurring_schedule.amount_distribution": constant("EACH"),
		}
	}
	chargeSchedule := func() map[string]any {
		return obj("schedule_items", []any{obj("timestamp", later, "amount", 3)})
	}
	chargeValues := func(prefix string) map[string]func() any {
		return map[string]func() any{
			prefix + "product_id": constant(fixed), prefix + "schedule.credit_type_id": constant(usd),
			prefix + "schedule.schedule_items[].timestamp":             constant(later),
			prefix + "schedule.recurring_schedule.starting_at":         constant(start),
			prefix + "schedule.recurring_schedule.ending_before":       constant(end),
			prefix + "schedule.recurring_schedule.frequency":           constant("MONTHLY"),
			prefix + "schedule.recurring_schedule.amount_distribution": constant("EACH"),
		}
	}
	chargeAlso := func(prefix string) map[string]func(any) {
		elem := strings.TrimSuffix(prefix, ".")
		// Each request gets fresh objects: setPath writes into them.
		with := func(schedule func() map[string]any) func(any) {
			return func(body any) { setPath(body, elem, obj("product_id", fixed, "schedule", schedule()), nil) }
		}
		item := func(kv ...any) func() map[string]any {
			return func() map[string]any { return obj("schedule_items", []any{obj(kv...)}) }
		}
		recurring := func(kv ...any) func() map[string]any {
			return func() map[string]any {
				return obj("recurring_schedule", obj(append([]any{"starting_at", start, "ending_before", end, "frequency", "MONTHLY",
					"amount_distribution", "EACH"}, kv...)...))
			}
		}
		out := map[string]func(any){
			prefix + "schedule.schedule_items[].timestamp":    with(item("amount", 1)),
			prefix + "schedule.schedule_items[].unit_price":   with(item("timestamp", later, "quantity", 2)),
			prefix + "schedule.schedule_items[].quantity":     with(item("timestamp", later, "unit_price", 2)),
			prefix + "schedule.schedule_items[].amount":       with(item("timestamp", later)),
			prefix + "schedule.recurring_schedule.unit_price": with(recurring("quantity", 2)),
			prefix + "schedule.recurring_schedule.quantity":   with(recurring("unit_price", 2)),
		}
		for _, f := range []string{"starting_at", "ending_before", "frequency", "amount_distribution", "amount"} {
			out[prefix+"schedule.recurring_schedule."+f] = with(recurring("amount", 1))
		}
		return out
	}
	invoicedAt := func(elem string, item map[string]any) func(any) {
		access := obj("credit_type_id", usd, "schedule_items", []any{obj("amount", 100, "starting_at", start, "ending_before", end)})
		return setIn(elem, obj("type", "PREPAID", "product_id", fixed, "access_schedule", access,
			"invoice_schedule", obj("schedule_items", []any{item})))
	}
	invoiced := func(item map[string]any) func(any) { return invoicedAt("add_commits[]", item) }
	// A commit with a recurring invoice schedule (fresh objects each time).
	recurringCommit := func(elem string, kv ...any) func(any) {
		return func(body any) {
			access := obj("credit_type_id", usd, "schedule_items", []any{obj("amount", 100, "starting_at", start, "ending_before", end)})
			rec := obj(append([]any{"starting_at", start, "ending_before", end, "frequency", "MONTHLY", "amount_distribution", "EACH"}, kv...)...)
			setPath(body, elem, obj("type", "PREPAID", "product_id", fixed, "access_schedule", access,
				"invoice_schedule", obj("recurring_schedule", rec, "do_not_invoice", true)), nil)
		}
	}
	recurringAlso := func(prefix string) map[string]func(any) {
		elem := strings.TrimSuffix(prefix, ".")
		out := map[string]func(any){
			prefix + "invoice_schedule.recurring_schedule.unit_price": recurringCommit(elem, "quantity", 2),
			prefix + "invoice_schedule.recurring_schedule.quantity":   recurringCommit(elem, "unit_price", 2),
			prefix + "invoice_schedule.do_not_invoice":                recurringCommit(elem, "amount", 1),
		}
		for _, f := range []string{"starting_at", "ending_before", "frequency", "amount_distribution", "amount"} {
			out[prefix+"invoice_schedule.recurring_schedule."+f] = recurringCommit(elem, "amount", 1)
		}
		return out
	}
	// A top-level commit with a recurring invoice schedule (customer-level
	// commits; fresh objects each time).
	topRecurring := func(kv ...any) func(any) {
		return func(body any) {
			rec := obj(append([]any{"starting_at", start, "ending_before", end, "frequency", "MONTHLY", "amount_distribution", "EACH"}, kv...)...)
			body.(map[string]any)["invoice_schedule"] = obj("recurring_schedule", rec, "do_not_invoice", true)
		}
	}
	topRecurringAlso := func() map[string]func(any) {
		out := map[string]func(any){
			"invoice_schedule.recurring_schedule.unit_price": topRecurring("quantity", 2),
			"invoice_schedule.recurring_schedule.quantity":   topRecurring("unit_price", 2),
			"invoice_schedule.do_not_invoice":                topRecurring("amount", 1),
		}
		for _, f := range []string{"starting_at", "ending_before", "frequency", "amount_distribution", "amount"} {
			out["invoice_schedule.recurring_schedule."+f] = topRecurring("amount", 1)
		}
		return out
	}
	mergeAlso := func(ms ...map[string]func(any)) map[string]func(any) {
		out := map[string]func(any){}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	schedule := func() map[string]any {
		return obj("credit_type_id", usd, "schedule_items", []any{obj("amount", 100, "starting_at", start, "ending_before", end)})
	}
	createGates := []string{"commits[]", "prepaid_balance_threshold_configuration", "spend_threshold_configuration"}
	editGates := []string{"add_commits[]", "add_prepaid_balance_threshold_configuration", "add_spend_threshold_configuration",
		"update_prepaid_balance_threshold_configuration", "update_spend_threshold_configuration"}
	// A stripe_config needs a STRIPE gate (and, on contracts/create, a
	// Stripe customer): stripeGates has each prefix's gate set to STRIPE,
	// stripeTemplates and stripeValues give it a valid stripe_config.
	stripeGates := func(tmpl map[string]map[string]any, create bool, prefixes ...string) map[string]func(any) {
		out := map[string]func(any){}
		for _, p := range prefixes {
			out[p+".payment_gate_config.stripe_config"] = func(body any) {
				if create {
					body.(map[string]any)["customer_id"] = freshStripe()
				}
				setPath(body, p+".payment_gate_config.payment_gate_type", "STRIPE", tmpl)
			}
		}
		return out
	}
	stripeTemplates := func(prefixes ...string) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, p := range prefixes {
			out[p+".payment_gate_config.stripe_config"] = obj("payment_type", "INVOICE")
		}
		return out
	}
	stripeValues := func(prefixes ...string) map[string]func() any {
		out := map[string]func() any{}
		for _, p := range prefixes {
			out[p+".payment_gate_config.stripe_config.payment_type"] = constant("INVOICE")
			out[p+".payment_gate_config.stripe_config.invoice_metadata"] = constant(obj("po", "PO-1"))
		}
		return out
	}
	merge := func(ms ...map[string]func() any) map[string]func() any {
		out := map[string]func() any{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	tiered := func(prefix string) func(body any) {
		return func(body any) {
			setPath(body, prefix+"rate_type", "TIERED", nil)
			setPath(body, prefix+"tiers", []any{obj("size", 5, "price", 1), obj("price", 0.5)}, nil)
			m := body.(map[string]any)
			if prefix != "" {
				m = m["rates"].([]any)[0].(map[string]any)
			}
			delete(m, "price")
		}
	}
	groupedRate := func(prefix string) func(body any) {
		return func(body any) { setPath(body, prefix+"product_id", grouped, nil) }
	}
	usageProduct := func(body any) {
		setPath(body, "type", "USAGE", nil)
		setPath(body, "billable_metric_id", metric, nil)
	}
	groupedProduct := func(body any) {
		setPath(body, "type", "USAGE", nil)
		setPath(body, "billable_metric_id", groupedMetric, nil)
	}
	conversion := func(body any) {
		usageProduct(body)
		setPath(body, "quantity_conversion", obj("conversion_factor", 2, "operation", "MULTIPLY"), nil)
	}
	rounding := func(body any) {
		usageProduct(body)
		setPath(body, "quantity_rounding", obj("decimal_places", 1, "rounding_method", "ROUND_UP"), nil)
	}
	overwriteTiered := func(body any) {
		setPath(body, "overrides[]", obj("starting_at", start, "product_id", api, "type", "OVERWRITE",
			"overwrite_rate", obj("rate_type", "TIERED", "tiers", []any{obj("size", 5, "price", 1), obj("price", 0.5)})), nil)
	}
	overwrite := func(body any) {
		setPath(body, "overrides[]", obj("starting_at", start, "product_id", api, "type", "OVERWRITE", "overwrite_rate", obj("rate_type", "FLAT", "price", 2)), nil)
	}

	freshAlert := func() any {
		return e.create("/v1/alerts/create", map[string]any{"alert_type": "spend_threshold_reached", "name": "x", "threshold": 5, "customer_id": cust})
	}
	scopedAlert := e.create("/v1/alerts/create", map[string]any{"alert_type": "spend_threshold_reached", "name": "per user", "threshold": 5,
		"customer_id": cust, "group_values": []any{obj("key", "user_id", "value", "u1")}})
	subTemplates := func(prefix string) map[string]map[string]any {
		return map[string]map[string]any{
			prefix + "[]": obj("subscription_rate", obj("product_id", seat, "billing_frequency", "MONTHLY"), "collection_schedule", "ADVANCE",
				"proration", obj("is_prorated", true), "initial_quantity", 1, "starting_at", later),
			prefix + "[].subscription_rate": obj("product_id", seat, "billing_frequency", "MONTHLY"),
			prefix + "[].proration":         obj("is_prorated", true),
		}
	}
	subValues := func(prefix string) map[string]func() any {
		return map[string]func() any{
			prefix + "[].subscription_rate.product_id": constant(seat), prefix + "[].subscription_rate.billing_frequency": constant("MONTHLY"),
			prefix + "[].collection_schedule": constant("ADVANCE"), prefix + "[].proration.invoice_behavior": constant("BILL_IMMEDIATELY"),
			prefix + "[].starting_at": constant(later), prefix + "[].ending_before": constant(end),
		}
	}
	recTemplates := func(prefix string) map[string]map[string]any {
		return map[string]map[string]any{
			prefix + "[]": obj("product_id", fixed, "access_amount", obj("unit_price", 1, "quantity", 1), "commit_duration", obj("value", 1),
				"starting_at", start, "priority", 1),
			prefix + "[].access_amount":                                  obj("unit_price", 1, "quantity", 1),
			prefix + "[].commit_duration":                                obj("value", 1),
			prefix + "[].subscription_config":                            obj("subscription_id", "seats", "allocation", "POOLED", "apply_seat_increase_config", obj("is_prorated", true)),
			prefix + "[].subscription_config.apply_seat_increase_config": obj("is_prorated", true),
		}
	}
	recValues := func(prefix string) map[string]func() any {
		return map[string]func() any{
			prefix + "[].product_id": constant(fixed), prefix + "[].access_amount.credit_type_id": constant(usd),
			prefix + "[].starting_at": constant(start), prefix + "[].ending_before": constant(end),
			prefix + "[].recurrence_frequency": constant("MONTHLY"), prefix + "[].proration": constant("FIRST_AND_LAST"),
			prefix + "[].commit_duration.unit": constant("PERIODS"), prefix + "[].commit_duration.value": constant(1),
			prefix + "[].subscription_config.subscription_id": constant("seats"), prefix + "[].subscription_config.allocation": constant("POOLED"),
			prefix + "[].rate_type": constant("LIST_RATE"), prefix + "[].applicable_product_ids": constant([]any{api}),
		}
	}
	// A recurring balance linked to a subscription needs one in the request.
	linkedSub := func(body any) {
		setPath(body, "subscriptions[]", obj("temporary_id", "seats", "subscription_rate", obj("product_id", seat, "billing_frequency", "MONTHLY"),
			"collection_schedule", "ADVANCE", "proration", obj("is_prorated", true), "initial_quantity", 2), nil)
	}
	mergeT := func(ms ...map[string]map[string]any) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}

	// Threshold configurations (payments): a full valid one for a field
	// to go into, and the values their enums and products need.
	thresholdTemplates := func(prefix string, recharge bool) map[string]map[string]any {
		cfg := obj("is_enabled", true, "threshold_amount", 500, "commit", obj("product_id", fixed), "payment_gate_config", obj("payment_gate_type", "EXTERNAL"))
		if recharge {
			cfg["recharge_to_amount"] = 2000
		}
		return map[string]map[string]any{prefix: cfg, prefix + ".commit": obj("product_id", fixed),
			prefix + ".payment_gate_config": obj("payment_gate_type", "EXTERNAL")}
	}
	thresholdValues := func(prefix string) map[string]func() any {
		return map[string]func() any{prefix + ".payment_gate_config.payment_gate_type": constant("EXTERNAL"),
			prefix + ".payment_gate_config.tax_type": constant("NONE"),
			prefix + ".commit.product_id":            constant(fixed), prefix + ".commit.applicable_product_ids": constant([]any{api}),
			prefix + ".recharge_to_amount": constant(3000)}
	}
	// An update needs a configuration to update.
	withThreshold := func(key string, recharge bool) func(any) {
		return func(body any) {
			cfg := thresholdTemplates("c", recharge)["c"]
			cfg["is_enabled"] = false
			e.ok("POST", "/v2/contracts/edit", obj("customer_id", editCust, "contract_id", editContract, key, cfg), nil)
		}
	}

	// Balance edits (commits/edit, credits/edit, update_commits and
	// update_credits): each request names the edit contract's commit or
	// credit and its first segment; a removal also adds a segment, since a
	// balance keeps at least one; an added segment ends after it starts.
	editCommit := editValue("commits", "0")
	segmentOf := func(id func() any) func() any {
		return func() any { return engine.DeriveID(id().(string), "segment", "0") }
	}
	balanceAlso := func(prefix, idKey string, id func() any) map[string]func(any) {
		elem := strings.TrimSuffix(prefix, ".")
		return map[string]func(any){
			elem: func(body any) {
				if elem != "" {
					setPath(body, elem, obj(idKey, id()), nil)
				}
			},
			prefix + "access_schedule.update_schedule_items": func(body any) {
				setPath(body, prefix+"access_schedule", obj("update_schedule_items", []any{obj("id", segmentOf(id)())}), nil)
			},
			prefix + "access_schedule.remove_schedule_items": func(body any) {
				setPath(body, prefix+"access_schedule", obj("remove_schedule_items", []any{obj("id", segmentOf(id)())},
					"add_schedule_items", []any{obj("amount", 1, "starting_at", later, "ending_before", end)}), nil)
			},
		}
	}
	balanceValues := func(prefix, idKey string, id func() any) map[string]func() any {
		return map[string]func() any{prefix + idKey: id, prefix + "rate_type": constant("LIST_RATE"),
			prefix + "access_schedule.update_schedule_items[].id": segmentOf(id), prefix + "access_schedule.remove_schedule_items[].id": segmentOf(id),
			prefix + "access_schedule.add_schedule_items[].ending_before": constant(end)}
	}
	balanceTemplates := func(prefix string) map[string]map[string]any {
		return map[string]map[string]any{prefix + "access_schedule.add_schedule_items[]": obj("amount", 1, "starting_at", later, "ending_before", end)}
	}

	var bpCust string
	endpoints := []sdkEndpoint{
		{path: "/v2/contracts/commits/edit", params: metronome.V2ContractEditCommitParams{},
			base: func() any {
				b := editBase().(map[string]any)
				delete(b, "contract_id")
				b["commit_id"] = editCommit()
				return b
			},
			templates: balanceTemplates(""), also: balanceAlso("", "commit_id", editCommit),
			values: merge(balanceValues("", "commit_id", editCommit), map[string]func() any{"customer_id": func() any { return editCust }})},
		{path: "/v2/contracts/credits/edit", params: metronome.V2ContractEditCreditParams{},
			base: func() any {
				b := editBase().(map[string]any)
				delete(b, "contract_id")
				b["credit_id"] = editCredit()
				return b
			},
			templates: balanceTemplates(""), also: balanceAlso("", "credit_id", editCredit),
			values: merge(balanceValues("", "credit_id", editCredit), map[string]func() any{"customer_id": func() any { return editCust }})},
		{path: "/v1/customers/archive", params: shared.IDParam{},
			base: func() any { return obj("id", freshCustomer()) }, values: map[string]func() any{"id": freshCustomer}},
		{path: "/v1/contracts/archive", params: metronome.V1ContractArchiveParams{},
			base: editBase,
			values: map[string]func() any{"customer_id": func() any { return editCust }, "contract_id": func() any { return editContract },
				"void_invoices": constant(false)}},
		{path: "/v1/contracts/addManualBalanceLedgerEntry", params: metronome.V1ContractAddManualBalanceEntryParams{},
			base: func() any {
				b := editBase().(map[string]any)
				b["id"], b["segment_id"], b["amount"], b["reason"] = editCredit(), editSegment(), 5, "support"
				return b
			},
			values: map[string]func() any{"customer_id": func() any { return editCust }, "contract_id": func() any { return editContract },
				"id": editCredit, "segment_id": editSegment, "amount": constant(-0.5), "timestamp": constant(start)}},
		{path: "/v1/invoices/void", params: metronome.V1InvoiceVoidParams{},
			base: func() any { return obj("id", finalizedInvoice()) }, values: map[string]func() any{"id": finalizedInvoice}},
		{path: "/v1/invoices/regenerate", params: metronome.V1InvoiceRegenerateParams{},
			base: func() any { return obj("id", voidedInvoice()) }, values: map[string]func() any{"id": voidedInvoice}},
		{path: "/v1/customers/{id}/setIngestAliases", params: metronome.V1CustomerSetIngestAliasesParams{},
			url:    func() string { return "/v1/customers/" + freshCustomer().(string) + "/setIngestAliases" },
			base:   func() any { return obj("ingest_aliases", uniqueList("set-alias")()) },
			values: map[string]func() any{"ingest_aliases": uniqueList("set-alias")}},
		{path: "/v1/customers/{id}/setName", params: metronome.V1CustomerSetNameParams{},
			url:  func() string { return "/v1/customers/" + freshCustomer().(string) + "/setName" },
			base: func() any { return obj("name", "Renamed") }},
		{path: "/v1/setCustomerBillingProviderConfigurations", params: metronome.V1CustomerSetBillingConfigurationsParams{},
			base: func() any {
				bpCust = freshCustomer().(string)
				return obj("data", []any{obj("customer_id", bpCust, "billing_provider", "netsuite", "delivery_method", "direct_to_billing_provider")})
			},
			values: map[string]func() any{"data[].customer_id": func() any { return bpCust }, "data[].billing_provider": constant("stripe"),
				"data[].delivery_method": constant("direct_to_billing_provider")}},
		{path: "/v1/getCustomerBillingProviderConfigurations", params: metronome.V1CustomerGetBillingConfigurationsParams{},
			base: func() any { return obj("customer_id", cust) }, values: map[string]func() any{"customer_id": constant(cust)}},
		{path: "/v1/ingest", params: metronome.V1UsageIngestParamsUsage{}, array: true,
			base: func() any {
				return []any{obj("transaction_id", unique("tx")(), "customer_id", "c", "event_type", "call", "timestamp", start)}
			},
			values: map[string]func() any{"[].timestamp": constant(start), "[].transaction_id": unique("tx")}},
		{path: "/v1/customers", params: metronome.V1CustomerNewParams{},
			base: func() any { return obj("name", "N") },
			templates: map[string]map[string]any{
				"customer_billing_provider_configurations[]": obj("billing_provider", "stripe"),
				"billing_config": obj("billing_provider_type", "stripe", "billing_provider_customer_id", "cus_1"),
			},
			values: map[string]func() any{
				"ingest_aliases": uniqueList("alias"), "external_id": unique("ext"),
				"customer_billing_provider_configurations[].billing_provider": constant("stripe"),
				"billing_config.billing_provider_type":                        constant("stripe"),
			}},
		{path: "/v1/billable-metrics/create", params: metronome.V1BillableMetricNewParams{},
			base:      func() any { return obj("name", "m", "aggregation_type", "SUM", "aggregation_key", "n") },
			templates: map[string]map[string]any{"property_filters[]": obj("name", "p")},
			values:    map[string]func() any{"aggregation_type": constant("SUM")}},
		{path: "/v1/contract-pricing/products/create", params: metronome.V1ContractProductNewParams{},
			base: func() any { return obj("name", "p", "type", "FIXED") },
			values: map[string]func() any{"type": constant("FIXED"), "billable_metric_id": constant(metric), "composite_product_ids": constant([]any{api}),
				"quantity_conversion.operation": constant("DIVIDE"), "quantity_rounding.rounding_method": constant("ROUND_HALF_UP")},
			also: map[string]func(any){"billable_metric_id": setIn("type", "USAGE"), "quantity_conversion": conversion, "quantity_rounding": rounding,
				"composite_product_ids": setIn("type", "COMPOSITE"), "composite_tags": setIn("type", "COMPOSITE"),
				"pricing_group_key": groupedProduct, "presentation_group_key": groupedProduct}},
		{path: "/v1/contract-pricing/products/list", params: metronome.V1ContractProductListParams{},
			base:   func() any { return obj() },
			values: map[string]func() any{"archive_filter": constant("NOT_ARCHIVED")}},
		{path: "/v1/contract-pricing/rate-cards/create", params: metronome.V1ContractRateCardNewParams{},
			base: func() any { return obj("name", "r") },
			templates: map[string]map[string]any{"credit_type_conversions[]": obj("custom_credit_type_id", custom, "fiat_per_custom_credit", 2),
				"aliases[]": obj("name", "sdk-alias")},
			also:   map[string]func(any){"aliases[].ending_before": setIn("aliases[]", obj("name", "a", "starting_at", start))},
			values: map[string]func() any{"fiat_credit_type_id": constant(usd), "credit_type_conversions[].custom_credit_type_id": constant(custom)}},
		{path: "/v1/contract-pricing/rate-cards/addRate", params: metronome.V1ContractRateCardRateAddParams{},
			base:   func() any { r := rate(); r["rate_card_id"] = rc; return r },
			values: merge(rateValues(""), map[string]func() any{"rate_card_id": constant(rc)}),
			also: map[string]func(any){"billing_frequency": subscription(""), "quantity": subscription(""), "is_prorated": subscription(""),
				"tiers": tiered(""), "pricing_group_values": groupedRate("")}},
		{path: "/v1/contract-pricing/rate-cards/addRates", params: metronome.V1ContractRateCardRateAddManyParams{},
			base:      func() any { return obj("rate_card_id", rc, "rates", []any{rate()}) },
			templates: map[string]map[string]any{"rates[]": rate()},
			values:    merge(rateValues("rates[]."), map[string]func() any{"rate_card_id": constant(rc)}),
			also: map[string]func(any){"rates[].billing_frequency": subscription("rates[]."), "rates[].quantity": subscription("rates[]."),
				"rates[].is_prorated": subscription("rates[]."), "rates[].tiers": tiered("rates[]."), "rates[].pricing_group_values": groupedRate("rates[].")}},
		{path: "/v1/contracts/create", params: metronome.V1ContractNewParams{},
			base: func() any {
				return obj("customer_id", freshCustomer(), "rate_card_id", rc, "starting_at", start,
					"commits", []any{obj("type", "PREPAID", "product_id", fixed, "access_schedule", schedule())},
					"credits", []any{obj("product_id", fixed, "access_schedule", schedule())},
					"overrides", []any{obj("starting_at", start, "product_id", api, "type", "MULTIPLIER", "multiplier", 2)})
			},
			templates: mergeT(subTemplates("subscriptions"), recTemplates("recurring_credits"), recTemplates("recurring_commits"),
				stripeTemplates(createGates...),
				thresholdTemplates("prepaid_balance_threshold_configuration", true), thresholdTemplates("spend_threshold_configuration", false), map[string]map[string]any{
					"usage_statement_schedule":                      obj("frequency", "MONTHLY"),
					"commits[].invoice_schedule.schedule_items[]":   obj("timestamp", start),
					"commits[].payment_gate_config":                 obj("payment_gate_type", "EXTERNAL"),
					"overrides[].overwrite_rate":                    obj("rate_type", "FLAT", "price", 2),
					"commits[].access_schedule.schedule_items[]":    obj("amount", 1, "starting_at", start, "ending_before", end),
					"credits[].access_schedule.schedule_items[]":    obj("amount", 1, "starting_at", start, "ending_before", end),
					"scheduled_charges[]":                           obj("product_id", fixed, "schedule", chargeSchedule()),
					"scheduled_charges[].schedule":                  chargeSchedule(),
					"scheduled_charges[].schedule.schedule_items[]": obj("timestamp", later, "amount", 3),
					"billing_provider_configuration":                obj("billing_provider", "stripe", "delivery_method", "direct_to_billing_provider"),
					"usage_filter":                                  obj("group_key", "team", "group_values", []any{"ml"}),
				}),
			values: merge(subValues("subscriptions"), recValues("recurring_credits"), recValues("recurring_commits"), commitValues("commits[]."), commitValues("credits[]."),
				thresholdValues("prepaid_balance_threshold_configuration"), thresholdValues("spend_threshold_configuration"), stripeValues(createGates...), map[string]func() any{
					"customer_id": freshCustomer, "rate_card_id": constant(rc), "starting_at": constant(start), "ending_before": constant(end),
					"uniqueness_key": unique("uk"), "usage_statement_schedule.frequency": constant("MONTHLY"),
					"usage_statement_schedule.billing_anchor_date": constant(start),
					"usage_statement_schedule.day":                 constant("FIRST_OF_MONTH"), "overrides[].product_id": constant(api),
					"overrides[].type": constant("MULTIPLIER"), "overrides[].starting_at": constant(start), "overrides[].ending_before": constant(later),
					"overrides[].overwrite_rate.rate_type": constant("FLAT"), "commits[].invoice_schedule.credit_type_id": constant(usd),
					"commits[].payment_gate_config.payment_gate_type": constant("EXTERNAL"),
					"commits[].payment_gate_config.tax_type":          constant("NONE"),
					"multiplier_override_prioritization":              constant("LOWEST_MULTIPLIER"), "rate_card_alias": constant("sdk-card"),
					"billing_provider_configuration.billing_provider": constant("stripe"),
					"billing_provider_configuration.delivery_method":  constant("direct_to_billing_provider"),
					"scheduled_charges_on_usage_invoices":             constant("ALL"),
					"usage_filter.starting_at":                        constant(start), // the contract's: no schedule
				}, chargeValues("scheduled_charges[].")),
			also: mergeAlso(chargeAlso("scheduled_charges[]."), recurringAlso("commits[]."),
				stripeGates(mergeT(thresholdTemplates("prepaid_balance_threshold_configuration", true), thresholdTemplates("spend_threshold_configuration", false)),
					true, createGates...), map[string]func(any){
					"recurring_credits[].subscription_config": linkedSub, "recurring_commits[].subscription_config": linkedSub,
					"rate_card_alias":                                        func(body any) { delete(body.(map[string]any), "rate_card_id") },
					"billing_provider_configuration":                         freshStripeCustomer,
					"usage_statement_schedule.billing_anchor_date":           setIn("usage_statement_schedule", obj("frequency", "MONTHLY", "day", "CUSTOM_DATE")),
					"overrides[].overwrite_rate":                             overwrite,
					"overrides[].overwrite_rate.tiers":                       overwriteTiered, // after the one above (sorted)
					"commits[].invoice_schedule.schedule_items[].timestamp":  setIn("commits[].invoice_schedule.schedule_items[]", obj("amount", 1)),
					"commits[].invoice_schedule.schedule_items[].unit_price": setIn("commits[].invoice_schedule.schedule_items[]", obj("timestamp", start, "quantity", 2)),
					"commits[].invoice_schedule.schedule_items[].quantity":   setIn("commits[].invoice_schedule.schedule_items[]", obj("timestamp", start, "unit_price", 2)),
				})},
		{path: "/v1/contracts/updateEndDate", params: metronome.V1ContractUpdateEndDateParams{},
			base:   editBase,
			values: map[string]func() any{"customer_id": func() any { return editCust }, "contract_id": func() any { return editContract }, "ending_before": constant(end)}},
		{path: "/v2/contracts/edit", params: metronome.V2ContractEditParams{},
			base: editBase,
			templates: mergeT(subTemplates("add_subscriptions"), stripeTemplates(editGates...),
				thresholdTemplates("add_prepaid_balance_threshold_configuration", true), thresholdTemplates("add_spend_threshold_configuration", false),
				map[string]map[string]any{
					"add_commits[].payment_gate_config":                                  obj("payment_gate_type", "EXTERNAL"),
					"update_prepaid_balance_threshold_configuration.payment_gate_config": obj("payment_gate_type", "EXTERNAL"),
					"update_spend_threshold_configuration.payment_gate_config":           obj("payment_gate_type", "EXTERNAL"),
					"update_subscriptions[].quantity_updates[]":                          obj("starting_at", later),
					"add_commits[]":                  obj("type", "PREPAID", "product_id", fixed, "access_schedule", schedule()),
					"add_credits[]":                  obj("product_id", fixed, "access_schedule", schedule()),
					"add_overrides[]":                obj("starting_at", start, "product_id", api, "type", "MULTIPLIER", "multiplier", 2),
					"add_overrides[].overwrite_rate": obj("rate_type", "FLAT", "price", 2),
					"add_commits[].access_schedule.schedule_items[]":    obj("amount", 1, "starting_at", start, "ending_before", end),
					"add_credits[].access_schedule.schedule_items[]":    obj("amount", 1, "starting_at", start, "ending_before", end),
					"add_commits[].invoice_schedule.schedule_items[]":   obj("timestamp", start),
					"add_scheduled_charges[]":                           obj("product_id", fixed, "schedule", chargeSchedule()),
					"add_scheduled_charges[].schedule":                  chargeSchedule(),
					"add_scheduled_charges[].schedule.schedule_items[]": obj("timestamp", later, "amount", 3),
				}, balanceTemplates("update_commits[]."), balanceTemplates("update_credits[].")),
			values: merge(subValues("add_subscriptions"), map[string]func() any{
				"update_subscriptions[].subscription_id": editValue("subscription", "0"), "update_subscriptions[].quantity_updates[].starting_at": constant(later),
			}, commitValues("add_commits[]."), commitValues("add_credits[]."), chargeValues("add_scheduled_charges[]."),
				thresholdValues("add_prepaid_balance_threshold_configuration"), thresholdValues("add_spend_threshold_configuration"),
				thresholdValues("update_prepaid_balance_threshold_configuration"), thresholdValues("update_spend_threshold_configuration"),
				stripeValues(editGates...),
				map[string]func() any{"add_commits[].payment_gate_config.payment_gate_type": constant("EXTERNAL"),
					"add_commits[].payment_gate_config.tax_type": constant("NONE")}, map[string]func() any{
					"customer_id": func() any { return editCust }, "contract_id": func() any { return editContract },
					"uniqueness_key": unique("euk"), "update_contract_end_date": constant(end),
					"archive_commits[].id": editValue("commits", "0"), "archive_credits[].id": editValue("credits", "0"),
					"archive_scheduled_charges[].id": editValue("scheduled_charge", "0"), "remove_overrides[].id": editValue("override", "0"),
					"add_overrides[].product_id": constant(api), "add_overrides[].type": constant("MULTIPLIER"), "add_overrides[].starting_at": constant(start),
					"add_overrides[].ending_before": constant(later), "add_overrides[].overwrite_rate.rate_type": constant("FLAT"),
					"add_commits[].invoice_schedule.credit_type_id": constant(usd),
				}, balanceValues("update_commits[].", "commit_id", editCommit), balanceValues("update_credits[].", "credit_id", editCredit)),
			also: mergeAlso(chargeAlso("add_scheduled_charges[]."), recurringAlso("add_commits[]."),
				balanceAlso("update_commits[].", "commit_id", editCommit), balanceAlso("update_credits[].", "credit_id", editCredit),
				stripeGates(mergeT(thresholdTemplates("add_prepaid_balance_threshold_configuration", true), thresholdTemplates("add_spend_threshold_configuration", false),
					map[string]map[string]any{"add_commits[]": obj("type", "PREPAID", "product_id", fixed, "access_schedule", schedule())}),
					false, editGates...), map[string]func(any){
					"update_prepaid_balance_threshold_configuration": withThreshold("add_prepaid_balance_threshold_configuration", true),
					"update_spend_threshold_configuration":           withThreshold("add_spend_threshold_configuration", false),
				}, map[string]func(any){
					"update_subscriptions[]": func(body any) {
						body.(map[string]any)["update_subscriptions"] = []any{obj("subscription_id", editValue("subscription", "0")())}
					},
					"update_subscriptions[].quantity_updates[].starting_at": func(body any) {
						body.(map[string]any)["update_subscriptions"].([]any)[0].(map[string]any)["quantity_updates"] = []any{obj("quantity", 2)}
					},
					"add_overrides[].overwrite_rate": func(body any) {
						setPath(body, "add_overrides[]", obj("starting_at", start, "product_id", api, "type", "OVERWRITE", "overwrite_rate", obj("rate_type", "FLAT", "price", 2)), nil)
					},
					"add_overrides[].overwrite_rate.tiers": func(body any) { // after the one above (sorted)
						setPath(body, "add_overrides[]", obj("starting_at", start, "product_id", api, "type", "OVERWRITE",
							"overwrite_rate", obj("rate_type", "TIERED", "tiers", []any{obj("size", 5, "price", 1), obj("price", 0.5)})), nil)
					},
					"add_commits[].invoice_schedule.schedule_items[].timestamp":  invoiced(obj("amount", 1)),
					"add_commits[].invoice_schedule.schedule_items[].unit_price": invoiced(obj("timestamp", start, "quantity", 2)),
					"add_commits[].invoice_schedule.schedule_items[].quantity":   invoiced(obj("timestamp", start, "unit_price", 2)),
				})},
		{path: "/v1/contracts/amend", params: metronome.V1ContractAmendParams{},
			base: func() any {
				b := editBase().(map[string]any)
				b["starting_at"] = start
				return b
			},
			templates: map[string]map[string]any{
				"commits[].payment_gate_config.stripe_config":   obj("payment_type", "INVOICE"),
				"commits[].payment_gate_config":                 obj("payment_gate_type", "EXTERNAL"),
				"commits[]":                                     obj("type", "PREPAID", "product_id", fixed, "access_schedule", schedule()),
				"credits[]":                                     obj("product_id", fixed, "access_schedule", schedule()),
				"overrides[]":                                   obj("starting_at", start, "product_id", api, "type", "MULTIPLIER", "multiplier", 2),
				"overrides[].overwrite_rate":                    obj("rate_type", "FLAT", "price", 2),
				"commits[].access_schedule.schedule_items[]":    obj("amount", 1, "starting_at", start, "ending_before", end),
				"credits[].access_schedule.schedule_items[]":    obj("amount", 1, "starting_at", start, "ending_before", end),
				"commits[].invoice_schedule.schedule_items[]":   obj("timestamp", start),
				"scheduled_charges[]":                           obj("product_id", fixed, "schedule", chargeSchedule()),
				"scheduled_charges[].schedule":                  chargeSchedule(),
				"scheduled_charges[].schedule.schedule_items[]": obj("timestamp", later, "amount", 3),
			},
			values: merge(commitValues("commits[]."), commitValues("credits[]."), chargeValues("scheduled_charges[]."), stripeValues("commits[]"), map[string]func() any{
				"customer_id": func() any { return editCust }, "contract_id": func() any { return editContract }, "starting_at": constant(start),
				"commits[].payment_gate_config.payment_gate_type": constant("EXTERNAL"), "commits[].payment_gate_config.tax_type": constant("NONE"),
				"overrides[].product_id": constant(api), "overrides[].type": constant("MULTIPLIER"), "overrides[].starting_at": constant(start),
				"overrides[].ending_before": constant(later), "overrides[].overwrite_rate.rate_type": constant("FLAT"),
				"commits[].invoice_schedule.credit_type_id": constant(usd),
			}),
			also: mergeAlso(chargeAlso("scheduled_charges[]."), recurringAlso("commits[]."), stripeGates(map[string]map[string]any{"commits[]": obj("type", "PREPAID", "product_id", fixed, "access_schedule", schedule())}, false, "commits[]"), map[string]func(any){
				"overrides[].overwrite_rate": func(body any) {
					setPath(body, "overrides[]", obj("starting_at", start, "product_id", api, "type", "OVERWRITE", "overwrite_rate", obj("rate_type", "FLAT", "price", 2)), nil)
				},
				"overrides[].overwrite_rate.tiers": func(body any) { // after the one above (sorted)
					setPath(body, "overrides[]", obj("starting_at", start, "product_id", api, "type", "OVERWRITE",
						"overwrite_rate", obj("rate_type", "TIERED", "tiers", []any{obj("size", 5, "price", 1), obj("price", 0.5)})), nil)
				},
				"commits[].invoice_schedule.schedule_items[].timestamp":  invoicedAt("commits[]", obj("amount", 1)),
				"commits[].invoice_schedule.schedule_items[].unit_price": invoicedAt("commits[]", obj("timestamp", start, "quantity", 2)),
				"commits[].invoice_schedule.schedule_items[].quantity":   invoicedAt("commits[]", obj("timestamp", start, "unit_price", 2)),
			})},
		{path: "/v1/contract-pricing/rate-cards/getRates", params: metronome.V1ContractRateCardRateListParams{},
			base:   func() any { return obj("rate_card_id", rc, "at", start) },
			values: map[string]func() any{"rate_card_id": constant(rc), "at": constant(start), "selectors[].billing_frequency": constant("MONTHLY")}},
		{path: "/v1/contracts/get", params: metronome.V1ContractGetParams{},
			base:   func() any { return obj("customer_id", cust, "contract_id", contract) },
			values: map[string]func() any{"customer_id": constant(cust), "contract_id": constant(contract)}},
		{path: "/v1/contracts/list", params: metronome.V1ContractListParams{},
			base:   func() any { return obj("customer_id", cust) },
			values: map[string]func() any{"customer_id": constant(cust)}},
		{path: "/v2/contracts/get", params: metronome.V2ContractGetParams{},
			base:   func() any { return obj("customer_id", cust, "contract_id", contract) },
			values: map[string]func() any{"customer_id": constant(cust), "contract_id": constant(contract)}},
		{path: "/v2/contracts/list", params: metronome.V2ContractListParams{},
			base:   func() any { return obj("customer_id", cust) },
			values: map[string]func() any{"customer_id": constant(cust)}},
		{path: "/v1/usage", params: metronome.V1UsageListParams{},
			base: func() any { return obj("starting_on", start, "ending_before", end, "window_size", "NONE") },
			templates: map[string]map[string]any{"billable_metrics[]": obj("id", groupedMetric),
				"billable_metrics[].group_by": obj("key", "k")},
			values: map[string]func() any{"window_size": constant("NONE"), "customer_ids": constant([]any{cust}),
				"billable_metrics[].id": constant(metric), "billable_metrics[].group_by.key": constant("k")}},
		{path: "/v1/usage/groups", params: metronome.V1UsageListWithGroupsParams{},
			base: func() any {
				return obj("customer_id", cust, "billable_metric_id", groupedMetric, "window_size", "NONE", "starting_on", start, "ending_before", end)
			},
			templates: map[string]map[string]any{"group_by": obj("key", "k")},
			values: map[string]func() any{"window_size": constant("NONE"), "customer_id": constant(cust), "billable_metric_id": constant(groupedMetric),
				"group_by.key": constant("k")},
			also: map[string]func(any){"current_period": func(body any) {
				delete(body.(map[string]any), "starting_on")
				delete(body.(map[string]any), "ending_before")
			}}},
		{path: "/v1/contracts/customerCommits/create", params: metronome.V1CustomerCommitNewParams{},
			base: func() any {
				return obj("customer_id", cust, "product_id", fixed, "priority", 1, "type", "PREPAID", "access_schedule", schedule(),
					"invoice_contract_id", contract)
			},
			templates: map[string]map[string]any{"access_schedule.schedule_items[]": obj("amount", 1, "starting_at", start, "ending_before", end),
				"invoice_schedule.schedule_items[]": obj("timestamp", start)},
			values: merge(commitValues(""), map[string]func() any{"customer_id": constant(cust), "uniqueness_key": unique("cck"),
				"applicable_contract_ids": constant([]any{contract}), "invoice_contract_id": constant(contract),
				"invoice_schedule.credit_type_id": constant(usd)}),
			also: mergeAlso(topRecurringAlso(), map[string]func(any){
				"invoice_schedule.schedule_items[].timestamp":  setIn("invoice_schedule.schedule_items[]", obj("amount", 1)),
				"invoice_schedule.schedule_items[].unit_price": setIn("invoice_schedule.schedule_items[]", obj("timestamp", start, "quantity", 2)),
				"invoice_schedule.schedule_items[].quantity":   setIn("invoice_schedule.schedule_items[]", obj("timestamp", start, "unit_price", 2)),
			})},
		{path: "/v1/contracts/customerCredits/create", params: metronome.V1CustomerCreditNewParams{},
			base: func() any {
				return obj("customer_id", cust, "product_id", fixed, "priority", 1, "access_schedule", schedule())
			},
			templates: map[string]map[string]any{"access_schedule.schedule_items[]": obj("amount", 1, "starting_at", start, "ending_before", end)},
			values: merge(commitValues(""), map[string]func() any{"customer_id": constant(cust), "uniqueness_key": unique("ccr"),
				"applicable_contract_ids": constant([]any{contract})})},
		{path: "/v1/contracts/customerCommits/list", params: metronome.V1CustomerCommitListParams{},
			base:   func() any { return obj("customer_id", cust) },
			values: map[string]func() any{"customer_id": constant(cust), "next_page": constant("0")}},
		{path: "/v1/contracts/customerCredits/list", params: metronome.V1CustomerCreditListParams{},
			base:   func() any { return obj("customer_id", cust) },
			values: map[string]func() any{"customer_id": constant(cust), "next_page": constant("0")}},
		{path: "/v1/contracts/customerCommits/updateEndDate", params: metronome.V1CustomerCommitUpdateEndDateParams{},
			base: func() any {
				return obj("customer_id", cust, "commit_id", freshCustomerBalance("customerCommits"), "access_ending_before", later)
			},
			values: map[string]func() any{"customer_id": constant(cust), "commit_id": func() any { return freshCustomerBalance("customerCommits") },
				"access_ending_before": constant(later), "invoices_ending_before": constant(later)}},
		{path: "/v1/contracts/customerCredits/updateEndDate", params: metronome.V1CustomerCreditUpdateEndDateParams{},
			base: func() any {
				return obj("customer_id", cust, "credit_id", freshCustomerBalance("customerCredits"), "access_ending_before", later)
			},
			values: map[string]func() any{"customer_id": constant(cust), "credit_id": func() any { return freshCustomerBalance("customerCredits") },
				"access_ending_before": constant(later)}},
		{path: "/v1/contracts/customerBalances/list", params: metronome.V1ContractListBalancesParams{},
			base:   func() any { return obj("customer_id", cust) },
			values: map[string]func() any{"customer_id": constant(cust), "next_page": constant("0")}},
		{path: "/v1/alerts/create", params: metronome.V1AlertNewParams{},
			base: func() any {
				return obj("alert_type", "spend_threshold_reached", "name", "a", "threshold", 10, "customer_id", cust)
			},
			templates: map[string]map[string]any{"group_values[]": obj("key", "user_id", "value", "u1")},
			values: map[string]func() any{"alert_type": constant("spend_threshold_reached"), "customer_id": constant(cust), "credit_type_id": constant(usd),
				"uniqueness_key": unique("auk"), "invoice_types_filter": constant([]any{"USAGE"}), "billable_metric_id": constant(metric)},
			also: map[string]func(any){"invoice_types_filter": setIn("alert_type", "invoice_total_reached"),
				"billable_metric_id": setIn("alert_type", "usage_threshold_reached")}},
		{path: "/v1/alerts/archive", params: metronome.V1AlertArchiveParams{},
			base:   func() any { return obj("id", freshAlert()) },
			values: map[string]func() any{"id": freshAlert}},
		{path: "/v1/customer-alerts/get", params: metronome.V1CustomerAlertGetParams{},
			base:      func() any { return obj("customer_id", cust, "alert_id", scopedAlert) },
			templates: map[string]map[string]any{"group_values[]": obj("key", "user_id", "value", "u1")},
			values: map[string]func() any{"customer_id": constant(cust), "alert_id": constant(scopedAlert),
				"group_values[].key": constant("user_id"), "group_values[].value": constant("u1"), "plans_or_contracts": constant("CONTRACTS")}},
		{path: "/v1/customer-alerts/list", params: metronome.V1CustomerAlertListParams{},
			base:   func() any { return obj("customer_id", cust) },
			values: map[string]func() any{"customer_id": constant(cust), "alert_statuses": constant([]any{"enabled"})}},
		{path: "/v1/dashboards/getEmbeddableUrl", params: metronome.V1DashboardGetEmbeddableURLParams{},
			base: func() any { return obj("customer_id", cust, "dashboard", "invoices") },
			values: map[string]func() any{"customer_id": constant(cust), "dashboard": constant("invoices"),
				"color_overrides[].name": constant("Gray_dark"), "color_overrides[].value": constant("#ff0000"),
				"dashboard_options[].key": constant("show_zero_usage_line_items"), "dashboard_options[].value": constant("true"),
				"bm_group_key_overrides[].group_key_name": constant("k")},
			templates: map[string]map[string]any{"color_overrides[]": obj("name", "Gray_dark", "value", "#ff0000"),
				"dashboard_options[]":      obj("key", "hide_voided_invoices", "value", "true"),
				"bm_group_key_overrides[]": obj("group_key_name", "k")}},
		{path: "/v1/customer-alerts/reset", params: metronome.V1CustomerAlertResetParams{},
			base:   func() any { return obj("customer_id", cust, "alert_id", scopedAlert) },
			values: map[string]func() any{"customer_id": constant(cust), "alert_id": constant(scopedAlert)}},
	}

	for _, ep := range endpoints {
		applied := map[string]bool{}
		list, ok := appliedFields[ep.path]
		if !ok {
			t.Fatalf("%s: no appliedFields entry", ep.path)
		}
		for _, f := range list {
			applied[f] = true
		}
		var leaves []sdkLeaf
		if ep.array {
			sdkLeaves(reflect.TypeOf(ep.params), "[].", 0, &leaves)
		} else {
			sdkLeaves(reflect.TypeOf(ep.params), "", 0, &leaves)
		}
		sort.Slice(leaves, func(i, j int) bool { return leaves[i].path < leaves[j].path })
		seen := map[string]bool{}
		for _, lf := range leaves {
			seen[lf.path] = true
			body := ep.base()
			// In key order, so a longer key's setup comes after its prefix's.
			alsoKeys := make([]string, 0, len(ep.also))
			for k := range ep.also {
				alsoKeys = append(alsoKeys, k)
			}
			sort.Strings(alsoKeys)
			for _, k := range alsoKeys {
				if lf.path == k || strings.HasPrefix(lf.path, k+".") || strings.HasPrefix(lf.path, k+"[]") {
					ep.also[k](body)
				}
			}
			v := plausible(lf.typ, later)
			if f := ep.values[lf.path]; f != nil {
				v = f()
			}
			body = setPath(body, lf.path, v, ep.templates)
			target := ep.path
			if ep.url != nil {
				target = ep.url()
			}
			status, resp := e.do("POST", target, body)
			var msg struct {
				Message string `json:"message"`
			}
			json.Unmarshal(resp, &msg) //nolint:errcheck
			if applied[lf.path] {
				if status/100 != 2 {
					b, _ := json.Marshal(body)
					t.Errorf("%s %s is applied but the request was refused: %d %s\n  body: %s", ep.path, lf.path, status, resp, b)
				}
				continue
			}
			want := expectedRefusal(lf.path, applied) + ": "
			if status != 400 || !strings.HasPrefix(msg.Message, want) {
				b, _ := json.Marshal(body)
				t.Errorf("%s %s is not applied: got %d %s, want 400 starting %q\n  body: %s", ep.path, lf.path, status, resp, want, b)
			}
		}
		// Every applied field exists in the SDK, or is native and listed as such.
		for f := range applied {
			if !seen[f] && !nativeField[ep.path+" "+f] && !holdsLeaf(seen, f) && !guideSpelling(f) {
				t.Errorf("%s: applied field %s is not a field of the SDK's request", ep.path, f)
			}
		}
	}
}

// nativeField lists applied fields that Metronome's API does not have.
var nativeField = map[string]bool{
	// The SDK embeds a threshold commit's product_id, name and description
	// (BaseThresholdCommitParam), which the walk above does not enter.
	"/v1/contracts/create prepaid_balance_threshold_configuration.commit.product_id":                   true,
	"/v1/contracts/create prepaid_balance_threshold_configuration.commit.name":                         true,
	"/v1/contracts/create prepaid_balance_threshold_configuration.commit.description":                  true,
	"/v2/contracts/edit add_prepaid_balance_threshold_configuration.commit.product_id":                 true,
	"/v2/contracts/edit add_prepaid_balance_threshold_configuration.commit.name":                       true,
	"/v2/contracts/edit add_prepaid_balance_threshold_configuration.commit.description":                true,
	"/v2/contracts/edit update_prepaid_balance_threshold_configuration.commit.product_id":              true,
	"/v2/contracts/edit update_prepaid_balance_threshold_configuration.commit.name":                    true,
	"/v2/contracts/edit update_prepaid_balance_threshold_configuration.commit.description":             true,
	"/v2/contracts/edit update_prepaid_balance_threshold_configuration.commit.applicable_product_tags": true,
	"/v1/contracts/create prepaid_only":                                                                true,
	"/v1/alerts/create block_on_alarm":                                                                 true,
	"/v1/contracts/customerBalances/list exclude_zero_balances":                                        true,
}

// guideSpelling reports whether f is applied for a spelling that
// Metronome's guides send and its SDK does not have: the threshold
// configurations' older names, a commit item's credit_type_id and a
// contract's ending_at
// (guides_test.go sends them as written).
func guideSpelling(f string) bool {
	return f == "ending_at" || strings.HasPrefix(f, "credit_balance_threshold_configuration.") || strings.HasPrefix(f, "threshold_billing_configuration.") ||
		strings.HasSuffix(f, "access_schedule.schedule_items[].credit_type_id")
}

// holdsLeaf reports whether f is a free-form map or list that the SDK walk
// reached as a container (for example custom_fields, properties).
func holdsLeaf(seen map[string]bool, f string) bool {
	for p := range seen {
		if strings.HasPrefix(p, f+".") || strings.HasPrefix(p, f+"[]") {
			return true
		}
	}
	return false
}
