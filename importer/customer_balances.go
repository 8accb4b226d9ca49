package importer

import (
	"context"
	"fmt"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/packages/param"
	"github.com/Metronome-Industries/metronome-go/v2/shared"
)

// customerBalances copies each customer's customer-level commits and
// credits (applicable contracts, products, invoice schedule on its
// invoice contract), once its contracts are copied, then carries their
// remaining balances the way contract commits are carried: a manual ledger
// entry without contract_id draws the copy down to the source's balance.
func (r *run) customerBalances(ctx context.Context) error {
	c := r.rep.kind(kindCustomerBalances)
	for _, srcCustomer := range r.sourceIDs(kindCustomers) {
		tc := r.target(kindCustomers, srcCustomer)
		src, err := listCustomerBalances(ctx, r.src, srcCustomer)
		if err != nil {
			return err
		}
		have := map[string]commit{}
		if !isDry(tc) {
			dst, err := listCustomerBalances(ctx, r.dst, tc)
			if err != nil {
				return err
			}
			have = markedCommits(dst)
		}
		for _, b := range src {
			if b.ArchivedAt != nil {
				continue
			}
			c.Source++
			if err := r.customerBalance(ctx, c, b, have, srcCustomer, tc); err != nil {
				return fmt.Errorf("customer commit or credit %s of customer %s: %w", b.ID, srcCustomer, err)
			}
		}
	}
	return nil
}

// customerBalance copies one customer-level commit or credit unless an
// earlier run did, then carries its balance.
func (r *run) customerBalance(ctx context.Context, c *Counts, b commit, have map[string]commit, srcCustomer, tc string) error {
	tb, found := have[b.ID]
	created := !found
	if created {
		drafts, err := draftInvoices(ctx, r.src, srcCustomer)
		if err != nil {
			return err
		}
		body, err := r.customerBalanceBody(b, tc, drafts)
		if err != nil {
			return err
		}
		path := "v1/contracts/customerCommits/create"
		if b.Type == "CREDIT" {
			path = "v1/contracts/customerCredits/create"
		}
		if _, err := r.create(ctx, kindCustomerBalances, path, b.ID, body); err != nil {
			return err
		}
		c.Created++
		if r.cfg.DryRun {
			return nil
		}
		dst, err := listCustomerBalances(ctx, r.dst, tc)
		if err != nil {
			return err
		}
		if tb, found = markedCommits(dst)[b.ID]; !found {
			return fmt.Errorf("target: the copy just created is not listed")
		}
	}
	owner := contract{CustomerID: tc} // no contract: a customer-level balance
	changed, err := r.carryBalance(ctx, contract{CustomerID: srcCustomer}, b, owner, tb)
	switch {
	case err != nil:
		return err
	case created:
	case changed:
		c.Updated++
	default:
		c.Existing++
	}
	return nil
}

// customerBalanceBody is the create body of a copy of b for the target
// customer tc, its contracts and products mapped to the target's.
func (r *run) customerBalanceBody(b commit, tc string, drafts map[string]bool) (map[string]any, error) {
	body, err := r.commitBody(b, b.Type == "CREDIT", drafts)
	if err != nil {
		return nil, err
	}
	body["customer_id"] = tc
	if body["priority"] == nil {
		body["priority"] = 0 // required by customerCommits/create and customerCredits/create
	}
	if b.UniquenessKey != "" {
		body["uniqueness_key"] = b.UniquenessKey
	}
	if len(b.ApplicableContractIDs) > 0 {
		ids := make([]string, 0, len(b.ApplicableContractIDs))
		for _, id := range b.ApplicableContractIDs {
			t := r.target(kindContracts, id)
			if t == "" {
				return nil, fmt.Errorf("applicable contract %s was not imported (archived in the source?)", id)
			}
			ids = append(ids, t)
		}
		body["applicable_contract_ids"] = ids
	}
	if b.InvoiceContract != nil && b.InvoiceContract.ID != "" && body["invoice_schedule"] != nil {
		t := r.target(kindContracts, b.InvoiceContract.ID)
		if t == "" {
			return nil, fmt.Errorf("invoice contract %s was not imported (archived in the source?)", b.InvoiceContract.ID)
		}
		body["invoice_contract_id"] = t
	}
	return body, nil
}

// listCustomerBalances lists a customer's customer-level commits and
// credits (not its contracts'), with balances and ledgers.
func listCustomerBalances(ctx context.Context, a *api, customerID string) ([]commit, error) {
	commits, err := collect[shared.Commit, commit](a.sdk.V1.Customers.Commits.ListAutoPaging(ctx, metronome.V1CustomerCommitListParams{
		CustomerID: customerID, IncludeBalance: param.NewOpt(true), IncludeLedgers: param.NewOpt(true)}))
	if err != nil {
		return nil, fmt.Errorf("%s: customer commits of %s: %w", a.name, customerID, err)
	}
	credits, err := collect[shared.Credit, commit](a.sdk.V1.Customers.Credits.ListAutoPaging(ctx, metronome.V1CustomerCreditListParams{
		CustomerID: customerID, IncludeBalance: param.NewOpt(true), IncludeLedgers: param.NewOpt(true)}))
	if err != nil {
		return nil, fmt.Errorf("%s: customer credits of %s: %w", a.name, customerID, err)
	}
	return append(commits, credits...), nil
}

// markedCommits maps the source ids that copies carry in SourceIDField to
// the copies.
func markedCommits(list []commit) map[string]commit {
	out := map[string]commit{}
	for _, b := range list {
		if id := b.CustomFields[SourceIDField]; id != "" {
			out[id] = b
		}
	}
	return out
}
