package persist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/vmihailenco/msgpack/v5"

	"burndown/engine"
)

// EntryFormat is the layout version of a log entry, its first byte. A node
// refuses entries of a format it does not know rather than guess.
const EntryFormat byte = 1

// entryHeaderLen is the format byte plus the big-endian stamped time.
const entryHeaderLen = 1 + 8

// FirstClusterKind is the lowest kind the cluster layer may register; kinds
// below it belong to the engine.
const FirstClusterKind engine.Kind = 200

// ErrUnknownCommand is returned when an entry holds a kind/version pair no
// registration covers. The FSM treats it as fatal: applying the entry without
// that command would make this replica diverge.
var ErrUnknownCommand = errors.New("persist: unknown command kind/version")

// Versioned is implemented by commands whose body layout has moved past
// version 1; commands without it are written as version 1.
type Versioned interface {
	Version() uint8
}

// Registration binds a (kind, version) pair of the log to the constructor of
// the command its body decodes into.
type Registration struct {
	Kind    engine.Kind
	Version uint8
	New     func() engine.Command
}

// Codec encodes and decodes log entries through a dispatch table built once,
// at construction, and read-only afterwards, so it is safe for concurrent use.
type Codec struct {
	factories [256]map[uint8]func() engine.Command
}

// NewCodec returns a codec that knows every engine command kind (as
// engine.NewCommand reports them, at their current version) plus the extra
// registrations, which must use kinds >= FirstClusterKind.
func NewCodec(extra ...Registration) (*Codec, error) {
	c := &Codec{}
	for k := 0; k < int(FirstClusterKind); k++ {
		kind := engine.Kind(k)
		cmd := engine.NewCommand(kind)
		if cmd == nil {
			continue
		}
		c.add(kind, versionOf(cmd), func() engine.Command { return engine.NewCommand(kind) })
	}
	c.add(engine.KindIngest, ingestBinaryVersion, func() engine.Command { return &engine.Ingest{} })
	for _, r := range extra {
		if r.Kind < FirstClusterKind {
			return nil, fmt.Errorf("persist: kind %d is reserved for the engine", r.Kind)
		}
		if c.factories[r.Kind][r.Version] != nil {
			return nil, fmt.Errorf("persist: kind %d version %d registered twice", r.Kind, r.Version)
		}
		c.add(r.Kind, r.Version, r.New)
	}
	return c, nil
}

func (c *Codec) add(k engine.Kind, v uint8, f func() engine.Command) {
	if c.factories[k] == nil {
		c.factories[k] = map[uint8]func() engine.Command{}
	}
	c.factories[k][v] = f
}

func versionOf(cmd engine.Command) uint8 {
	if v, ok := cmd.(Versioned); ok {
		return v.Version()
	}
	return 1
}

// Encoded is one command already turned into bytes, so callers can encode in
// parallel on their own goroutines and the proposer only concatenates.
type Encoded struct {
	Kind    engine.Kind
	Version uint8
	Body    []byte
}

// Size is the number of bytes the command takes inside an entry.
func (e Encoded) Size() int { return 2 + binary.MaxVarintLen32 + len(e.Body) }

type encState struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
}

var encPool = sync.Pool{New: func() any {
	s := &encState{}
	s.enc = msgpack.NewEncoder(&s.buf)
	s.enc.SetSortMapKeys(true)
	return s
}}

type decState struct {
	r   bytes.Reader
	dec *msgpack.Decoder
}

var decPool = sync.Pool{New: func() any {
	s := &decState{}
	s.dec = msgpack.NewDecoder(&s.r)
	return s
}}

// Marshal encodes v as msgpack with sorted map keys: the canonical form used
// for every durable byte persist writes.
func Marshal(v any) ([]byte, error) {
	s := encPool.Get().(*encState)
	defer encPool.Put(s)
	s.buf.Reset()
	if err := s.enc.Encode(v); err != nil {
		return nil, err
	}
	return append([]byte(nil), s.buf.Bytes()...), nil
}

// Unmarshal decodes b into v and fails if b holds anything after the value.
func Unmarshal(b []byte, v any) error {
	s := decPool.Get().(*decState)
	defer decPool.Put(s)
	s.r.Reset(b)
	s.dec.ResetReader(&s.r)
	if err := s.dec.Decode(v); err != nil {
		return err
	}
	if s.r.Len() != 0 {
		return fmt.Errorf("%d trailing bytes", s.r.Len())
	}
	return nil
}

