package transport

import "encoding/json"

// fastJSONMaxDepth is how deeply objects and arrays may nest for the fast
// parser; deeper documents go to encoding/json (which allows 10000).
const fastJSONMaxDepth = 64

// fastJSON parses the plain JSON most control-plane bodies are into the
// same tree encoding/json builds with UseNumber (map[string]any, []any,
// string, json.Number, bool, nil), about twice as fast and with fewer
// allocations: encoding/json's parse was a tenth of the server's CPU while
// onboarding customers. It reads tokens with the ingest fast path's
// scanner (fastParser), so strings must be printable ASCII without
// escapes. It gives up, rather than guess, on anything else (an escape, a
// control or non-ASCII byte in a string, nesting past fastJSONMaxDepth,
// any syntax error), and parseJSON then runs encoding/json, whose tree and
// error messages stay the reference (FuzzParseJSONFastMatchesEncodingJSON).
//
// The tree's strings (keys, values, number literals) are slices of one copy
// of the body, so a body costs one string allocation however many strings
// it holds. They keep that copy alive while any of them is held; a decoded
// command lives until it is encoded into the log, and the state machine
// builds its own strings from the log.
type fastJSON struct {
	fastParser
	src   string // the body, as the one string the tree's strings slice
	depth int
}

// parseJSONFast returns body's tree, or false when encoding/json must parse it.
func parseJSONFast(body []byte) (any, bool) {
	p := fastJSON{fastParser: fastParser{b: body}, src: string(body)}
	v, ok := p.value()
	if !ok {
		return nil, false
	}
	p.ws()
	return v, p.i == len(p.b)
}

// value parses the value at the current position.
func (p *fastJSON) value() (any, bool) {
	p.ws()
	switch c := p.peek(); {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.text()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		n, ok := p.number()
		return json.Number(p.slice(n)), ok
	}
	return nil, false
}

// text reads a string as a slice of src.
func (p *fastJSON) text() (string, bool) {
	s, ok := p.str()
	if !ok {
		return "", false
	}
	end := p.i - 1 // the closing quote
	return p.src[end-len(s) : end], true
}

// slice is the token just read (which ends at the parser's position) as a
// slice of src.
func (p *fastJSON) slice(tok []byte) string {
	return p.src[p.i-len(tok) : p.i]
}

// object parses {"key": value, ...}; a repeated key keeps its last value,
// as encoding/json does.
func (p *fastJSON) object() (any, bool) {
	m := map[string]any{}
	ok := p.members('{', '}', func() bool {
		p.ws()
		key, ok := p.text()
		p.ws()
		if !ok || !p.eat(':') {
			return false
		}
		v, ok := p.value()
		m[key] = v
		return ok
	})
	return m, ok
}

// array parses [value, ...]; an empty one is an empty, non-nil slice.
func (p *fastJSON) array() (any, bool) {
	list := []any{}
	ok := p.members('[', ']', func() bool {
		v, ok := p.value()
		list = append(list, v)
		return ok
	})
	return list, ok
}

// members parses an object's or array's members, member reading each one,
// from its opening byte to its closing one.
func (p *fastJSON) members(opening, closing byte, member func() bool) bool {
	if p.depth++; p.depth > fastJSONMaxDepth || !p.eat(opening) {
		return false
	}
	p.ws()
	if p.eat(closing) {
		p.depth--
		return true
	}
	for member() {
		p.ws()
		if p.eat(closing) {
			p.depth--
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
	return false
}
