package transport

import (
	"strconv"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// Customer-level commits and credits (engine/customer_balance.go):
// contracts/customerCommits/{create,list,updateEndDate} and
// contracts/customerCredits/{create,list,updateEndDate}. What is not held
// (specifiers, the NetSuite and Salesforce ids) is never read, so the
// reader refuses it by name; POSTPAID is refused by the engine, naming
// type.

// decodeCustomerBalance validates a customerCommits/create (credit false)
// or customerCredits/create body.
func decodeCustomerBalance(body []byte, credit bool) (*engine.CreateCustomerBalance, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	cmd := &engine.CreateCustomerBalance{
		CustomerID:            o.str("customer_id", true),
		UniquenessKey:         o.str("uniqueness_key", false),
		ApplicableContractIDs: o.strList("applicable_contract_ids", false),
	}
	// A commit's invoice_schedule is billed on invoice_contract_id's
	// invoices (required with one: the engine says so).
	cmd.Balance = decodeCommit(o, credit)
	if !credit {
		cmd.InvoiceContractID = o.str("invoice_contract_id", false)
	}
	in := &cmd.Balance
	counts := [...]struct {
		key string
		n   int
	}{{"applicable_contract_ids", len(cmd.ApplicableContractIDs)}, {"applicable_product_ids", len(in.ApplicableProductIDs)},
		{"applicable_product_tags", len(in.ApplicableProductTags)}, {"custom_fields", len(in.CustomFields)}}
	for _, c := range counts {
		if c.n > engine.MaxBalanceListLen && r.err == nil {
			r.fail(c.key, "at most %d items are allowed", engine.MaxBalanceListLen)
		}
	}
	return cmd, r.Err()
}

func (s *Server) createCustomerCommit(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, func(b []byte) (*engine.CreateCustomerBalance, error) { return decodeCustomerBalance(b, false) })
}

func (s *Server) createCustomerCredit(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, func(b []byte) (*engine.CreateCustomerBalance, error) { return decodeCustomerBalance(b, true) })
}

// decodeCustomerBalanceEnd validates an updateEndDate body: idKey is
// commit_id or credit_id; a commit's takes invoices_ending_before, and
// then access_ending_before is optional, as in the SDK.
func decodeCustomerBalanceEnd(body []byte, idKey string) (*engine.UpdateCustomerBalanceEnd, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	commit := idKey == "commit_id"
	cmd := &engine.UpdateCustomerBalanceEnd{CustomerID: o.str("customer_id", true), BalanceID: o.str(idKey, true),
		AccessEndingBefore: o.time("access_ending_before", !commit)}
	if commit {
		cmd.InvoicesEndingBefore = o.time("invoices_ending_before", false)
		if r.err == nil && cmd.AccessEndingBefore == 0 && cmd.InvoicesEndingBefore == 0 {
			r.fail("access_ending_before", "give access_ending_before or invoices_ending_before")
		}
	}
	return cmd, r.Err()
}

func (s *Server) updateCustomerCommitEnd(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, func(b []byte) (*engine.UpdateCustomerBalanceEnd, error) {
		return decodeCustomerBalanceEnd(b, "commit_id")
	})
}

func (s *Server) updateCustomerCreditEnd(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, func(b []byte) (*engine.UpdateCustomerBalanceEnd, error) {
		return decodeCustomerBalanceEnd(b, "credit_id")
	})
}

// balanceList is what one of the three balance lists serves: the key of
// its id filter and of its include-contract flag, and which balances it
// lists (commits, credits or both).
type balanceList struct {
	idKey, includeContractKey string
	commits, credits          bool
	// excludeZero: the list takes exclude_zero_balances (customerBalances).
	excludeZero bool
}

func (s *Server) listCustomerCommits(ctx *fasthttp.RequestCtx, _ string) error {
	return s.listBalancesOf(ctx, balanceList{idKey: "commit_id", includeContractKey: "include_contract_commits", commits: true})
}

func (s *Server) listCustomerCredits(ctx *fasthttp.RequestCtx, _ string) error {
	return s.listBalancesOf(ctx, balanceList{idKey: "credit_id", includeContractKey: "include_contract_credits", credits: true})
}