// EncodeCommand encodes one command's body. It fails for a kind the codec
// would not be able to decode, so nothing undecodable reaches the log.
func (c *Codec) EncodeCommand(cmd engine.Command) (Encoded, error) {
	if cmd == nil {
		return Encoded{}, errors.New("persist: nil command")
	}
	if in, ok := cmd.(*engine.Ingest); ok {
		return Encoded{Kind: engine.KindIngest, Version: ingestBinaryVersion, Body: appendIngest(nil, in)}, nil
	}
	k, v := cmd.Kind(), versionOf(cmd)
	if c.factories[k][v] == nil {
		return Encoded{}, fmt.Errorf("%w: kind %d version %d", ErrUnknownCommand, k, v)
	}
	body, err := Marshal(cmd)
	if err != nil {
		return Encoded{}, fmt.Errorf("persist: encode command kind %d: %w", k, err)
	}
	return Encoded{Kind: k, Version: v, Body: body}, nil
}

// AppendEntryHeader starts an entry of n commands stamped at.
func AppendEntryHeader(dst []byte, at engine.Nanos, n int) []byte {
	dst = append(dst, EntryFormat)
	dst = binary.BigEndian.AppendUint64(dst, uint64(at))
	return binary.AppendUvarint(dst, uint64(n))
}

// AppendCommand appends an encoded command to an entry.
func AppendCommand(dst []byte, e Encoded) []byte {
	dst = append(dst, byte(e.Kind), e.Version)
	dst = binary.AppendUvarint(dst, uint64(len(e.Body)))
	return append(dst, e.Body...)
}

// EncodeEntry encodes a whole entry: header, then each command.
func (c *Codec) EncodeEntry(at engine.Nanos, cmds []engine.Command) ([]byte, error) {
	out := AppendEntryHeader(nil, at, len(cmds))
	for _, cmd := range cmds {
		e, err := c.EncodeCommand(cmd)
		if err != nil {
			return nil, err
		}
		out = AppendCommand(out, e)
	}
	return out, nil
}

// DecodeEntry decodes an entry into its stamped time and commands. Any
// malformed input is an error, never a panic.
func (c *Codec) DecodeEntry(b []byte) (engine.Nanos, []engine.Command, error) {
	if len(b) < entryHeaderLen+1 {
		return 0, nil, fmt.Errorf("persist: entry of %d bytes is too short", len(b))
	}
	if b[0] != EntryFormat {
		return 0, nil, fmt.Errorf("persist: unknown entry format %d", b[0])
	}
	at := engine.Nanos(binary.BigEndian.Uint64(b[1:9]))
	rest := b[entryHeaderLen:]
	n, w := binary.Uvarint(rest)
	if w <= 0 {
		return 0, nil, errors.New("persist: bad command count")
	}
	rest = rest[w:]
	if n > uint64(len(rest)/3) { // a command takes at least 3 bytes
		return 0, nil, fmt.Errorf("persist: entry claims %d commands in %d bytes", n, len(rest))
	}
	cmds := make([]engine.Command, 0, n)
	for i := uint64(0); i < n; i++ {
		if len(rest) < 3 {
			return 0, nil, fmt.Errorf("persist: command %d truncated", i)
		}
		k, v := engine.Kind(rest[0]), rest[1]
		size, w := binary.Uvarint(rest[2:])
		if w <= 0 || size > uint64(len(rest)-2-w) {
			return 0, nil, fmt.Errorf("persist: command %d: bad body length", i)
		}
		body := rest[2+w : 2+w+int(size)]
		rest = rest[2+w+int(size):]
		cmd, err := c.decodeCommand(k, v, body)
		if err != nil {
			return 0, nil, fmt.Errorf("persist: command %d: %w", i, err)
		}
		cmds = append(cmds, cmd)
	}
	if len(rest) != 0 {
		return 0, nil, fmt.Errorf("persist: %d trailing bytes after the last command", len(rest))
	}
	return at, cmds, nil
}

func (c *Codec) decodeCommand(k engine.Kind, v uint8, body []byte) (engine.Command, error) {
	f := c.factories[k][v]
	if f == nil {
		return nil, fmt.Errorf("%w: kind %d version %d", ErrUnknownCommand, k, v)
	}
	if k == engine.KindIngest && v == ingestBinaryVersion {
		in, err := decodeIngest(body)
		if err != nil {
			return nil, fmt.Errorf("decode ingest: %w", err)
		}
		return in, nil
	}
	cmd := f()
	if err := Unmarshal(body, cmd); err != nil {
		return nil, fmt.Errorf("decode kind %d: %w", k, err)
	}
	return cmd, nil
}
