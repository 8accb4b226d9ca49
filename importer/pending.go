package importer

import (
	"context"
	"fmt"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/packages/param"
)

// notePending records the source customer's purchases still waiting on a
// payment gate (a gated commit or a raised recharge). Contract reads do not
// show them, and they are not carried: the payment is the source's to
// settle, and a copy would be bought a second time.
func (r *run) notePending(ctx context.Context, customerID string) error {
	list, err := collect[metronome.V1ContractListBalancesResponseUnion, struct {
		ID                string `json:"id"`
		Name              string `json:"name"`
		PaymentGateStatus string `json:"payment_gate_status"`
	}](r.src.sdk.V1.Contracts.ListBalancesAutoPaging(ctx, metronome.V1ContractListBalancesParams{CustomerID: customerID,
		IncludeContractBalances: param.NewOpt(true)}))
	if err != nil {
		return fmt.Errorf("%s: balances of customer %s: %w", r.src.name, customerID, err)
	}
	for _, b := range list {
		if b.PaymentGateStatus == "pending" {
			r.rep.note(kindBalances, b.ID, "%q is a pending purchase (its payment gate has not settled): not carried; settle it in the source", b.Name)
		}
	}
	return nil
}
