package persist

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/vmihailenco/msgpack/v5"

	"burndown/engine"
)

// snapshotMagic opens every snapshot and backup, so a wrong file is refused
// at once instead of failing somewhere in the middle.
const snapshotMagic = "BURNDOWN"

// SnapshotFormat is the layout version of a snapshot stream. Format 2 holds
// customers in the binary customer layout (customer_codec.go); format 1,
// still readable, held them as msgpack.
const SnapshotFormat = 2

// snapshotEnd closes a complete snapshot; a stream without it was truncated.
const snapshotEnd = "END"

// maxPrealloc bounds allocations sized from counts read from a stream, so a
// corrupt or hostile backup cannot ask for gigabytes up front.
const maxPrealloc = 1 << 20

// ClusterMeta is the cluster layer's replicated state that lives beside the
// engine: which HTTP address each raft node serves, so any node can point a
// client at the leader.
type ClusterMeta struct {
	NodeHTTPAddrs map[string]string `msgpack:"NodeHTTPAddrs"`
}

// snapshotHeader describes what follows it in the stream.
type snapshotHeader struct {
	Format         int    `msgpack:"Format"`
	Index          uint64 `msgpack:"Index"`
	Now            int64  `msgpack:"Now"`
	Shards         int    `msgpack:"Shards"`
	Customers      int    `msgpack:"Customers"`
	UnknownRejects int64  `msgpack:"UnknownRejects"`
}

// EncodeCustomer is the engine.CustomerEncoder of every snapshot: the binary
// customer layout, canonical, so equal customers give equal bytes on every
// replica.
func EncodeCustomer(dst []byte, c *engine.Customer) ([]byte, error) {
	return AppendCustomer(dst, c), nil
}

// WriteSnapshot streams snap and the cluster metadata to w, buffered: header,
// cluster metadata, catalog, customer order, then shard by shard the encoded
// customers and dedup buckets, then an end marker. Customers are encoded as
// they are written (copy-on-write; see engine.Snapshot); the caller releases
// snap afterwards.
func WriteSnapshot(w io.Writer, snap *engine.Snapshot, meta ClusterMeta) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if _, err := bw.WriteString(snapshotMagic); err != nil {
		return fmt.Errorf("persist: write snapshot: %w", err)
	}
	enc := msgpack.NewEncoder(bw)
	enc.SetSortMapKeys(true)
	hdr := snapshotHeader{
		Format: SnapshotFormat, Index: snap.Index, Now: snap.Now, Shards: snap.ShardCount(),
		Customers: snap.CustomerCount(), UnknownRejects: snap.UnknownRejects,
	}
	if err := writeSections(enc, &hdr, snap, &meta); err != nil {
		return fmt.Errorf("persist: write snapshot: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("persist: write snapshot: %w", err)
	}
	return nil
}

func writeSections(enc *msgpack.Encoder, hdr *snapshotHeader, snap *engine.Snapshot, meta *ClusterMeta) error {
	if err := enc.Encode(hdr); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if err := enc.Encode(meta); err != nil {
		return fmt.Errorf("cluster metadata: %w", err)
	}
	cat := snap.Catalog
	if cat == nil {
		cat = engine.NewCatalog()
	}
	if err := enc.Encode(cat); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if err := enc.Encode(snap.CustomerOrder); err != nil {
		return fmt.Errorf("customer order: %w", err)
	}
	for i := 0; i < snap.ShardCount(); i++ {
		if err := enc.EncodeArrayLen(snap.ShardCustomers(i)); err != nil {
			return err
		}
		if err := snap.WriteShard(i, enc.EncodeBytes); err != nil {
			return fmt.Errorf("shard %d customers: %w", i, err)
		}
		dedup := snap.ShardDedup(i)
		if err := enc.EncodeArrayLen(len(dedup)); err != nil {
			return err
		}
		for _, b := range dedup {
			if err := enc.EncodeInt(b.Day); err != nil {
				return err
			}
			if err := enc.EncodeBytes(b.Keys); err != nil {
				return fmt.Errorf("shard %d dedup: %w", i, err)
			}
		}
	}
	return enc.EncodeString(snapshotEnd)
}

// ReadSnapshot reads a stream written by WriteSnapshot back into an engine
// State (for (*engine.Engine).Restore) and the cluster metadata. Customers
// are decoded in parallel, one shard's worth at a time.
func ReadSnapshot(r io.Reader) (*engine.State, ClusterMeta, error) {
	st, meta, err := readSnapshot(bufio.NewReaderSize(r, 256<<10))
	if err != nil {
		return nil, ClusterMeta{}, fmt.Errorf("persist: read snapshot: %w", err)
	}
	return st, meta, nil
}

func readSnapshot(br *bufio.Reader) (*engine.State, ClusterMeta, error) {
	var meta ClusterMeta
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil {
		return nil, meta, fmt.Errorf("magic: %w", err)
	}
	if string(magic) != snapshotMagic {
		return nil, meta, errors.New("not a burndown snapshot")
	}
	dec := msgpack.NewDecoder(br)
	var hdr snapshotHeader
	if err := dec.Decode(&hdr); err != nil {
		return nil, meta, fmt.Errorf("header: %w", err)
	}
	if hdr.Format != SnapshotFormat && hdr.Format != 1 {
		return nil, meta, fmt.Errorf("unknown snapshot format %d", hdr.Format)
	}
	if hdr.Shards < 0 || hdr.Customers < 0 {
		return nil, meta, errors.New("header: negative count")
	}
	if err := dec.Decode(&meta); err != nil {
		return nil, meta, fmt.Errorf("cluster metadata: %w", err)
	}
	st := &engine.State{Index: hdr.Index, Now: hdr.Now, UnknownRejects: hdr.UnknownRejects}
	st.Catalog = new(engine.Catalog)
	if err := dec.Decode(st.Catalog); err != nil {
		return nil, meta, fmt.Errorf("catalog: %w", err)
	}
	if err := dec.Decode(&st.CustomerOrder); err != nil {
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
			b, err := dec.DecodeBytes()
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
			keys, err := dec.DecodeBytes()
			if err != nil {
				return nil, meta, fmt.Errorf("shard %d dedup bucket %d: %w", i, j, err)
			}
			if len(keys)%16 != 0 {
				return nil, meta, fmt.Errorf("shard %d dedup bucket %d: %d bytes is not a whole number of keys", i, j, len(keys))
			}
			st.Dedup = append(st.Dedup, engine.DedupBucket{Day: day, Keys: keys})
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

// decodeCustomers decodes raw customers in parallel, keeping their order.
func decodeCustomers(raw [][]byte, format int) ([]*engine.Customer, error) {
	out := make([]*engine.Customer, len(raw))
	workers := min(runtime.GOMAXPROCS(0), len(raw))
	if workers == 0 {
		return out, nil
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			intern := map[string]string{}
			for i := w; i < len(raw); i += workers {
				var c *engine.Customer
				var err error
				if format == 1 {
					c = new(engine.Customer)
					err = Unmarshal(raw[i], c)
				} else {
					c, err = DecodeCustomer(raw[i], intern)
				}
				if err != nil {
					errs[w] = fmt.Errorf("customer %d: %w", i, err)
					return
				}
				out[i] = c
			}
		}(w)
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
