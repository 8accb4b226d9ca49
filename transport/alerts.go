package transport

import (
	"encoding/json"
	"slices"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// Alerts and customer alerts.

// decodeCreateAlert validates POST /v1/alerts/create. Alerts for all
// customers (no customer_id), the legacy plan types
// (engine.RefusedAlertTypes), custom field and seat filters are refused by
// name.
func decodeCreateAlert(body []byte) (*engine.CreateAlert, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	cmd := &engine.CreateAlert{
		Name:          o.str("name", true),
		CreditTypeID:  o.str("credit_type_id", false),
		UniquenessKey: o.str("uniqueness_key", false),
	}
	cmd.BillableMetricID = o.str("billable_metric_id", false)
	typ := o.str("alert_type", true)
	if why, refused := engine.RefusedAlertTypes[typ]; r.err == nil && refused {
		r.fail(o.sub("alert_type"), "%s is not supported: %s", typ, why)
	}
	if r.err == nil && !slices.Contains(engine.AlertTypes, typ) {
		r.fail(o.sub("alert_type"), "%q is not supported by this server yet (supported: %v)", typ, engine.AlertTypes)
	}
	cmd.Type = typ
	cmd.Threshold, _ = o.amount("threshold", true, false)
	if !o.has("customer_id") && r.err == nil {
		r.fail(o.sub("customer_id"), "is required: alerts for every customer are not supported by this server yet")
	}
	cmd.CustomerID = o.str("customer_id", true)
	cmd.EvaluateOnCreate = true // Metronome's default
	if v, present := o.boolean("evaluate_on_create", false); present {
		cmd.EvaluateOnCreate = v
	}
	cmd.BlockOnAlarm, _ = o.boolean("block_on_alarm", false)
	for i, g := range o.objects("group_values", false, 1) {
		gv := engine.GroupValue{Key: g.str("key", true), Value: g.str("value", false)}
		if r.err == nil && !g.has("value") {
			r.fail(g.sub("value"), "is required: an alert per value of a key is not supported by this server yet")
		}
		_ = i
		cmd.GroupValues = append(cmd.GroupValues, gv)
	}
	if r.err == nil && len(cmd.GroupValues) > 0 && typ != engine.AlertSpend && typ != engine.AlertUsage {
		r.fail(o.sub("group_values"), "only spend_threshold_reached and usage_threshold_reached alerts take group values")
	}
	if r.err == nil && typ == engine.AlertUsage {
		if cmd.BillableMetricID == "" {
			r.fail(o.sub("billable_metric_id"), "is required for usage_threshold_reached alerts")
		} else if cmd.CreditTypeID != "" {
			r.fail(o.sub("credit_type_id"), "a usage_threshold_reached alert counts a quantity, not an amount of a credit type")
		}
	}
	if r.err == nil && typ != engine.AlertUsage && cmd.BillableMetricID != "" {
		r.fail(o.sub("billable_metric_id"), "only usage_threshold_reached alerts take a billable metric")
	}
	cmd.InvoiceTypesFilter = o.strList("invoice_types_filter", false)
	if r.err == nil && cmd.InvoiceTypesFilter != nil {
		if typ != engine.AlertInvoiceTotal {
			r.fail(o.sub("invoice_types_filter"), "only invoice_total_reached alerts take an invoice types filter")
		}
		for _, it := range cmd.InvoiceTypesFilter {
			if it != "USAGE" && r.err == nil {
				r.fail(o.sub("invoice_types_filter"), "%q: only USAGE invoices are supported by this server yet", it)
			}
		}
	}
	return cmd, r.Err()
}

func (s *Server) createAlert(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, decodeCreateAlert)
}

func decodeArchiveAlert(body []byte) (*engine.ArchiveAlert, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	cmd := &engine.ArchiveAlert{AlertID: o.str("id", true)}
	cmd.ReleaseUniquenessKey, _ = o.boolean("release_uniqueness_key", false)
	return cmd, r.Err()
}

func (s *Server) archiveAlert(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, decodeArchiveAlert)
}

// customerAlertOut is Metronome's CustomerAlert.
type customerAlertOut struct {
	CustomerStatus *string  `json:"customer_status"`
	TriggeredBy    *string  `json:"triggered_by"`
	Alert          alertOut `json:"alert"`
}

type alertOut struct {
	ID                 string          `json:"id"`
	Name               string          `json:"name"`
	Type               string          `json:"type"`
	Status             string          `json:"status"`
	Threshold          json.Number     `json:"threshold"`
	CreditType         *creditTypeRef  `json:"credit_type"`
	BillableMetricID   string          `json:"billable_metric_id,omitempty"`
	UpdatedAt          string          `json:"updated_at"`
	UniquenessKey      string          `json:"uniqueness_key,omitempty"`
	GroupValues        []groupValueOut `json:"group_values,omitempty"`
	GroupKeyFilter     *groupValueOut  `json:"group_key_filter,omitempty"`
	InvoiceTypesFilter []string        `json:"invoice_types_filter,omitempty"`
	BlockOnAlarm       bool            `json:"block_on_alarm"`
}

