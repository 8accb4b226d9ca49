package transport

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/option"
	"github.com/Metronome-Industries/metronome-go/v2/shared"

	"burndown/engine"
)

// Every alert type the server evaluates, created with the official SDK on
// one customer (a 2000 commit to Feb 1, a 1000 credit to Jan 20, 100 a
// unit), each seen firing by a signed webhook: 35 units cross the nine
// amount, usage, balance and percentage alerts at once; the clock crosses
// the credit's days alert on Jan 19 and the commit's on Jan 25 (when the
// credit's end also resolves the credit alerts). customer-alerts/list shows
// them in alarm. The three legacy plan types are refused with a 400 naming
// alert_type.
func TestSDKAlertTypes(t *testing.T) {
	e := newEnv(t, "2026-01-02T00:00:00Z")
	rcv := newHookReceiver(t, "whsec_types")
	e.ok("POST", "/v1/webhooks/create", map[string]any{"url": rcv.srv.URL, "secret": "whsec_types"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := metronome.NewClient(option.WithBaseURL(e.base+"/"), option.WithBearerToken(testToken), option.WithMaxRetries(0))
	at := func(s string) time.Time { return mustTime(t, e.at(s)) }
	metric, purchase, rc := sdkAlertCatalog(t, ctx, client, at)
	cust, err := client.V1.Customers.New(ctx, metronome.V1CustomerNewParams{Name: "Alerted", IngestAliases: []string{"alerted"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.V1.Contracts.New(ctx, metronome.V1ContractNewParams{
		CustomerID: cust.Data.ID, RateCardID: metronome.String(rc), StartingAt: at("2026-01-01T00:00:00Z"),
		Commits: []metronome.V1ContractNewParamsCommit{{ProductID: purchase, Type: "PREPAID",
			AccessSchedule: metronome.V1ContractNewParamsCommitAccessSchedule{ScheduleItems: []metronome.V1ContractNewParamsCommitAccessScheduleScheduleItem{{
				Amount: 2000, StartingAt: at("2026-01-01T00:00:00Z"), EndingBefore: at("2026-02-01T00:00:00Z")}}}}},
		Credits: []metronome.V1ContractNewParamsCredit{{ProductID: purchase,
			AccessSchedule: metronome.V1ContractNewParamsCreditAccessSchedule{ScheduleItems: []metronome.V1ContractNewParamsCreditAccessScheduleScheduleItem{{
				Amount: 1000, StartingAt: at("2026-01-01T00:00:00Z"), EndingBefore: at("2026-01-20T00:00:00Z")}}}}},
	}); err != nil {
		t.Fatalf("contract: %v", err)
	}
	thresholds := map[string]float64{
		engine.AlertSpend: 3000, engine.AlertInvoiceTotal: 500, engine.AlertMonthlyInvoiceTotal: 500, engine.AlertUsage: 35,
		engine.AlertLowCommit: 0, engine.AlertLowCredit: 0, engine.AlertLowCreditAndCommit: 0,
		engine.AlertLowCommitPercent: 10, engine.AlertLowCreditPercent: 10, engine.AlertCreditDays: 1, engine.AlertCommitDays: 7,
	}
	if len(thresholds) != len(engine.AlertTypes) {
		t.Fatalf("the test covers %d types, the server serves %d", len(thresholds), len(engine.AlertTypes))
	}
	ids := map[string]string{}
	for _, typ := range engine.AlertTypes {
		p := metronome.V1AlertNewParams{AlertType: metronome.V1AlertNewParamsAlertType(typ), Name: typ, Threshold: thresholds[typ],
			CustomerID: metronome.String(cust.Data.ID)}
		if typ == engine.AlertUsage {
			p.BillableMetricID = metronome.String(metric)
		}
		a, err := client.V1.Alerts.New(ctx, p)
		if err != nil {
			t.Fatalf("create %s: %v", typ, err)
		}
		ids[typ] = a.Data.ID
	}
	for typ := range engine.RefusedAlertTypes {
		_, err := client.V1.Alerts.New(ctx, metronome.V1AlertNewParams{AlertType: metronome.V1AlertNewParamsAlertType(typ), Name: typ, Threshold: 1,
			CustomerID: metronome.String(cust.Data.ID)})
		var apiErr *metronome.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.RawJSON(), "alert_type: "+typ+" is not supported: ") {
			t.Fatalf("create %s: %v, want a 400 naming alert_type", typ, err)
		}
	}

	// 35 units: credit (ends first) and commit used up, 500 over.
	var usage []metronome.V1UsageIngestParamsUsage
	for i := 0; i < 35; i++ {
		usage = append(usage, metronome.V1UsageIngestParamsUsage{TransactionID: fmt.Sprint("u", i), CustomerID: "alerted",
			EventType: "unit", Timestamp: e.at("2026-01-02T00:00:00Z")})
	}
	if err := client.V1.Usage.Ingest(ctx, metronome.V1UsageIngestParams{Usage: usage}); err != nil {
		t.Fatal(err)
	}
	fired := firedByAlert(t, rcv.wait(9), ids)
	for _, typ := range []string{engine.AlertSpend, engine.AlertInvoiceTotal, engine.AlertMonthlyInvoiceTotal, engine.AlertUsage, engine.AlertLowCommit,
		engine.AlertLowCredit, engine.AlertLowCreditAndCommit, engine.AlertLowCommitPercent, engine.AlertLowCreditPercent} {
		if fired[typ] != "alerts."+typ {
			t.Fatalf("%s: webhooks %v", typ, fired)
		}
	}

	e.setClock(e.at("2026-01-19T00:00:00Z"))
	got := rcv.wait(10)
	if p := got[9].Properties; got[9].Type != "alerts."+engine.AlertCreditDays || p["alert_id"] != ids[engine.AlertCreditDays] || p["remaining_days"] != 1.0 {
		t.Fatalf("credit days webhook: %+v", got[9])
	}
	// The credit ends on Jan 20: its three alerts resolve; on Jan 25 the
	// commit has 7 days left.
	e.setClock(e.at("2026-01-25T00:00:00Z"))
	late := firedByAlert(t, rcv.wait(14)[10:], ids)
	if late[engine.AlertCommitDays] != "alerts."+engine.AlertCommitDays {
		t.Fatalf("commit days: webhooks %v", late)
	}
	for _, typ := range []string{engine.AlertLowCredit, engine.AlertLowCreditPercent, engine.AlertCreditDays} {
		if late[typ] != "alerts."+typ+"_resolved" {
			t.Fatalf("%s after the credit's end: webhooks %v", typ, late)
		}
	}

	list, err := client.V1.Customers.Alerts.List(ctx, metronome.V1CustomerAlertListParams{CustomerID: cust.Data.ID})
	if err != nil || len(list.Data) != len(engine.AlertTypes) {
		t.Fatalf("customer alerts: %+v %v", list, err)
	}
	for _, ca := range list.Data {
		want := metronome.CustomerAlertCustomerStatusInAlarm
		if ca.Alert.Type == engine.AlertLowCredit || ca.Alert.Type == engine.AlertLowCreditPercent || ca.Alert.Type == engine.AlertCreditDays {
			want = metronome.CustomerAlertCustomerStatusOk
		}
		if ca.CustomerStatus != want || ca.Alert.ID != ids[ca.Alert.Type] || ca.Alert.Threshold != thresholds[ca.Alert.Type] {
			t.Fatalf("customer alert %s: %s, want %s (%+v)", ca.Alert.Type, ca.CustomerStatus, want, ca.Alert)
		}
	}
}

// sdkAlertCatalog makes, with the SDK, a COUNT metric of "unit" events, its
// product priced 100 cents on a rate card, and a FIXED product; it returns
// the metric, the FIXED product and the rate card.
func sdkAlertCatalog(t *testing.T, ctx context.Context, client metronome.Client, at func(string) time.Time) (metric, purchase, rc string) {
	t.Helper()
	m, err := client.V1.BillableMetrics.New(ctx, metronome.V1BillableMetricNewParams{Name: "units",
		AggregationType: metronome.V1BillableMetricNewParamsAggregationTypeCount, EventTypeFilter: shared.EventTypeFilterParam{InValues: []string{"unit"}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := client.V1.Contracts.Products.New(ctx, metronome.V1ContractProductNewParams{Name: "Units", Type: metronome.V1ContractProductNewParamsTypeUsage,
		BillableMetricID: metronome.String(m.Data.ID)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := client.V1.Contracts.Products.New(ctx, metronome.V1ContractProductNewParams{Name: "Purchase", Type: metronome.V1ContractProductNewParamsTypeFixed})
	if err != nil {
		t.Fatal(err)
	}
	r, err := client.V1.Contracts.RateCards.New(ctx, metronome.V1ContractRateCardNewParams{Name: "PayGo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.V1.Contracts.RateCards.Rates.Add(ctx, metronome.V1ContractRateCardRateAddParams{RateCardID: r.Data.ID, ProductID: p.Data.ID,
		Entitled: true, RateType: metronome.V1ContractRateCardRateAddParamsRateTypeFlat, StartingAt: at("2026-01-01T00:00:00Z"), Price: metronome.Float(100)}); err != nil {
		t.Fatal(err)
	}
	return m.Data.ID, f.Data.ID, r.Data.ID
}

// firedByAlert maps each alert type to the webhook type its alert got,
// failing on a webhook of no alert or two for one alert.
func firedByAlert(t *testing.T, hooks []hookPayload, ids map[string]string) map[string]string {
	t.Helper()
	byID := map[string]string{}
	for typ, id := range ids {
		byID[id] = typ
	}
	out := map[string]string{}
	for _, h := range hooks {
		id, _ := h.Properties["alert_id"].(string)
		typ, ok := byID[id]
		if !ok || out[typ] != "" {
			t.Fatalf("unexpected webhook %+v (so far %v)", h, out)
		}
		out[typ] = h.Type
	}
	return out
}
