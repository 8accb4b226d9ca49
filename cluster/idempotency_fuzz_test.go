package cluster

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"burndown/engine"
	"burndown/persist"
)

// FuzzIdempotencyApply reads the input as a script of entries made of
// guards (few keys, two fingerprints, sometimes malformed or dangling) and
// engine commands, with time moving by up to a day per entry, and applies it
// to two fsms: one in a single batch, one entry by entry and restored from a
// snapshot taken half way. Nothing may panic; both must answer every command
// alike and end with the same table and state, also with bounds small
// enough to refuse keys.
func FuzzIdempotencyApply(f *testing.F) {
	f.Add([]byte{0x10, 0x10, 0x31, 0x80, 0x10, 0xff, 0x10})
	f.Add([]byte{0x00, 0x41, 0x01, 0x41, 0xc5, 0x41, 0x41, 0x02})
	f.Add([]byte{0xa6, 0x00, 0x40, 0x80, 0x01, 0x40, 0x80, 0x02, 0x41, 0x80, 0x03, 0x40, 0xd8, 0x02, 0x40})
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 512 {
			return
		}
		codec, err := newCodec()
		if err != nil {
			t.Fatal(err)
		}
		var logs []*raft.Log
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
		var cmds []engine.Command
		flush := func() {
			buf := persist.AppendEntryHeader(nil, at, len(cmds))
			for _, c := range cmds {
				enc, err := codec.EncodeCommand(c)
				if err != nil {
					t.Fatal(err)
				}
				buf = persist.AppendCommand(buf, enc)
			}
			logs = append(logs, &raft.Log{Index: uint64(len(logs) + 1), Type: raft.LogCommand, Data: buf})
			cmds = nil
		}
		for i, b := range script {
			switch b >> 6 {
			case 0: // a guard: key b&3, fingerprint (b>>2)&1, malformed when (b>>3)&7 == 7
				fp := sha256.Sum256([]byte{(b >> 2) & 1})
				g := &idemGuardCmd{Scope: "/s", Key: fmt.Sprint("k", b&3), Fingerprint: fp[:]}
				if (b>>3)&7 == 7 {
					g.Fingerprint = g.Fingerprint[:5]
				}
				cmds = append(cmds, g)
			case 1: // an engine command
				if b&1 == 0 {
					cmds = append(cmds, &engine.CreateCustomer{Name: fmt.Sprint("c", i)})
				} else {
					cmds = append(cmds, &engine.Ingest{Events: []engine.Event{{TransactionID: fmt.Sprint("t", i),
						CustomerID: "nobody", EventType: "api", Timestamp: at}}})
				}
			case 2: // close the entry
				flush()
			case 3: // time moves by b&63 hours
				at += int64(b&63) * int64(time.Hour)
			}
		}
		flush()

		run := func(f *fsm, logs []*raft.Log) [][]engine.Result {
			var out [][]engine.Result
			for _, l := range logs {
				rs, _ := f.ApplyBatch([]*raft.Log{l})[0].([]engine.Result)
				out = append(out, rs)
			}
			return out
		}
		newF := func() *fsm {
			e := engine.New(engine.Config{Shards: 2})
			t.Cleanup(e.Close)
			f := newFSM(e, codec)
			if len(script) > 0 && script[0]&0x80 != 0 { // small bounds: refusals must not depend on batching
				f.idem.setBounds(int64(script[0]&3)+1, 200+40*int64(script[0]>>2&15))
			}
			return f
		}
		a, b := newF(), newF()
		half := len(logs) / 2
		var ra [][]engine.Result
		for _, r := range a.ApplyBatch(logs) {
			rs, _ := r.([]engine.Result)
			ra = append(ra, rs)
		}
		rb := run(b, logs[:half])
		snap, err := b.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := persist.WriteSnapshot(&buf, snap.(*fsmSnapshot).snap, snap.(*fsmSnapshot).meta); err != nil {
			t.Fatal(err)
		}
		snap.Release()
		c := newF()
		if err := c.Restore(nopCloser{&buf}); err != nil {
			t.Fatal(err)
		}
		rb = append(rb, run(c, logs[half:])...)
		if !reflect.DeepEqual(ra, rb) {
			t.Fatalf("answers differ after a snapshot half way:\n%+v\n%+v", ra, rb)
		}
		if !reflect.DeepEqual(a.idem.view(), c.idem.view()) || a.idem.bytes != c.idem.bytes {
			t.Fatalf("tables differ: %d vs %d keys", len(a.idem.byKey), len(c.idem.byKey))
		}
		if got, want := a.eng.CustomerCount(), c.eng.CustomerCount(); got != want {
			t.Fatalf("%d vs %d customers", got, want)
		}
	})
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }
