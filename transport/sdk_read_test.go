package transport

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/option"
	"github.com/Metronome-Industries/metronome-go/v2/shared"
)

// thresholdContract gives the usage env's customer a second customer with
// a contract holding both threshold configurations, and returns both ids.
func (u *usageEnv) thresholdContract() (string, string) {
	u.t.Helper()
	fixed := u.create("/v1/contract-pricing/products/create", map[string]any{"name": "Top-up", "type": "FIXED"})
	cust := u.create("/v1/customers", map[string]any{"name": "T"})
	k := u.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": u.rc, "starting_at": u.at("2026-01-01T00:00:00Z"),
		"spend_threshold_configuration": map[string]any{"is_enabled": true, "threshold_amount": 500,
			"commit": map[string]any{"product_id": fixed, "name": "Threshold charge"}, "payment_gate_config": map[string]any{"payment_gate_type": "EXTERNAL"}},
		"prepaid_balance_threshold_configuration": map[string]any{"is_enabled": true, "threshold_amount": 100, "recharge_to_amount": 2000.5,
			"commit": map[string]any{"product_id": fixed, "applicable_product_tags": []string{"ai"}}, "payment_gate_config": map[string]any{"payment_gate_type": "NONE"}},
	})
	return cust, k
}

// The official SDK reads usage (List, ListWithGroups with its auto-pager)
// and contracts through /v2 (Get, List) with their threshold
// configurations, and gets a 400 *metronome.Error for a DAY window.
func TestSDKUsageAndContractsV2(t *testing.T) {
	u := newUsageEnv(t)
	u.ingestJanFeb()
	tcust, tk := u.thresholdContract()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := metronome.NewClient(option.WithBaseURL(u.base+"/"), option.WithBearerToken(testToken), option.WithMaxRetries(0))
	jan, mar := mustTime(t, "2026-01-01T00:00:00Z"), mustTime(t, "2026-03-01T00:00:00Z")

	page, err := client.V1.Usage.List(ctx, metronome.V1UsageListParams{StartingOn: jan, EndingBefore: mar, WindowSize: metronome.V1UsageListParamsWindowSizeNone,
		CustomerIDs: []string{u.cust}, BillableMetrics: []metronome.V1UsageListParamsBillableMetric{
			{ID: u.tokens, GroupBy: metronome.V1UsageListParamsBillableMetricGroupBy{Key: "region"}}, {ID: u.peak}}})
	if err != nil {
		t.Fatalf("usage list: %v", err)
	}
	if len(page.Data) != 2 || page.Data[0].Value != 142 || page.Data[0].Groups["eu"] != 130 || page.Data[0].Groups["us"] != 5 ||
		page.Data[1].Value != 9 || page.Data[1].BillableMetricName != "peak" || !page.Data[0].StartTimestamp.Equal(jan) || !page.Data[0].EndTimestamp.Equal(mar) {
		t.Fatalf("usage list: %s", page.RawJSON())
	}

	pager := client.V1.Usage.ListWithGroupsAutoPaging(ctx, metronome.V1UsageListWithGroupsParams{CustomerID: u.cust, BillableMetricID: u.tokens,
		WindowSize: metronome.V1UsageListWithGroupsParamsWindowSizeNone, StartingOn: metronome.Time(jan), EndingBefore: metronome.Time(mar),
		GroupBy: metronome.V1UsageListWithGroupsParamsGroupBy{Key: "region"}, Limit: metronome.Int(1)})
	var rows []string
	for pager.Next() {
		r := pager.Current()
		rows = append(rows, r.GroupKey+":"+r.GroupValue+"="+r.JSON.Value.Raw())
	}
	if err := pager.Err(); err != nil {
		t.Fatalf("usage groups: %v", err)
	}
	if got := strings.Join(rows, " "); got != "region:eu=130 region:us=5 region:=7" {
		t.Fatalf("usage groups, one per page: %s", got)
	}
	current, err := client.V1.Usage.ListWithGroups(ctx, metronome.V1UsageListWithGroupsParams{CustomerID: u.cust, BillableMetricID: u.peak,
		WindowSize: metronome.V1UsageListWithGroupsParamsWindowSizeNone, CurrentPeriod: metronome.Bool(true)})
	if err != nil || len(current.Data) != 1 || current.Data[0].Value != 4 || current.NextPage != "" {
		t.Fatalf("current period: %+v %v", current, err)
	}
	_, err = client.V1.Usage.List(ctx, metronome.V1UsageListParams{StartingOn: jan, EndingBefore: mar, WindowSize: metronome.V1UsageListParamsWindowSizeDay})
	var apiErr *metronome.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.RawJSON(), "window_size: DAY is not supported") {
		t.Fatalf("DAY window: %v", err)
	}

	got, err := client.V2.Contracts.Get(ctx, metronome.V2ContractGetParams{CustomerID: tcust, ContractID: tk})
	if err != nil {
		t.Fatalf("v2 get: %v", err)
	}
	d := got.Data
	st, pb := d.SpendThresholdConfiguration, d.PrepaidBalanceThresholdConfiguration
	if d.ID != tk || d.CustomerID != tcust || d.RateCardID != u.rc || !d.StartingAt.Equal(jan) || d.UsageStatementSchedule.Frequency != "MONTHLY" ||
		!st.IsEnabled || st.ThresholdAmount != 500 || st.PaymentGateConfig.PaymentGateType != "EXTERNAL" || st.Commit.Name != "Threshold charge" ||
		!pb.IsEnabled || pb.ThresholdAmount != 100 || pb.RechargeToAmount != 2000.5 || pb.PaymentGateConfig.PaymentGateType != "NONE" ||
		len(pb.Commit.ApplicableProductTags) != 1 || d.JSON.ExtraFields["initial"].Valid() {
		t.Fatalf("v2 get: %s", got.RawJSON())
	}
	// An edit shows in both versions' reads.
	u.ok("POST", "/v2/contracts/edit", map[string]any{"customer_id": tcust, "contract_id": tk,
		"update_spend_threshold_configuration": map[string]any{"threshold_amount": 800, "is_enabled": false}}, nil)
	list, err := client.V2.Contracts.List(ctx, metronome.V2ContractListParams{CustomerID: tcust, CoveringDate: metronome.Time(jan)})
	if err != nil || len(list.Data) != 1 || list.Data[0].SpendThresholdConfiguration.ThresholdAmount != 800 || list.Data[0].SpendThresholdConfiguration.IsEnabled {
		t.Fatalf("v2 list after edit: %+v %v", list, err)
	}
	v1, err := client.V1.Contracts.Get(ctx, metronome.V1ContractGetParams{CustomerID: tcust, ContractID: tk})
	if err != nil || v1.Data.SpendThresholdConfiguration.ThresholdAmount != 800 || v1.Data.PrepaidBalanceThresholdConfiguration.RechargeToAmount != 2000.5 {
		t.Fatalf("v1 get: %+v %v", v1, err)
	}
	none, err := client.V2.Contracts.List(ctx, metronome.V2ContractListParams{CustomerID: tcust, StartingAt: metronome.Time(mar)})
	if err != nil || len(none.Data) != 0 {
		t.Fatalf("v2 list starting after the contract: %+v %v", none, err)
	}
	if _, err := client.V2.Contracts.Get(ctx, metronome.V2ContractGetParams{CustomerID: tcust, ContractID: tk, AsOfDate: metronome.Time(jan)}); !errors.As(err, &apiErr) ||
		apiErr.StatusCode != 400 || !strings.Contains(apiErr.RawJSON(), "as_of_date: is not supported") {
		t.Fatalf("as_of_date: %v", err)
	}
}

