package transport

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/option"
)

// The official SDK edits a prepaid-only customer's credit of 100 after 30
// calls at 1 drew 30: EditCredit raises it to 150 (120 left, the ledger's
// CREDIT_SEGMENT_START says 150), refuses 20 (below the 30 drawn);
// Contracts.Edit renames the contract and lowers the credit to 30 through
// update_credits (0 left: not entitled, and the low-credit alert at 10
// fires); a raise is then refused (used up), a segment of 40 added from now
// brings entitlement back and is removed again, the drawn segment is not
// removed. EditCommit ends a commit of 50 early and what is left expires
// there. Fields that would re-rate usage are refused by name.
func TestSDKBalanceEdits(t *testing.T) {
	f := newSDKFixture(t, 1)
	e, ctx, client, at, api, fixed, rc, id := f.e, f.ctx, f.client, f.at, f.api, f.fixed, f.rc, f.custID
	other := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Other", "type": "USAGE", "billable_metric_id": f.metric})
	k, err := client.V1.Contracts.New(ctx, metronome.V1ContractNewParams{CustomerID: id, RateCardID: metronome.String(rc), StartingAt: at("2026-01-01T00:00:00Z"),
		Name: metronome.String("Platform"),
		Credits: []metronome.V1ContractNewParamsCredit{{ProductID: fixed, Name: metronome.String("Promo"),
			AccessSchedule: metronome.V1ContractNewParamsCreditAccessSchedule{ScheduleItems: []metronome.V1ContractNewParamsCreditAccessScheduleScheduleItem{{
				Amount: 100, StartingAt: at("2026-01-01T00:00:00Z"), EndingBefore: at("2026-02-01T00:00:00Z")}}}}},
		// A commit for another product: usage of API never draws it.
		Commits: []metronome.V1ContractNewParamsCommit{{ProductID: fixed, Type: "PREPAID", ApplicableProductIDs: []string{other},
			AccessSchedule: metronome.V1ContractNewParamsCommitAccessSchedule{ScheduleItems: []metronome.V1ContractNewParamsCommitAccessScheduleScheduleItem{{
				Amount: 50, StartingAt: at("2026-01-01T00:00:00Z"), EndingBefore: at("2026-03-01T00:00:00Z")}}}}}},
		option.WithJSONSet("prepaid_only", true))
	if err != nil {
		t.Fatal(err)
	}
	alert := e.create("/v1/alerts/create", map[string]any{"alert_type": "low_remaining_contract_credit_balance_reached", "name": "low", "threshold": 10, "customer_id": id})
	e.setClock(e.at("2026-01-02T00:00:00Z"))
	e.ingestAt("acme", "a", 30, "2026-01-02T00:00:00Z")

	// The credit's and commit's ids, segments, balances and ledgers.
	type item struct {
		id, segment string
		balance     float64
		ledger      []string
	}
	read := func() (credit, commit item) {
		t.Helper()
		page, err := client.V1.Contracts.ListBalances(ctx, metronome.V1ContractListBalancesParams{CustomerID: id,
			IncludeContractBalances: metronome.Bool(true), IncludeBalance: metronome.Bool(true), IncludeLedgers: metronome.Bool(true)})
		if err != nil || len(page.Data) != 2 {
			t.Fatalf("balances: %+v %v", page, err)
		}
		for _, d := range page.Data {
			it := item{id: d.ID, segment: d.AccessSchedule.ScheduleItems[0].ID, balance: d.Balance}
			if d.Type == "CREDIT" {
				for _, l := range d.Ledger.OfCreditLedgerArray {
					it.ledger = append(it.ledger, fmt.Sprintf("%s %g", l.Type, l.Amount))
				}
				credit = it
				continue
			}
			for _, l := range d.Ledger.OfCommitLedgerArray {
				it.ledger = append(it.ledger, fmt.Sprintf("%s %g %s", l.Type, l.Amount, l.Timestamp.UTC().Format(time.RFC3339)))
			}
			commit = it
		}
		return credit, commit
	}
	credit, commit := read()
	if credit.balance != 70 || commit.balance != 50 {
		t.Fatalf("before: credit %g commit %g", credit.balance, commit.balance)
	}
	editCredit := func(u metronome.V2ContractEditCreditParamsAccessSchedule) error {
		res, err := client.V2.Contracts.EditCredit(ctx, metronome.V2ContractEditCreditParams{CustomerID: id, CreditID: credit.id, AccessSchedule: u})
		if err == nil && res.Data.ID != credit.id {
			t.Fatalf("EditCredit answered id %s, want the credit's %s", res.Data.ID, credit.id)
		}
		return err
	}
	amount := func(v float64) metronome.V2ContractEditCreditParamsAccessSchedule {
		return metronome.V2ContractEditCreditParamsAccessSchedule{UpdateScheduleItems: []metronome.V2ContractEditCreditParamsAccessScheduleUpdateScheduleItem{{
			ID: credit.segment, Amount: metronome.Float(v)}}}
	}
	if err := editCredit(amount(150)); err != nil {
		t.Fatal(err)
	}
	if c, _ := read(); c.balance != 120 || fmt.Sprint(c.ledger) != "[CREDIT_SEGMENT_START 150 CREDIT_AUTOMATED_INVOICE_DEDUCTION -30]" {
		t.Fatalf("after raising to 150: %g %v", c.balance, c.ledger)
	}
	if st, msg := sdkStatus(editCredit(amount(20))); st != 400 || !strings.Contains(msg, "access_schedule.update_schedule_items[0].amount: usage has drawn 30") {
		t.Fatalf("below what was drawn: %d %s", st, msg)
	}

	// The contract edit: a new name, and the credit lowered to what was drawn.
	_, err = client.V2.Contracts.Edit(ctx, metronome.V2ContractEditParams{CustomerID: id, ContractID: k.Data.ID, UpdateContractName: metronome.String("Platform 2026"),
		UpdateCredits: []metronome.V2ContractEditParamsUpdateCredit{{CreditID: credit.id, AccessSchedule: metronome.V2ContractEditParamsUpdateCreditAccessSchedule{
			UpdateScheduleItems: []metronome.V2ContractEditParamsUpdateCreditAccessScheduleUpdateScheduleItem{{ID: credit.segment, Amount: metronome.Float(30)}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.V2.Contracts.Get(ctx, metronome.V2ContractGetParams{CustomerID: id, ContractID: k.Data.ID})
	if err != nil || got.Data.Name != "Platform 2026" {
		t.Fatalf("contract after the rename: %v %+v", err, got)
	}
	if c, _ := read(); c.balance != 0 || e.check(id, api).Entitled {
		t.Fatalf("after lowering to 30: balance %g, entitled %t", c.balance, e.check(id, api).Entitled)
	}
	st, err := client.V1.Customers.Alerts.Get(ctx, metronome.V1CustomerAlertGetParams{CustomerID: id, AlertID: alert})
	if err != nil || st.Data.CustomerStatus != "in_alarm" {
		t.Fatalf("low-credit alert: %v %+v", err, st)
	}
	if st, msg := sdkStatus(editCredit(amount(60))); st != 400 || !strings.Contains(msg, "is used up") {
		t.Fatalf("raise once used up: %d %s", st, msg)
	}

	// A segment from now: 40, entitled again; the drawn segment stays.
	err = editCredit(metronome.V2ContractEditCreditParamsAccessSchedule{AddScheduleItems: []metronome.V2ContractEditCreditParamsAccessScheduleAddScheduleItem{{
		Amount: 40, StartingAt: at("2026-01-02T00:00:00Z"), EndingBefore: at("2026-02-01T00:00:00Z")}}})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := read(); c.balance != 40 || !e.check(id, api).Entitled {
		t.Fatalf("after adding 40: balance %g", c.balance)
	}
	remove := func(seg string) error {
		return editCredit(metronome.V2ContractEditCreditParamsAccessSchedule{RemoveScheduleItems: []metronome.V2ContractEditCreditParamsAccessScheduleRemoveScheduleItem{{ID: seg}}})
	}
	if st, msg := sdkStatus(remove(credit.segment)); st != 400 || !strings.Contains(msg, "a segment drawn from cannot be removed") {
		t.Fatalf("removing a drawn segment: %d %s", st, msg)
	}
	var added string
	{
		page, err := client.V1.Contracts.ListBalances(ctx, metronome.V1ContractListBalancesParams{CustomerID: id, IncludeContractBalances: metronome.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Data {
			if d.ID == credit.id && len(d.AccessSchedule.ScheduleItems) == 2 {
				added = d.AccessSchedule.ScheduleItems[1].ID
			}
		}
	}
	if err := remove(added); err != nil {
		t.Fatalf("removing the added segment %q: %v", added, err)
	}
	if c, _ := read(); c.balance != 0 {
		t.Fatalf("after removing the added segment: %g", c.balance)
	}

	// The commit ends on January 15th: its 50 expire there.
	res, err := client.V2.Contracts.EditCommit(ctx, metronome.V2ContractEditCommitParams{CustomerID: id, CommitID: commit.id,
		AccessSchedule: metronome.V2ContractEditCommitParamsAccessSchedule{UpdateScheduleItems: []metronome.V2ContractEditCommitParamsAccessScheduleUpdateScheduleItem{{
			ID: commit.segment, EndingBefore: metronome.Time(at("2026-01-15T00:00:00Z"))}}}})
	if err != nil || res.Data.ID != commit.id {
		t.Fatalf("EditCommit: %v %+v", err, res)
	}
	e.setClock(e.at("2026-01-15T00:00:00Z"))
	if _, cm := read(); cm.balance != 0 || fmt.Sprint(cm.ledger) != "[PREPAID_COMMIT_SEGMENT_START 50 2026-01-01T00:00:00Z PREPAID_COMMIT_EXPIRATION -50 2026-01-15T00:00:00Z]" {
		t.Fatalf("commit after its new end: %g %v", cm.balance, cm.ledger)
	}

	// Refused by name: what would move usage already rated.
	_, err = client.V2.Contracts.EditCommit(ctx, metronome.V2ContractEditCommitParams{CustomerID: id, CommitID: commit.id, ApplicableProductIDs: []string{api}})
	if st, msg := sdkStatus(err); st != 400 || !strings.Contains(msg, `"applicable_product_ids: is not supported`) {
		t.Fatalf("applicable_product_ids: %d %s", st, msg)
	}
	_, err = client.V2.Contracts.EditCredit(ctx, metronome.V2ContractEditCreditParams{CustomerID: id, CreditID: credit.id, Priority: metronome.Float(1)})
	if st, msg := sdkStatus(err); st != 400 || !strings.Contains(msg, `"priority: is not supported`) {
		t.Fatalf("priority: %d %s", st, msg)
	}
	_, err = client.V2.Contracts.EditCommit(ctx, metronome.V2ContractEditCommitParams{CustomerID: id, CommitID: credit.id})
	if st, msg := sdkStatus(err); st != 404 || !strings.Contains(msg, "commit_id: commit") {
		t.Fatalf("a credit edited as a commit: %d %s", st, msg)
	}
}
