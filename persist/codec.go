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

// Registration binds one (kind, version) pair of the log to its decoder.
// Every version a build ever wrote stays registered forever: old entries are
// decoded by their own registration and, when the command's layout has moved
// on, upgraded to the current command by Upgrade.
type Registration struct {
	Kind    engine.Kind
	Version uint8
	// New returns the empty command a msgpack body decodes into.
	New func() engine.Command
	// Decode decodes a body in a layout of its own instead (optional; it
	// takes precedence over New).
	Decode func(body []byte) (engine.Command, error)
	// Encode writes the body in that layout; only the version a build
	// writes needs it (optional: msgpack otherwise).
	Encode func(dst []byte, cmd engine.Command) ([]byte, error)
	// Upgrade turns the decoded command of an older version into the
	// current one (optional: nil when the decoded command is current).
	Upgrade func(engine.Command) (engine.Command, error)
	// WriteAs, on an older version whose body layout is the current one's,
	// reports whether the command means exactly the same written at that
	// version, and returns it as that version's body holds it (without what
	// Upgrade sets) (optional). Then it is written there, so nodes still
	// running the builds that wrote that version apply it during a rolling
	// upgrade; only commands using what the newer version added need every
	// node upgraded. The lowest version that holds is written, and an entry
	// decoded and encoded again keeps its version and bytes.
	WriteAs func(engine.Command) (engine.Command, bool)
	// DecimalAmounts marks a version written before v0.5.0 of a command
	// that carries amounts: its body holds them in the decimal layout. It
	// is written (through WriteAs) only while the codec's data format is
	// DataFormatDecimalAmounts, and then with that layout.
	DecimalAmounts bool
}

// Codec encodes and decodes log entries through a dispatch table built once,
// at construction, and read-only afterwards, so it is safe for concurrent use.
type Codec struct {
	regs [256]map[uint8]*Registration
	// writes is the version each kind is written at: its highest registered.
	writes [256]uint8
	// format is the cluster's data format (SetDataFormat); the only field
	// that changes after construction.
	format dataFormat
}

// SetDataFormat sets the layouts the codec writes from now on: the
// cluster's data format, replicated, applied on every node.
func (c *Codec) SetDataFormat(f DataFormat) { c.format.set(f) }

// DataFormat returns the layouts the codec writes.
func (c *Codec) DataFormat() DataFormat { return c.format.get() }

// builtinRegistrations lists every (kind, version) the engine's commands were
// ever written at: each command at its current version as the engine's
// table declares it, plus the layouts earlier builds wrote.
func builtinRegistrations() []Registration {
	var regs []Registration
	for _, sp := range engine.Commands() {
		regs = append(regs, Registration{Kind: sp.Kind, Version: sp.Version, New: sp.New})
	}
	regs = append(regs, foundationRegistrations()...)
	regs = append(regs, editRegistrations()...)
	regs = append(regs, createRegistrations()...)
	regs = append(regs, ingestRegistrations()...)
	return markDecimalAmounts(append(regs, decimalAmountRegistrations(regs)...))
}

// compactAmountsSince is, for each command that carries amounts, the first
// version whose body holds them in money's compact form (v0.5.0); every
// earlier version holds the decimal layout. TestCompactAmountsSinceIsComplete
// checks it against the commands' types.
var compactAmountsSince = map[engine.Kind]uint8{
	engine.KindCreateProduct:  2,
	engine.KindCreateRateCard: 2,
	engine.KindAddRates:       3,
	engine.KindCreateContract: 5,
	engine.KindEditContract:   4,
	engine.KindCreateAlert:    2,
	// Commands since v0.5.0, proposed only in the compact format
	// (KindNeedsFormat): compact from their first version.
	engine.KindAddManualLedgerEntry:  1,
	engine.KindEditBalance:           1,
	engine.KindCreateCustomerBalance: 1,
}

// decimalAmountRegistrations registers, for each command of
// compactAmountsSince, the last version with decimal amounts, when no
// registration covers it yet (it was that command's current version): the
// same body but for the amounts' layout, so it means the same and WriteAs
// always takes the command while the format is decimal.
func decimalAmountRegistrations(regs []Registration) []Registration {
	var out []Registration
	for k, since := range compactAmountsSince {
		last := since - 1
		if last == 0 {
			continue // never written with decimal amounts
		}
		covered := false
		for _, r := range regs {
			covered = covered || (r.Kind == k && r.Version == last)
		}
		if covered {
			continue
		}
		spec := engine.Spec(k)
		out = append(out, Registration{Kind: k, Version: last, New: spec.New,
			WriteAs: func(cmd engine.Command) (engine.Command, bool) { return cmd, true }})
	}
	return out
}

