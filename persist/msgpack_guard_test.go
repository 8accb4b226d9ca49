package persist

import (
	"bufio"
	"bytes"
	"errors"
	"testing"

	"burndown/engine"
)

// Hostile msgpack is refused before the decoder sees it: nesting a million
// levels deep (msgpack's decoder would overflow the stack) and lengths that
// claim gigabytes the input does not hold (it would allocate them).
func TestHostileMsgpackIsRefused(t *testing.T) {
	cases := map[string][]byte{
		"deep arrays":    bytes.Repeat([]byte{0x91}, 1_000_000),
		"deep maps":      bytes.Repeat([]byte{0x81, 0xa1, 'k'}, 100_000),
		"bin32 of 4 GiB": {0xc6, 0xff, 0xff, 0xff, 0xff, 1, 2, 3},
		"str32 of 3 GiB": {0xdb, 0xc0, 0, 0, 0, 'x'},
		"array32 claims": {0xdd, 0xff, 0xff, 0xff, 0xff, 1},
		"reserved code":  {0xc1},
		"trailing bytes": {0x01, 0x02},
	}
	for name, b := range cases {
		var v any
		if err := Unmarshal(b, &v); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if name == "deep arrays" {
			if _, err := readRawValue(bufio.NewReader(bytes.NewReader(b))); !errors.Is(err, errMsgpackTooDeep) {
				t.Errorf("%s from a stream: %v, want errMsgpackTooDeep", name, err)
			}
		}
	}
	// What our encoder writes passes the guard unchanged.
	for _, cmd := range sampleCommands() {
		body, err := Marshal(cmd)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkMsgpack(body); err != nil {
			t.Fatalf("%T: %v", cmd, err)
		}
		raw, err := readRawValue(bufio.NewReader(bytes.NewReader(append(body, 0xc0))))
		if err != nil || !bytes.Equal(raw, body) {
			t.Fatalf("%T: raw read %d of %d bytes: %v", cmd, len(raw), len(body), err)
		}
	}
	var cat engine.Catalog
	if err := Unmarshal(mustMarshal(t, engine.NewCatalog()), &cat); err != nil {
		t.Fatal(err)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkCheckMsgpack is the guard every decoded command passes (apply,
// restore): its cost and garbage per command of sampleCommands.
func BenchmarkCheckMsgpack(b *testing.B) {
	var bodies [][]byte
	for _, cmd := range sampleCommands() {
		body, err := Marshal(cmd)
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, body)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := checkMsgpack(bodies[i%len(bodies)]); err != nil {
			b.Fatal(err)
		}
	}
}
