package persist

import (
	"bytes"
	"strings"
	"testing"
)

// Layout 12: which contracts bill scheduled charges on SCHEDULED invoices
// of their own round trips; a layout 11 record reads back with every
// contract consolidating them (what the builds that wrote it did); the
// decimal data format refuses a customer with such a contract rather than
// drop the choice; a position the record does not hold fails it.
func TestCustomerCodecLayout12ScheduledInvoices(t *testing.T) {
	c := manualCustomer()
	c.Contracts[0].SeparateScheduledInvoices = true
	b := appendCustomer(nil, c, 12, (*binWriter).binAmount)
	if b[0] != 12 {
		t.Fatalf("layout %d, want 12", b[0])
	}
	got, err := DecodeCustomer(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Contracts[0].SeparateScheduledInvoices || !bytes.Equal(appendCustomer(nil, got, 12, (*binWriter).binAmount), b) {
		t.Fatal("a layout 12 record does not read back to itself")
	}
	b11 := appendCustomer(nil, c, 11, (*binWriter).binAmount)
	old, err := DecodeCustomer(b11, nil)
	if err != nil || old.Contracts[0].SeparateScheduledInvoices {
		t.Fatalf("a layout 11 record: %v, separate %v", err, err == nil && old.Contracts[0].SeparateScheduledInvoices)
	}
	plain := manualCustomer()
	if !bytes.Equal(AppendCustomer(nil, old), AppendCustomer(nil, plain)) {
		t.Fatal("a layout 11 record reads back as another customer")
	}
	if _, err := CustomerEncoderFor(DataFormatDecimalAmounts)(nil, c); err == nil || !strings.Contains(err.Error(), "SCHEDULED") {
		t.Fatalf("decimal format: %v, want refused", err)
	}
	bad := append([]byte(nil), b...)
	bad[len(bad)-1] = byte(len(c.Contracts)) // the last byte is the position
	if _, err := DecodeCustomer(bad, nil); err == nil || !strings.Contains(err.Error(), "does not hold") {
		t.Fatalf("a missing contract: %v", err)
	}
	if _, err := DecodeCustomer(append([]byte{13}, b[1:]...), nil); err == nil {
		t.Fatal("a layout 12 record labelled 13 (which has one more section) was read")
	}
	if _, err := DecodeCustomer(append([]byte{16}, b[1:]...), nil); err == nil {
		t.Fatal("layout 16, which no build writes, was read")
	}
}
