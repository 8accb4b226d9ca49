package engine

import (
	"fmt"

	"burndown/money"
)

// Consume is POST /v1/entitlements/consume: a customer's events are
// ingested only if the entitlement check for the product (and group value)
// passes at apply time, in log order, so concurrent consumers cannot overrun
// a hard limit or a prepaid balance: each one is checked against the state
// every earlier one left. The result carries the check's answer, with the
// balance after the events when they were ingested.
type Consume struct {
	CustomerID string  `msgpack:"CustomerID"`
	ProductID  string  `msgpack:"ProductID"`
	GroupKey   string  `msgpack:"GroupKey"`
	GroupValue string  `msgpack:"GroupValue"`
	Events     []Event `msgpack:"Events"`
}

func (*Consume) Kind() Kind { return KindConsume }

// CheckAnswer is an entitlement check's answer as a command result.
type CheckAnswer struct {
	Entitled     bool
	Reason       string
	Balance      money.Amount
	CreditTypeID string
}

// AppendJSON appends the answer in the check's shape.
func (a *CheckAnswer) AppendJSON(b []byte) []byte {
	return appendCheck(b, a.Entitled, a.Reason, a.Balance, a.CreditTypeID)
}

func routeConsume(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	c := cmd.(*Consume)
	h, err := routeToCustomer(b, c.CustomerID)
	if err != nil {
		return nil, err
	}
	if _, ok := b.e.catalog.Load().Products[c.ProductID]; !ok {
		return nil, errorf(NotFound, "product_id: product %s not found", c.ProductID)
	}
	for i := range c.Events {
		if eh := b.e.dir.lookup(c.Events[i].CustomerID); eh != h {
			return nil, errorf(Invalid, "events[%d].customer_id: must be the consuming customer %s", i, c.CustomerID)
		}
	}
	return h, nil
}

func applyConsume(s *shard, t *task, c *Customer, cat *Catalog, now Nanos) {
	cmd := t.cmd.(*Consume)
	if c == nil {
		t.res.Err = errorf(NotFound, "customer_id: customer %s not found", cmd.CustomerID)
		return
	}
	// The state every earlier command of the log left: pending usage was
	// rated before this task (task.apply), alerts are brought up to date.
	s.evaluateAlerts(c, cat, now)
	before := s.checkNow(c, cat, now, cmd)
	if !before.Entitled && !s.allMetered(c, cmd.Events) {
		t.res.Check = &before
		return
	}
	out := &IngestOutcome{}
	for i := range cmd.Events {
		et := task{pos: t.pos, kind: KindIngest, h: t.h, event: &cmd.Events[i], out: out, res: t.res}
		s.rateEvent(&et, cat, now)
	}
	s.flushUsage(c, cat)
	s.evaluateAlerts(c, cat, now)
	after := s.checkNow(c, cat, now, cmd)
	after.Entitled, after.Reason = true, ReasonOK
	t.res.Check = &after
	t.res.Ingest = out
}

// allMetered reports whether every event of a consume was metered before:
// the consume is a retry (a gateway repeating a request it was not answered
// for), admitted again as it was the first time, and its events are counted
// as duplicates, never twice.
func (s *shard) allMetered(c *Customer, events []Event) bool {
	for i := range events {
		if !s.dedup.seen(events[i].Timestamp, c.ID, events[i].TransactionID) {
			return false
		}
	}
	return len(events) > 0
}

// checkNow answers the entitlement check for the command's product and
// group value from the customer's current state, as the published view
// will once the run ends.
func (s *shard) checkNow(c *Customer, cat *Catalog, now Nanos, cmd *Consume) CheckAnswer {
	v := buildView(c, cat, now, &s.scratch.balances)
	if len(c.Alerts) > 0 {
		v = c.blocks(v)
	}
	pe := v.product([]byte(cmd.ProductID))
	if pe == nil {
		pe = v.Default
	}
	a := CheckAnswer{Entitled: pe.Entitled, Reason: pe.Reason(), Balance: pe.Balance, CreditTypeID: pe.CreditTypeID}
	if cmd.GroupKey != "" && a.Entitled {
		if blocked := v.GroupBlocks[cmd.GroupKey+"\x00"+cmd.GroupValue]; blocked[""] || blocked[cmd.ProductID] {
			a.Entitled, a.Reason = false, ReasonLimitReached
		}
	}
	return a
}

func (a CheckAnswer) String() string {
	return fmt.Sprintf("%v %s %s %s", a.Entitled, a.Reason, a.Balance, a.CreditTypeID)
}
