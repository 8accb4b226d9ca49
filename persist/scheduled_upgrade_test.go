package persist_test

import (
	"encoding/binary"
	"testing"

	"burndown/engine"
	"burndown/money"
	"burndown/persist"
	"burndown/persist/golden"
)

// createContractVersions lists the create_contract versions a golden log
// holds, reading each entry's command headers as the build wrote them.
func createContractVersions(t *testing.T, entries []golden.LogEntry) map[uint8]bool {
	t.Helper()
	out := map[uint8]bool{}
	for _, le := range entries {
		b := le.Data[1+8:]
		n, w := binary.Uvarint(b)
		b = b[w:]
		for ; n > 0; n-- {
			kind, version := engine.Kind(b[0]), b[1]
			size, w := binary.Uvarint(b[2:])
			b = b[2+w+int(size):]
			if kind == engine.KindCreateContract {
				out[version] = true
			}
		}
	}
	return out
}

// separateInScheduledSteps are the contracts golden.ScheduledSteps (the
// end of the v0.5.0 set, written by this change) creates with separate
// SCHEDULED invoices.
func separateInScheduledSteps() map[string]bool {
	out := map[string]bool{}
	for _, st := range golden.ScheduledSteps() {
		for _, c := range st.Commands {
			if cc, ok := c.(*engine.CreateContract); ok && cc.SeparateScheduledInvoices {
				out[cc.ID] = true
			}
		}
	}
	return out
}

// Contracts created by the commands earlier builds wrote keep their
// scheduled charges on the usage invoices of their periods: every golden
// set still replays to the state (invoices included) its build reached,
// none of its create_contract commands decodes to separate SCHEDULED
// invoices (but the v0.5.0 set's last steps, golden.ScheduledSteps), and a contract with a scheduled charge written at each
// create_contract version the set holds, applied after the set, bills the
// charge as a line of its usage invoice, as that build did.
func TestGoldenContractsKeepScheduledChargesOnUsageInvoices(t *testing.T) {
	for _, gb := range goldenBuilds {
		t.Run(gb.name, func(t *testing.T) {
			codec, entries := goldenLog(t, gb.name)
			for _, le := range entries {
				_, cmds, err := codec.DecodeEntry(le.Data)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cmds {
					cc, ok := c.(*engine.CreateContract)
					if ok && cc.SeparateScheduledInvoices != (gb.name == "v0.5.0" && separateInScheduledSteps()[cc.ID]) {
						t.Fatalf("entry %d: contract %s decodes to separate SCHEDULED invoices %v", le.Index, cc.ID, cc.SeparateScheduledInvoices)
					}
				}
			}
			e := engine.New(engine.Config{Shards: 4})
			defer e.Close()
			if err := golden.Replay(e, codec, entries, 0); err != nil {
				t.Fatal(err)
			}
			if got, want := summarize(t, e), wantSummary(t, gb.name); got != want {
				t.Fatalf("state after replaying the %s log differs from the one it wrote", gb.name)
			}
			versions := createContractVersions(t, entries)
			if len(versions) == 0 {
				t.Fatal("the log holds no create_contract")
			}
			index := entries[len(entries)-1].Index
			for v := range versions {
				index++
				billsOnUsageInvoice(t, e, v, index)
			}
		})
	}
}

// billsOnUsageInvoice writes a customer and its contract with a scheduled
// charge of 10000 at create_contract version v, as a build writing v wrote
// it (the command without the field: omitted when false), applies it, and
// checks the charge is a line of the usage invoice of its period.
func billsOnUsageInvoice(t *testing.T, e *engine.Engine, v uint8, index uint64) {
	t.Helper()
	id := "cu-sched-" + string('0'+rune(v))
	fee := money.MustParse("10000")
	at := e.Now()
	cc := &engine.CreateContract{ID: "k-" + id, CustomerID: id, RateCardID: "rc", StartingAt: golden.TS("2026-03-01T00:00:00Z"),
		ScheduledCharges: []engine.ScheduledChargeInput{{ID: "fee-" + id, ProductID: "p-buy",
			Items: []engine.ChargeItemInput{{Timestamp: golden.TS("2026-03-15T00:00:00Z"), Amount: &fee}}}}}
	marshal := persist.Marshal
	if v < 5 {
		marshal = persist.MarshalDecimalAmounts
	}
	body, err := marshal(cc)
	if err != nil {
		t.Fatal(err)
	}
	cust, err := persist.Marshal(&engine.CreateCustomer{ID: id, Name: id})
	if err != nil {
		t.Fatal(err)
	}
	res := applyEncoded(t, e, index, at, persist.Encoded{Kind: engine.KindCreateCustomer, Version: 1, Body: cust},
		persist.Encoded{Kind: engine.KindCreateContract, Version: v, Body: body})
	if len(res) != 2 || res[1].Err != nil {
		t.Fatalf("version %d: %+v", v, res)
	}
	rd, ok, err := e.ReadCustomer(t.Context(), id)
	if err != nil || !ok || len(rd.Customer.Contracts) != 1 {
		t.Fatalf("version %d: customer %v %v", v, ok, err)
	}
	k := rd.Customer.Contracts[0]
	if k.SeparateScheduledInvoices || len(k.Invoices) != 1 {
		t.Fatalf("version %d: separate %v, %d invoices, want the one usage invoice", v, k.SeparateScheduledInvoices, len(k.Invoices))
	}
	inv := k.Invoices[0]
	if inv.Type() != engine.InvoiceTypeUsage || inv.End != golden.TS("2026-04-01T00:00:00Z") || len(inv.Lines) != 1 ||
		inv.Lines[0].Type != engine.LineScheduled || !inv.Total.Equal(fee) {
		t.Fatalf("version %d: invoice %s %d..%d total %s with %d lines", v, inv.Type(), inv.Start, inv.End, inv.Total, len(inv.Lines))
	}
}
