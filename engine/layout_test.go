package engine

import (
	"testing"
	"unsafe"
)

// The fields rating reads for every event lie at the front of their
// structs, so an event costs few cache lines of a customer it has not
// touched lately (BenchmarkApplyIngest's spread workload is bound by those
// misses). Adding a field in front of them, or a hot field behind, fails
// here rather than silently in the benchmark.
func TestRatingFieldsAreCompact(t *testing.T) {
	var c Customer
	var k Contract
	var cm Commit
	var inv Invoice
	for _, tc := range []struct {
		name  string
		end   uintptr // offset past the last hot field
		limit uintptr
	}{
		{"Customer", unsafe.Offsetof(c.terms) + unsafe.Sizeof(c.terms), 64},
		{"Contract", unsafe.Offsetof(k.Extra) + unsafe.Sizeof(k.Extra), 128},
		{"Commit", unsafe.Offsetof(cm.Extra) + unsafe.Sizeof(cm.Extra), 128},
		{"Invoice", unsafe.Offsetof(inv.Total) + unsafe.Sizeof(inv.Total), 128},
	} {
		if tc.end > tc.limit {
			t.Errorf("%s: rating's fields end at byte %d, past %d", tc.name, tc.end, tc.limit)
		}
	}
	// Each hot field is in front of the first cold one.
	for _, tc := range []struct {
		name      string
		hot, cold uintptr
	}{
		{"Customer.Contracts before Name", unsafe.Offsetof(c.Contracts), unsafe.Offsetof(c.Name)},
		{"Contract.Invoices before ID", unsafe.Offsetof(k.Invoices), unsafe.Offsetof(k.ID)},
		{"Commit.Segments before ProductID", unsafe.Offsetof(cm.Segments), unsafe.Offsetof(cm.ProductID)},
		{"Invoice.LastUsageAt before ContractID", unsafe.Offsetof(inv.LastUsageAt), unsafe.Offsetof(inv.ContractID)},
	} {
		if tc.hot > tc.cold {
			t.Errorf("%s: at %d, after %d", tc.name, tc.hot, tc.cold)
		}
	}
}

// The structs every customer holds several of stay within the size
// classes BenchmarkMemoryPerCustomer was measured with: a field added to
// one moves it to the next class (16 to 32 more bytes for each of them, a
// million customers over), so it belongs behind the struct's Extra unless
// most of them set it.
func TestStateStructSizes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		size, most uintptr
	}{
		{"Commit", unsafe.Sizeof(Commit{}), 128},
		{"Segment", unsafe.Sizeof(Segment{}), 96},
		{"InvoiceLine", unsafe.Sizeof(InvoiceLine{}), 112},
		{"Contract", unsafe.Sizeof(Contract{}), 208},
		{"Invoice", unsafe.Sizeof(Invoice{}), 144},
		{"Alert", unsafe.Sizeof(Alert{}), 128},
		{"viewOfOne", unsafe.Sizeof(viewOfOne{}), 112},
		{"Customer", unsafe.Sizeof(Customer{}), 176},
	} {
		if tc.size > tc.most {
			t.Errorf("%s is %d bytes, over its %d", tc.name, tc.size, tc.most)
		}
	}
}
