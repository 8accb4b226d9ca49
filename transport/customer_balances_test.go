package transport

import (
	"fmt"
	"strings"
	"testing"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
)

// Customer-level commits and credits through the official SDK: a commit
// both contracts' usage draws (priority 1, before their own credits), a
// credit for the add-on only; the entitlement check counts them where they
// apply; the lists show them without contract (customerBalances/list
// too), with balances and ledgers; updateEndDate shortens the commit and
// refuses an end before now; a commit bought on the platform's invoices
// (invoice_contract_id) bills its items there, invoices_ending_before
// takes the later one off; POSTPAID, an invoice schedule without its
// contract and specifiers are refused by name.
func TestCustomerBalancesThroughTheSDK(t *testing.T) {
	f := newSDKFixture(t, 2)
	e := f.e
	gpu, addonCard := f.gpuAddonCard()
	credit := []metronome.V1ContractNewParamsCredit{{ProductID: f.fixed, AccessSchedule: metronome.V1ContractNewParamsCreditAccessSchedule{
		ScheduleItems: []metronome.V1ContractNewParamsCreditAccessScheduleScheduleItem{{Amount: 100, StartingAt: f.at("2026-01-01T00:00:00Z"), EndingBefore: f.at("2027-01-01T00:00:00Z")}}}}}
	platform, err := f.client.V1.Contracts.New(f.ctx, metronome.V1ContractNewParams{CustomerID: f.custID, RateCardID: metronome.String(f.rc),
		StartingAt: f.at("2026-01-01T00:00:00Z"), Credits: credit})
	if err != nil {
		t.Fatal(err)
	}
	addon, err := f.client.V1.Contracts.New(f.ctx, metronome.V1ContractNewParams{CustomerID: f.custID, RateCardID: metronome.String(addonCard),
		StartingAt: f.at("2026-01-01T00:00:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	commit, err := f.client.V1.Customers.Commits.New(f.ctx, metronome.V1CustomerCommitNewParams{CustomerID: f.custID, ProductID: f.fixed, Priority: 1,
		Type: metronome.V1CustomerCommitNewParamsTypePrepaid, Name: metronome.String("Shared"), UniquenessKey: metronome.String("shared-1"),
		AccessSchedule: metronome.V1CustomerCommitNewParamsAccessSchedule{ScheduleItems: []metronome.V1CustomerCommitNewParamsAccessScheduleScheduleItem{
			{Amount: 30, StartingAt: f.at("2026-01-01T00:00:00Z"), EndingBefore: f.at("2026-07-01T00:00:00Z")}}}})
	if err != nil {
		t.Fatal(err)
	}
	addonCredit, err := f.client.V1.Customers.Credits.New(f.ctx, metronome.V1CustomerCreditNewParams{CustomerID: f.custID, ProductID: f.fixed, Priority: 2,
		ApplicableContractIDs: []string{addon.Data.ID},
		AccessSchedule: metronome.V1CustomerCreditNewParamsAccessSchedule{ScheduleItems: []metronome.V1CustomerCreditNewParamsAccessScheduleScheduleItem{
			{Amount: 40, StartingAt: f.at("2026-01-01T00:00:00Z"), EndingBefore: f.at("2026-07-01T00:00:00Z")}}}})
	if err != nil {
		t.Fatal(err)
	}
	e.waitCheck(f.custID, f.api, "130") // the platform's 100 and the shared 30
	e.waitCheck(f.custID, gpu, "70")    // the shared 30 and the add-on's 40

	e.setClock(e.at("2026-01-02T00:00:00Z"))
	var events []any
	for i := 0; i < 10; i++ { // platform: 20
		events = append(events, map[string]any{"transaction_id": fmt.Sprintf("a-%d", i), "customer_id": "acme", "event_type": "api_call", "timestamp": e.at("2026-01-02T00:00:00Z")})
	}
	for i := 0; i < 4; i++ { // add-on: 20
		events = append(events, map[string]any{"transaction_id": fmt.Sprintf("g-%d", i), "customer_id": "acme", "event_type": "gpu_job", "timestamp": e.at("2026-01-02T00:00:00Z")})
	}
	e.ok("POST", "/v1/ingest", events, nil)
	// The shared commit pays 20 for the calls and its last 10 for the GPU
	// jobs, the add-on's credit the other 10; the platform's credit is
	// untouched.
	e.waitCheck(f.custID, f.api, "100")
	e.waitCheck(f.custID, gpu, "30")

	commits, err := f.client.V1.Customers.Commits.List(f.ctx, metronome.V1CustomerCommitListParams{CustomerID: f.custID,
		IncludeBalance: metronome.Bool(true), IncludeLedgers: metronome.Bool(true)})
	if err != nil || len(commits.Data) != 1 {
		t.Fatalf("commits: %+v %v", commits, err)
	}
	c := commits.Data[0]
	if c.ID != commit.Data.ID || c.Balance != 0 || c.Name != "Shared" || c.Priority != 1 || c.Contract.ID != "" || c.UniquenessKey != "shared-1" || len(c.Ledger) != 3 {
		t.Fatalf("the shared commit: %+v", c)
	}
	if c.Ledger[1].Type != "PREPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION" || c.Ledger[1].Amount+c.Ledger[2].Amount != -30 {
		t.Fatalf("the shared commit's ledger: %+v", c.Ledger)
	}
	credits, err := f.client.V1.Customers.Credits.List(f.ctx, metronome.V1CustomerCreditListParams{CustomerID: f.custID, IncludeBalance: metronome.Bool(true)})
	if err != nil || len(credits.Data) != 1 || credits.Data[0].ID != addonCredit.Data.ID || credits.Data[0].Balance != 30 ||
		strings.Join(credits.Data[0].ApplicableContractIDs, ",") != addon.Data.ID {
		t.Fatalf("credits: %+v %v", credits, err)
	}
	withContracts, err := f.client.V1.Customers.Credits.List(f.ctx, metronome.V1CustomerCreditListParams{CustomerID: f.custID, IncludeContractCredits: metronome.Bool(true)})
	if err != nil || len(withContracts.Data) != 2 || withContracts.Data[1].Contract.ID != platform.Data.ID {
		t.Fatalf("credits with the contracts': %+v %v", withContracts, err)
	}
	var all struct {
		Data []struct {
			ID       string               `json:"id"`
			Contract *struct{ ID string } `json:"contract"`
		} `json:"data"`
	}
	e.ok("POST", "/v1/contracts/customerBalances/list", map[string]any{"customer_id": f.custID}, &all)
	if len(all.Data) != 2 || all.Data[0].Contract != nil || all.Data[1].ID != addonCredit.Data.ID {
		t.Fatalf("customerBalances/list: %+v", all.Data)
	}

	if _, err := f.client.V1.Customers.Commits.UpdateEndDate(f.ctx, metronome.V1CustomerCommitUpdateEndDateParams{CustomerID: f.custID, CommitID: commit.Data.ID,
		AccessEndingBefore: metronome.Time(f.at("2026-03-01T00:00:00Z"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.V1.Customers.Credits.UpdateEndDate(f.ctx, metronome.V1CustomerCreditUpdateEndDateParams{CustomerID: f.custID, CreditID: addonCredit.Data.ID,
		AccessEndingBefore: f.at("2026-09-01T00:00:00Z")}); err != nil {
		t.Fatal(err)
	}
	got, err := f.client.V1.Customers.Commits.List(f.ctx, metronome.V1CustomerCommitListParams{CustomerID: f.custID, CommitID: metronome.String(commit.Data.ID)})
	if err != nil || len(got.Data) != 1 || !got.Data[0].AccessSchedule.ScheduleItems[0].EndingBefore.Equal(f.at("2026-03-01T00:00:00Z")) {
		t.Fatalf("the shortened commit: %+v %v", got, err)
	}
	e.refused("/v1/contracts/customerCredits/updateEndDate", fmt.Sprintf(`{"customer_id":%q,"credit_id":%q,"access_ending_before":%q}`,
		f.custID, addonCredit.Data.ID, e.at("2026-01-01T12:00:00Z")),
		"access_ending_before: must be after now (2026-01-02T00:00:00Z): an end in the past would move usage already rated")
	item := fmt.Sprintf(`"access_schedule":{"schedule_items":[{"amount":5,"starting_at":%q,"ending_before":%q}]}`, e.at("2026-01-01T00:00:00Z"), e.at("2026-02-01T00:00:00Z"))
	e.refused("/v1/contracts/customerCommits/create", fmt.Sprintf(`{"customer_id":%q,"product_id":%q,"priority":1,"type":"POSTPAID",%s}`, f.custID, f.fixed, item),
		"type: POSTPAID customer-level commits are not supported by this server (their true-up would span contracts); use PREPAID")
	e.refused("/v1/contracts/customerCommits/create", fmt.Sprintf(`{"customer_id":%q,"product_id":%q,"priority":1,"type":"PREPAID",%s,"invoice_schedule":{"schedule_items":[{"timestamp":%q,"amount":5}]}}`,
		f.custID, f.fixed, item, e.at("2026-01-20T00:00:00Z")),
		"invoice_contract_id: is required with an invoice_schedule (the contract whose invoices bill it)")
	ids := `"k"` + strings.Repeat(`,"k"`, 1000)
	e.refused("/v1/contracts/customerCredits/create", fmt.Sprintf(`{"customer_id":%q,"product_id":%q,"priority":1,%s,"applicable_contract_ids":[%s]}`, f.custID, f.fixed, item, ids),
		"applicable_contract_ids: at most 1000 items are allowed")
	e.refused("/v1/contracts/customerCommits/create", fmt.Sprintf(`{"customer_id":%q,"product_id":%q,"priority":1,"type":"PREPAID",%s,"specifiers":[{"product_id":%q}]}`,
		f.custID, f.fixed, item, f.api), "specifiers: is not supported by this server yet")

	// Bought on the platform's invoices: January's item is billed there,
	// February's taken off by invoices_ending_before.
	bought, err := f.client.V1.Customers.Commits.New(f.ctx, metronome.V1CustomerCommitNewParams{CustomerID: f.custID, ProductID: f.fixed, Priority: 3,
		Type: metronome.V1CustomerCommitNewParamsTypePrepaid, InvoiceContractID: metronome.String(platform.Data.ID),
		AccessSchedule: metronome.V1CustomerCommitNewParamsAccessSchedule{ScheduleItems: []metronome.V1CustomerCommitNewParamsAccessScheduleScheduleItem{
			{Amount: 70, StartingAt: f.at("2026-01-01T00:00:00Z"), EndingBefore: f.at("2026-07-01T00:00:00Z")}}},
		InvoiceSchedule: metronome.V1CustomerCommitNewParamsInvoiceSchedule{ScheduleItems: []metronome.V1CustomerCommitNewParamsInvoiceScheduleScheduleItem{
			{Timestamp: f.at("2026-01-20T00:00:00Z"), Amount: metronome.Float(50)}, {Timestamp: f.at("2026-02-20T00:00:00Z"), Amount: metronome.Float(20)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.V1.Customers.Commits.UpdateEndDate(f.ctx, metronome.V1CustomerCommitUpdateEndDateParams{CustomerID: f.custID, CommitID: bought.Data.ID,
		InvoicesEndingBefore: metronome.Time(f.at("2026-02-01T00:00:00Z"))}); err != nil {
		t.Fatal(err)
	}
	listed, err := f.client.V1.Customers.Commits.List(f.ctx, metronome.V1CustomerCommitListParams{CustomerID: f.custID, CommitID: metronome.String(bought.Data.ID)})
	if err != nil || len(listed.Data) != 1 || listed.Data[0].InvoiceContract.ID != platform.Data.ID || len(listed.Data[0].InvoiceSchedule.ScheduleItems) != 1 {
		t.Fatalf("the bought commit: %+v %v", listed, err)
	}
	var invoices struct {
		Data []struct {
			ContractID string  `json:"contract_id"`
			Total      float64 `json:"total"`
			LineItems  []struct {
				Type     string  `json:"type"`
				Total    float64 `json:"total"`
				CommitID string  `json:"commit_id"`
				Name     string  `json:"name"`
			} `json:"line_items"`
		} `json:"data"`
	}
	e.ok("GET", "/v1/customers/"+f.custID+"/invoices?contract_id="+platform.Data.ID, nil, &invoices)
	purchases, applied := 0.0, ""
	for _, inv := range invoices.Data {
		for _, l := range inv.LineItems {
			if l.CommitID == bought.Data.ID {
				purchases += l.Total
			}
			if l.CommitID == commit.Data.ID {
				applied = l.Name
			}
		}
	}
	if purchases != 50 || applied != "Shared" {
		t.Fatalf("the platform's invoices bill %v of the bought commit (want 50) and name the shared commit's draw %q: %+v", purchases, applied, invoices.Data)
	}
	st, out := e.do("POST", "/v1/contracts/customerCommits/create", fmt.Sprintf(`{"customer_id":%q,"product_id":%q,"priority":1,"type":"PREPAID","uniqueness_key":"shared-1",%s}`, f.custID, f.fixed, item))
	if st != 409 || !strings.Contains(string(out), "uniqueness_key: shared-1 was already used by "+commit.Data.ID) {
		t.Fatalf("a reused uniqueness_key: %d %s", st, out)
	}
}
