package transport

import "encoding/json"

// fastJSONMaxDepth is how deeply objects and arrays may nest for the fast
// parser; deeper documents go to encoding/json (which allows 10000).
const fastJSONMaxDepth = 64

// fastJSON parses the plain JSON most control-plane bodies are into the
// same tree encoding/json builds with UseNumber (map[string]any, []any,
// string, json.Number, bool, nil), several times faster and with fewer
// allocations: encoding/json's parse was a tenth of the server's CPU while
// onboarding customers. It gives up, rather than guess, on anything
// unusual (a backslash escape or a control byte in a string, nesting past
// fastJSONMaxDepth, any syntax error) and parseJSON then runs encoding/json,
// whose tree and error messages stay the reference
// (FuzzParseJSONFastMatchesEncodingJSON). The input must be valid UTF-8.
type fastJSON struct {
	b     []byte
	i     int
	depth int
}

// parseJSONFast returns body's tree, or false when encoding/json must parse it.
func parseJSONFast(body []byte) (any, bool) {
	p := fastJSON{b: body}
	v, ok := p.value()
	if !ok {
		return nil, false
	}
	p.space()
	return v, p.i == len(p.b)
}

// space skips JSON whitespace.
func (p *fastJSON) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value parses the value at the current position.
func (p *fastJSON) value() (any, bool) {
	p.space()
	if p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, false
}

// object parses {"key": value, ...}; a repeated key keeps its last value,
// as encoding/json does.
func (p *fastJSON) object() (any, bool) {
	if p.depth++; p.depth > fastJSONMaxDepth {
		return nil, false
	}
	p.i++ // {
	m := map[string]any{}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		p.depth--
		return m, true
	}
	for {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, false
		}
		key, ok := p.rawStr()
		if !ok {
			return nil, false
		}
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		m[key] = v
		if done, ok := p.next('}'); !ok || done {
			p.depth--
			return m, ok
		}
	}
}

// array parses [value, ...]; an empty one is an empty, non-nil slice.
func (p *fastJSON) array() (any, bool) {
	if p.depth++; p.depth > fastJSONMaxDepth {
		return nil, false
	}
	p.i++ // [
	list := []any{}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		p.depth--
		return list, true
	}
	for {
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		list = append(list, v)
		if done, ok := p.next(']'); !ok || done {
			p.depth--
			return list, ok
		}
	}
}

// next reads the comma or the closing byte after a member: done when it
// was the closing one.
func (p *fastJSON) next(closing byte) (done, ok bool) {
	p.space()
	if p.i >= len(p.b) {
		return false, false
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		return false, true
	case closing:
		p.i++
		return true, true
	}
	return false, false
}

// str parses a string value.
func (p *fastJSON) str() (any, bool) {
	s, ok := p.rawStr()
	if !ok {
		return nil, false
	}
	return s, true
}

// rawStr parses a string without escapes or control bytes.
func (p *fastJSON) rawStr() (string, bool) {
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			p.i = j + 1
			return string(p.b[start:j]), true
		case c == '\\' || c < 0x20:
			return "", false
		}
	}
	return "", false
}

// literal parses true, false or null.
func (p *fastJSON) literal(word string, v any) (any, bool) {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return nil, false
	}
	p.i += len(word)
	return v, true
}

// number parses a number as JSON's grammar has it, kept as its text.
func (p *fastJSON) number() (any, bool) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case !p.digits():
		return nil, false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if !p.digits() {
			return nil, false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return nil, false
		}
	}
	return json.Number(p.b[start:p.i]), true
}

// digits skips one or more decimal digits.
func (p *fastJSON) digits() bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}
