package engine

import (
	"context"
	"strings"
	"testing"
)

func (h *harness) read(cust string) *Customer {
	h.t.Helper()
	r, ok, _ := h.e.ReadCustomer(context.Background(), cust)
	if !ok {
		h.t.Fatalf("customer %s not found", cust)
	}
	return r.Customer
}

func wantErr(t *testing.T, r Result, code Code, msg string) {
	t.Helper()
	if r.Err == nil || r.Err.Code != code || !strings.Contains(r.Err.Message, msg) {
		t.Fatalf("got %+v, want %v %q", r.Err, code, msg)
	}
}

// set_ingest_aliases replaces the aliases: a given-up alias stops
// resolving (its usage is an unknown customer's), a new one resolves, one
// held by another customer is refused (409) and changes nothing, and
// updated_at moves; set_customer_name renames and moves it too.
func TestSetIngestAliasesAndName(t *testing.T) {
	h := newHarness(t, "2026-01-02T00:00:00Z")
	product, rc, _ := payGo(h)
	a := h.customer("a", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z")})
	b := h.must(&CreateCustomer{Name: "b", IngestAliases: []string{"b"}}).ID
	created := h.read(a).Updated()
	h.now = h.now.Add(3600e9)
	wantErr(t, h.apply(&SetIngestAliases{CustomerID: a, IngestAliases: []string{"a2", "b"}})[0], Conflict, `ingest_aliases[1]: ingest alias "b" is already in use`)
	wantErr(t, h.apply(&SetIngestAliases{CustomerID: a, IngestAliases: []string{"x", "x"}})[0], Invalid, "ingest_aliases[1]")
	wantErr(t, h.apply(&SetIngestAliases{CustomerID: "b", IngestAliases: []string{"z"}})[0], NotFound, "customer_id")
	if h.e.LookupCustomer("a2") != nil || h.e.LookupCustomer("a") == nil {
		t.Fatal("a refused command changed the directory")
	}
	h.must(&SetIngestAliases{CustomerID: a, IngestAliases: []string{"a2"}})
	if h.e.LookupCustomer("a") != nil || h.e.LookupCustomer("a2") == nil || h.e.LookupCustomer("a2").ID != a {
		t.Fatal("aliases not moved in the directory")
	}
	out := h.must(h.events("a", "unit", "x", 0, 2, "2026-01-02T01:00:00Z")).Ingest
	if out.Accepted != 0 {
		t.Fatalf("usage through a given-up alias accepted: %+v", out)
	}
	if out = h.must(h.events("a2", "unit", "y", 0, 2, "2026-01-02T01:00:00Z")).Ingest; out.Accepted != 2 {
		t.Fatalf("usage through the new alias: %+v", out)
	}
	// The given-up alias is free for another customer.
	h.must(&SetIngestAliases{CustomerID: b, IngestAliases: []string{"b", "a"}})
	if h.e.LookupCustomer("a").ID != b {
		t.Fatal("alias a not taken by b")
	}
	c := h.read(a)
	if strings.Join(c.IngestAliases, ",") != "a2" || c.Updated() <= created {
		t.Fatalf("aliases %v updated %d (created %d)", c.IngestAliases, c.Updated(), created)
	}
	wantErr(t, h.apply(&SetCustomerName{CustomerID: a, Name: ""})[0], Invalid, "name")
	wantErr(t, h.apply(&SetCustomerName{CustomerID: a, Name: strings.Repeat("é", MaxCustomerName+1)})[0], Invalid, "name")
	h.now = h.now.Add(3600e9)
	h.must(&SetCustomerName{CustomerID: a, Name: "Renamed"})
	if c2 := h.read(a); c2.Name != "Renamed" || c2.Updated() != h.now.UnixNano() {
		t.Fatalf("name %q updated %d", c2.Name, c2.Updated())
	}
	if e, _, _ := h.check(a, product); e != "true" {
		t.Fatal("renaming changed the entitlement")
	}
}

// archive_contract: the contract stops rating and entitling, its draft is
// canceled, its balances archived, its finalized invoices kept; an edit of
// it is refused; a new contract may take its
// place. archive_customer archives every contract, keeps the aliases
// taken, and refuses the customer's other commands.
func TestArchiveContractAndCustomer(t *testing.T) {
	h, a, product, rc := archiveFixture(t)
	wantErr(t, h.apply(&ArchiveContract{CustomerID: a, ContractID: "nope"})[0], NotFound, "contract_id")
	if r := h.must(&ArchiveContract{CustomerID: a, ContractID: "k1"}); r.ID != "k1" {
		t.Fatalf("result %+v", r)
	}
	invs := h.invoices(a)
	if len(invs) != 1 || invs[0].Status != InvoiceFinalized {
		t.Fatalf("after archive: %+v, want the finalized invoice only", invs)
	}
	kk := h.contract(a, "k1")
	if !kk.Archived || kk.ArchivedAt() != h.now.UnixNano() || kk.Balances[0].ArchivedAt() == 0 {
		t.Fatalf("contract archived %t at %d, commit archived at %d", kk.Archived, kk.ArchivedAt(), kk.Balances[0].ArchivedAt())
	}
	if e, _, _ := h.check(a, product); e != "false" {
		t.Fatal("an archived contract still entitles")
	}
	if out := h.must(h.events("a", "unit", "g", 0, 1, "2026-02-03T00:00:00Z")).Ingest; out.Accepted != 0 {
		t.Fatalf("an archived contract still rates: %+v", out)
	}
	wantErr(t, h.apply(&UpdateEndDate{CustomerID: a, ContractID: "k1", EndingBefore: ns(t, "2026-03-01T00:00:00Z")})[0], Invalid, "is archived")
	wantErr(t, h.apply(&EditContract{CustomerID: a, ContractID: "k1", ArchiveCommits: []string{"x"}})[0], Invalid, "is archived")
	h.must(&CreateContract{ID: "k2", CustomerID: a, RateCardID: rc, StartingAt: ns(t, "2026-02-01T00:00:00Z")})
	if e, _, _ := h.check(a, product); e != "true" {
		t.Fatal("the contract that replaced the archived one does not entitle")
	}

	h.now = h.now.Add(3600e9)
	wantErr(t, h.apply(&ArchiveCustomer{ID: "a"})[0], NotFound, "id: customer a not found") // an alias is not an id
	if r := h.must(&ArchiveCustomer{ID: a}); r.ID != a {
		t.Fatalf("result %+v", r)
	}
	c := h.read(a)
	if c.ArchivedAt() != h.now.UnixNano() || c.Updated() != h.now.UnixNano() || !c.Contracts[1].Archived || !h.e.LookupCustomer(a).Archived() {
		t.Fatalf("customer archived at %d, contract k2 archived %t", c.ArchivedAt(), c.Contracts[1].Archived)
	}
	if e, _, _ := h.check(a, product); e != "false" {
		t.Fatal("an archived customer is still entitled")
	}
	h.must(&ArchiveCustomer{ID: a}) // again: nothing changes
	wantErr(t, h.apply(&CreateContract{CustomerID: a, RateCardID: rc, StartingAt: ns(t, "2026-03-01T00:00:00Z")})[0], Invalid, "customer_id: customer "+a+" is archived")
	wantErr(t, h.apply(&SetIngestAliases{CustomerID: a, IngestAliases: []string{"q"}})[0], Invalid, "is archived")
	wantErr(t, h.apply(&SetCustomerName{CustomerID: a, Name: "n"})[0], Invalid, "is archived")
	wantErr(t, h.apply(&CreateCustomer{Name: "other", IngestAliases: []string{"a"}})[0], Conflict, "already in use")
}

// add_billing_provider_configurations appends configurations (a stripe
// one links Stripe after creation: a contract may then send to Stripe),
// bounded and validated by name.
func TestAddBillingProviders(t *testing.T) {
	h := newHarness(t, "2026-01-02T00:00:00Z")
	_, rc, _ := payGo(h)
	a := h.must(&CreateCustomer{Name: "a"}).ID
	stripe := &ContractBillingProvider{BillingProvider: ProviderStripeBilling, DeliveryMethod: DeliveryDirect}
	wantErr(t, h.apply(&CreateContract{CustomerID: a, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), BillingProviderConfiguration: stripe})[0],
		Invalid, "stripe_customer_id")
	wantErr(t, h.apply(&AddBillingProviders{CustomerID: a, Configurations: []BillingProviderConfig{{BillingProvider: "paypal", DeliveryMethod: DeliveryDirect}}})[0],
		Invalid, "data[0].billing_provider")
	wantErr(t, h.apply(&AddBillingProviders{CustomerID: a, Configurations: []BillingProviderConfig{{BillingProvider: "stripe", DeliveryMethod: "fax"}}})[0],
		Invalid, "data[0].delivery_method")
	many := make([]BillingProviderConfig, MaxBillingProviders+1)
	for i := range many {
		many[i] = BillingProviderConfig{BillingProvider: "netsuite", DeliveryMethod: DeliveryDirect}
	}
	wantErr(t, h.apply(&AddBillingProviders{CustomerID: a, Configurations: many})[0], Invalid, "at most")
	h.must(&AddBillingProviders{CustomerID: a, Configurations: []BillingProviderConfig{{BillingProvider: "stripe", DeliveryMethod: DeliveryDirect,
		Configuration: map[string]string{"stripe_customer_id": "cus_late"}}}})
	if c := h.read(a); c.StripeCustomerID() != "cus_late" || c.UpdatedAt() == 0 {
		t.Fatalf("stripe customer %q updated %d", c.StripeCustomerID(), c.UpdatedAt())
	}
	h.must(&CreateContract{CustomerID: a, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), BillingProviderConfiguration: stripe})
}

