package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"burndown/money"
)

// multiFixture is a customer with two contracts in force at once: a
// platform contract (calls at 10, prepaid only, a credit of 100) and an
// add-on on another rate card (GPU jobs at 2, calls at 1, a credit of 50)
// whose usage_filter selects the events of team "ml".
type multiFixture struct {
	h                             *harness
	cust, calls, gpu, other       string
	callsMetric, gpuMetric        string
	platform, addon, platformCard string
}

func newMultiFixture(t *testing.T) *multiFixture {
	h := newHarness(t, "2026-03-01T00:00:00Z")
	f := &multiFixture{h: h}
	since := ns(t, "2020-01-01T00:00:00Z")
	mCalls := h.must(&CreateMetric{Name: "calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}, Aggregation: AggCount}).ID
	mGPU := h.must(&CreateMetric{Name: "gpu", EventTypeFilter: &EventTypeFilter{InValues: []string{"gpu"}}, Aggregation: AggCount}).ID
	f.callsMetric, f.gpuMetric = mCalls, mGPU
	f.calls = h.must(&CreateProduct{Name: "Calls", Type: ProductUsage, BillableMetricID: mCalls}).ID
	f.gpu = h.must(&CreateProduct{Name: "GPU", Type: ProductUsage, BillableMetricID: mGPU}).ID
	f.other = h.must(&CreateProduct{Name: "Other", Type: ProductUsage, BillableMetricID: mCalls}).ID
	fixed := h.must(&CreateProduct{Name: "Credit", Type: ProductFixed}).ID
	f.platformCard = h.must(&CreateRateCard{Name: "Platform"}).ID
	addonCard := h.must(&CreateRateCard{Name: "Add-on"}).ID
	h.must(&AddRates{RateCardID: f.platformCard, Rates: []RateInput{{ProductID: f.calls, StartingAt: since, Entitled: true, RateType: RateFlat, Price: dec("10")}}})
	h.must(&AddRates{RateCardID: addonCard, Rates: []RateInput{
		{ProductID: f.gpu, StartingAt: since, Entitled: true, RateType: RateFlat, Price: dec("2")},
		{ProductID: f.calls, StartingAt: since, Entitled: true, RateType: RateFlat, Price: dec("1")}}})
	f.cust = h.must(&CreateCustomer{Name: "Acme", IngestAliases: []string{"acme"}}).ID
	mar, apr := ns(t, "2026-03-01T00:00:00Z"), ns(t, "2026-04-01T00:00:00Z")
	credit := func(id, amount string) []CommitInput {
		return []CommitInput{{ID: id, ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec(amount), StartingAt: mar, EndingBefore: apr}}}}
	}
	f.platform = h.must(&CreateContract{ID: "platform", CustomerID: f.cust, RateCardID: f.platformCard, StartingAt: mar, PrepaidOnly: true, Credits: credit("pc", "100")}).ID
	f.addon = h.must(&CreateContract{ID: "addon", CustomerID: f.cust, RateCardID: addonCard, StartingAt: mar,
		UsageFilter: &UsageFilterInput{GroupKey: "team", GroupValues: []string{"ml"}}, Credits: credit("ac", "50")}).ID
	h.setClock("2026-03-06T00:00:00Z")
	return f
}

// send ingests n events of the type, with team as the team property ("":
// none), at ts.
func (f *multiFixture) send(eventType, team, prefix string, n int, ts string) IngestOutcome {
	in := f.h.events("acme", eventType, prefix, 0, n, ts)
	for i := range in.Events {
		if team != "" {
			in.Events[i].Properties = map[string]string{"team": team}
		}
	}
	return *f.h.must(in).Ingest
}

// contractBalance is the balance of one contract's commits and credits now.
func (f *multiFixture) contractBalance(id string) money.Amount {
	var total money.Amount
	f.h.e.read(context.Background(), f.cust, func(c *Customer, _ *Catalog, now Nanos) {
		for _, cm := range c.Contract(id).Balances {
			total = total.Add(cm.BalanceAt(now))
		}
	})
	return total
}

