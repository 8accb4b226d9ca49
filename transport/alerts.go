package transport

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/valyala/fasthttp"

	"burndown/cluster"
	"burndown/engine"
)

// Alerts, customer alerts, webhooks and consume.

// decodeCreateAlert validates POST /v1/alerts/create. Alerts for all
// customers (no customer_id), usage and percentage/days alerts, custom
// field and seat filters are refused by name.
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
		UpdatedAt: tsv(a.UpdatedAt), UniquenessKey: a.UniquenessKey, BillableMetricID: a.BillableMetricID,
		InvoiceTypesFilter: a.InvoiceTypesFilter, BlockOnAlarm: a.BlockOnAlarm,
	}}
	if a.Type != engine.AlertUsage { // a usage alert has no credit type: null
		ct := creditTypeOf(cat, a.CreditTypeID)
		out.Alert.CreditType = &ct
	}
	if a.GroupKey != "" {
		g := groupValueOut{Key: a.GroupKey, Value: a.GroupValue}
		out.Alert.GroupValues = []groupValueOut{g}
		out.Alert.GroupKeyFilter = &g
	}
	if !a.Active() {
		out.Alert.Status = "archived"
		return out
	}
	st := a.Status
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
	case len(groups) > 0 && (groups[0].Key != a.GroupKey || groups[0].Value != a.GroupValue):
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

// consume serves POST /v1/entitlements/consume: the events are ingested
// only if the check passes at apply time; the answer is the check's shape
// (entitled: whether they were), with the balance after.
func (s *Server) consume(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	cmd := &engine.Consume{
		CustomerID: o.str("customer_id", true), ProductID: o.str("product_id", true),
		GroupKey: o.str("group_key", false), GroupValue: o.str("group_value", false),
	}
	list, path := o.list("events", true, maxIngestEvents)
	if r.err == nil && len(list) == 0 {
		r.fail(path, "must hold 1 to %d events", maxIngestEvents)
	}
	if err := r.Err(); err != nil {
		return err
	}
	raw, err := json.Marshal(list)
	if err != nil {
		return badRequest("events: %v", err)
	}
	events, err := s.decodeEvents(raw)
	if err != nil {
		if ae, ok := err.(*apiError); ok {
			ae.Message = "events" + trimBodyPrefix(ae.Message)
		}
		return err
	}
	h := s.node.Engine().LookupCustomer(cmd.CustomerID)
	if h == nil {
		return notFound("customer_id: customer %s not found", cmd.CustomerID)
	}
	cmd.CustomerID = h.ID
	for i := range events {
		if eh := s.node.Engine().LookupCustomer(events[i].CustomerID); eh == nil || eh.ID != h.ID {
			return badRequest("events[%d].customer_id: must be the consuming customer", i)
		}
	}
	cmd.Events = events
	res, err := s.propose(ctx, cmd)
	if err != nil {
		return err
	}
	if res.Check == nil {
		return badRequest("consume: no answer")
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBody(res.Check.AppendJSON(nil))
	return nil
}

// trimBodyPrefix turns "body[3].x: ..." into "[3].x: ...".
func trimBodyPrefix(m string) string {
	if len(m) >= 4 && m[:4] == "body" {
		return m[4:]
	}
	return ": " + m
}

// webhookOut is a webhook destination as GET /v1/webhooks lists it.
type webhookOut struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	EventTypes []string `json:"event_types"`
	CreatedAt  string   `json:"created_at"`
	ArchivedAt *string  `json:"archived_at"`
	DisabledAt *string  `json:"disabled_at"`
}

func refuseIdempotencyKey(ctx *fasthttp.RequestCtx) error {
	if len(ctx.Request.Header.Peek(idempotencyHeader)) > 0 {
		return badRequest("%s: not supported on /v1/webhooks/* by this server yet", idempotencyHeader)
	}
	return nil
}

// createWebhook serves POST /v1/webhooks/create {url, secret?, event_types?}
// → {data:{id, secret}}; without a secret a random one is made here, at the
// edge (the log carries it).
func (s *Server) createWebhook(ctx *fasthttp.RequestCtx, _ string) error {
	if err := refuseIdempotencyKey(ctx); err != nil {
		return err
	}
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	url := o.str("url", true)
	secret := o.str("secret", false)
	types := o.strList("event_types", false)
	if r.err == nil && !(len(url) > 8 && (url[:7] == "http://" || url[:8] == "https://")) {
		r.fail(o.sub("url"), "must be an http:// or https:// URL")
	}
	if err := r.Err(); err != nil {
		return err
	}
	if secret == "" {
		var b [24]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		secret = hex.EncodeToString(b[:])
	}
	res, err := s.propose(ctx, cluster.NewWebhookCreate(url, secret, types))
	if err != nil {
		return err
	}
	return writeData(ctx, struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}{res.ID, secret})
}