// markDecimalAmounts marks every version before compactAmountsSince.
func markDecimalAmounts(regs []Registration) []Registration {
	for i := range regs {
		if since, ok := compactAmountsSince[regs[i].Kind]; ok && regs[i].Version < since {
			regs[i].DecimalAmounts = true
		}
	}
	return regs
}

// foundationRegistrations are the version 1 layouts of the commands whose
// meaning has moved on since the foundation wrote them. The bytes are the
// same; the upgrade keeps the meaning those entries had when they were
// written, so an old log replays to the state it reached then:
//   - create_contract: no invoice grace period (periods finalize at their
//     end), overlapping contracts allowed, a past period without an invoice
//     opens a draft;
//   - create_billable_metric: MAX, UNIQUE and LATEST metrics were kept but
//     never rated;
//   - add_rates: a TIERED rate was priced at its flat price.
//
// And, beyond the foundation, the layouts written before postpaid commits
// were drawn and commit purchases invoiced (create_contract versions 1 and
// 2, edit_contract version 1): their commits keep LegacyRules (a POSTPAID
// commit neither drawn nor trued up, no invoice-schedule lines).
//
// And the layouts written before contracts could overlap (create_contract
// versions 2 to 5; version 1 kept the foundation's overlaps): they keep
// OverlapsRefused (multicontract_codec.go).
//
// And the layouts written before STRIPE payment gates were accepted on a
// create's commits and on the threshold configurations (create_contract
// versions 1 to 3, edit_contract versions 1 and 2; the last build to write
// them, v0.3.0, refused those gates when it applied them, and so did
// every build before it): they keep StripeGatesRefused, so such a gate is
// still refused, with that build's error. STRIPE on an edit's add_commits
// was accepted by v0.3.0 and stays accepted.
func foundationRegistrations() []Registration {
	return []Registration{{
		Kind: engine.KindCreateContract, Version: 1,
		New: func() engine.Command { return &engine.CreateContract{} },
		Upgrade: func(cmd engine.Command) (engine.Command, error) {
			c := cmd.(*engine.CreateContract)
			var none int64
			c.InvoiceGracePeriod = &none
			c.FoundationRules = true
			c.LegacyCommits = true
			c.StripeGatesRefused = true
			return c, nil
		},
	}, {
		Kind: engine.KindCreateContract, Version: 2,
		New: func() engine.Command { return &engine.CreateContract{} },
		Upgrade: func(cmd engine.Command) (engine.Command, error) {
			c := cmd.(*engine.CreateContract)
			c.LegacyCommits = true
			c.StripeGatesRefused = true
			c.OverlapsRefused = !c.FoundationRules
			return c, nil
		},
	}, {
		Kind: engine.KindCreateContract, Version: 3,
		New: func() engine.Command { return &engine.CreateContract{} },
		Upgrade: func(cmd engine.Command) (engine.Command, error) {
			c := cmd.(*engine.CreateContract)
			c.StripeGatesRefused = true
			c.OverlapsRefused = !c.FoundationRules
			return c, nil
		},
		WriteAs: createAsVersion3,
	}, {
		Kind: engine.KindEditContract, Version: 1,
		New: func() engine.Command { return &engine.EditContract{} },
		Upgrade: func(cmd engine.Command) (engine.Command, error) {
			e := cmd.(*engine.EditContract)
			e.LegacyCommits = true
			e.StripeGatesRefused = true
			return e, nil
		},
	}, {
		Kind: engine.KindEditContract, Version: 2,
		New: func() engine.Command { return &engine.EditContract{} },
		Upgrade: func(cmd engine.Command) (engine.Command, error) {
			e := cmd.(*engine.EditContract)
			e.StripeGatesRefused = true
			return e, nil
		},
		WriteAs: editAsVersion2,
	}, {
		Kind: engine.KindCreateMetric, Version: 1,
		New: func() engine.Command { return &engine.CreateMetric{} },
		Upgrade: func(cmd engine.Command) (engine.Command, error) {
			m := cmd.(*engine.CreateMetric)
			m.Unrated = engine.FoundationUnrated(m.Aggregation)
			return m, nil
		},
	}, {
		Kind: engine.KindAddRates, Version: 1,
		New: func() engine.Command { return &engine.AddRates{} },
		Upgrade: func(cmd engine.Command) (engine.Command, error) {
			a := cmd.(*engine.AddRates)
			for i := range a.Rates {
				a.Rates[i].FlatLegacy = a.Rates[i].RateType == engine.RateTiered
			}
			return a, nil
		},
	}}
}

