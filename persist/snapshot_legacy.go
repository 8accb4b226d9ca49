package persist

import (
	"bufio"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"

	"burndown/engine"
)

// readPositional reads the rest of a format 1 or 2 stream: cluster
// metadata, catalog, customer order, then per shard the customers and the
// dedup buckets, then the end marker, all positional msgpack values. dec
// reads br directly (a bufio.Reader is not buffered again), so values are
// read through either.
func readPositional(br *bufio.Reader, dec *msgpack.Decoder, hdr *snapshotHeader) (*engine.State, ClusterMeta, error) {
	var meta ClusterMeta
	if err := decodeNext(br, &meta); err != nil {
		return nil, meta, fmt.Errorf("cluster metadata: %w", err)
	}
	st := &engine.State{Index: hdr.Index, Now: hdr.Now, UnknownRejects: hdr.UnknownRejects}
	st.Catalog = new(engine.Catalog)
	if err := decodeNext(br, st.Catalog); err != nil {
		return nil, meta, fmt.Errorf("catalog: %w", err)
	}
	engine.MarkFoundationCatalog(st.Catalog)
	if err := decodeNext(br, &st.CustomerOrder); err != nil {
		return nil, meta, fmt.Errorf("customer order: %w", err)
	}
	st.Customers = make([]*engine.Customer, 0, min(hdr.Customers, maxPrealloc))
	for i := 0; i < hdr.Shards; i++ {
		n, err := dec.DecodeArrayLen()
		if err != nil {
			return nil, meta, fmt.Errorf("shard %d: %w", i, err)
		}
		raw := make([][]byte, 0, min(max(n, 0), maxPrealloc))
		for j := 0; j < n; j++ {
			b, err := decodeNextBytes(br)
			if err != nil {
				return nil, meta, fmt.Errorf("shard %d customer %d: %w", i, j, err)
			}
			raw = append(raw, b)
		}
		cs, err := decodeCustomers(raw, hdr.Format)
		if err != nil {
			return nil, meta, fmt.Errorf("shard %d: %w", i, err)
		}
		st.Customers = append(st.Customers, cs...)
		nb, err := dec.DecodeArrayLen()
		if err != nil {
			return nil, meta, fmt.Errorf("shard %d dedup: %w", i, err)
		}
		for j := 0; j < nb; j++ {
			day, err := dec.DecodeInt64()
			if err != nil {
				return nil, meta, fmt.Errorf("shard %d dedup bucket %d: %w", i, j, err)
			}
			keys, err := decodeNextBytes(br)
			if err != nil {
				return nil, meta, fmt.Errorf("shard %d dedup bucket %d: %w", i, j, err)
			}
			if len(keys)%16 != 0 {
				return nil, meta, fmt.Errorf("shard %d dedup bucket %d: %d bytes is not a whole number of keys", i, j, len(keys))
			}
			st.Dedup = append(st.Dedup, engine.DedupBucket{Day: day, Keys: keys, Legacy: true})
		}
	}
	end, err := dec.DecodeString()
	if err != nil || end != snapshotEnd {
		return nil, meta, fmt.Errorf("missing end marker (truncated?): %v", err)
	}
	if len(st.Customers) != hdr.Customers {
		return nil, meta, fmt.Errorf("header says %d customers, stream holds %d", hdr.Customers, len(st.Customers))
	}
	return st, meta, nil
}

// decodeNext decodes the stream's next value into v without trusting the
// lengths it claims: the value's raw bytes are read first (readRawValue
// honours lengths only as bytes arrive and bounds the nesting), so a corrupt
// length fails at the end of the stream instead of allocating gigabytes.
func decodeNext(br *bufio.Reader, v any) error {
	raw, err := readRawValue(br)
	if err != nil {
		return err
	}
	return Unmarshal(raw, v)
}

// decodeNextBytes is decodeNext for a byte string.
func decodeNextBytes(br *bufio.Reader) ([]byte, error) {
	var b []byte
	err := decodeNext(br, &b)
	return b, err
}
