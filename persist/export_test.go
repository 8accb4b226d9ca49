package persist

import "burndown/engine"

// CustomerLayout is the layout AppendCustomer writes, for the external
// tests.
const CustomerLayout = customerLayout

// AppendCustomerAt writes c in any customer layout with the test-only
// layout writer (customer_layouts_test.go), for the external tests.
func AppendCustomerAt(dst []byte, c *engine.Customer, layout byte) []byte {
	if layout == 1 {
		return appendCustomer(dst, c, 1, (*binWriter).decAmount)
	}
	return appendCustomer(dst, c, layout, (*binWriter).binAmount)
}

// CompactAmountsSince is compactAmountsSince, for the external tests.
var CompactAmountsSince = compactAmountsSince

// AmountBins lists a command body's amount bins (bins), for the external
// tests.
var AmountBins = bins
