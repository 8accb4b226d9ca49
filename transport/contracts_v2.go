package transport

import (
	"github.com/valyala/fasthttp"
)

// contractV2Out is Metronome's ContractV2 (POST /v2/contracts/get and
// list): the v1 contract with its current terms at the top level and no
// initial, current or amendments. It is built from what the v1 read
// renders (renderContract), so both show the same contract: the embedded
// contractTerms and contractOut flatten into one object, and the three v1
// members are shadowed by nil fields that omitempty leaves out.
// TestContractV2KeysAreSDKFields holds every key it writes to the SDK's
// ContractV2 (or the native prepaid_only).
type contractV2Out struct {
	contractTerms
	contractOut
	Initial    *struct{} `json:"initial,omitempty"`
	Current    *struct{} `json:"current,omitempty"`
	Amendments *struct{} `json:"amendments,omitempty"`
	// UsageFilter is the contract's usage filter over its term ([] for
	// a contract rating all usage).
	UsageFilter []usageFilterV2Out `json:"usage_filter"`
	// HasMore says whether commits or credits were cut short: never here.
	HasMore hasMoreOut `json:"has_more"`
}

type hasMoreOut struct {
	Commits bool `json:"commits"`
	Credits bool `json:"credits"`
}

func contractV2(c contractOut) contractV2Out {
	return contractV2Out{contractTerms: c.Current, contractOut: c, UsageFilter: usageFilterV2(c.Current)}
}

// decodeContractV2Get reads /v2/contracts/get's body: as /v1/contracts/get,
// and as_of_date refused by name.
func (s *Server) decodeContractV2Get(ctx *fasthttp.RequestCtx) (contractQuery, error) {
	var q contractQuery
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return q, err
	}
	q.customerID = o.str("customer_id", true)
	q.contractID = o.str("contract_id", true)
	q.opts.balance, _ = o.boolean("include_balance", false)
	q.opts.ledgers, _ = o.boolean("include_ledgers", false)
	if o.has("as_of_date") && r.err == nil {
		r.fail("as_of_date", "is not supported by this server yet: edits change a contract in place and its past terms are not kept; omit as_of_date to read the current terms")
	}
	return q, r.Err()
}

// getContractV2 serves POST /v2/contracts/get {customer_id, contract_id}.
func (s *Server) getContractV2(ctx *fasthttp.RequestCtx, _ string) error {
	q, err := s.decodeContractV2Get(ctx)
	if err != nil {
		return err
	}
	rd, found, err := s.readCustomerByID(q.customerID)
	if err != nil {
		return err
	}
	if !found {
		return notFound("customer_id: customer %s not found", q.customerID)
	}
	k := rd.Customer.Contract(q.contractID)
	if k == nil {
		return notFound("contract_id: contract %s not found", q.contractID)
	}
	out := contractV2(renderContract(rd.Customer, k, rd.Catalog, rd.Now, q.opts))
	return writeData(ctx, &out)
}

// listContractsV2 serves POST /v2/contracts/list {customer_id,
// covering_date?, starting_at?}: the contracts /v1/contracts/list answers,
// in the v2 shape (unpaginated, as in Metronome).
func (s *Server) listContractsV2(ctx *fasthttp.RequestCtx, _ string) error {
	q, err := s.decodeContractQuery(ctx, false)
	if err != nil {
		return err
	}
	rd, found, err := s.readCustomerByID(q.customerID)
	if err != nil {
		return err
	}
	if !found {
		return notFound("customer_id: customer %s not found", q.customerID)
	}
	out := []contractV2Out{}
	for _, k := range selectContracts(rd.Customer, q) {
		out = append(out, contractV2(renderContract(rd.Customer, k, rd.Catalog, rd.Now, q.opts)))
	}
	return writeData(ctx, out)
}
