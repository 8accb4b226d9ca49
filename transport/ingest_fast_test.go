package transport

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func ingestBody(n int, props string) []byte {
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"transaction_id":"tx-%d","customer_id":"alias-%d","event_type":"api_call","timestamp":"2026-01-02T03:04:05Z"%s}`, i, i%7, props)
	}
	b.WriteString("]")
	return []byte(b.String())
}

var fastSeeds = []string{
	string(ingestBody(1, "")),
	string(ingestBody(100, `,"properties":{"bytes":"123","n":1.5e3,"ok":true,"no":false}`)),
	string(ingestBody(3, `,"properties":null`)),
	string(ingestBody(2, `,"properties":{}`)),
	` [ {"timestamp":"2026-01-02T03:04:05.123Z","event_type":"x","customer_id":"c","transaction_id":"t"} ] `,
	`[{"transaction_id":"t","customer_id":"c","event_type":"x","timestamp":"2026-01-02T03:04:05Z","extra":1}]`,
	`[{"transaction_id":"t\u00e9","customer_id":"c","event_type":"x","timestamp":"2026-01-02T03:04:05Z"}]`,
	`[{"transaction_id":"t","transaction_id":"u","customer_id":"c","event_type":"x","timestamp":"2026-01-02T03:04:05Z"}]`,
	`[{"transaction_id":" ","customer_id":"c","event_type":"x","timestamp":"2026-01-02T03:04:05Z"}]`,
	`[{"transaction_id":"t","customer_id":"c","event_type":"x","timestamp":"yesterday"}]`,
	`[{"transaction_id":"t","customer_id":"c","event_type":"x","timestamp":"2026-01-02T03:04:05Z","properties":{"a":{"b":1}}}]`,
	`[{"transaction_id":"t","customer_id":"c","event_type":"x","timestamp":"2026-01-02T03:04:05Z","properties":{"a":01}}]`,
	`[{"transaction_id":"t","customer_id":"c","event_type":"x","timestamp":"2026-01-02T03:04:05Z"}] x`,
	`[]`, `[`, `{}`, `null`, ``,
}

// The fast decoder must agree with the generic one on everything it accepts.
func FuzzIngestFastMatchesGeneric(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	srv := &Server{}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := decodeEventsFast(body)
		if !ok {
			return
		}
		slow, err := srv.decodeEventsGenericOnly(body)
		if err != nil {
			t.Fatalf("fast path accepted %q, generic rejects it: %v", body, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("decoders disagree on %q:\nfast %+v\nslow %+v", body, fast, slow)
		}
	})
}

func TestIngestFastPathTakesTheCommonShape(t *testing.T) {
	for _, body := range [][]byte{ingestBody(100, ""), ingestBody(10, `,"properties":{"bytes":"123","n":7}`)} {
		if _, ok := decodeEventsFast(body); !ok {
			t.Fatalf("fast path refused %s", body[:120])
		}
	}
}

func BenchmarkDecodeIngest(b *testing.B) {
	body := ingestBody(100, `,"properties":{"region":"eu","tokens":"42"}`)
	srv := &Server{}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			if _, ok := decodeEventsFast(body); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("generic", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			if _, err := srv.decodeEventsGenericOnly(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
