package persist_test

import (
	"testing"

	"burndown/engine"
	"burndown/money"
	"burndown/persist"
	"burndown/persist/golden"
)

// Formats are forever: the STRIPE gates of every golden set (commits on a
// create and an edit, both threshold configurations) were charged as
// PaymentIntents by the builds that wrote them, and still are. No command
// of any set decodes to a stripe_config (but v0.5.0's one written with it,
// golden.StripeInvoiceSteps, whose workflow is paid by invoice), the set
// replays to the state it wrote, every other STRIPE workflow it holds has
// none (a PaymentIntent), and
// a STRIPE commit written at each create_contract and edit_contract
// version the set holds, applied after the set, gets a workflow without
// one: its stripe_charge asks for a PaymentIntent, as that build charged.
func TestGoldenStripeGatesKeepPaymentIntents(t *testing.T) {
	for _, gb := range goldenBuilds {
		t.Run(gb.name, func(t *testing.T) {
			codec, entries := goldenLog(t, gb.name)
			configured := 0
			for _, le := range entries {
				_, cmds, err := codec.DecodeEntry(le.Data)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cmds {
					cc, isCreate := c.(*engine.CreateContract)
					ec, isEdit := c.(*engine.EditContract)
					if (isCreate && cc.UsesStripeConfig()) || (isEdit && ec.UsesStripeConfig()) {
						if gb.name != "v0.5.0" {
							t.Fatalf("entry %d: %T decodes to a stripe_config", le.Index, c)
						}
						configured++ // golden.StripeInvoiceSteps, written with one
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
			stripeWorkflows, byInvoice := 0, 0
			ids, _ := e.CustomerIDs(0, 1<<30)
			for _, id := range ids {
				rd, _, _ := e.ReadCustomer(t.Context(), id)
				for _, k := range rd.Customer.Contracts {
					for _, wf := range k.Workflows() {
						if wf.GateType == engine.GateStripe {
							if wf.CommitID == invoicedPack {
								byInvoice++
								if !wf.Stripe.PaysByInvoice() || wf.StripeInvoiceID != "in_golden_pack" {
									t.Fatalf("workflow %s of the invoiced pack: %+v, invoice %q", wf.ID, wf.Stripe, wf.StripeInvoiceID)
								}
								continue
							}
							stripeWorkflows++
							if wf.Stripe != nil || wf.StripeInvoiceID != "" {
								t.Fatalf("workflow %s: stripe_config %+v", wf.ID, wf.Stripe)
							}
						}
					}
					for _, cfg := range []*engine.StripeGateConfig{stripeOf(k.Recharge()), stripeOfSpend(k.SpendThreshold())} {
						if cfg != nil {
							t.Fatalf("contract %s: threshold stripe_config %+v", k.ID, cfg)
						}
					}
				}
			}
			if wantInvoiced := map[bool]int{true: 1}[gb.name == "v0.5.0"]; configured != wantInvoiced || byInvoice != wantInvoiced {
				t.Fatalf("%d entries with a stripe_config, %d workflows paid by invoice; want %d", configured, byInvoice, wantInvoiced)
			}
			t.Logf("%d STRIPE workflows", stripeWorkflows)
			index := entries[len(entries)-1].Index
			for kind, versions := range commandVersions(entries, engine.KindCreateContract, engine.KindEditContract) {
				for v := range versions {
					if kind == engine.KindCreateContract && v < 4 {
						continue // refuses STRIPE gates, as its builds did (foundation_test.go)
					}
					index++
					chargesPaymentIntent(t, e, kind, v, index)
				}
			}
		})
	}
}

// invoicedPack is the commit golden.StripeInvoiceSteps buys through a
// Stripe invoice (v0.5.0's set only).
const invoicedPack = "cm-s3"

func stripeOf(r *engine.RechargeConfig) *engine.StripeGateConfig {
	if r == nil {
		return nil
	}
	return r.Stripe
}

func stripeOfSpend(s *engine.SpendThresholdConfig) *engine.StripeGateConfig {
	if s == nil {
		return nil
	}
	return s.Stripe
}

// commandVersions lists the versions of each kind a golden log holds.
func commandVersions(entries []golden.LogEntry, kinds ...engine.Kind) map[engine.Kind]map[uint8]bool {
	out := map[engine.Kind]map[uint8]bool{}
	for _, k := range kinds {
		out[k] = map[uint8]bool{}
	}
	for _, le := range entries {
		cmds, err := persist.EntryCommands(le.Data)
		if err != nil {
			continue
		}
		for _, c := range cmds {
			if m := out[c.Kind]; m != nil {
				m[c.Version] = true
			}
		}
	}
	return out
}

// chargesPaymentIntent writes, as a build writing version v of the kind
// wrote it, a Stripe customer and a STRIPE-gated commit (on a create, or
// on an edit of a contract created with it), applies it and checks the
// gate's workflow is charged as a PaymentIntent (no stripe_config).
func chargesPaymentIntent(t *testing.T, e *engine.Engine, kind engine.Kind, v uint8, index uint64) {
	t.Helper()
	id := "cu-pi-" + string('0'+rune(kind)) + string('0'+rune(v))
	at := e.Now()
	gate := &engine.PaymentGateInput{Type: engine.GateStripe}
	commit := engine.CommitInput{Type: engine.CommitPrepaid, ProductID: "p-buy", PaymentGate: gate,
		AccessSchedule: []engine.ScheduleItem{{Amount: money.MustParse("100"), StartingAt: golden.TS("2026-03-01T00:00:00Z"), EndingBefore: golden.TS("2027-03-01T00:00:00Z")}}}
	cc := &engine.CreateContract{ID: "k-" + id, CustomerID: id, RateCardID: "rc", StartingAt: golden.TS("2026-03-01T00:00:00Z")}
	var cmd engine.Command = cc
	if kind == engine.KindCreateContract {
		cc.Commits = []engine.CommitInput{commit}
	} else {
		cmd = &engine.EditContract{CustomerID: id, ContractID: cc.ID, AddCommits: []engine.CommitInput{commit}}
	}
	marshal := func(c engine.Command) []byte {
		m := persist.Marshal
		if (c.Kind() == engine.KindCreateContract && v < 5) || (c.Kind() == engine.KindEditContract && v < 4) {
			m = persist.MarshalDecimalAmounts
		}
		b, err := m(c)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cust, _ := persist.Marshal(&engine.CreateCustomer{ID: id, Name: id,
		BillingProviders: []engine.BillingProviderConfig{{BillingProvider: "stripe", Configuration: map[string]string{"stripe_customer_id": "cus_" + id}}}})
	encs := []persist.Encoded{{Kind: engine.KindCreateCustomer, Version: 1, Body: cust}}
	if cmd != engine.Command(cc) {
		createV := uint8(5) // the contract the edit adds to
		body, _ := persist.Marshal(cc)
		encs = append(encs, persist.Encoded{Kind: engine.KindCreateContract, Version: createV, Body: body})
	}
	encs = append(encs, persist.Encoded{Kind: kind, Version: v, Body: marshal(cmd)})
	res := applyEncoded(t, e, index, at, encs...)
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("kind %d version %d: command %d: %s", kind, v, i, r.Err.Message)
		}
	}
	rd, ok, err := e.ReadCustomer(t.Context(), id)
	if err != nil || !ok || len(rd.Customer.Contracts) != 1 {
		t.Fatalf("kind %d version %d: customer %v %v", kind, v, ok, err)
	}
	wfs := rd.Customer.Contracts[0].Workflows()
	if len(wfs) != 1 || wfs[0].GateType != engine.GateStripe || wfs[0].Stripe != nil || wfs[0].Stripe.PaysByInvoice() {
		t.Fatalf("kind %d version %d: workflows %+v", kind, v, wfs)
	}
}