// usageTotals describes each contract's invoices: "contract: product
// quantity total, ..." per usage line.
func (f *multiFixture) usageTotals() string {
	var out []string
	f.h.e.read(context.Background(), f.cust, func(c *Customer, cat *Catalog, _ Nanos) {
		for _, k := range c.Contracts {
			var ls []string
			for _, inv := range k.Invoices {
				for _, l := range inv.Lines {
					if l.Type == LineUsage {
						ls = append(ls, cat.Products[l.ProductID].Name+" "+l.Quantity.String()+" "+l.Total.String())
					}
				}
			}
			out = append(out, k.ID+": "+strings.Join(ls, ", "))
		}
	})
	return strings.Join(out, "; ")
}

// Each contract rates the usage its usage_filter selects and its rate card
// prices, on its own invoice, burning its own balances: calls without a
// team rate on the platform only, GPU jobs of team ml on the add-on only
// (the platform does not price them), calls of team ml on both.
func TestSeveralContractsRateTheirOwnUsage(t *testing.T) {
	f := newMultiFixture(t)
	at := "2026-03-05T00:00:00Z"
	if r := f.send("call", "", "c", 3, at); r.Accepted != 3 {
		t.Fatalf("calls: %+v", r)
	}
	if r := f.send("gpu", "ml", "g", 2, at); r.Accepted != 2 {
		t.Fatalf("gpu jobs: %+v", r)
	}
	// A GPU job of another team: the add-on does not select it and the
	// platform does not price it; taken on the platform as before, rating
	// nothing.
	if r := f.send("gpu", "web", "w", 1, at); r.Accepted != 1 {
		t.Fatalf("gpu job of team web: %+v", r)
	}
	if r := f.send("call", "ml", "m", 1, at); r.Accepted != 1 {
		t.Fatalf("call of team ml: %+v", r)
	}
	// A resent event is a duplicate once, however many contracts rated it.
	if r := f.send("call", "ml", "m", 1, at); r.Duplicates != 1 || r.Accepted != 0 {
		t.Fatalf("resent call of team ml: %+v", r)
	}
	want := "platform: Calls 4 40; addon: GPU 2 4, Calls 1 1"
	if got := f.usageTotals(); got != want {
		t.Fatalf("usage lines: %s, want %s", got, want)
	}
	if b := f.contractBalance(f.platform); !b.Equal(dec("60")) {
		t.Fatalf("platform balance %s, want 60", b)
	}
	if b := f.contractBalance(f.addon); !b.Equal(dec("45")) {
		t.Fatalf("add-on balance %s, want 45", b)
	}
	// Invoices stay per contract: April's tick finalizes one per contract.
	f.h.setClock("2026-04-02T00:00:00Z")
	byContract := map[string]string{}
	f.h.e.read(context.Background(), f.cust, func(c *Customer, _ *Catalog, _ Nanos) {
		for _, k := range c.Contracts {
			for _, inv := range k.Invoices {
				byContract[k.ID] += inv.Status + " " + inv.Total.String() + ";"
			}
		}
	})
	if byContract["platform"] != InvoiceFinalized+" 0;" || byContract["addon"] != InvoiceFinalized+" 0;" {
		t.Fatalf("invoices by contract: %v", byContract)
	}
}

// The entitlement check with several contracts in force: the first
// contract that entitles the product decides; a contract whose prepaid
// balance is spent gives way to one that still entitles it; a product only
// the add-on prices is answered by the add-on; one none prices is
// not_entitled.
func TestSeveralContractsEntitlement(t *testing.T) {
	f := newMultiFixture(t)
	h := f.h
	if e, r, b := h.check("acme", f.calls); e != "true" || r != ReasonOK || b != "100" {
		t.Fatalf("calls: %s %s %s, want the platform's answer", e, r, b)
	}
	if e, r, b := h.check("acme", f.gpu); e != "true" || r != ReasonOK || b != "50" {
		t.Fatalf("gpu: %s %s %s, want the add-on's answer", e, r, b)
	}
	if e, r, _ := h.check("acme", f.other); e != "false" || r != ReasonNotEntitled {
		t.Fatalf("a product no contract prices: %s %s", e, r)
	}
	// The platform's credit spent: calls are still entitled through the
	// add-on (postpaid), with the add-on's balance.
	f.send("call", "", "c", 10, "2026-03-05T00:00:00Z")
	if e, r, b := h.check("acme", f.calls); e != "true" || r != ReasonOK || b != "50" {
		t.Fatalf("calls after the platform's credit: %s %s %s, want the add-on's answer", e, r, b)
	}
	// With the add-on ended, the platform alone decides: depleted.
	h.must(&UpdateEndDate{CustomerID: f.cust, ContractID: f.addon, EndingBefore: ns(t, "2026-03-10T00:00:00Z")})
	h.setClock("2026-03-11T00:00:00Z")
	if e, r, _ := h.check("acme", f.calls); e != "false" || r != ReasonBalanceDepleted {
		t.Fatalf("calls with the platform alone: %s %s", e, r)
	}
	if e, r, _ := h.check("acme", f.gpu); e != "false" || r != ReasonNotEntitled {
		t.Fatalf("gpu with the platform alone: %s %s", e, r)
	}
}

