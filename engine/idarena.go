package engine

import (
	"strconv"
	"unsafe"
)

// idArenaBlock is how many bytes an idArena block holds (113 ids).
const idArenaBlock = 4096

// idArena hands out derived ids cut from shared blocks: a 36-byte id
// allocated on its own takes a 48-byte size class, so the ids a customer
// keeps (its contract, commits, segments, alerts) cost a quarter more
// than their bytes (BenchmarkMemoryPerCustomer). Each arena belongs to
// one goroutine (a shard, or the apply goroutine). A block is only ever
// appended to, never grown or reused, so the bytes under an id handed out
// never change, as a string's must not; a block lives while any of its ids
// does.
type idArena struct {
	block []byte
}

// derive returns DeriveID(parts...), its bytes in the current block.
func (a *idArena) derive(parts ...string) string {
	if cap(a.block)-len(a.block) < derivedIDLen {
		a.block = make([]byte, 0, idArenaBlock)
	}
	n := len(a.block)
	a.block = appendDerivedID(a.block, parts...)
	return unsafe.String(&a.block[n], derivedIDLen)
}

// entryID is the package's entryID, cut from the arena.
func (a *idArena) entryID(index uint64, pos int, kind string) string {
	return a.derive(kind, strconv.FormatUint(index, 10), strconv.Itoa(pos))
}
