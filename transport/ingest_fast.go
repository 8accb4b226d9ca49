package transport

import (
	"strings"

	"burndown/engine"
)

// decodeEventsFast decodes the common shape of an ingest body — a bare array
// of flat event objects with plain ASCII strings and scalar properties —
// without building a generic JSON tree. It accepts only input whose meaning
// is unambiguous and returns ok=false for anything else (escapes, non-ASCII,
// unknown or repeated keys, nested values, any syntax error), so the strict
// generic decoder then produces the answer or the precise error. Both paths
// therefore give the same events for every body the fast one accepts
// (FuzzIngestFastMatchesGeneric checks it).
func decodeEventsFast(body []byte) ([]engine.Event, bool) {
	p := fastParser{b: body}
	p.ws()
	if !p.eat('[') {
		return nil, false
	}
	events := make([]engine.Event, 0, 100)
	p.ws()
	if p.peek() == ']' {
		return nil, false // empty: the generic path explains
	}
	for {
		if len(events) == maxIngestEvents {
			return nil, false
		}
		events = append(events, engine.Event{})
		if !p.event(&events[len(events)-1]) {
			return nil, false
		}
		p.ws()
		if p.eat(',') {
			p.ws()
			continue
		}
		if !p.eat(']') {
			return nil, false
		}
		break
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, false
	}
	return events, true
}

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastParser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes.
func (p *fastParser) str() ([]byte, bool) {
	if !p.eat('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := p.b[start:p.i]
			p.i++
			return s, true
		}
		if c < 0x20 || c > 0x7e || c == '\\' {
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// number reads a JSON number literal (RFC 8259 grammar).
func (p *fastParser) number() ([]byte, bool) {
	start := p.i
	p.eat('-')
	switch {
	case p.eat('0'):
	case p.peek() >= '1' && p.peek() <= '9':
		for p.peek() >= '0' && p.peek() <= '9' {
			p.i++
		}
	default:
		return nil, false
	}
	if p.eat('.') {
		if !(p.peek() >= '0' && p.peek() <= '9') {
			return nil, false
		}
		for p.peek() >= '0' && p.peek() <= '9' {
			p.i++
		}
	}
	if p.peek() == 'e' || p.peek() == 'E' {
		p.i++
		if !p.eat('+') {
			p.eat('-')
		}
		if !(p.peek() >= '0' && p.peek() <= '9') {
			return nil, false
		}
		for p.peek() >= '0' && p.peek() <= '9' {
			p.i++
		}
	}
	return p.b[start:p.i], true
}

func (p *fastParser) literal(word string) bool {
	if len(p.b)-p.i >= len(word) && string(p.b[p.i:p.i+len(word)]) == word {
		p.i += len(word)
		return true
	}
	return false
}

// requiredString validates a required event string as the generic decoder does.
func requiredString(s []byte) (string, bool) {
	if len(s) > maxStringLen || strings.TrimSpace(string(s)) == "" {
		return "", false
	}
	return string(s), true
}

func (p *fastParser) event(ev *engine.Event) bool {
	p.ws()
	if !p.eat('{') {
		return false
	}
	var seen uint8
	for {
		p.ws()
		key, ok := p.str()
		if !ok {
			return false
		}
		p.ws()
		if !p.eat(':') {
			return false
		}
		p.ws()
		var bit uint8
		switch string(key) {
		case "transaction_id", "customer_id", "event_type", "timestamp":
			s, ok := p.str()
			if !ok {
				return false
			}
			v, ok := requiredString(s)
			if !ok {
				return false
			}
			switch string(key) {
			case "transaction_id":
				bit, ev.TransactionID = 1, v
			case "customer_id":
				bit, ev.CustomerID = 2, v
			case "event_type":
				bit, ev.EventType = 4, v
			case "timestamp":
				n, msg := parseTime(v)
				if msg != "" {
					return false
				}
				bit, ev.Timestamp = 8, n
			}
		case "properties":
			bit = 16
			if !p.properties(ev) {
				return false
			}
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		p.ws()
		if p.eat(',') {
			continue
		}
		if !p.eat('}') {
			return false
		}
		return seen&15 == 15
	}
}

func (p *fastParser) properties(ev *engine.Event) bool {
	if p.literal("null") {
		return true
	}
	if !p.eat('{') {
		return false
	}
	props := make(map[string]string, 4)
	p.ws()
	if p.eat('}') {
		ev.Properties = props
		return true
	}
	for {
		p.ws()
		key, ok := p.str()
		if !ok {
			return false
		}
		if _, dup := props[string(key)]; dup {
			return false
		}
		p.ws()
		if !p.eat(':') {
			return false
		}
		p.ws()
		switch c := p.peek(); {
		case c == '"':
			s, ok := p.str()
			if !ok || len(s) > maxStringLen {
				return false
			}
			props[string(key)] = string(s)
		case c == 't':
			if !p.literal("true") {
				return false
			}
			props[string(key)] = "true"
		case c == 'f':
			if !p.literal("false") {
				return false
			}
			props[string(key)] = "false"
		case c == 'n':
			// A null property is dropped by the generic decoder; keep the
			// fast path simple and let it decide.
			return false
		default:
			n, ok := p.number()
			if !ok {
				return false
			}
			props[string(key)] = string(n)
		}
		if len(props) > maxEventProperties {
			return false
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		if !p.eat('}') {
			return false
		}
		ev.Properties = props
		return true
	}
}
