package persist

import (
	"fmt"
	"reflect"
	"testing"

	"burndown/engine"
)

func sampleIngest(n int) *engine.Ingest {
	in := &engine.Ingest{}
	for i := 0; i < n; i++ {
		ev := engine.Event{TransactionID: fmt.Sprintf("tx-%d", i), CustomerID: fmt.Sprintf("alias-%d", i%17), EventType: "api_call", Timestamp: 1767225600000000000 + int64(i)}
		switch i % 3 {
		case 1:
			ev.Properties = map[string]string{"region": "eu", "tokens": fmt.Sprint(i), "": "empty key"}
		case 2:
			ev.Properties = map[string]string{}
		}
		in.Events = append(in.Events, ev)
	}
	return in
}

func TestIngestBinaryRoundTripAndDeterminism(t *testing.T) {
	c, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	in := sampleIngest(100)
	first, err := c.EncodeEntry(42, []engine.Command{in})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ { // map iteration order varies; bytes must not
		again, _ := c.EncodeEntry(42, []engine.Command{in})
		if string(again) != string(first) {
			t.Fatal("encoding the same ingest twice gave different bytes")
		}
	}
	at, cmds, err := c.DecodeEntry(first)
	if err != nil || at != 42 || len(cmds) != 1 {
		t.Fatalf("decode: %v %d %d", err, at, len(cmds))
	}
	if !reflect.DeepEqual(cmds[0], in) {
		t.Fatalf("round trip changed the ingest:\n%+v\n%+v", cmds[0], in)
	}
	// Every truncation is an error, never a panic or a silent partial decode.
	for cut := entryHeaderLen; cut < len(first); cut++ {
		if _, _, err := c.DecodeEntry(first[:cut]); err == nil {
			t.Fatalf("entry cut at %d of %d decoded without error", cut, len(first))
		}
	}
}

// Logs written before the binary layout hold Ingest as msgpack version 1.
func TestIngestVersion1StillDecodes(t *testing.T) {
	c, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	in := sampleIngest(5)
	body, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	entry := AppendCommand(AppendEntryHeader(nil, 7, 1), Encoded{Kind: engine.KindIngest, Version: 1, Body: body})
	_, cmds, err := c.DecodeEntry(entry)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cmds[0], in) {
		t.Fatalf("version 1 decode differs:\n%+v\n%+v", cmds[0], in)
	}
}

// BenchmarkIngestCodec encodes and decodes one ingest command of 100 events,
// binary layout against msgpack (version 1).
func BenchmarkIngestCodec(b *testing.B) {
	c, err := NewCodec()
	if err != nil {
		b.Fatal(err)
	}
	in := sampleIngest(100)
	b.Run("binary", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			e, err := c.EncodeCommand(in)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.decodeCommand(e.Kind, e.Version, e.Body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("msgpack", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			body, err := Marshal(in)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.decodeCommand(engine.KindIngest, 1, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