// createAsVersion3 writes a create_contract at version 3 when it uses
// nothing version 4 added: no billing_provider_configuration (nor separate
// SCHEDULED invoices or a stripe_config, which only the compact format
// proposes), and no gate
// but NONE or EXTERNAL on its commits, credits and threshold
// configurations, or StripeGatesRefused (what version 3's upgrade sets:
// such gates are refused either way). Version 4's body is version 3's with
// those fields, omitted when empty.
func createAsVersion3(cmd engine.Command) (engine.Command, bool) {
	c := cmd.(*engine.CreateContract)
	if c.BillingProviderConfiguration != nil || c.SeparateScheduledInvoices || c.UsageFilter != nil || c.UsesStripeConfig() {
		return nil, false
	}
	if !c.StripeGatesRefused {
		for _, list := range [][]engine.CommitInput{c.Commits, c.Credits} {
			for i := range list {
				if !gateOfVersion3(list[i].PaymentGate) {
					return nil, false
				}
			}
		}
		if (c.PrepaidBalanceThreshold != nil && !gateOfVersion3(c.PrepaidBalanceThreshold.PaymentGate)) ||
			(c.SpendThreshold != nil && !gateOfVersion3(c.SpendThreshold.PaymentGate)) {
			return nil, false
		}
	}
	v3 := *c
	v3.StripeGatesRefused, v3.OverlapsRefused = false, false
	return &v3, true
}

// editAsVersion2 writes an edit_contract at version 2 when it uses nothing
// version 3 added: no gate but NONE or EXTERNAL on the threshold
// configurations it adds or updates (STRIPE on add_commits was accepted at
// version 2 too), or StripeGatesRefused (what version 2's upgrade sets).
func editAsVersion2(cmd engine.Command) (engine.Command, bool) {
	e := cmd.(*engine.EditContract)
	if e.UsesVersion5() {
		return nil, false
	}
	if !e.StripeGatesRefused {
		for _, r := range []*engine.RechargeInput{e.AddPrepaidBalanceThreshold, e.UpdatePrepaidBalanceThreshold} {
			if r != nil && !gateOfVersion3(r.PaymentGate) {
				return nil, false
			}
		}
		for _, sp := range []*engine.SpendThresholdInput{e.AddSpendThreshold, e.UpdateSpendThreshold} {
			if sp != nil && !gateOfVersion3(sp.PaymentGate) {
				return nil, false
			}
		}
	}
	v2 := *e
	v2.StripeGatesRefused = false
	return &v2, true
}

// gateOfVersion3 reports whether a payment gate means the same to the
// builds that wrote create_contract 3 and edit_contract 2: none, NONE or
// EXTERNAL.
func gateOfVersion3(g *engine.PaymentGateInput) bool {
	return g == nil || (g.Stripe == nil && (g.Type == "" || g.Type == engine.GateNone || g.Type == engine.GateExternal))
}

// ingestRegistrations are ingest's layouts beyond the engine's own.
func ingestRegistrations() []Registration {
	// Ingest: version 1 (msgpack) is the engine layout; version 2 is the
	// binary layout written since (ingest_codec.go).
	return []Registration{{
		Kind: engine.KindIngest, Version: ingestBinaryVersion,
		Decode: func(b []byte) (engine.Command, error) { return decodeIngest(b) },
		Encode: func(dst []byte, cmd engine.Command) ([]byte, error) {
			return appendIngest(dst, cmd.(*engine.Ingest)), nil
		},
	}}
}

