package transport

import (
	"errors"
	"fmt"
	"testing"

	"burndown/engine"
)

// Guide 000, prepaid credits (seed 000; the calls are the guide page's):
// the customer linked to Stripe, the contract sent to Stripe, a credit
// purchase through a STRIPE payment gate, the balance listed, and
// auto-recharge under both names the guide uses
// (threshold_billing_configuration in its prose,
// credit_balance_threshold_configuration in its JSON).
func TestGuide000PrepaidCredits(t *testing.T) {
	e, rec := guideStripeEnv(t, "2025-04-15T00:00:00Z")
	// The building blocks the guide points to: API calls at 1 cent and a
	// FIXED product for the purchases.
	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "api_calls", "aggregation_type": "COUNT",
		"event_type_filter": map[string]any{"in_values": []string{"api_call"}}})
	api := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "API calls", "type": "USAGE", "billable_metric_id": metric})
	credits := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Credit purchase", "type": "FIXED"})
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "Prepaid"})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": api,
		"starting_at": "2025-01-01T00:00:00Z", "entitled": true, "rate_type": "FLAT", "price": 1}, nil)

	// Customer sign-up: works as written.
	cust := e.create("/v1/customers", `{
    "ingest_aliases": [
        "team@example.com"
    ],
    "name": "Example, Inc.",
    "customer_billing_provider_configurations": [
        {
            "billing_provider": "stripe",
            "delivery_method": "direct_to_billing_provider",
            "configuration": {
                "stripe_customer_id": "cus_123",
                "stripe_collection_method": "charge_automatically"
            }
        }
    ]
}`)
	contract := e.create("/v1/contracts/create", fmt.Sprintf(`{
    "customer_id": %q,
    "rate_card_id": %q,
    "starting_at": "2025-04-15T00:00:00.000Z",
    "billing_provider_configuration": {
        "billing_provider": "stripe",
        "delivery_method": "direct_to_billing_provider"
    }
}`, cust, rc))
	if items := e.balances(cust); len(items) != 0 {
		t.Fatalf("before any purchase: %+v", items)
	}

	// Credit purchase: the guide's access schedule ends (2025-04-01)
	// before it starts (2026-04-01); the 400 says to swap them. Its commit
	// has no type: a gated commit is PREPAID.
	purchase := fmt.Sprintf(`{
    "customer_id": %q,
    "contract_id": %q,
    "add_commits": [
        {
            "product_id": %q,
            "access_schedule": {
                "schedule_items": [
                    {
                        "amount": 2000,
                        "ending_before": %q,
                        "starting_at": %q
                    }
                ]
            },
            "invoice_schedule": {
                "schedule_items": [
                    {
                        "amount": 2000,
                        "timestamp": "2025-04-01T00:00:00.000Z"
                    }
                ]
            },
            "priority": 10,
            "payment_gate_config": {
                "payment_gate_type": "STRIPE"
            }
        }
    ]
}`, cust, contract, credits, "%s", "%s")
	e.refused("/v2/contracts/edit", fmt.Sprintf(purchase, "2025-04-01T00:00:00.000Z", "2026-04-01T00:00:00.000Z"),
		"add_commits[0].access_schedule.schedule_items[0].ending_before: must be after starting_at "+
			"(2025-04-01T00:00:00Z is before 2026-04-01T00:00:00Z: were they swapped? send starting_at 2025-04-01T00:00:00Z and ending_before 2026-04-01T00:00:00Z)")
	if c := e.check(cust, api); c.Balance != "0" && c.Balance != "" {
		t.Fatalf("the refused purchase left a balance: %+v", c)
	}
	e.create("/v2/contracts/edit", fmt.Sprintf(purchase, "2026-04-01T00:00:00.000Z", "2025-04-01T00:00:00.000Z"))
	if got := chargesFor(t, rec, "cus_123", 1); got[0] != "2000" {
		t.Fatalf("purchase charged %v, want 2000", got)
	}
	e.waitCheck(cust, api, "2000")
	items := e.balances(cust)
	if len(items) != 1 || items[0].Type != engine.CommitPrepaid || string(*items[0].Balance) != "2000" {
		t.Fatalf("after the purchase: %+v", items)
	}
	commit := items[0].ID

	// Usage draws it down.
	ingestAll(e, "team@example.com", "g0", 1500, "2025-04-15T00:00:00Z")
	if c := e.check(cust, api); !c.Entitled || c.Balance != "500" {
		t.Fatalf("after 1500 calls: %+v", c)
	}

	// The balance as the guide lists it: include_contracts_balances is a
	// misspelling (Metronome's field is include_contract_balances, and
	// without it contract balances are not listed), so the 400 names both.
	list := fmt.Sprintf(`{
    "customer_id": %q,
    "id": %q,
    "include_balance": true,
    "include_%s_balances": true
}`, cust, commit, "%s")
	e.refused("/v1/contracts/customerBalances/list", fmt.Sprintf(list, "contracts"),
		"include_contracts_balances: is not supported by this server yet (did you mean include_contract_balances?)")
	var listed struct{ Data []balanceItem }
	e.ok("POST", "/v1/contracts/customerBalances/list", fmt.Sprintf(list, "contract"), &listed)
	if len(listed.Data) != 1 || listed.Data[0].ID != commit || string(*listed.Data[0].Balance) != "500" {
		t.Fatalf("listed balance: %+v", listed.Data)
	}

	// Auto-recharge, on new customers' contracts, under the JSON's name
	// and the prose's: at creation the balance (0) is at or below 300, so
	// 2000 is charged; spent down to 300, 1700 more.
	for i, key := range []string{"credit_balance_threshold_configuration", "threshold_billing_configuration"} {
		stripeID, alias := fmt.Sprintf("cus_recharge_%d", i), fmt.Sprintf("recharge-%d", i)
		rcust := e.create("/v1/customers", map[string]any{"name": "Recharge", "ingest_aliases": []string{alias},
			"customer_billing_provider_configurations": []any{map[string]any{"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
				"configuration": map[string]any{"stripe_customer_id": stripeID}}}})
		e.create("/v1/contracts/create", fmt.Sprintf(`{
    "customer_id": %q,
    "rate_card_id": %q,
    "starting_at": "2025-04-01T00:00:00.000Z",
    %q: {
        "is_enabled": true,
        "threshold_amount": 300,
        "recharge_to_amount": 2000,
        "payment_gate_config": {
            "payment_gate_type": "STRIPE"
        },
        "commit": {
            "product_id": %q
        }
    }
}`, rcust, rc, key, credits))
		if got := chargesFor(t, rec, stripeID, 1); got[0] != "2000" {
			t.Fatalf("%s: first recharge %v, want 2000", key, got)
		}
		e.waitCheck(rcust, api, "2000")
		ingestAll(e, alias, "r", 1700, "2025-04-15T00:00:00Z")
		if got := chargesFor(t, rec, stripeID, 2); got[1] != "1700" {
			t.Fatalf("%s: second recharge %v, want 1700", key, got)
		}
		e.waitCheck(rcust, api, "2000")
	}
}

