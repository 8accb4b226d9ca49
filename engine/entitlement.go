package engine

import "burndown/money"

// Reasons an entitlement check answers with.
const (
	ReasonOK              = "ok"
	ReasonNoContract      = "no_contract"
	ReasonNotEntitled     = "not_entitled"
	ReasonLimitReached    = "limit_reached"
	ReasonBalanceDepleted = "balance_depleted"
	ReasonPaymentFailed   = "payment_failed"
)

// EntitlementView is a customer's immutable, precomputed answer to "may this
// customer use product P now?". The shard builds a new one after every apply
// that touches the customer and swaps it in atomically, so a check is a
// pointer load and two map lookups, never a lock.
type EntitlementView struct {
	// AsOf is the stamped time the view was computed for.
	AsOf Nanos
	// Products holds the answer per product id that has a rate on the
	// contract in force, ordered by product id (a sorted slice is smaller
	// than a map for the few products a contract prices). Products absent
	// are answered with Default.
	Products []ProductAnswer
	// Default answers products the contract does not price (not_entitled),
	// or every product when no contract is in force (no_contract).
	Default *ProductEntitlement
	// GroupBlocks lists, per "key\x00value" group, the product ids blocked by
	// an alert in alarm scoped to that group value; the empty product id
	// blocks every product.
	GroupBlocks map[string]map[string]bool
}

// ProductAnswer pairs a product id with its answer, held in place so a view
// is one or two allocations however many products it answers.
type ProductAnswer struct {
	ProductID string
	ProductEntitlement
}

// product finds the answer for a product id without allocating.
func (v *EntitlementView) product(id []byte) *ProductEntitlement {
	lo, hi := 0, len(v.Products)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if v.Products[m].ProductID < string(id) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(v.Products) && v.Products[lo].ProductID == string(id) {
		return &v.Products[lo].ProductEntitlement
	}
	return nil
}

// Product returns the answer for a product id (the default when the
// contract does not price it).
func (v *EntitlementView) Product(id string) *ProductEntitlement {
	if p := v.product([]byte(id)); p != nil {
		return p
	}
	return v.Default
}

// ProductEntitlement is the answer for one product. The JSON body is
// appended at check time (a few dozen bytes copied) rather than stored, which
// keeps a view small: it exists for every customer. The reason is a byte
// beside Entitled, not a string, for the same reason (a one-product view
// fits 112 bytes, not 128).
type ProductEntitlement struct {
	Entitled     bool
	reason       reasonCode
	Balance      money.Amount // the sum of applicable balances now, rendered at check time
	CreditTypeID string
}

// reasonCode is one of the Reason constants, by its index in reasonText.
type reasonCode uint8

// reasonText are the Reason constants in reasonCode order.
var reasonText = [...]string{ReasonOK, ReasonNoContract, ReasonNotEntitled, ReasonLimitReached, ReasonBalanceDepleted, ReasonPaymentFailed}

// codeOf is the code of reason, one of the Reason constants.
func codeOf(reason string) reasonCode {
	for i, r := range reasonText {
		if r == reason {
			return reasonCode(i)
		}
	}
	panic("engine: entitlement reason " + reason + " is not one of the Reason constants")
}

// Reason is why the answer is what it is: one of the Reason constants.
func (p *ProductEntitlement) Reason() string { return reasonText[p.reason] }

// setAnswer sets the answer and its reason, one of the Reason constants.
func (p *ProductEntitlement) setAnswer(entitled bool, reason string) {
	p.Entitled, p.reason = entitled, codeOf(reason)
}

var noContractEntitlement = newProductEntitlement(false, ReasonNoContract, money.Amount{}, USDCreditTypeID)

func newProductEntitlement(entitled bool, reason string, balance money.Amount, creditTypeID string) *ProductEntitlement {
	return &ProductEntitlement{Entitled: entitled, reason: codeOf(reason), Balance: balance, CreditTypeID: creditTypeID}
}

// AppendJSON appends the check's answer as the JSON object DESIGN.md fixes.
func (p *ProductEntitlement) AppendJSON(b []byte) []byte {
	return appendCheck(b, p.Entitled, p.Reason(), p.Balance, p.CreditTypeID)
}

func appendCheck(b []byte, entitled bool, reason string, balance money.Amount, creditTypeID string) []byte {
	b = append(b, `{"entitled":`...)
	if entitled {
		b = append(b, "true"...)
	} else {
		b = append(b, "false"...)
	}
	b = append(b, `,"reason":"`...)
	b = append(b, reason...)
	b = append(b, `","balance":"`...)
	b = balance.AppendString(b)
	b = append(b, `","credit_type_id":"`...)
	b = append(b, creditTypeID...)
	b = append(b, `"}`...)
	return b
}

// emptyView is what a customer without any contract answers.
var emptyView = &EntitlementView{Default: noContractEntitlement}

// CheckStatus says whether a check found its customer and product.
type CheckStatus uint8

// Check outcomes.
const (
	CheckFound CheckStatus = iota
	CheckUnknownCustomer
	CheckUnknownProduct
)

// AppendCheck answers an entitlement check from the published views, without
// locking, and appends the JSON answer to dst (no allocation when dst has
// room). customer is a customer id or ingest alias; group key and value may
// be empty.
func (e *Engine) AppendCheck(dst, customer, product, groupKey, groupValue []byte) ([]byte, CheckStatus) {
	pe, blocked, st := e.check(customer, product, groupKey, groupValue)
	switch {
	case st != CheckFound:
		return dst, st
	case blocked:
		return appendCheck(dst, false, ReasonLimitReached, pe.Balance, pe.CreditTypeID), st
	}
	return pe.AppendJSON(dst), st
}

// Check answers an entitlement check like AppendCheck, as a value, for
// callers that render it their own way (the gateway authorize endpoint puts
// it in headers too). It does not allocate.
func (e *Engine) Check(customer, product, groupKey, groupValue []byte) (CheckAnswer, CheckStatus) {
	pe, blocked, st := e.check(customer, product, groupKey, groupValue)
	if st != CheckFound {
		return CheckAnswer{}, st
	}
	a := CheckAnswer{Entitled: pe.Entitled, Reason: pe.Reason(), Balance: pe.Balance, CreditTypeID: pe.CreditTypeID}
	if blocked {
		a.Entitled, a.Reason = false, ReasonLimitReached
	}
	return a, st
}

// check finds the published answer for a customer and product, and whether
// an alert in alarm blocks the group value.
func (e *Engine) check(customer, product, groupKey, groupValue []byte) (*ProductEntitlement, bool, CheckStatus) {
	h := e.dir.lookupBytes(customer)
	if h == nil {
		return nil, false, CheckUnknownCustomer
	}
	if _, ok := e.catalog.Load().Products[string(product)]; !ok {
		return nil, false, CheckUnknownProduct
	}
	v := h.view.Load()
	if v == nil {
		v = emptyView
	}
	pe := v.product(product)
	if pe == nil {
		pe = v.Default
	}
	if len(groupKey) > 0 && len(v.GroupBlocks) > 0 && pe.Entitled {
		if blocked := v.GroupBlocks[groupKeyValue(groupKey, groupValue)]; blocked != nil {
			return pe, blocked[""] || blocked[string(product)], CheckFound
		}
	}
	return pe, false, CheckFound
}

// groupKeyValue builds the GroupBlocks key. Only called when a customer has
// group blocks, so its allocation stays off the common path.
func groupKeyValue(k, v []byte) string {
	b := make([]byte, 0, len(k)+1+len(v))
	b = append(b, k...)
	b = append(b, 0)
	b = append(b, v...)
	return string(b)
}