// archiveWebhook serves POST /v1/webhooks/archive {id}.
func (s *Server) archiveWebhook(ctx *fasthttp.RequestCtx, _ string) error {
	if err := refuseIdempotencyKey(ctx); err != nil {
		return err
	}
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	id := o.str("id", true)
	if err := r.Err(); err != nil {
		return err
	}
	res, err := s.propose(ctx, cluster.NewWebhookArchive(id))
	if err != nil {
		return err
	}
	return writeID(ctx, res.ID)
}

// listWebhooks serves GET /v1/webhooks (secrets are not shown).
func (s *Server) listWebhooks(ctx *fasthttp.RequestCtx, _ string) error {
	out := []webhookOut{}
	for _, d := range s.node.Webhooks() {
		w := webhookOut{ID: d.ID, URL: d.URL, EventTypes: orEmpty(d.EventTypes), CreatedAt: tsv(d.CreatedAt)}
		if d.ArchivedAt != 0 {
			v := tsv(d.ArchivedAt)
			w.ArchivedAt = &v
		}
		if d.DisabledAt != 0 {
			v := tsv(d.DisabledAt)
			w.DisabledAt = &v
		}
		out = append(out, w)
	}
	return writeJSON(ctx, struct {
		Data     []webhookOut `json:"data"`
		NextPage *string      `json:"next_page"`
	}{out, nil})
}

// deliveryOut is a failed webhook delivery as
// GET /v1/webhooks/deliveries?status=failed lists it (ours: Metronome has
// no such endpoint).
type deliveryOut struct {
	ID             string          `json:"id"`
	Status         string          `json:"status"`
	NotificationID string          `json:"notification_id"`
	DestinationID  string          `json:"destination_id"`
	Type           string          `json:"type"`
	CustomerID     string          `json:"customer_id"`
	Attempts       int             `json:"attempts"`
	FailedAt       string          `json:"failed_at"`
	Payload        json.RawMessage `json:"payload"`
}

// listDeliveries serves GET /v1/webhooks/deliveries?status=failed: the
// deliveries the dispatcher gave up on, oldest first (one page).
func (s *Server) listDeliveries(ctx *fasthttp.RequestCtx, _ string) error {
	if st := string(ctx.QueryArgs().Peek("status")); st != "" && st != "failed" {
		return badRequest("status: %q is not supported (only failed deliveries are kept)", st)
	}
	out := []deliveryOut{}
	for _, f := range s.node.FailedDeliveries() {
		out = append(out, deliveryOut{ID: f.ID, Status: "failed", NotificationID: f.NotificationID, DestinationID: f.DestinationID,
			Type: f.Type, CustomerID: f.CustomerID, Attempts: f.Attempts, FailedAt: tsv(f.FailedAt), Payload: f.Payload})
	}
	return writeJSON(ctx, struct {
		Data     []deliveryOut `json:"data"`
		NextPage *string       `json:"next_page"`
	}{out, nil})
}

// replayDeliveries serves POST /v1/webhooks/deliveries/replay {id} or
// {since}: the failed delivery, or every one that failed at or after the
// time, goes back in the outbox for its destination alone, with its
// notification's id → {data:{replayed: n}}.
func (s *Server) replayDeliveries(ctx *fasthttp.RequestCtx, _ string) error {
	if err := refuseIdempotencyKey(ctx); err != nil {
		return err
	}
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	id := o.str("id", false)
	since := o.time("since", false)
	if r.err == nil {
		switch {
		case o.has("id") && o.has("since"):
			r.fail(o.sub("since"), "give either id or since, not both")
		case id == "" && !o.has("since"):
			r.fail(o.sub("id"), "is required (or since)")
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	res, err := s.propose(ctx, cluster.NewDeliveriesReplay(id, since))
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(res.ID)
	return writeData(ctx, struct {
		Replayed int `json:"replayed"`
	}{n})
}