// Every key /v2/contracts/get writes is a field of the SDK's ContractV2
// (or the native prepaid_only): the v1 members initial, current and
// amendments stay out, and a field added to the v1 render shows here.
func TestContractV2KeysAreSDKFields(t *testing.T) {
	u := newUsageEnv(t)
	tcust, tk := u.thresholdContract()
	var out struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	u.ok("POST", "/v2/contracts/get", map[string]any{"customer_id": tcust, "contract_id": tk, "include_balance": true}, &out)
	sdk := map[string]bool{"prepaid_only": true}
	ty := reflect.TypeOf(shared.ContractV2{})
	for i := 0; i < ty.NumField(); i++ {
		name, _, _ := strings.Cut(ty.Field(i).Tag.Get("json"), ",")
		sdk[name] = true
	}
	for key := range out.Data {
		if !sdk[key] {
			t.Errorf("/v2/contracts/get writes %q, not a field of ContractV2", key)
		}
	}
	for _, key := range []string{"id", "customer_id", "commits", "credits", "overrides", "scheduled_charges", "starting_at", "transitions",
		"usage_filter", "usage_statement_schedule", "created_at", "created_by", "rate_card_id", "has_more", "recurring_commits",
		"spend_threshold_configuration", "prepaid_balance_threshold_configuration", "subscriptions", "custom_fields"} {
		if _, ok := out.Data[key]; !ok {
			t.Errorf("/v2/contracts/get lacks %q", key)
		}
	}
}
