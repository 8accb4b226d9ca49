package importer

import (
	"context"
	"fmt"
	"net/http"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
)

// customerAlert is one entry of customer-alerts/list.
type customerAlert struct {
	Alert alert `json:"alert"`
}

// alerts copies each customer's enabled alerts. They are created with
// evaluate_on_create false: an alert already in alarm in the source
// notified there, and its copy takes the status without notifying again.
func (r *run) alerts(ctx context.Context) error {
	c := r.rep.kind(kindAlerts)
	for _, srcCustomer := range r.sourceIDs(kindCustomers) {
		tc := r.target(kindCustomers, srcCustomer)
		src, err := listAlerts(ctx, r.src, srcCustomer)
		if err != nil {
			return err
		}
		var dst []alert
		if !isDry(tc) {
			if dst, err = listAlerts(ctx, r.dst, tc); err != nil {
				return err
			}
		}
		for _, a := range src {
			if a.Status != "" && a.Status != "enabled" {
				r.rep.note(kindAlerts, a.ID, "%q is %s in the source: not carried", a.Name, a.Status)
				continue
			}
			c.Source++
			if hasAlert(dst, a) {
				c.Existing++
				continue
			}
			body, err := r.alertBody(a, tc)
			if err == nil {
				_, err = r.create(ctx, kindAlerts, "v1/alerts/create", a.ID, body)
			}
			if err != nil {
				return fmt.Errorf("alert %s (%q) of customer %s: %w", a.ID, a.Name, srcCustomer, err)
			}
			c.Created++
		}
	}
	return nil
}

func listAlerts(ctx context.Context, a *api, customerID string) ([]alert, error) {
	list, err := collect[metronome.CustomerAlert, customerAlert](a.sdk.V1.Customers.Alerts.ListAutoPaging(ctx, metronome.V1CustomerAlertListParams{CustomerID: customerID}))
	if err != nil {
		return nil, fmt.Errorf("%s: alerts of customer %s: %w", a.name, customerID, err)
	}
	out := make([]alert, 0, len(list))
	for _, ca := range list {
		out = append(out, ca.Alert)
	}
	return out, nil
}

// hasAlert says whether list holds a copy of a: same type, name, threshold
// and credit type (alert ids are the target's own).
func hasAlert(list []alert, a alert) bool {
	for _, b := range list {
		if b.Type == a.Type && b.Name == a.Name && b.Threshold.String() == a.Threshold.String() &&
			(a.CreditType == nil) == (b.CreditType == nil) && (a.CreditType == nil || a.CreditType.Name == b.CreditType.Name) {
			return true
		}
	}
	return false
}

func (r *run) alertBody(a alert, targetCustomer string) (map[string]any, error) {
	body := map[string]any{"alert_type": a.Type, "name": a.Name, "threshold": a.Threshold, "customer_id": targetCustomer,
		"evaluate_on_create": false}
	if a.CreditType != nil {
		ct, err := r.creditTypeID(a.CreditType.ID)
		if err != nil {
			return nil, err
		}
		setIf(body, "credit_type_id", ct)
	}
	if a.BillableMet != nil && a.BillableMet.ID != "" {
		id := r.target(kindMetrics, a.BillableMet.ID)
		if id == "" {
			return nil, fmt.Errorf("its billable metric %s is not an active metric of the source", a.BillableMet.ID)
		}
		body["billable_metric_id"] = id
	}
	setIf(body, "uniqueness_key", a.UniquenessKey)
	if a.BlockOnAlarm {
		body["block_on_alarm"] = true
	}
	if len(a.GroupValues) > 0 {
		body["group_values"] = a.GroupValues
	}
	if len(a.InvoiceTypesFilter) > 0 {
		body["invoice_types_filter"] = a.InvoiceTypesFilter
	}
	return body, nil
}

// webhooks copies the webhook destinations: URL and event types. Metronome
// keeps its destinations out of its API (they are set in its UI), so a
// source that answers 404 is noted; a source never shows a destination's
// signing secret, so a copy gets Config.WebhookSecret, or a new secret the
// target makes (not shown): the receivers must be given it.
func (r *run) webhooks(ctx context.Context) error {
	var src struct {
		Data []webhook `json:"data"`
	}
	if err := r.src.get(ctx, "v1/webhooks", &src); err != nil {
		if statusOf(err) == http.StatusNotFound {
			r.rep.note(kindWebhooks, "", "the source does not list webhook destinations (Metronome sets them in its UI): add them to the target with POST /v1/webhooks/create")
			return nil
		}
		return err
	}
	var dst struct {
		Data []webhook `json:"data"`
	}
	if err := r.dst.get(ctx, "v1/webhooks", &dst); err != nil {
		return err
	}
	have := map[string]bool{}
	for _, w := range dst.Data {
		if w.ArchivedAt == nil {
			have[w.URL] = true
		}
	}
	c := r.rep.kind(kindWebhooks)
	for _, w := range src.Data {
		if w.ArchivedAt != nil {
			continue
		}
		c.Source++
		if have[w.URL] {
			c.Existing++
			continue
		}
		body := map[string]any{"url": w.URL, "event_types": orEmptyList(w.EventTypes)}
		if r.cfg.WebhookSecret != "" {
			body["secret"] = r.cfg.WebhookSecret
			r.rep.note(kindWebhooks, w.ID, "%s: the source's signing secret cannot be read; the copy signs with the secret given to the import", w.URL)
		} else {
			r.rep.note(kindWebhooks, w.ID, "%s: the source's signing secret cannot be read; the target made a new one (not shown): archive the copy and create it with your secret, or import with --webhook-secret-file", w.URL)
		}
		if _, err := r.create(ctx, kindWebhooks, "v1/webhooks/create", w.ID, body); err != nil {
			return fmt.Errorf("webhook %s: %w", w.URL, err)
		}
		c.Created++
	}
	return nil
}
