package transport

import (
	"fmt"
	"strings"
	"testing"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
)

// The official SDK voids and regenerates an invoice. January: 30 calls
// at 10, 250 paid by a credit (250 from January to April), 50 billed.
// Voiding it gives the credit its 250 back (CREDIT_CANCELED in the
// ledger); February's 10 calls then draw 100 of it, and regenerating
// January makes a new finalized invoice drawing the 150 left: 300 of
// usage, -150 applied, 150 billed. Refusals name the invoice: a draft, an
// invoice already void or already regenerated, an unknown one (404), a
// field the SDK does not have, and an invoice a contract sends to Stripe
// before its Stripe invoice is recorded (no Stripe client here).
func TestSDKVoidAndRegenerateInvoice(t *testing.T) {
	f := newSDKFixture(t, 10)
	e, ctx, client, at, fixed, rc, id := f.e, f.ctx, f.client, f.at, f.fixed, f.rc, f.custID
	if _, err := client.V1.Contracts.New(ctx, metronome.V1ContractNewParams{CustomerID: id, RateCardID: metronome.String(rc), StartingAt: at("2026-01-01T00:00:00Z"),
		Credits: []metronome.V1ContractNewParamsCredit{{ProductID: fixed, Name: metronome.String("Promo"),
			AccessSchedule: metronome.V1ContractNewParamsCreditAccessSchedule{ScheduleItems: []metronome.V1ContractNewParamsCreditAccessScheduleScheduleItem{{
				Amount: 250, StartingAt: at("2026-01-01T00:00:00Z"), EndingBefore: at("2026-04-01T00:00:00Z")}}}}}}); err != nil {
		t.Fatal(err)
	}
	stripeCust := e.create("/v1/customers", map[string]any{"name": "S", "ingest_aliases": []string{"stripe-co"},
		"billing_config": map[string]any{"billing_provider_type": "stripe", "billing_provider_customer_id": "cus_void"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": stripeCust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"),
		"billing_provider_configuration": map[string]any{"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider"}})
	e.setClock(e.at("2026-01-02T00:00:00Z"))
	e.ingestAt("acme", "jan", 30, "2026-01-02T00:00:00Z")
	e.ingestAt("stripe-co", "jan", 3, "2026-01-02T00:00:00Z")

	invoices := func(customer string) []metronome.Invoice {
		t.Helper()
		page, err := client.V1.Customers.Invoices.List(ctx, metronome.V1CustomerInvoiceListParams{CustomerID: customer})
		if err != nil {
			t.Fatal(err)
		}
		return page.Data
	}
	jan := invoices(id)[0].ID
	if st, msg := sdkStatus(voidErr(client.V1.Invoices.Void(ctx, metronome.V1InvoiceVoidParams{ID: jan}))); st != 400 || !strings.Contains(msg, "id: invoice "+jan+" is a draft") {
		t.Fatalf("void of a draft: %d %s", st, msg)
	}
	e.setClock(e.at("2026-02-05T00:00:00Z"))
	get := func(invoice string) *metronome.Invoice {
		t.Helper()
		r, err := client.V1.Customers.Invoices.Get(ctx, metronome.V1CustomerInvoiceGetParams{CustomerID: id, InvoiceID: invoice})
		if err != nil {
			t.Fatal(err)
		}
		return &r.Data
	}
	if inv := get(jan); inv.Status != "FINALIZED" || inv.Total != 50 {
		t.Fatalf("january: %s %g", inv.Status, inv.Total)
	}
	balance := func() (float64, []string) {
		t.Helper()
		page, err := client.V1.Contracts.ListBalances(ctx, metronome.V1ContractListBalancesParams{CustomerID: id,
			IncludeContractBalances: metronome.Bool(true), IncludeBalance: metronome.Bool(true), IncludeLedgers: metronome.Bool(true)})
		if err != nil || len(page.Data) != 1 {
			t.Fatalf("balances: %+v %v", page, err)
		}
		var ledger []string
		for _, l := range page.Data[0].Ledger.OfCreditLedgerArray {
			ledger = append(ledger, fmt.Sprintf("%s %g", l.Type, l.Amount))
		}
		return page.Data[0].Balance, ledger
	}

	voided, err := client.V1.Invoices.Void(ctx, metronome.V1InvoiceVoidParams{ID: jan})
	if err != nil || voided.Data.ID != jan {
		t.Fatalf("void: %+v %v", voided, err)
	}
	if inv := get(jan); inv.Status != "VOID" || inv.Total != 50 || len(inv.LineItems) != 2 {
		t.Fatalf("voided january: %s %g %d lines (they stay)", inv.Status, inv.Total, len(inv.LineItems))
	}
	b, ledger := balance()
	if want := "[CREDIT_SEGMENT_START 250 CREDIT_AUTOMATED_INVOICE_DEDUCTION -250 CREDIT_CANCELED 250]"; b != 250 || fmt.Sprint(ledger) != want {
		t.Fatalf("after the void: balance %g ledger %v, want 250 and %s", b, ledger, want)
	}
	e.ingestAt("acme", "feb", 10, "2026-02-05T00:00:00Z")
	if b, _ := balance(); b != 150 {
		t.Fatalf("after february: %g, want 150", b)
	}

	regen, err := client.V1.Invoices.Regenerate(ctx, metronome.V1InvoiceRegenerateParams{ID: jan})
	if err != nil || regen.Data.ID == "" || regen.Data.ID == jan {
		t.Fatalf("regenerate: %+v %v", regen, err)
	}
	inv := get(regen.Data.ID)
	var lines []string
	for _, l := range inv.LineItems {
		lines = append(lines, fmt.Sprintf("%s %g", l.Type, l.Total))
	}
	if inv.Status != "FINALIZED" || inv.Total != 150 || fmt.Sprint(lines) != "[usage 300 applied_commit_or_credit -150]" || inv.LineItems[0].Quantity != 30 ||
		!inv.StartTimestamp.Equal(at("2026-01-01T00:00:00Z")) || !inv.EndTimestamp.Equal(at("2026-02-01T00:00:00Z")) {
		t.Fatalf("regenerated: %s %g %v %s-%s", inv.Status, inv.Total, lines, inv.StartTimestamp, inv.EndTimestamp)
	}
	if b, _ := balance(); b != 0 {
		t.Fatalf("after regenerating: %g, want 0", b)
	}
	if n := len(invoices(id)); n != 3 {
		t.Fatalf("%d invoices, want 3 (void, regenerated, february's draft)", n)
	}

	for _, c := range []struct {
		err  error
		st   int
		want string
	}{
		{voidErr(client.V1.Invoices.Void(ctx, metronome.V1InvoiceVoidParams{ID: jan})), 400, "id: invoice " + jan + " is already void"},
		{regenErr(client.V1.Invoices.Regenerate(ctx, metronome.V1InvoiceRegenerateParams{ID: jan})), 409, "id: invoice " + jan + " was already regenerated as " + regen.Data.ID},
		{regenErr(client.V1.Invoices.Regenerate(ctx, metronome.V1InvoiceRegenerateParams{ID: regen.Data.ID})), 400, "is not void"},
		{voidErr(client.V1.Invoices.Void(ctx, metronome.V1InvoiceVoidParams{ID: "nope"})), 404, "id: invoice nope not found"},
		{voidErr(client.V1.Invoices.Void(ctx, metronome.V1InvoiceVoidParams{ID: invoices(stripeCust)[0].ID})), 400, "is being sent to stripe; void it once its external_invoice shows"},
	} {
		if st, msg := sdkStatus(c.err); st != c.st || !strings.Contains(msg, c.want) {
			t.Errorf("got %d %s, want %d %q", st, msg, c.st, c.want)
		}
	}
	if st, body := e.do("POST", "/v1/invoices/void", map[string]any{"id": regen.Data.ID, "reason": "x"}); st != 400 || !strings.Contains(string(body), "reason") {
		t.Fatalf("unknown field: %d %s", st, body)
	}
}

func voidErr(_ *metronome.V1InvoiceVoidResponse, err error) error        { return err }
func regenErr(_ *metronome.V1InvoiceRegenerateResponse, err error) error { return err }