// A low balance alert reads the balances of every contract in force; a
// usage alert counts usage several contracts rate once.
func TestSeveralContractsAlerts(t *testing.T) {
	f := newMultiFixture(t)
	h := f.h
	low := h.must(&CreateAlert{CustomerID: f.cust, Name: "low", Type: AlertLowCredit, Threshold: dec("120"), EvaluateOnCreate: true}).ID
	if st := h.status(f.cust, low); st != AlertOK {
		t.Fatalf("low credit at 150 across both contracts: %s", st)
	}
	f.send("call", "", "c", 3, "2026-03-05T00:00:00Z") // platform 100 → 70: 120 in all
	if st := h.status(f.cust, low); st != AlertInAlarm {
		t.Fatalf("low credit at 120 across both contracts: %s", st)
	}
	f.h.e.read(context.Background(), f.cust, func(c *Customer, cat *Catalog, now Nanos) {
		a := c.Alert(low)
		if v, ok := a.value(c, cat, now); !ok || !v.Equal(dec("120")) {
			t.Fatalf("low credit value %s %v, want 120", v, ok)
		}
	})
	// Usage: a call of team ml rates on both contracts and counts once.
	usage := h.must(&CreateAlert{CustomerID: f.cust, Name: "calls", Type: AlertUsage, BillableMetricID: f.callsMetric, Threshold: dec("5"), EvaluateOnCreate: true}).ID
	f.send("call", "ml", "m", 1, "2026-03-05T00:00:00Z") // platform 4 calls, add-on 1
	if st := h.status(f.cust, usage); st != AlertOK {
		t.Fatalf("usage alert at 4 calls: %s", st)
	}
	f.send("call", "", "c2", 1, "2026-03-05T00:00:00Z")
	if st := h.status(f.cust, usage); st != AlertInAlarm {
		t.Fatalf("usage alert at 5 calls: %s", st)
	}
}

// Overlaps: a command of create_contract versions 2 to 5 (OverlapsRefused)
// is refused with those builds' error, as on replay of an old log; one of
// version 6 is accepted. An end date is checked for overlaps only between
// contracts that are not concurrent.
func TestOverlapsRefusedOnlyForOldCommands(t *testing.T) {
	f := newMultiFixture(t)
	h := f.h
	r := h.apply(&CreateContract{CustomerID: f.cust, RateCardID: f.platformCard, StartingAt: ns(t, "2026-03-10T00:00:00Z"), OverlapsRefused: true})[0]
	if r.Err == nil || !strings.Contains(r.Err.Message, "starting_at: overlaps contract platform") {
		t.Fatalf("an old command overlapping: %v", r.Err)
	}
	h.must(&CreateContract{ID: "third", CustomerID: f.cust, RateCardID: f.platformCard, StartingAt: ns(t, "2026-03-10T00:00:00Z")})
	h.must(&UpdateEndDate{CustomerID: f.cust, ContractID: f.addon, EndingBefore: ns(t, "2027-01-01T00:00:00Z")})
	if ids := h.contractIDs(f.cust); len(ids) != 3 {
		t.Fatalf("contracts %v", ids)
	}
}

