package persist

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// SectionCatalog is the catalog section's tag, for SnapshotSections.
const SectionCatalog = uint64(sectionCatalog)

// SectionCustomers is the customers section's tag, for SnapshotSections.
const SectionCustomers = uint64(sectionCustomers)

// SnapshotSections lists the sections of a snapshot (format 3 and later)
// by tag with their versions, without decoding them: what an operator or a
// test looks at to tell which layouts a snapshot holds.
func SnapshotSections(r io.Reader) (map[uint64]uint64, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return nil, errors.New("persist: not a burndown snapshot")
	}
	var hdr snapshotHeader
	if err := decodeNext(br, &hdr); err != nil {
		return nil, fmt.Errorf("persist: snapshot header: %w", err)
	}
	if hdr.Format != SnapshotFormat {
		return nil, fmt.Errorf("persist: snapshot format %d has no sections", hdr.Format)
	}
	sr := &sectionReader{r: br}
	out := map[uint64]uint64{}
	for {
		tag, version, err := sr.next()
		if err != nil {
			return nil, fmt.Errorf("persist: snapshot sections: %w", err)
		}
		if tag == sectionEnd {
			return out, nil
		}
		out[uint64(tag)] = version
		if err := sr.skip(); err != nil {
			return nil, fmt.Errorf("persist: snapshot section %d: %w", tag, err)
		}
	}
}
