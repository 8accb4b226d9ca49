package persist

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A snapshot of format 3 or later is a sequence of tagged sections after its
// header. A section is its tag and layout version (uvarints), then chunks,
// each a uvarint length and that many bytes, closed by a chunk of length
// zero. A reader handles the sections it knows and skips the others chunk by
// chunk, so a later build can add a section without breaking an earlier
// reader, and a section can be streamed without knowing its size up front.
type sectionTag uint64

// Section tags. Values are stable forever: never renumbered, only added.
const (
	sectionEnd       sectionTag = 0
	sectionMeta      sectionTag = 1 // cluster metadata (msgpack), one chunk
	sectionCatalog   sectionTag = 2 // engine catalog (msgpack), one chunk
	sectionOrder     sectionTag = 3 // customer ids in creation order (msgpack), one chunk
	sectionCustomers sectionTag = 4 // every customer, one chunk each (binary layout)
	sectionDedup     sectionTag = 5 // dedup buckets, one chunk each
	// sectionDedupLegacy holds dedup keys in the 16-byte layout of builds up
	// to v0.1.0, loaded from their snapshots, until they expire.
	sectionDedupLegacy sectionTag = 6
	// sectionIdempotency holds the cluster layer's Idempotency-Key records
	// (persist.IdempotencyRecord, msgpack), one chunk each; written only
	// when there are some.
	sectionIdempotency sectionTag = 7
)

// maxChunk bounds one chunk, so a corrupt length cannot ask for gigabytes.
const maxChunk = 1 << 30

// sectionWriter frames sections onto a buffered writer.
type sectionWriter struct {
	w   *bufio.Writer
	tmp []byte
}

func (sw *sectionWriter) uvarint(v uint64) error {
	sw.tmp = binary.AppendUvarint(sw.tmp[:0], v)
	_, err := sw.w.Write(sw.tmp)
	return err
}

// begin opens a section.
func (sw *sectionWriter) begin(tag sectionTag, version uint64) error {
	if err := sw.uvarint(uint64(tag)); err != nil {
		return err
	}
	return sw.uvarint(version)
}

// chunk writes one non-empty chunk of the open section.
func (sw *sectionWriter) chunk(b []byte) error {
	if len(b) == 0 {
		return errors.New("persist: empty chunk (a zero length closes a section)")
	}
	if err := sw.uvarint(uint64(len(b))); err != nil {
		return err
	}
	_, err := sw.w.Write(b)
	return err
}

// end closes the open section.
func (sw *sectionWriter) end() error { return sw.uvarint(0) }

// section writes a whole section of the given chunks.
func (sw *sectionWriter) section(tag sectionTag, version uint64, chunks ...[]byte) error {
	if err := sw.begin(tag, version); err != nil {
		return err
	}
	for _, c := range chunks {
		if err := sw.chunk(c); err != nil {
			return err
		}
	}
	return sw.end()
}

// sectionReader reads sections back.
type sectionReader struct {
	r *bufio.Reader
}

// next returns the next section's tag and version.
func (sr *sectionReader) next() (sectionTag, uint64, error) {
	tag, err := binary.ReadUvarint(sr.r)
	if err != nil {
		return 0, 0, fmt.Errorf("section tag: %w", err)
	}
	if sectionTag(tag) == sectionEnd {
		return sectionEnd, 0, nil
	}
	v, err := binary.ReadUvarint(sr.r)
	if err != nil {
		return 0, 0, fmt.Errorf("section %d version: %w", tag, err)
	}
	return sectionTag(tag), v, nil
}

// chunk returns the next chunk of the current section, reusing buf, or nil
// at the section's end.
func (sr *sectionReader) chunk(buf []byte) ([]byte, error) {
	n, err := binary.ReadUvarint(sr.r)
	if err != nil {
		return nil, fmt.Errorf("chunk length: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	if n > maxChunk {
		return nil, fmt.Errorf("chunk of %d bytes is larger than %d", n, maxChunk)
	}
	if uint64(cap(buf)) < n {
		buf = make([]byte, 0, min(n, maxPrealloc))
	}
	buf = buf[:0]
	// Grow as bytes arrive, so a lying length fails at EOF, not at make.
	for uint64(len(buf)) < n {
		step := min(n-uint64(len(buf)), maxPrealloc)
		start := len(buf)
		buf = append(buf, make([]byte, step)...)
		if _, err := io.ReadFull(sr.r, buf[start:]); err != nil {
			return nil, fmt.Errorf("chunk body: %w", err)
		}
	}
	return buf, nil
}

// only returns the single chunk of a one-chunk section.
func (sr *sectionReader) only() ([]byte, error) {
	b, err := sr.chunk(nil)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errors.New("section has no chunk")
	}
	if end, err := sr.chunk(nil); err != nil || end != nil {
		return nil, fmt.Errorf("section has more than one chunk (%v)", err)
	}
	return b, nil
}

// skip discards the rest of the current section.
func (sr *sectionReader) skip() error {
	for {
		n, err := binary.ReadUvarint(sr.r)
		if err != nil {
			return fmt.Errorf("skip section: %w", err)
		}
		if n == 0 {
			return nil
		}
		if n > maxChunk {
			return fmt.Errorf("skip section: chunk of %d bytes is larger than %d", n, maxChunk)
		}
		if _, err := sr.r.Discard(int(n)); err != nil {
			return fmt.Errorf("skip section: %w", err)
		}
	}
}