// threshold_billing_configuration without recharge_to_amount is Metronome's
// older name of spend_threshold_configuration (a charge each time usage
// reaches threshold_amount); an older and a current name together are
// refused.
func TestGuideThresholdNames(t *testing.T) {
	cfg := `{"is_enabled": true, "threshold_amount": 10000, "commit": {"product_id": "p"}, "payment_gate_config": {"payment_gate_type": "EXTERNAL"}}`
	cmd, err := decodeCreateContract([]byte(`{"customer_id": "c", "rate_card_id": "r", "starting_at": "2025-01-01T00:00:00Z", "threshold_billing_configuration": ` + cfg + `}`))
	if err != nil || cmd.SpendThreshold == nil || cmd.PrepaidBalanceThreshold != nil || cmd.SpendThreshold.ThresholdAmount.String() != "10000" {
		t.Fatalf("threshold_billing_configuration without recharge_to_amount: %+v %v", cmd, err)
	}
	for body, want := range map[string]string{
		`"threshold_billing_configuration": ` + cfg + `, "spend_threshold_configuration": ` + cfg:     "threshold_billing_configuration: give spend_threshold_configuration or its older name threshold_billing_configuration, not both",
		`"credit_balance_threshold_configuration": {}, "prepaid_balance_threshold_configuration": {}`: "credit_balance_threshold_configuration: give prepaid_balance_threshold_configuration or its older name credit_balance_threshold_configuration, not both",
	} {
		_, err := decodeCreateContract([]byte(`{"customer_id": "c", "rate_card_id": "r", "starting_at": "2025-01-01T00:00:00Z", ` + body + `}`))
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status != 400 || ae.Message != want {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}
