package engine

import (
	"bytes"
	"math/rand"
	"testing"
)

// Any split of the same events into batches rates the same: the random log,
// with every Ingest cut into random pieces and the pieces spread over
// separate entries at the same stamped time, reaches the very state the
// unsplit log reaches (invoices, balances, ledgers, dedup, everything in a
// snapshot). Entries are numbered i×1000 (+ the piece) in both runs, so ids
// derived from log positions agree.
func TestAnySplitOfEventsRatesTheSame(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		log := randomLog(t, seed)
		whole := New(Config{Shards: 2})
		split := New(Config{Shards: 3})
		pieces := splitIngests(log, rand.New(rand.NewSource(seed*7919)))
		if len(pieces) < len(log)+20 {
			t.Fatalf("seed %d: only %d entries from %d: the split is not exercised", seed, len(pieces), len(log))
		}
		whole.Apply(renumbered(log))
		split.Apply(pieces)
		a, b := snapshotBytes(t, whole), snapshotBytes(t, split)
		whole.Close()
		split.Close()
		if !bytes.Equal(a, b) {
			t.Fatalf("seed %d: splitting ingests into other batches changed the state", seed)
		}
	}
}

// renumbered gives entry i the index i×1000 and closes the log with a tick
// at the last time, as splitIngests does.
func renumbered(log []Entry) []Entry {
	out := make([]Entry, 0, len(log)+1)
	for i, en := range log {
		en.Index = uint64(i+1) * 1000
		out = append(out, en)
	}
	return append(out, closingTick(log))
}

func closingTick(log []Entry) Entry {
	return Entry{Index: uint64(len(log)+1) * 1000, Time: log[len(log)-1].Time, Commands: []Command{&Tick{}}}
}

// splitIngests cuts every Ingest of the log into random pieces, each piece
// either joining the current entry or starting a new one at the same time;
// other commands keep their place and order. An entry holding commands that
// derive ids from their log position (index and place in the entry: edits,
// creations) is kept as it is.
func splitIngests(log []Entry, rng *rand.Rand) []Entry {
	var out []Entry
	for i, en := range log {
		base := uint64(i+1) * 1000
		cur := Entry{Index: base, Time: en.Time}
		spread := onlyUsageAndTime(en.Commands)
		for _, cmd := range en.Commands {
			in, ok := cmd.(*Ingest)
			if !ok || !spread {
				cur.Commands = append(cur.Commands, cmd)
				continue
			}
			for rest := in.Events; len(rest) > 0; {
				n := 1 + rng.Intn(len(rest))
				if spread && len(cur.Commands) > 0 && rng.Intn(2) == 0 {
					out = append(out, cur)
					cur = Entry{Index: cur.Index + 1, Time: en.Time}
				}
				cur.Commands = append(cur.Commands, &Ingest{Events: rest[:n:n]})
				rest = rest[n:]
			}
		}
		out = append(out, cur)
	}
	return append(out, closingTick(log))
}

func onlyUsageAndTime(cmds []Command) bool {
	for _, c := range cmds {
		switch c.(type) {
		case *Ingest, *Tick:
		case *Consume, *ArchiveAlert, *ResetAlert:
			// They derive no ids, and check or evaluate against the state
			// every earlier command left, however the usage is batched.
		default:
			return false
		}
	}
	return true
}