// balanceFilter is a list request's filters.
type balanceFilter struct {
	id                                    string
	covering, startingAt, effectiveBefore engine.Nanos
	excludeZero                           bool
}

// keeps reports whether the list shows cm.
func (f *balanceFilter) keeps(l balanceList, cm *engine.Commit, now engine.Nanos) bool {
	credit := cm.Type == engine.CommitCredit
	switch {
	case (credit && !l.credits) || (!credit && !l.commits):
		return false
	case f.id != "" && cm.ID != f.id:
		return false
	case f.covering != 0 && !overlaps(cm, f.covering, f.covering+1):
		return false
	case (f.startingAt != 0 || f.effectiveBefore != 0) && !overlaps(cm, f.startingAt, f.effectiveBefore):
		return false
	}
	return !f.excludeZero || (!cm.InGate() && !cm.BalanceAt(now).IsZero())
}

// listBalancesOf serves a balance list: the customer-level balances
// first (without contract), then, when asked, the contracts'; the cursor
// is in the body (or the query, where the SDK's pager puts it).
func (s *Server) listBalancesOf(ctx *fasthttp.RequestCtx, l balanceList) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	customerID := o.str("customer_id", true)
	f := balanceFilter{id: o.str(l.idKey, false), covering: o.time("covering_date", false),
		startingAt: o.time("starting_at", false), effectiveBefore: o.time("effective_before", false)}
	var opts readOpts
	opts.balance, _ = o.boolean("include_balance", false)
	opts.ledgers, _ = o.boolean("include_ledgers", false)
	includeContract, _ := o.boolean(l.includeContractKey, false)
	if l.excludeZero {
		f.excludeZero, _ = o.boolean("exclude_zero_balances", false)
	}
	o.boolean("include_archived", false)
	limit := int64(25)
	if n, ok := o.integer("limit", false, 1, 100); ok {
		limit = n
	}
	cursor := o.str("next_page", false)
	if v := ctx.QueryArgs().Peek("next_page"); len(v) > 0 {
		cursor = string(v)
	}
	if err := r.Err(); err != nil {
		return err
	}
	offset := 0
	if cursor != "" {
		n, perr := strconv.Atoi(cursor)
		if perr != nil || n < 0 {
			return badRequest("next_page: not a cursor this server issued")
		}
		offset = n
	}
	rd, found, err := s.readCustomerByID(customerID)
	if err != nil {
		return err
	}
	if !found {
		return notFound("customer_id: customer %s not found", customerID)
	}
	now := rd.Now
	var all []commitOut
	for _, b := range rd.Customer.Balances() {
		if f.keeps(l, b.Commit, now) {
			all = append(all, renderCustomerBalance(b, rd.Catalog, now, opts))
		}
	}
	if includeContract {
		for _, k := range rd.Customer.Contracts {
			for _, cm := range k.ListedCommits() {
				if f.keeps(l, cm, now) {
					all = append(all, renderCommit(cm, k, rd.Catalog, now, opts))
				}
			}
		}
	}
	var next *string
	if offset >= len(all) {
		all = nil
	} else {
		all = all[offset:]
	}
	if int64(len(all)) > limit {
		all = all[:limit]
		n := strconv.Itoa(offset + int(limit))
		next = &n
	}
	return writeJSON(ctx, listEnvelope{Data: orEmpty(all), NextPage: next})
}

// renderCustomerBalance renders a customer-level commit or credit: no
// contract, its applicable_contract_ids, uniqueness_key and
// invoice_contract.
func renderCustomerBalance(b *engine.CustomerBalance, cat *engine.Catalog, now engine.Nanos, opts readOpts) commitOut {
	out := renderCommit(b.Commit, nil, cat, now, opts)
	out.ApplicableContractIDs = append([]string(nil), b.ApplicableContractIDs...)
	out.UniquenessKey = b.UniquenessKey
	if b.InvoiceContractID != "" {
		out.InvoiceContract = &idRef{ID: b.InvoiceContractID}
	}
	return out
}