// NewCodec returns a codec that knows every engine command at every version
// ever written, plus the extra registrations, which must use kinds >=
// FirstClusterKind.
func NewCodec(extra ...Registration) (*Codec, error) {
	c := &Codec{}
	for _, r := range builtinRegistrations() {
		if err := c.add(r); err != nil {
			return nil, err
		}
	}
	for _, r := range extra {
		if r.Kind < FirstClusterKind {
			return nil, fmt.Errorf("persist: kind %d is reserved for the engine", r.Kind)
		}
		if err := c.add(r); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Codec) add(r Registration) error {
	if r.Version == 0 || (r.New == nil && r.Decode == nil) {
		return fmt.Errorf("persist: kind %d version %d needs a version and a decoder", r.Kind, r.Version)
	}
	if c.regs[r.Kind] == nil {
		c.regs[r.Kind] = map[uint8]*Registration{}
	}
	if c.regs[r.Kind][r.Version] != nil {
		return fmt.Errorf("persist: kind %d version %d registered twice", r.Kind, r.Version)
	}
	c.regs[r.Kind][r.Version] = &r
	if r.Version > c.writes[r.Kind] {
		c.writes[r.Kind] = r.Version
	}
	return nil
}

// Versions lists the versions registered for a kind, ascending.
func (c *Codec) Versions(k engine.Kind) []uint8 {
	var out []uint8
	for v := 1; v < 256; v++ {
		if c.regs[k][uint8(v)] != nil {
			out = append(out, uint8(v))
		}
	}
	return out
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
// It first walks b without decoding (checkMsgpack), so a length claiming
// more than b holds, or nesting deeper than any durable structure, is
// refused before msgpack's decoder would allocate it or recurse into it.
func Unmarshal(b []byte, v any) error {
	if err := checkMsgpack(b); err != nil {
		return err
	}
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

// EncodeCommand encodes one command's body at the version it is written
// at (writeVersion: the newest, or an older one meaning the same). It fails for a kind the codec could not decode, so nothing
// undecodable reaches the log.
func (c *Codec) EncodeCommand(cmd engine.Command) (Encoded, error) {
	if cmd == nil {
		return Encoded{}, errors.New("persist: nil command")
	}
	k := cmd.Kind()
	v, cmd := c.writeVersion(k, cmd)
	r := c.regs[k][v]
	if r == nil {
		return Encoded{}, fmt.Errorf("%w: kind %d", ErrUnknownCommand, k)
	}
	if r.DecimalAmounts {
		body, err := MarshalDecimalAmounts(cmd)
		if err != nil {
			return Encoded{}, fmt.Errorf("persist: encode command kind %d: %w", k, err)
		}
		return Encoded{Kind: k, Version: v, Body: body}, nil
	}
	if r.Encode != nil {
		body, err := r.Encode(nil, cmd)
		if err != nil {
			return Encoded{}, fmt.Errorf("persist: encode command kind %d: %w", k, err)
		}
		return Encoded{Kind: k, Version: v, Body: body}, nil
	}
	body, err := Marshal(cmd)
	if err != nil {
		return Encoded{}, fmt.Errorf("persist: encode command kind %d: %w", k, err)
	}
	return Encoded{Kind: k, Version: v, Body: body}, nil
}

// writeVersion is the version cmd is written at, and cmd as written
// there: the lowest version whose WriteAs takes it, else the newest.
// Versions with decimal amounts are candidates only in the decimal format,
// and then the last of them always takes the command.
func (c *Codec) writeVersion(k engine.Kind, cmd engine.Command) (uint8, engine.Command) {
	newest := c.writes[k]
	compact := c.format.get() != DataFormatDecimalAmounts
	for v := uint8(1); v < newest; v++ {
		if r := c.regs[k][v]; r != nil && r.WriteAs != nil && !(compact && r.DecimalAmounts) {
			if as, ok := r.WriteAs(cmd); ok {
				return v, as
			}
		}
	}
	return newest, cmd
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
	at, raw, err := splitEntry(b)
	if err != nil {
		return 0, nil, err
	}
	cmds := make([]engine.Command, 0, len(raw))
	for i, e := range raw {
		cmd, err := c.decodeCommand(e.Kind, e.Version, e.Body)
		if err != nil {
			return 0, nil, fmt.Errorf("persist: command %d: %w", i, err)
		}
		cmds = append(cmds, cmd)
	}
	return at, cmds, nil
}

// EntryCommands splits an entry into its commands' kinds, versions and
// bodies without decoding them (tools, and tests of what was written).
func EntryCommands(b []byte) ([]Encoded, error) {
	_, raw, err := splitEntry(b)
	return raw, err
}

// splitEntry reads an entry's header and splits its commands; every length
// is checked against the bytes there are.
func splitEntry(b []byte) (engine.Nanos, []Encoded, error) {
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
	out := make([]Encoded, 0, n)
	for i := uint64(0); i < n; i++ {
		if len(rest) < 3 {
			return 0, nil, fmt.Errorf("persist: command %d truncated", i)
		}
		k, v := engine.Kind(rest[0]), rest[1]
		size, w := binary.Uvarint(rest[2:])
		if w <= 0 || size > uint64(len(rest)-2-w) {
			return 0, nil, fmt.Errorf("persist: command %d: bad body length", i)
		}
		out = append(out, Encoded{Kind: k, Version: v, Body: rest[2+w : 2+w+int(size)]})
		rest = rest[2+w+int(size):]
	}
	if len(rest) != 0 {
		return 0, nil, fmt.Errorf("persist: %d trailing bytes after the last command", len(rest))
	}
	return at, out, nil
}

func (c *Codec) decodeCommand(k engine.Kind, v uint8, body []byte) (engine.Command, error) {
	r := c.regs[k][v]
	if r == nil {
		return nil, fmt.Errorf("%w: kind %d version %d", ErrUnknownCommand, k, v)
	}
	var cmd engine.Command
	if r.Decode != nil {
		var err error
		if cmd, err = r.Decode(body); err != nil {
			return nil, fmt.Errorf("decode kind %d version %d: %w", k, v, err)
		}
	} else {
		cmd = r.New()
		if err := Unmarshal(body, cmd); err != nil {
			return nil, fmt.Errorf("decode kind %d version %d: %w", k, v, err)
		}
	}
	if r.Upgrade != nil {
		up, err := r.Upgrade(cmd)
		if err != nil {
			return nil, fmt.Errorf("upgrade kind %d version %d: %w", k, v, err)
		}
		cmd = up
	}
	return cmd, nil
}