// A usage filter is validated: a schedule (a starting_at other than the
// contract's) is refused naming the field, as are an empty key or values.
func TestUsageFilterRefusals(t *testing.T) {
	f := newMultiFixture(t)
	start := ns(t, "2026-03-01T00:00:00Z")
	for _, c := range []struct {
		filter UsageFilterInput
		field  string
	}{
		{UsageFilterInput{GroupValues: []string{"a"}}, "usage_filter.group_key"},
		{UsageFilterInput{GroupKey: "team"}, "usage_filter.group_values"},
		{UsageFilterInput{GroupKey: "team", GroupValues: []string{"a"}, StartingAt: start + 1}, "usage_filter.starting_at"},
		{UsageFilterInput{GroupKey: "team", GroupValues: []string{strings.Repeat("x", MaxUsageFilterLen+1)}}, "usage_filter.group_values[0]"},
	} {
		r := f.h.apply(&CreateContract{CustomerID: f.cust, RateCardID: f.platformCard, StartingAt: start, UsageFilter: &c.filter})[0]
		if r.Err == nil || !strings.HasPrefix(r.Err.Message, c.field+":") {
			t.Fatalf("%+v: %v, want an error naming %s", c.filter, r.Err, c.field)
		}
	}
	f.h.must(&CreateContract{CustomerID: f.cust, RateCardID: f.platformCard, StartingAt: start,
		UsageFilter: &UsageFilterInput{GroupKey: "team", GroupValues: []string{"a"}, StartingAt: start}})
}

// The random log behind the determinism and aggregation proofs holds
// add-on contracts that rate usage (premium calls on both contracts, plain
// calls in runs on the first only) and refused overlapping creates: the
// proofs cover several contracts, not a log where the add-ons stay idle.
func TestRandomLogRatesOnAddOns(t *testing.T) {
	e := New(Config{Shards: 2})
	defer e.Close()
	log := randomLog(t, 1)
	e.Apply(log)
	rated, refused := 0, 0
	for i := 4; i < 40; i += 6 {
		id := "c" + fmt.Sprintf("%02d", i)
		e.read(context.Background(), id, func(c *Customer, _ *Catalog, _ Nanos) {
			if k := c.Contract("ka" + id); k != nil && k.Concurrent && k.UsageFilter() != nil {
				for _, inv := range k.Invoices {
					for _, l := range inv.Lines {
						if l.Type == LineUsage && l.Quantity.IsPositive() {
							rated++
						}
					}
				}
			}
		})
	}
	for i := 5; i < 40; i += 6 {
		id := "c" + fmt.Sprintf("%02d", i)
		e.read(context.Background(), id, func(c *Customer, _ *Catalog, _ Nanos) {
			if c.Contract("kr"+id) == nil {
				refused++
			}
		})
	}
	if rated == 0 || refused != 6 {
		t.Fatalf("usage lines on add-ons %d, overlapping old creates refused %d of 6", rated, refused)
	}
}

// Usage reads with several contracts: a metric only one contract rates
// reads exactly; one two contracts rate over the same span is a gap
// (GapContracts) rather than counted twice.
func TestSeveralContractsUsageRead(t *testing.T) {
	f := newMultiFixture(t)
	f.send("call", "", "c", 3, "2026-03-05T00:00:00Z")
	f.send("gpu", "ml", "g", 2, "2026-03-05T00:00:00Z")
	q := func(metric string) UsageAnswer {
		ans, found, err := f.h.e.MetricUsage(context.Background(), f.cust, []UsageQuery{{MetricID: metric,
			StartingOn: ns(t, "2026-03-01T00:00:00Z"), EndingBefore: ns(t, "2026-04-01T00:00:00Z")}})
		if err != nil || !found {
			t.Fatalf("usage of %s: %v %v", metric, found, err)
		}
		return ans[0]
	}
	if a := q(f.gpuMetric); a.Gap != nil || !a.Value.Amount.Equal(dec("2")) {
		t.Fatalf("gpu usage: %+v", a)
	}
	if a := q(f.callsMetric); a.Gap != nil || !a.Value.Amount.Equal(dec("3")) {
		t.Fatalf("calls usage on the platform only: %+v", a)
	}
	f.send("call", "ml", "m", 1, "2026-03-05T00:00:00Z") // rated on both
	if a := q(f.callsMetric); a.Gap == nil || a.Gap.Reason != GapContracts {
		t.Fatalf("calls usage on both contracts: %+v, want a contracts gap", a)
	}
}
