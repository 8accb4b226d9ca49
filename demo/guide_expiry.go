package demo

import (
	"fmt"
	"math/big"
)

// playExpiry ends guide 2 (SCENARIOS.md A.8): at the end of its year what
// remains of Example Inc's commits that end then expires (a
// PREPAID_COMMIT_EXPIRATION ledger entry), the balance drops by as much,
// and the entitlement follows. It is played last because the test clock
// only moves forward.
func (p *player) playExpiry(x exampleInc) {
	if p.err != nil {
		return
	}
	p.guide, p.title, p.step, p.steps = 2, "Prepaid credits behind a payment gate", 6, 7
	fmt.Fprintf(p.out, "\n== Guide 2/5, continued: a year later\n")
	if !p.beginStep("On %s the commits bought for a year end: what remains of them expires", p.tl.day("2027-01-01T00:00:00Z")) {
		return
	}
	before := map[string]string{}
	for _, b := range p.balances(x.id) {
		before[b.ID] = string(b.Balance)
	}
	balanceBefore := p.check(x.alias, x.api).Balance
	p.setClock("2027-01-01T00:00:00Z")
	expired, entries := new(big.Rat), 0
	for _, b := range p.balances(x.id) {
		for _, l := range b.Ledger {
			if l.Type != "PREPAID_COMMIT_EXPIRATION" {
				continue
			}
			entries++
			p.expect(fmt.Sprintf("commit %.8s: %s left, expired", b.ID, before[b.ID]), negate(string(l.Amount)), before[b.ID])
			p.expect(fmt.Sprintf("commit %.8s: expired at", b.ID), l.Timestamp, p.at("2027-01-01T00:00:00Z"))
			if r, ok := new(big.Rat).SetString(string(l.Amount)); ok {
				expired.Add(expired, r)
			}
		}
	}
	p.expect("commits that expired (the purchases of guides 2 and 3)", itoa64(int64(entries)), "2")
	want, _ := new(big.Rat).SetString(balanceBefore)
	if want == nil {
		want = new(big.Rat)
	}
	want.Add(want, expired)
	after := p.check(x.alias, x.api)
	p.expect(fmt.Sprintf("balance (%s before, %s expired)", balanceBefore, expired.RatString()), after.Balance, want.RatString())
	entitled, reason := want.Sign() > 0, "ok"
	if !entitled {
		reason = "balance_depleted"
	}
	p.expect("API calls entitled", fmt.Sprintf("%t (%s)", after.Entitled, after.Reason), fmt.Sprintf("%t (%s)", entitled, reason))
	p.say("(the commits ending first are drawn first: the auto-recharges run on)")
}

// negate turns a ledger amount into what it took away ("-0" reads "0").
func negate(amount string) string {
	r, ok := new(big.Rat).SetString(amount)
	if !ok {
		return amount
	}
	return r.Neg(r).RatString()
}
