package effects

import (
	"encoding/json"
	"testing"

	"burndown/engine"
)

// The payload decoder refuses what the requests cannot be built from.
func TestDecodeStripeInvoice(t *testing.T) {
	good := engine.StripeInvoice{CustomerID: "c", ContractID: "k", InvoiceID: "i", StripeCustomerID: "cus_1", Currency: "usd", Total: "3.5", TotalCents: 4,
		Lines: []engine.StripeInvoiceLine{{Description: "API", Amount: "3.5", AmountCents: 4}}}
	enc := func(p engine.StripeInvoice) []byte {
		b, _ := json.Marshal(map[string]any{"id": "n", "type": engine.NoteStripeInvoice, "properties": p})
		return b
	}
	if _, err := decodeStripeInvoice(enc(good)); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*engine.StripeInvoice){
		"no stripe customer": func(p *engine.StripeInvoice) { p.StripeCustomerID = "" },
		"no currency":        func(p *engine.StripeInvoice) { p.Currency = "" },
		"no lines":           func(p *engine.StripeInvoice) { p.Lines = nil },
		"lines off total":    func(p *engine.StripeInvoice) { p.TotalCents = 5 },
		"no description":     func(p *engine.StripeInvoice) { p.Lines = []engine.StripeInvoiceLine{{AmountCents: 4}} },
		"huge line": func(p *engine.StripeInvoice) {
			p.Lines = []engine.StripeInvoiceLine{{Description: "a", AmountCents: 1 << 62}, {Description: "b", AmountCents: -(1 << 62) + 4}}
		},
	} {
		p := good
		p.Lines = append([]engine.StripeInvoiceLine(nil), good.Lines...)
		mutate(&p)
		if _, err := decodeStripeInvoice(enc(p)); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if _, err := decodeStripeInvoice([]byte(`{"properties":{"lines":"x"}}`)); err == nil {
		t.Error("a malformed payload decoded")
	}
}

// FuzzDecodeStripeInvoice: whatever the payload, the decoder answers
// without panicking, and what it accepts adds up.
func FuzzDecodeStripeInvoice(f *testing.F) {
	f.Add([]byte(`{"properties":{"customer_id":"c","invoice_id":"i","stripe_customer_id":"cus","currency":"usd","total_cents":4,"lines":[{"description":"a","amount_cents":4}]}}`))
	f.Add([]byte(`{"properties":{"lines":[{"amount_cents":9223372036854775807},{"amount_cents":1}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeStripeInvoice(b)
		if err != nil {
			return
		}
		var sum int64
		for _, l := range p.Lines {
			sum += l.AmountCents
		}
		if sum != p.TotalCents || len(p.Lines) == 0 {
			t.Fatalf("accepted %+v", p)
		}
	})
}
