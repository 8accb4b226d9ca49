package transport

import (
	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// addManualBalanceEntry serves POST /v1/contracts/addManualBalanceLedgerEntry
// {customer_id, contract_id?, id, segment_id, amount, reason, timestamp?}
// → 200 with no body, as Metronome answers (engine/manual_ledger.go).
// Without contract_id the commit or credit is looked up among the
// customer's contracts, then its customer-level commits and credits.
// per_group_amounts is refused by name.
func (s *Server) addManualBalanceEntry(ctx *fasthttp.RequestCtx, _ string) error {
	_, _, err := decodeAndPropose(s, ctx, func(body []byte) (*engine.AddManualLedgerEntry, error) {
		o, r, err := decodeObject(body)
		if err != nil {
			return nil, err
		}
		cmd := &engine.AddManualLedgerEntry{CustomerID: o.str("customer_id", true), ContractID: o.str("contract_id", false),
			CommitID: o.str("id", true), SegmentID: o.str("segment_id", true), Reason: o.str("reason", true), At: o.time("timestamp", false)}
		var ok bool
		if cmd.Amount, ok = o.amount("amount", true, false); ok && cmd.Amount.IsZero() {
			r.fail("amount", "must not be zero")
		}
		return cmd, r.Err()
	})
	if err != nil {
		return err
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	return nil
}
