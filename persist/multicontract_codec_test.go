package persist

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"burndown/engine"
)

// Layout 13: which contracts are concurrent, and their usage filters,
// round trip; a layout 12 record reads back with none (one contract at a
// time, as the builds that wrote it); the decimal data format refuses a
// customer with any rather than drop them; a position the record does not
// hold fails it.
func TestCustomerCodecLayout13Concurrent(t *testing.T) {
	c := manualCustomer()
	c.Contracts[0].Concurrent = true
	c.Contracts[0].EditExtra(func(x *engine.ContractExtra) {
		x.UsageFilter = &engine.UsageFilter{GroupKey: "team", GroupValues: []string{"ml", "data"}}
	})
	b, got := roundTripCurrent(t, c)
	if !got.Contracts[0].Concurrent || !reflect.DeepEqual(got.Contracts[0].UsageFilter(), c.Contracts[0].UsageFilter()) || !bytes.Equal(AppendCustomer(nil, got), b) {
		t.Fatalf("a layout 13 record does not read back to itself: %+v", got.Contracts[0].UsageFilter())
	}
	b12 := appendCustomer(nil, c, 12, (*binWriter).binAmount)
	old, err := DecodeCustomer(b12, nil)
	if err != nil || old.Contracts[0].Concurrent || old.Contracts[0].UsageFilter() != nil {
		t.Fatalf("a layout 12 record: %v", err)
	}
	if !bytes.Equal(AppendCustomer(nil, old), AppendCustomer(nil, manualCustomer())) {
		t.Fatal("a layout 12 record reads back as another customer")
	}
	if _, err := CustomerEncoderFor(DataFormatDecimalAmounts)(nil, c); err == nil || !strings.Contains(err.Error(), "concurrent") {
		t.Fatalf("decimal format: %v, want refused", err)
	}
	// The section is last in a layout 13 record: count 1, position 0,
	// concurrent, filter, key, values. Point the position past the
	// contracts.
	tail := 1 + 1 + 1 + 1 + 1 + len("team") + 1 + 1 + len("ml") + 1 + len("data")
	bad := appendCustomer(nil, c, 13, (*binWriter).binAmount)
	bad[len(bad)-tail+1] = byte(len(c.Contracts))
	if _, err := DecodeCustomer(bad, nil); err == nil || !strings.Contains(err.Error(), "does not hold") {
		t.Fatalf("a missing contract: %v", err)
	}
}

// A create_contract written by a build that refused overlapping contracts
// (versions 2 to 5) is refused again on replay, with that build's error:
// the refusal depended on the customer's state, so the state after an old
// log stays what it was. Version 1 (the foundation's, which allowed them)
// and version 6 accept it; while the cluster's format is decimal, every
// create is written at a version that refuses them, so nodes of older
// releases and this one agree; in the compact format a new create is
// written at version 6, one decoded from version 5 at version 5 again; a
// create with a usage_filter needs the compact format.
func TestOverlappingCreatesOfOldVersionsStayRefused(t *testing.T) {
	t0 := engine.Nanos(1767225600000000000) // 2026-01-01
	overlapping := func() *engine.CreateContract {
		return &engine.CreateContract{ID: "k1", CustomerID: "cu", RateCardID: "rc", StartingAt: t0 + 86400e9}
	}
	for _, c := range []struct {
		version uint8 // 0: this build's codec, in the format below
		format  DataFormat
		refused bool
	}{{1, 0, false}, {2, 0, true}, {3, 0, true}, {4, 0, true}, {5, 0, true}, {6, 0, false},
		{0, DataFormatDecimalAmounts, true}, {0, DataFormatCompactAmounts, false}} {
		codec, err := NewCodec()
		if err != nil {
			t.Fatal(err)
		}
		codec.SetDataFormat(c.format)
		e := engine.New(engine.Config{Shards: 2})
		index := uint64(0)
		apply := func(version uint8, cmds ...engine.Command) []engine.Result {
			var b []byte
			if version == 0 {
				if b, err = codec.EncodeEntry(t0, cmds); err != nil {
					t.Fatal(err)
				}
			} else {
				b = encodeAt(t, t0, version, cmds...)
			}
			at, decoded, err := codec.DecodeEntry(b)
			if err != nil {
				t.Fatal(err)
			}
			index++
			return e.Apply([]engine.Entry{{Index: index, Time: at, Commands: decoded}})[0]
		}
		apply(0, &engine.CreateRateCard{ID: "rc", Name: "rc"}, &engine.CreateCustomer{ID: "cu"},
			&engine.CreateContract{ID: "k0", CustomerID: "cu", RateCardID: "rc", StartingAt: t0})
		res := apply(c.version, overlapping())[0]
		const refusal = "starting_at: overlaps contract k0 (2026-01-01T00:00:00Z onwards); end it first (update its end date) so that one contract is in force at a time"
		if c.refused && (res.Err == nil || res.Err.Message != refusal) {
			t.Errorf("version %d, format %d: %+v, want refused with %q", c.version, c.format, res.Err, refusal)
		}
		if !c.refused && res.Err != nil {
			t.Errorf("version %d, format %d: %v, want accepted", c.version, c.format, res.Err)
		}
		e.Close()
	}
	codec, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	filtered := overlapping()
	filtered.UsageFilter = &engine.UsageFilterInput{GroupKey: "team", GroupValues: []string{"ml"}}
	if f := CommandNeedsFormat(filtered); f != DataFormatCompactAmounts {
		t.Fatalf("a create with a usage filter needs format %d", f)
	}
	codec.SetDataFormat(DataFormatCompactAmounts)
	old := overlapping()
	old.OverlapsRefused = true
	for _, w := range []struct {
		cmd     *engine.CreateContract
		version uint8
	}{{overlapping(), 6}, {filtered, 6}, {old, 5}} {
		if enc, err := codec.EncodeCommand(w.cmd); err != nil || enc.Version != w.version {
			t.Fatalf("written at version %d (%v), want %d", enc.Version, err, w.version)
		}
	}
	codec.SetDataFormat(DataFormatDecimalAmounts)
	if enc, err := codec.EncodeCommand(overlapping()); err != nil || enc.Version > 4 {
		t.Fatalf("decimal format: written at version %d (%v)", enc.Version, err)
	}
}
