package demo

import (
	"encoding/json"
	"net/url"
	"strconv"
)

// balance is one commit or credit of customerBalances/list.
type balance struct {
	ID                string       `json:"id"`
	Type              string       `json:"type"`
	Name              string       `json:"name"`
	Balance           json.Number  `json:"balance"`
	PaymentGateStatus string       `json:"payment_gate_status"`
	Ledger            []ledgerLine `json:"ledger"`
}

type ledgerLine struct {
	Type      string      `json:"type"`
	Timestamp string      `json:"timestamp"`
	Amount    json.Number `json:"amount"`
}

// balances lists a customer's commits and credits with their ledgers.
func (p *player) balances(customerID string) []balance {
	var out struct {
		Data []balance `json:"data"`
	}
	p.post("/v1/contracts/customerBalances/list", obj{"customer_id": customerID, "include_contract_balances": true,
		"include_balance": true, "include_ledgers": true}, &out)
	return out.Data
}

// invoice is a usage invoice as GET /v1/customers/{id}/invoices lists it.
type invoice struct {
	ID             string      `json:"id"`
	Status         string      `json:"status"`
	StartTimestamp string      `json:"start_timestamp"`
	Total          json.Number `json:"total"`
	LineItems      []struct {
		Name      string      `json:"name"`
		Type      string      `json:"type"`
		Quantity  json.Number `json:"quantity"`
		UnitPrice json.Number `json:"unit_price"`
		Total     json.Number `json:"total"`
	} `json:"line_items"`
}

// invoices lists a customer's invoices with the query parameters q.
func (p *player) invoices(customerID string, q url.Values) []invoice {
	var out struct {
		Data []invoice `json:"data"`
	}
	path := "/v1/customers/" + url.PathEscape(customerID) + "/invoices"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	p.call("GET", path, nil, &out)
	return out.Data
}

// ingest sends events in requests of at most 100, as a client must.
func (p *player) ingest(events []obj) {
	for len(events) > 0 && p.err == nil {
		n := min(len(events), 100)
		p.post("/v1/ingest", events[:n], nil)
		events = events[n:]
	}
}

// usage builds n events of eventType for alias at ts (a date of
// SCENARIOS.md), with transaction ids prefix-0.. and properties from
// props(i) (nil for none).
func (p *player) usage(alias, eventType, prefix string, n int, ts string, props func(i int) obj) []obj {
	out := make([]obj, n)
	for i := range out {
		ev := obj{"transaction_id": p.tag + prefix + "-" + strconv.Itoa(i), "customer_id": alias, "event_type": eventType, "timestamp": p.at(ts)}
		if props != nil {
			ev["properties"] = props(i)
		}
		out[i] = ev
	}
	return out
}