type groupValueOut struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func renderCustomerAlert(a *engine.Alert, cat *engine.Catalog) customerAlertOut {
	out := customerAlertOut{Alert: alertOut{
		ID: a.ID, Name: a.Name, Type: a.Type, Status: "enabled", Threshold: json.Number(a.Threshold.String()),
		UpdatedAt: tsv(a.UpdatedAt), UniquenessKey: a.UniquenessKey(), BillableMetricID: a.BillableMetricID,
		InvoiceTypesFilter: a.InvoiceTypesFilter(), BlockOnAlarm: a.BlockOnAlarm,
	}}
	if a.CreditTypeID != "" { // a usage alert, a days alert of every credit type: null
		ct := creditTypeOf(cat, a.CreditTypeID)
		out.Alert.CreditType = &ct
	}
	if a.GroupKey() != "" {
		g := groupValueOut{Key: a.GroupKey(), Value: a.GroupValue()}
		out.Alert.GroupValues = []groupValueOut{g}
		out.Alert.GroupKeyFilter = &g
	}
	if !a.Active() {
		out.Alert.Status = "archived"
		return out
	}
	st := a.Status.String()
	out.CustomerStatus = &st
	return out
}

// getCustomerAlert serves POST /v1/customer-alerts/get.
func (s *Server) getCustomerAlert(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	customer, alertID := o.str("customer_id", true), o.str("alert_id", true)
	var groups []groupValueOut
	for _, g := range o.objects("group_values", false, 1) {
		groups = append(groups, groupValueOut{Key: g.str("key", true), Value: g.str("value", true)})
	}
	if err := r.Err(); err != nil {
		return err
	}
	rd, found, err := s.readCustomerByID(customer)
	switch {
	case err != nil:
		return err
	case !found:
		return notFound("customer_id: customer %s not found", customer)
	}
	a := rd.Customer.Alert(alertID)
	switch {
	case a == nil:
		return notFound("alert_id: alert %s not found for customer %s", alertID, customer)
	case len(groups) > 0 && (groups[0].Key != a.GroupKey() || groups[0].Value != a.GroupValue()):
		return badRequest("group_values: the alert is not scoped to that group value")
	}
	out := renderCustomerAlert(a, rd.Catalog)
	return writeData(ctx, &out)
}

// listCustomerAlerts serves POST /v1/customer-alerts/list (one page).
func (s *Server) listCustomerAlerts(ctx *fasthttp.RequestCtx, _ string) error {
	if len(ctx.QueryArgs().Peek("next_page")) > 0 {
		return badRequest("next_page: unknown cursor (every alert is on the first page)")
	}
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	customer := o.str("customer_id", true)
	statuses := o.strList("alert_statuses", false)
	for _, st := range statuses {
		switch st {
		case "enabled", "ENABLED", "archived", "ARCHIVED", "disabled", "DISABLED":
		default:
			r.fail(o.sub("alert_statuses"), "%q is not one of enabled, disabled, archived", st)
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, st := range statuses {
		switch st {
		case "enabled", "ENABLED":
			want["enabled"] = true
		case "archived", "ARCHIVED":
			want["archived"] = true
		}
	}
	if len(statuses) == 0 {
		want["enabled"] = true
	}
	rd, found, err := s.readCustomerByID(customer)
	if err != nil {
		return err
	}
	if !found {
		return notFound("customer_id: customer %s not found", customer)
	}
	out := []customerAlertOut{}
	for _, a := range rd.Customer.Alerts {
		ca := renderCustomerAlert(a, rd.Catalog)
		if want[ca.Alert.Status] {
			out = append(out, ca)
		}
	}
	return writeJSON(ctx, struct {
		Data     []customerAlertOut `json:"data"`
		NextPage *string            `json:"next_page"`
	}{out, nil})
}

func decodeResetAlert(body []byte) (*engine.ResetAlert, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	return &engine.ResetAlert{CustomerID: o.str("customer_id", true), AlertID: o.str("alert_id", true)}, r.Err()
}

// resetCustomerAlert serves POST /v1/customer-alerts/reset → {}.
func (s *Server) resetCustomerAlert(ctx *fasthttp.RequestCtx, _ string) error {
	if _, _, err := decodeAndPropose(s, ctx, decodeResetAlert); err != nil {
		return err
	}
	return writeJSON(ctx, struct{}{})
}