// Archiving with void_invoices voids the contract's finalized invoices
// first, each giving back what it drew (a *_CANCELED ledger entry), and
// cancels the drafts as any archive does; a second archive asking to void
// is refused, naming the field.
func TestArchiveContractVoidsInvoices(t *testing.T) {
	h, a, _, _ := archiveFixture(t)
	invs := h.invoices(a)
	seg := h.contract(a, "k1").Balances[0].Segments[0]
	drawn, january := seg.Drawn, deductionOf(seg, invs[0].ID)
	if !january.IsPositive() {
		t.Fatal("January drew nothing from the commit; the test needs a draw to give back")
	}
	h.must(&ArchiveContract{CustomerID: a, ContractID: "k1", VoidInvoices: true})
	invs = h.invoices(a)
	if len(invs) != 1 || invs[0].Status != InvoiceVoid {
		t.Fatalf("after archive: %+v, want January's invoice only, VOID", invs)
	}
	cm := h.contract(a, "k1").Balances[0]
	s := cm.Segments[0]
	if want := drawn.Sub(january); !s.Drawn.Equal(want) {
		t.Fatalf("the commit holds %s drawn after the void, want %s (January's %s given back)", s.Drawn, want, january)
	}
	if l := ledgerString(cm, h.now.UnixNano()); !strings.Contains(l, "PREPAID_COMMIT_CANCELED") {
		t.Fatalf("ledger %s, want the draw canceled", l)
	}
	wantErr(t, h.apply(&ArchiveContract{CustomerID: a, ContractID: "k1", VoidInvoices: true})[0], Invalid, "void_invoices: contract k1 is already archived")
}

// archiveFixture is customer a with contract k1 (a prepaid commit of 1000)
// whose January invoice is finalized, with a usage draw, and February's a
// draft; it returns the usage product and the rate card too.
func archiveFixture(t *testing.T) (h *harness, a, product, rc string) {
	h = newHarness(t, "2026-01-02T00:00:00Z")
	product, rc, fixed := payGo(h)
	k := &CreateContract{ID: "k1", RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"),
		Commits: []CommitInput{{Type: CommitPrepaid, ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec("1000"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}}}}
	a = h.customer("a", k)
	h.setClock("2026-01-15T00:00:00Z")
	h.must(h.events("a", "unit", "j", 0, 1, "2026-01-15T00:00:00Z"))
	h.setClock("2026-02-03T00:00:00Z")
	h.must(h.events("a", "unit", "f", 0, 1, "2026-02-02T00:00:00Z"))
	if invs := h.invoices(a); len(invs) != 2 || invs[0].Status != InvoiceFinalized {
		t.Fatalf("invoices %+v, want January finalized and February's draft", invs)
	}
	return h, a, product, rc
}
