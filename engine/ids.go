package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// USDCreditTypeID is Metronome's fixed id for the built-in "USD (cents)" credit type.
const USDCreditTypeID = "2714e483-4ff1-48e4-9e25-ac732e8f24f2"

// USDCreditTypeName is the display name Metronome gives the USD credit type.
const USDCreditTypeName = "USD (cents)"

// DeriveID returns a UUID-shaped id that is a pure function of its parts, so
// every replica derives the same id for an object created while applying a
// command (an id is never random inside the engine).
func DeriveID(parts ...string) string {
	var out [derivedIDLen]byte
	return string(appendDerivedID(out[:0], parts...))
}

// derivedIDLen is the length of a derived id.
const derivedIDLen = 36

// appendDerivedID appends DeriveID(parts...) to dst. The hashed message
// (each part followed by a zero byte) is built on the stack when it fits,
// so deriving an id allocates nothing but what dst needs: snapshots derive
// every segment id they write (segment_id.go).
func appendDerivedID(dst []byte, parts ...string) []byte {
	var stack [192]byte
	msg := stack[:0]
	for _, p := range parts {
		msg = append(msg, p...)
		msg = append(msg, 0)
	}
	sum := sha256.Sum256(msg)
	b := sum[:16]
	b[6] = (b[6] & 0x0f) | 0x40 // version 4 layout
	b[8] = (b[8] & 0x3f) | 0x80 // RFC 4122 variant
	var out [derivedIDLen]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return append(dst, out[:]...)
}

// entryID derives the id of the object created by the command at position pos
// of the log entry at index.
func entryID(index uint64, pos int, kind string) string {
	return DeriveID(kind, strconv.FormatUint(index, 10), strconv.Itoa(pos))
}
