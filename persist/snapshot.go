package persist

import (
	"bufio"
	"encoding/binary"
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

// SnapshotFormat is the layout version of a snapshot stream. Format 3 is a
// header followed by tagged, chunked sections (sections.go) that a reader
// can skip; formats 1 (customers as msgpack) and 2 (binary customers), both
// positional, are still read (snapshot_legacy.go).
const SnapshotFormat = 3

// snapshotEnd closes a complete snapshot; a stream without it was truncated.
const snapshotEnd = "END"

// maxPrealloc bounds allocations sized from counts read from a stream, so a
// corrupt or hostile backup cannot ask for gigabytes up front.
const maxPrealloc = 1 << 20

// ClusterMeta is the cluster layer's replicated state that lives beside the
// engine: which HTTP address each raft node serves, so any node can point a
// client at the leader, and the Idempotency-Key records.
type ClusterMeta struct {
	NodeHTTPAddrs map[string]string `msgpack:"NodeHTTPAddrs"`
	// DataFormat is the cluster's data format (absent, the decimal one, in
	// every snapshot before v0.5.0 and until the upgrade is finalized, so
	// the section reads as those releases wrote it); it also decides the
	// catalog section's layout.
	DataFormat DataFormat `msgpack:"DataFormat,omitempty"`
	// Tokens are the API tokens made through the API, revoked ones
	// included (absent before v0.5.0).
	Tokens []*APIToken `msgpack:"Tokens,omitempty"`
	// DashboardKey signs the embeddable dashboard URLs (absent before
	// v0.5.0, and until a URL is first asked for).
	DashboardKey []byte `msgpack:"DashboardKey,omitempty"`
	// Idempotency is written to its own section (7), not with the rest of
	// the metadata in section 1; a snapshot without that section (every
	// build before it) restores with none.
	Idempotency []*IdempotencyRecord `msgpack:"-"`
	// Outbox is written to its own section (8); nil when a snapshot has none.
	Outbox *OutboxState `msgpack:"-"`
}

// snapshotHeader describes what follows it in the stream.
type snapshotHeader struct {
	Format         int    `msgpack:"Format"`
	Index          uint64 `msgpack:"Index"`
	Now            int64  `msgpack:"Now"`
	Shards         int    `msgpack:"Shards"`
	Customers      int    `msgpack:"Customers"`
	UnknownRejects int64  `msgpack:"UnknownRejects"`
	// DedupFloor is absent (0) in snapshots of builds before the dedup
	// memory budget.
	DedupFloor int64 `msgpack:"DedupFloor"`
}

// EncodeCustomer is the engine.CustomerEncoder of every snapshot in the
// current data format: the binary customer layout, canonical, so equal
// customers give equal bytes on every replica.
func EncodeCustomer(dst []byte, c *engine.Customer) ([]byte, error) {
	return AppendCustomer(dst, c), nil
}

// layout9 is the last customer layout the releases before v0.5.0 read.
const layout9 byte = 9

// CustomerEncoderFor is the customer encoder of a snapshot taken in data
// format f: EncodeCustomer, except in the decimal format (nodes of earlier
// releases may read the snapshot), where a customer is written in layout 9:
// its layout 10 record without the trailer. A customer whose trailer is
// not all zeros (updated or archived by a command those releases do not
// know, which the cluster proposes only in the compact format) cannot be.
func CustomerEncoderFor(f DataFormat) engine.CustomerEncoder {
	if f != DataFormatDecimalAmounts {
		return EncodeCustomer
	}
	return func(dst []byte, c *engine.Customer) ([]byte, error) {
		start := len(dst)
		b, at := appendCustomerTrailer(dst, c)
		if !trailerIsZero(b[at:]) {
			return nil, fmt.Errorf("persist: customer %s was updated or archived or has manual ledger entries, separate SCHEDULED invoices, concurrent contracts, customer-level balances or a stripe_config, which customer layout %d cannot hold (finalize the upgrade first)", c.ID, layout9)
		}
		b[start] = layout9
		return b[:at], nil
	}
}

// customerLayoutFor is the customers section's version in data format f.
func customerLayoutFor(f DataFormat) byte {
	if f == DataFormatDecimalAmounts {
		return layout9
	}
	return customerLayout
}

// WriteSnapshot streams snap and the cluster metadata to w, buffered: header,
// cluster metadata, catalog, customer order, then shard by shard the encoded
// customers and dedup buckets, then an end marker. Customers are encoded as
// they are written (copy-on-write; see engine.Snapshot); the caller releases
// snap afterwards.
func WriteSnapshot(w io.Writer, snap *engine.Snapshot, meta ClusterMeta) error {
	return WriteSnapshotWith(w, snap, meta, WriteOptions{})
}

// WriteOptions tunes how WriteSnapshotWith writes, never what: the bytes
// are those WriteSnapshot writes.
type WriteOptions struct {
	// Pace, when set, is called after each customer is written. The cluster
	// passes one that sleeps now and then, so that a write lasting seconds
	// leaves the CPU to requests (see cluster's writerPacer).
	Pace func()
}

// WriteSnapshotWith is WriteSnapshot with options.
func WriteSnapshotWith(w io.Writer, snap *engine.Snapshot, meta ClusterMeta, opts WriteOptions) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if _, err := bw.WriteString(snapshotMagic); err != nil {
		return fmt.Errorf("persist: write snapshot: %w", err)
	}
	enc := msgpack.NewEncoder(bw)
	enc.SetSortMapKeys(true)
	hdr := snapshotHeader{
		Format: SnapshotFormat, Index: snap.Index, Now: snap.Now, Shards: snap.ShardCount(),
		Customers: snap.CustomerCount(), UnknownRejects: snap.UnknownRejects, DedupFloor: snap.DedupFloor,
	}
	if err := writeSections(enc, bw, &hdr, snap, &meta, opts.Pace); err != nil {
		return fmt.Errorf("persist: write snapshot: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("persist: write snapshot: %w", err)
	}
	return nil
}

func writeSections(enc *msgpack.Encoder, bw *bufio.Writer, hdr *snapshotHeader, snap *engine.Snapshot, meta *ClusterMeta, pace func()) error {
	if err := enc.Encode(hdr); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	sw := &sectionWriter{w: bw}
	cat := snap.Catalog
	if cat == nil {
		cat = engine.NewCatalog()
	}
	for _, s := range []struct {
		tag     sectionTag
		version uint64
		name    string
		v       any
	}{{sectionMeta, 1, "cluster metadata", meta}, {sectionCatalog, catalogVersionFor(meta.DataFormat), "catalog", cat}, {sectionOrder, 1, "customer order", snap.CustomerOrder}} {
		b, err := marshalAt(meta.DataFormat, s.v)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if err := sw.section(s.tag, s.version, b); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if err := sw.begin(sectionCustomers, uint64(customerLayoutFor(meta.DataFormat))); err != nil {
		return err
	}
	writeCustomer := sw.chunk
	if pace != nil {
		writeCustomer = func(b []byte) error {
			if err := sw.chunk(b); err != nil {
				return err
			}
			pace()
			return nil
		}
	}
	for i := 0; i < snap.ShardCount(); i++ {
		if err := snap.WriteShard(i, writeCustomer); err != nil {
			return fmt.Errorf("shard %d customers: %w", i, err)
		}
	}
	if err := sw.end(); err != nil {
		return err
	}
	if err := writeDedup(sw, snap); err != nil {
		return fmt.Errorf("dedup: %w", err)
	}
	if err := writeIdempotency(sw, meta.Idempotency); err != nil {
		return fmt.Errorf("idempotency: %w", err)
	}
	if err := writeOutbox(sw, meta.Outbox); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return sw.uvarint(uint64(sectionEnd))
}

// writeDedup writes every shard's dedup buckets, one chunk per bucket: the
// day (varint) then the sorted keys. Current keys (20 bytes) go to the dedup
// section at version 2, keys loaded from builds up to v0.1.0 (16 bytes) to
// the legacy dedup section, which disappears once they have expired.
func writeDedup(sw *sectionWriter, snap *engine.Snapshot) error {
	var current, legacy []engine.DedupBucket
	for i := 0; i < snap.ShardCount(); i++ {
		for _, b := range snap.ShardDedup(i) {
			if b.Legacy {
				legacy = append(legacy, b)
			} else {
				current = append(current, b)
			}
		}
	}
	if err := writeBuckets(sw, sectionDedup, dedupVersion, current); err != nil {
		return err
	}
	if len(legacy) == 0 {
		return nil
	}
	return writeBuckets(sw, sectionDedupLegacy, 1, legacy)
}

// dedupVersion is the layout of the dedup section's keys: version 1 held
// 16-byte keys, version 2 holds 20-byte keys.
const dedupVersion = 2

func writeBuckets(sw *sectionWriter, tag sectionTag, version uint64, buckets []engine.DedupBucket) error {
	if err := sw.begin(tag, version); err != nil {
		return err
	}
	var buf []byte
	for _, b := range buckets {
		buf = binary.AppendVarint(buf[:0], b.Day)
		buf = append(buf, b.Keys...)
		if err := sw.chunk(buf); err != nil {
			return err
		}
	}
	return sw.end()
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
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil {
		return nil, ClusterMeta{}, fmt.Errorf("magic: %w", err)
	}
	if string(magic) != snapshotMagic {
		return nil, ClusterMeta{}, errors.New("not a burndown snapshot")
	}
	dec := msgpack.NewDecoder(br)
	var hdr snapshotHeader
	if err := decodeNext(br, &hdr); err != nil {
		return nil, ClusterMeta{}, fmt.Errorf("header: %w", err)
	}
	if hdr.Shards < 0 || hdr.Customers < 0 {
		return nil, ClusterMeta{}, errors.New("header: negative count")
	}
	switch {
	case hdr.Format == 1 || hdr.Format == 2:
		return readPositional(br, dec, &hdr)
	case hdr.Format == SnapshotFormat:
		return readSectioned(&sectionReader{r: br}, &hdr)
	}
	return nil, ClusterMeta{}, fmt.Errorf("unknown snapshot format %d (this build reads 1 to %d)", hdr.Format, SnapshotFormat)
}

// readSectioned reads the sections of a format 3 stream, skipping those it
// does not know.
func readSectioned(sr *sectionReader, hdr *snapshotHeader) (*engine.State, ClusterMeta, error) {
	var meta ClusterMeta
	st := &engine.State{Index: hdr.Index, Now: hdr.Now, UnknownRejects: hdr.UnknownRejects, DedupFloor: hdr.DedupFloor}
	for {
		tag, version, err := sr.next()
		if err != nil {
			return nil, meta, err
		}
		switch tag {
		case sectionEnd:
			if st.Catalog == nil {
				return nil, meta, errors.New("no catalog section")
			}
			if len(st.Customers) != hdr.Customers {
				return nil, meta, fmt.Errorf("header says %d customers, stream holds %d", hdr.Customers, len(st.Customers))
			}
			return st, meta, nil
		case sectionMeta:
			err = readOne(sr, version, &meta)
		case sectionCatalog:
			st.Catalog, err = readCatalog(sr, version)
		case sectionOrder:
			err = readOne(sr, version, &st.CustomerOrder)
		case sectionCustomers:
			err = readCustomers(sr, version, hdr.Customers, st)
		case sectionDedup:
			err = readDedup(sr, version == 1, version, st)
		case sectionDedupLegacy:
			err = readDedup(sr, true, version, st)
		case sectionIdempotency:
			err = readIdempotency(sr, version, &meta)
		case sectionOutbox:
			err = readOutbox(sr, version, &meta)
		default:
			err = sr.skip() // written by a later build; not needed to restore
		}
		if err != nil {
			return nil, meta, fmt.Errorf("section %d: %w", tag, err)
		}
	}
}

// readOne decodes a one-chunk msgpack section of version 1.
func readOne(sr *sectionReader, version uint64, v any) error {
	if version != 1 {
		return fmt.Errorf("unknown section version %d", version)
	}
	b, err := sr.only()
	if err != nil {
		return err
	}
	return Unmarshal(b, v)
}

// readCustomers decodes the customers section in parallel, a batch at a time.
func readCustomers(sr *sectionReader, layout uint64, want int, st *engine.State) error {
	if layout == 0 || layout > uint64(customerLayout) {
		return fmt.Errorf("unknown customer layout %d", layout)
	}
	st.Customers = make([]*engine.Customer, 0, min(want, maxPrealloc))
	const batch = 1 << 14
	raw := make([][]byte, 0, batch)
	flush := func() error {
		cs, err := decodeCustomers(raw, 2)
		if err != nil {
			return err
		}
		st.Customers = append(st.Customers, cs...)
		raw = raw[:0]
		return nil
	}
	for {
		b, err := sr.chunk(nil)
		if err != nil {
			return fmt.Errorf("customer %d: %w", len(st.Customers)+len(raw), err)
		}
		if b == nil {
			return flush()
		}
		raw = append(raw, b)
		if len(raw) == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// readDedup reads dedup buckets of 16-byte (legacy) or 20-byte keys.
func readDedup(sr *sectionReader, legacy bool, version uint64, st *engine.State) error {
	if version == 0 || version > dedupVersion || (legacy && version != 1) {
		return fmt.Errorf("unknown dedup version %d", version)
	}
	for {
		b, err := sr.chunk(nil)
		if err != nil {
			return fmt.Errorf("bucket %d: %w", len(st.Dedup), err)
		}
		if b == nil {
			return nil
		}
		day, w := binary.Varint(b)
		bucket := engine.DedupBucket{Day: day, Legacy: legacy}
		if w <= 0 || (len(b)-w)%bucket.KeySize() != 0 {
			return fmt.Errorf("bucket %d: malformed", len(st.Dedup))
		}
		bucket.Keys = b[w:]
		st.Dedup = append(st.Dedup, bucket)
	}
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

// catalogVersion is the catalog section's newest version: 1 was written
// before MAX, UNIQUE, LATEST and TIERED were rated, 2 since (the same
// msgpack layout, with the Unrated and FlatLegacy marks written out), 3
// since v0.5.0 in the compact data format (the same, amounts in money's
// compact form). Each reads through money.Amount, which tells the amount
// layouts apart.
const catalogVersion = 3

// catalogVersionFor is the catalog version written in data format f.
func catalogVersionFor(f DataFormat) uint64 {
	if f == DataFormatDecimalAmounts {
		return 2
	}
	return catalogVersion
}

// readCatalog reads the catalog section; a version 1 catalog is given the
// meaning it had when it was written (engine.MarkFoundationCatalog).
func readCatalog(sr *sectionReader, version uint64) (*engine.Catalog, error) {
	if version == 0 || version > catalogVersion {
		return nil, fmt.Errorf("unknown catalog version %d", version)
	}
	cat := new(engine.Catalog)
	if err := readOne(sr, 1, cat); err != nil {
		return nil, err
	}
	if version == 1 {
		engine.MarkFoundationCatalog(cat)
	}
	return cat, nil
}
