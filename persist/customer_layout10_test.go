package persist

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// Layout 10: a customer's update and archive times and each contract's
// archive time round trip (the contract reads back archived); a customer
// without them is, in the decimal data format, written as its layout 9
// record exactly (what earlier releases read), and one with them is
// refused there rather than written without them.
func TestCustomerCodecLayout10Archive(t *testing.T) {
	c := fullCustomer()
	plain := AppendCustomer(nil, c)
	enc9 := CustomerEncoderFor(DataFormatDecimalAmounts)
	b9, err := enc9(nil, c)
	if err != nil {
		t.Fatal(err)
	}
	if want := appendCustomer(nil, c, 9, (*binWriter).binAmount); !bytes.Equal(b9, want) {
		t.Fatalf("the decimal format's record is not the layout 9 record (%d vs %d bytes)", len(b9), len(want))
	}
	if got, err := DecodeCustomer(b9, nil); err != nil || !bytes.Equal(AppendCustomer(nil, got), plain) {
		t.Fatalf("layout 9 record reads back as another customer: %v", err)
	}

	c.SetAdmin(111, 222)
	extraOf(c.Contracts[0]).ArchivedAt = 333
	c.Contracts[0].Archived = true
	b, got := roundTripCurrent(t, c)
	if got.UpdatedAt() != 111 || got.ArchivedAt() != 222 || got.Contracts[0].ArchivedAt() != 333 || !got.Contracts[0].Archived {
		t.Fatalf("read back updated %d archived %d, contract %d/%t", got.UpdatedAt(), got.ArchivedAt(), got.Contracts[0].ArchivedAt(), got.Contracts[0].Archived)
	}
	if !reflect.DeepEqual(AppendCustomer(nil, got), b) {
		t.Fatal("the record does not re-encode to itself")
	}
	if _, err := enc9(nil, c); err == nil || !strings.Contains(err.Error(), "layout 9") {
		t.Fatalf("an archived customer written in the decimal format: %v, want refused", err)
	}
	if out, err := CustomerEncoderFor(DataFormatCompactAmounts)(nil, c); err != nil || !bytes.Equal(out, b) {
		t.Fatalf("compact format: %v", err)
	}
}
