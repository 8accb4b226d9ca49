package persist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"burndown/engine"
)

// ingestBinaryVersion is the version of engine.Ingest written with the
// hand-rolled layout below instead of msgpack. Ingest is the one command on
// the hot path (every event goes through it twice: encoded by the proposer's
// caller, decoded by the FSM on every replica), so it gets a compact layout
// that decodes all of an entry's strings with one allocation. Version 1
// (msgpack) stays decodable for old logs.
const ingestBinaryVersion uint8 = 2

// Layout, all integers unsigned varints unless said otherwise:
//
//	count
//	count × { len txid, txid, len customer, customer, len type, type,
//	          timestamp (8 bytes big-endian), props+1 (0: nil map),
//	          props × { len key, key, len value, value } (keys sorted) }
func appendIngest(dst []byte, in *engine.Ingest) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(in.Events)))
	var keys []string
	for i := range in.Events {
		ev := &in.Events[i]
		dst = appendString(dst, ev.TransactionID)
		dst = appendString(dst, ev.CustomerID)
		dst = appendString(dst, ev.EventType)
		dst = binary.BigEndian.AppendUint64(dst, uint64(ev.Timestamp))
		if ev.Properties == nil {
			dst = append(dst, 0)
			continue
		}
		dst = binary.AppendUvarint(dst, uint64(len(ev.Properties))+1)
		keys = keys[:0]
		for k := range ev.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			dst = appendString(dst, k)
			dst = appendString(dst, ev.Properties[k])
		}
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

var errIngestTruncated = errors.New("ingest body truncated")

// decodeIngest parses the binary layout. All strings are slices of one copy
// of body, so decoding allocates the events, the property maps and that copy.
func decodeIngest(body []byte) (*engine.Ingest, error) {
	all := string(body)
	pos := 0
	uvarint := func() (uint64, error) {
		v, w := binary.Uvarint(body[pos:])
		if w <= 0 {
			return 0, errIngestTruncated
		}
		pos += w
		return v, nil
	}
	str := func() (string, error) {
		n, err := uvarint()
		if err != nil {
			return "", err
		}
		if n > uint64(len(body)-pos) {
			return "", errIngestTruncated
		}
		s := all[pos : pos+int(n)]
		pos += int(n)
		return s, nil
	}
	count, err := uvarint()
	if err != nil {
		return nil, err
	}
	// Each event takes at least 3 length bytes, 8 timestamp bytes and 1 props byte.
	if count > uint64(len(body)/12) {
		return nil, fmt.Errorf("ingest body claims %d events in %d bytes", count, len(body))
	}
	in := &engine.Ingest{Events: make([]engine.Event, count)}
	for i := range in.Events {
		ev := &in.Events[i]
		if ev.TransactionID, err = str(); err != nil {
			return nil, err
		}
		if ev.CustomerID, err = str(); err != nil {
			return nil, err
		}
		if ev.EventType, err = str(); err != nil {
			return nil, err
		}
		if len(body)-pos < 8 {
			return nil, errIngestTruncated
		}
		ev.Timestamp = int64(binary.BigEndian.Uint64(body[pos:]))
		pos += 8
		props, err := uvarint()
		if err != nil {
			return nil, err
		}
		if props == 0 {
			continue
		}
		props--
		if props > uint64(len(body)-pos)/2 {
			return nil, errIngestTruncated
		}
		ev.Properties = make(map[string]string, props)
		for j := uint64(0); j < props; j++ {
			k, err := str()
			if err != nil {
				return nil, err
			}
			v, err := str()
			if err != nil {
				return nil, err
			}
			ev.Properties[k] = v
		}
	}
	if pos != len(body) {
		return nil, fmt.Errorf("ingest body has %d trailing bytes", len(body)-pos)
	}
	return in, nil
}
