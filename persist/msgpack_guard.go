package persist

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxMsgpackDepth bounds the nesting of any msgpack value persist decodes.
// Durable structures nest a few levels; msgpack's own decoder recurses once
// per level, so hostile input nested a million deep would overflow the stack.
const maxMsgpackDepth = 64

// maxMsgpackValue bounds the size of one msgpack value read from a stream.
const maxMsgpackValue = 1 << 30

// errMsgpackTooDeep is returned for values nested beyond maxMsgpackDepth.
var errMsgpackTooDeep = fmt.Errorf("msgpack value nested more than %d levels", maxMsgpackDepth)

// readRawValue reads exactly one msgpack value from r and returns its bytes,
// walking it iteratively: every length is honoured only as bytes arrive (a
// corrupt length fails at the end of the input, not in an allocation), the
// nesting is bounded, and nothing recurses. Decoding the returned bytes is
// then safe.
func readRawValue(r *bufio.Reader) ([]byte, error) {
	w := rawWalker{r: r}
	if err := w.walk(); err != nil {
		return nil, err
	}
	return w.out, nil
}

// checkMsgpack verifies that b holds exactly one well-formed msgpack value
// within the nesting and size bounds.
func checkMsgpack(b []byte) error {
	br := bufio.NewReaderSize(bytes.NewReader(b), 16)
	w := rawWalker{r: br, discard: true}
	if err := w.walk(); err != nil {
		return err
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return errors.New("trailing bytes after the msgpack value")
	}
	return nil
}

type rawWalker struct {
	r       *bufio.Reader
	out     []byte
	discard bool // validate only: do not keep the bytes
	size    int
}

func (w *rawWalker) walk() error {
	pending := []uint64{1} // items left at each open level
	for len(pending) > 0 {
		top := len(pending) - 1
		if pending[top] == 0 {
			pending = pending[:top]
			continue
		}
		pending[top]--
		items, err := w.item()
		if err != nil {
			return err
		}
		if items > 0 {
			if len(pending) >= maxMsgpackDepth {
				return errMsgpackTooDeep
			}
			pending = append(pending, items)
		}
	}
	return nil
}

// item reads one code with its fixed part and payload, and returns how many
// nested items follow it (for arrays and maps).
func (w *rawWalker) item() (uint64, error) {
	c, err := w.r.ReadByte()
	if err != nil {
		return 0, fmt.Errorf("msgpack: %w", io.ErrUnexpectedEOF)
	}
	w.keepByte(c)
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return 0, nil
	case c >= 0x80 && c <= 0x8f:
		return 2 * uint64(c&0x0f), nil
	case c >= 0x90 && c <= 0x9f:
		return uint64(c & 0x0f), nil
	case c >= 0xa0 && c <= 0xbf:
		return 0, w.copy(uint64(c & 0x1f))
	}
	switch c {
	case 0xc4, 0xd9:
		return 0, w.lengthThenCopy(1, 0)
	case 0xc5, 0xda:
		return 0, w.lengthThenCopy(2, 0)
	case 0xc6, 0xdb:
		return 0, w.lengthThenCopy(4, 0)
	case 0xc7:
		return 0, w.lengthThenCopy(1, 1)
	case 0xc8:
		return 0, w.lengthThenCopy(2, 1)
	case 0xc9:
		return 0, w.lengthThenCopy(4, 1)
	case 0xcc, 0xd0:
		return 0, w.copy(1)
	case 0xcd, 0xd1:
		return 0, w.copy(2)
	case 0xca, 0xce, 0xd2:
		return 0, w.copy(4)
	case 0xcb, 0xcf, 0xd3:
		return 0, w.copy(8)
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return 0, w.copy(1 + 1<<(c-0xd4))
	case 0xdc:
		n, err := w.length(2)
		return n, err
	case 0xdd:
		n, err := w.length(4)
		return n, err
	case 0xde:
		n, err := w.length(2)
		return 2 * n, err
	case 0xdf:
		n, err := w.length(4)
		return 2 * n, err
	}
	return 0, fmt.Errorf("msgpack: invalid code %#x", c)
}

// length reads a big-endian length of size bytes (a byte at a time, so
// nothing escapes to the heap per length).
func (w *rawWalker) length(size int) (uint64, error) {
	var n uint64
	for range size {
		c, err := w.r.ReadByte()
		if err != nil {
			return 0, fmt.Errorf("msgpack: %w", io.ErrUnexpectedEOF)
		}
		w.keepByte(c)
		n = n<<8 | uint64(c)
	}
	return n, nil
}

// lengthThenCopy reads a length, extra fixed bytes (an ext type), then the
// payload.
func (w *rawWalker) lengthThenCopy(size int, extra uint64) error {
	n, err := w.length(size)
	if err != nil {
		return err
	}
	return w.copy(n + extra)
}

// copy moves n payload bytes, a bounded chunk at a time, straight into out
// (or skips them when only validating): no buffer per value, since every
// string of every command decoded goes through here.
func (w *rawWalker) copy(n uint64) error {
	if n > maxMsgpackValue || uint64(w.size)+n > maxMsgpackValue {
		return fmt.Errorf("msgpack value larger than %d bytes", maxMsgpackValue)
	}
	for n > 0 {
		step := int(min(n, copyChunk))
		if w.discard {
			if _, err := w.r.Discard(step); err != nil {
				return fmt.Errorf("msgpack: %w", io.ErrUnexpectedEOF)
			}
		} else {
			at := len(w.out)
			w.out = append(w.out, make([]byte, step)...)
			if _, err := io.ReadFull(w.r, w.out[at:]); err != nil {
				w.out = w.out[:at]
				return fmt.Errorf("msgpack: %w", io.ErrUnexpectedEOF)
			}
		}
		w.size += step
		n -= uint64(step)
	}
	return nil
}

// copyChunk bounds how much out grows ahead of the bytes actually read, so a
// length claiming more than the input holds allocates little before failing.
const copyChunk = 4096

func (w *rawWalker) keepByte(c byte) {
	w.size++
	if !w.discard {
		w.out = append(w.out, c)
	}
}
