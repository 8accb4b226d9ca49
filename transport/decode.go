package transport

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"burndown/engine"
	"burndown/money"
)

// Limits on decoded values. They keep hostile input from costing memory or
// CPU out of proportion (a 1e999999999 amount would otherwise be expanded by
// the first comparison that rescales it).
const (
	maxStringLen = 4096
	maxListLen   = 10000
)

// readBody returns the request body, gunzipped when Content-Encoding says so,
// limited to max bytes as it arrives and after decompression (413 beyond).
func readBody(ctx *fasthttp.RequestCtx, max int) ([]byte, error) {
	if err := bufferBody(ctx, max); err != nil {
		return nil, err
	}
	body := ctx.Request.Body()
	enc := ctx.Request.Header.ContentEncoding()
	switch {
	case len(enc) == 0 || bytes.EqualFold(enc, []byte("identity")):
		return body, nil
	case bytes.EqualFold(enc, []byte("gzip")):
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, badRequest("body: invalid gzip data: %v", err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, int64(max)+1))
		if err != nil {
			return nil, badRequest("body: invalid gzip data: %v", err)
		}
		if len(out) > max {
			return nil, &apiError{Status: fasthttp.StatusRequestEntityTooLarge, Message: fmt.Sprintf("body: larger than %d bytes once decompressed", max)}
		}
		return out, nil
	default:
		return nil, &apiError{Status: fasthttp.StatusUnsupportedMediaType, Message: fmt.Sprintf("Content-Encoding: %q is not supported (use gzip or none)", enc)}
	}
}

// parseJSON decodes body into a generic tree with numbers kept as
// json.Number, so amounts are never rounded through float64. It rejects
// invalid UTF-8 (encoding/json would silently replace it) and trailing data.
func parseJSON(body []byte) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("body: a JSON body is required")
	}
	if !utf8.Valid(body) {
		off := 0
		for off < len(body) {
			r, size := utf8.DecodeRune(body[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return nil, badRequest("body: invalid UTF-8 at byte offset %d", off)
	}
	if v, ok := parseJSONFast(body); ok {
		return v, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, badRequest("body: invalid JSON at byte offset %d: %v", se.Offset, se)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, badRequest("body: invalid JSON: unexpected end of input")
		}
		return nil, badRequest("body: invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest("body: invalid JSON: unexpected data after the top-level value at byte offset %d", dec.InputOffset())
	}
	return v, nil
}

// reader walks a decoded JSON tree and keeps the first error it meets, with
// the path of the field at fault. After an error every accessor returns zero
// values, so a handler reads all its fields and checks Err once.
//
// The reader is an allow-list: every object it hands out records which keys
// the decoder read, and Err refuses any other key that carries a value
// ("<path>: is not supported by this server yet"). A decoder therefore reads
// a key only where the server applies it; whatever it does not read is
// refused rather than silently dropped (DESIGN.md §6). The fields each
// endpoint applies are listed in appliedFields (fields.go).
type reader struct {
	err *apiError
	// objs are the objects handed to the decoder, in the order handed out;
	// an obj names its entry by position plus one.
	objs []tracked
	// marks are the keys the decoder read or looked for, each with its
	// object: one list for the whole body, so tracking costs no allocation
	// per object (BenchmarkDecodeCreateContract).
	marks []mark
	// checked is set once the unread keys have been looked at.
	checked bool
}

// tracked is one JSON object handed to a decoder. Its path from the root is
// kept as parts (parent, key, array position) and spelled out only for an
// error message, so a body that decodes cleanly builds no path strings.
type tracked struct {
	m map[string]any
	// parent is the position of the enclosing object in reader.objs, or -1
	// when key is the whole path.
	parent int32
	// index is the position in the array under key, or -1.
	index int32
	key   string
	// all is set when every key was read (free-form maps).
	all bool
}

// mark is one key the decoder read or looked for in objs[obj].
type mark struct {
	obj int32
	key string
}

// newReader is a reader for a body of n bytes, with room for the objects
// and marks such a body takes as a rule: about one object per 64 bytes and
// one key looked up per 8 (the onboarding contract, 790 bytes, hands out
// 10 objects and looks up 83 keys), so that tracking a body costs one
// allocation for each, not one per doubling.
func newReader(n int) *reader {
	return &reader{
		objs:  make([]tracked, 0, min(max(n/64, 4), 64)),
		marks: make([]mark, 0, min(max(n/8, 16), 256)),
	}
}

// track records an object whose path is given whole and returns its obj.
func (r *reader) track(path string, m map[string]any) obj {
	return r.trackUnder(-1, path, -1, m)
}

// trackUnder records an object found under parent's key (at array position
// index when index >= 0).
func (r *reader) trackUnder(parent int32, key string, index int32, m map[string]any) obj {
	r.objs = append(r.objs, tracked{m: m, parent: parent, index: index, key: key})
	return obj{r: r, m: m, t: int32(len(r.objs))}
}

// pathOf spells out the path of objs[i].
func (r *reader) pathOf(i int32) string {
	t := &r.objs[i]
	p := t.key
	if t.parent >= 0 {
		p = joinPath(r.pathOf(t.parent), t.key)
	}
	if t.index >= 0 {
		p = index(p, int(t.index))
	}
	return p
}

// joinPath is path.key, or key at the root.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// appendReadKeys appends to keys those the decoder read or looked for in
// objs[i].
func (r *reader) appendReadKeys(keys []string, i int32) []string {
	for _, mk := range r.marks {
		if mk.obj == i {
			keys = append(keys, mk.key)
		}
	}
	return keys
}

// refuseUnread fails on the first key, in document-independent order
// (objects as handed out, keys sorted), that carries a value and was not
// read.
func (r *reader) refuseUnread() {
	if r.checked {
		return
	}
	r.checked = true
	var room [32]string
	read := room[:0] // reused for each object: one scan of the marks each
	for i := range r.objs {
		t := &r.objs[i]
		if t.all || len(t.m) == 0 {
			continue
		}
		read = r.appendReadKeys(read[:0], int32(i))
		var unread []string
		for k, v := range t.m {
			if !emptyValue(v) && !slices.Contains(read, k) {
				unread = append(unread, k)
			}
		}
		if len(unread) == 0 {
			continue
		}
		sort.Strings(unread)
		path := joinPath(r.pathOf(int32(i)), unread[0])
		if near := nearestKey(unread[0], read); near != "" {
			r.fail(path, "is not supported by this server yet (did you mean %s?)", near)
			return
		}
		r.fail(path, "is not supported by this server yet")
		return
	}
}

// nearestKey is the key among read (what the decoder read or looked for)
// that key most likely misspells: at most two edits away, for keys long
// enough that two edits are a typo rather than another word ("" when none
// is).
func nearestKey(key string, read []string) string {
	if len(key) < 8 {
		return ""
	}
	slices.Sort(read)
	best, bestDist := "", 3
	for _, k := range slices.Compact(read) {
		if d := editDistance(key, k, bestDist); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or limit once it
// is known to be at least limit (keys are short; this stays cheap).
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

// emptyValue reports whether v carries nothing: null, [] or {}.
func emptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func (r *reader) fail(path, format string, args ...any) {
	if r.err == nil {
		r.err = badRequest("%s: %s", path, fmt.Sprintf(format, args...))
	}
}

// Err returns the first error met, or nil. Call it once the decoder has read
// everything it applies: without an earlier error, it refuses every key
// that was not read.
func (r *reader) Err() error {
	if r.err == nil {
		r.refuseUnread()
	}
	if r.err == nil {
		return nil
	}
	return r.err
}

// obj is a JSON object being read. Its path from the body's root is
// spelled out only when an error names it (path, sub).
type obj struct {
	r *reader
	m map[string]any
	// t is the object's position in r.objs plus one; 0 for an object that
	// is not tracked (an empty optional body), whose path is the root's.
	t int32
	// absent, for an object the body does not have, is its path below
	// objs[t-1] (the nearest present object). Such an object is not
	// tracked: it has no keys to refuse, and most optional objects are
	// absent from most bodies.
	absent string
}

// path is the object's path from the body's root ("" for the root).
func (o obj) path() string {
	p := ""
	if o.t != 0 {
		p = o.r.pathOf(o.t - 1)
	}
	if o.absent != "" {
		p = joinPath(p, o.absent)
	}
	return p
}

// mark records that the decoder read key.
func (o obj) mark(key string) {
	if o.t == 0 || o.absent != "" {
		return
	}
	o.r.marks = append(o.r.marks, mark{obj: o.t - 1, key: key})
}

// readAll marks every key read (free-form maps such as custom_fields).
func (o obj) readAll() {
	if o.t != 0 && o.absent == "" {
		o.r.objs[o.t-1].all = true
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// rootObject expects the body to be a JSON object.
func (r *reader) rootObject(v any) obj {
	m, ok := v.(map[string]any)
	if !ok {
		r.fail("body", "expected a JSON object, got %s", jsonType(v))
		return obj{r: r}
	}
	return r.track("", m)
}

// sub is the path of the object's key, for an error message.
func (o obj) sub(key string) string { return joinPath(o.path(), key) }

// get returns the value at key; null counts as absent.
func (o obj) get(key string, required bool) (any, bool) {
	o.mark(key)
	v, ok := o.m[key]
	if !ok || v == nil {
		if required {
			o.r.fail(o.sub(key), "is required")
		}
		return nil, false
	}
	return v, true
}

// has reports whether key is present and not null.
func (o obj) has(key string) bool {
	o.mark(key)
	v, ok := o.m[key]
	return ok && v != nil
}

// str reads a string value at path; a required one must be non-blank.
func (r *reader) str(v any, path string, required bool) string {
	s, msg := strValue(v, required)
	if msg != "" {
		r.fail(path, "%s", msg)
	}
	return s
}

// strValue is v as a string, or what is wrong with it ("" when nothing
// is), so that a caller builds the path for the message only when there is
// one.
func strValue(v any, required bool) (s, msg string) {
	s, ok := v.(string)
	switch {
	case !ok:
		return "", "expected a string, got " + jsonType(v)
	case len(s) > maxStringLen:
		return "", fmt.Sprintf("longer than %d bytes", maxStringLen)
	case required && strings.TrimSpace(s) == "":
		return "", "must not be empty"
	}
	return s, ""
}

// str reads a string field; a required one must also be non-blank.
func (o obj) str(key string, required bool) string {
	v, ok := o.get(key, required)
	if !ok {
		return ""
	}
	s, msg := strValue(v, required)
	if msg != "" {
		o.r.fail(o.sub(key), "%s", msg)
	}
	return s
}

// boolean reads a boolean field; present says whether it was given.
func (o obj) boolean(key string, required bool) (val, present bool) {
	v, ok := o.get(key, required)
	if !ok {
		return false, false
	}
	b, ok := v.(bool)
	if !ok {
		o.r.fail(o.sub(key), "expected a boolean, got %s", jsonType(v))
		return false, false
	}
	return b, true
}

// boolPtr reads an optional boolean as a pointer (nil when absent).
func (o obj) boolPtr(key string) *bool {
	b, ok := o.boolean(key, false)
	if !ok {
		return nil
	}
	return &b
}

// parseAmount converts a JSON number literal with money.Parse, the one
// grammar and set of bounds every replica applies; the message says what is
// wrong ("" when it is fine). It runs in time bounded by money.MaxStringLen
// whatever the literal is.
func parseAmount(n json.Number) (money.Amount, string) {
	a, err := money.Parse(string(n))
	switch {
	case err == nil:
		return a, ""
	case errors.Is(err, money.ErrTooLong):
		return a, fmt.Sprintf("number literal longer than %d characters", money.MaxStringLen)
	case errors.Is(err, money.ErrExponent):
		return a, fmt.Sprintf("exponent has more than %d digits", money.MaxExponentDigits)
	case errors.Is(err, money.ErrIntegerDigits):
		return a, fmt.Sprintf("too large (more than %d integer digits)", money.MaxIntegerDigits)
	case errors.Is(err, money.ErrFractionDigits):
		return a, fmt.Sprintf("more than %d fractional digits", money.MaxFractionDigits)
	}
	return a, "not a decimal number (expected digits with an optional sign, fraction and exponent, such as -12.5 or 1e3)"
}

// amount reads a JSON number exactly, parsed once into the amount the
// command carries. nonNegative rejects amounts below zero.
func (o obj) amount(key string, required, nonNegative bool) (money.Amount, bool) {
	v, ok := o.get(key, required)
	if !ok {
		return money.Amount{}, false
	}
	a, msg := amountOf(v, nonNegative)
	if msg != "" {
		o.r.fail(o.sub(key), "%s", msg)
		return money.Amount{}, false
	}
	return a, true
}

// amountValue reads a JSON number, or a string holding one (Metronome
// accepts "10000" where its spec says number, and its guides send that):
// both go through parseAmount, the one grammar and set of bounds, so a
// string is never a way around them.
func (r *reader) amountValue(v any, path string, nonNegative bool) (money.Amount, bool) {
	a, msg := amountOf(v, nonNegative)
	if msg != "" {
		r.fail(path, "%s", msg)
		return money.Amount{}, false
	}
	return a, true
}

// amountOf is v as an amount, or what is wrong with it ("" when nothing
// is).
func amountOf(v any, nonNegative bool) (money.Amount, string) {
	var n json.Number
	switch x := v.(type) {
	case json.Number:
		n = x
	case string:
		n = json.Number(x)
	default:
		return money.Amount{}, "expected a number, got " + jsonType(v)
	}
	a, msg := parseAmount(n)
	if msg != "" {
		if _, isStr := v.(string); isStr {
			msg = "a string here must hold a number: " + msg
		}
		return money.Amount{}, msg
	}
	if nonNegative && a.IsNegative() {
		return money.Amount{}, "must not be negative"
	}
	return a, ""
}

// amountPtr reads an optional number as a pointer.
func (o obj) amountPtr(key string, nonNegative bool) *money.Amount {
	a, ok := o.amount(key, false, nonNegative)
	if !ok {
		return nil
	}
	return &a
}

// integer reads a whole number within [min, max].
func (o obj) integer(key string, required bool, min, max int64) (int64, bool) {
	a, ok := o.amount(key, required, false)
	if !ok {
		return 0, false
	}
	n, whole := a.Int64()
	if !whole || n < min || n > max {
		o.r.fail(o.sub(key), "must be a whole number between %d and %d", min, max)
		return 0, false
	}
	return n, true
}

// Earliest and latest times representable as engine.Nanos.
var (
	minTime = time.Unix(0, 1).UTC()
	maxTime = time.Unix(0, 1<<63-1).UTC()
)

// parseTime converts an RFC 3339 timestamp to unix nanoseconds.
func parseTime(s string) (engine.Nanos, string) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, "expected an RFC 3339 timestamp such as 2026-01-01T00:00:00Z"
	}
	if t.Before(minTime) || t.After(maxTime) {
		return 0, "must be between 1970-01-01 and 2262-04-11"
	}
	return t.UnixNano(), ""
}

// time reads an RFC 3339 timestamp as unix nanoseconds (0 when absent).
func (o obj) time(key string, required bool) engine.Nanos {
	v, ok := o.get(key, required)
	if !ok {
		return 0
	}
	s, ok := v.(string)
	if !ok {
		o.r.fail(o.sub(key), "expected an RFC 3339 timestamp string, got %s", jsonType(v))
		return 0
	}
	n, msg := parseTime(s)
	if msg != "" {
		o.r.fail(o.sub(key), "%s", msg)
	}
	return n
}

// list reads an array field; each element is returned with its path.
func (o obj) list(key string, required bool, maxLen int) ([]any, string) {
	return o.items(key, required, maxLen), o.sub(key)
}

// items reads an array field of at most maxLen items (maxListLen when
// maxLen <= 0); a required one must not be empty.
func (o obj) items(key string, required bool, maxLen int) []any {
	v, ok := o.get(key, required)
	if !ok {
		return nil
	}
	a, ok := v.([]any)
	if maxLen <= 0 {
		maxLen = maxListLen
	}
	switch {
	case !ok:
		o.r.fail(o.sub(key), "expected an array, got %s", jsonType(v))
	case len(a) > maxLen:
		o.r.fail(o.sub(key), "at most %d items are allowed", maxLen)
	case required && len(a) == 0:
		o.r.fail(o.sub(key), "must not be empty")
	default:
		return a
	}
	return nil
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// strList reads an array of non-empty strings.
func (o obj) strList(key string, required bool) []string {
	a := o.items(key, required, 0)
	if a == nil {
		return nil
	}
	out := make([]string, 0, len(a))
	for i, v := range a {
		s, msg := strValue(v, true)
		if msg != "" {
			o.r.fail(index(o.sub(key), i), "%s", msg)
		}
		out = append(out, s)
	}
	if o.r.err != nil {
		return nil
	}
	return out
}

// objects reads an array of objects.
func (o obj) objects(key string, required bool, maxLen int) []obj {
	a := o.items(key, required, maxLen)
	if a == nil {
		return nil
	}
	out := make([]obj, 0, len(a))
	for i, v := range a {
		out = append(out, o.under(key, int32(i), v))
	}
	return out
}

// asObject expects v, at path, to be an object.
func (r *reader) asObject(v any, path string) obj {
	m, ok := v.(map[string]any)
	if !ok {
		r.fail(path, "expected an object, got %s", jsonType(v))
		m = nil
	}
	return r.track(path, m)
}

// under expects v, found at key (position pos of its array when pos >= 0),
// to be an object. An absent one (v nil, not in an array) is handed out
// empty and untracked, so that the decoder's reads of it fail with its
// path; anything else that is not an object fails here.
func (o obj) under(key string, pos int32, v any) obj {
	m, ok := v.(map[string]any)
	switch {
	case o.r == nil:
		return obj{m: m} // a zero obj has no reader to track with
	case v == nil && pos < 0:
		return obj{r: o.r, t: o.t, absent: joinPath(o.absent, key)}
	case o.absent != "":
		// Below an absent object nothing is present: v is nil.
		return obj{r: o.r, t: o.t, absent: index(joinPath(o.absent, key), int(pos))}
	}
	no := o.r.trackUnder(o.t-1, key, pos, m)
	if !ok {
		o.r.fail(no.path(), "expected an object, got %s", jsonType(v))
	}
	return no
}

// object reads a nested object; ok is false when it is absent.
func (o obj) object(key string, required bool) (obj, bool) {
	v, ok := o.get(key, required)
	return o.under(key, -1, v), ok
}

// strMap reads a flat string → string map such as custom_fields.
func (o obj) strMap(key string) map[string]string {
	sub, ok := o.object(key, false)
	if !ok {
		return nil
	}
	sub.readAll()
	out := make(map[string]string, len(sub.m))
	for k, v := range sub.m {
		if v == nil {
			continue
		}
		out[k] = o.r.str(v, sub.sub(k), false)
	}
	if o.r.err != nil {
		return nil
	}
	return out
}

// enum reads a string that must be one of allowed, compared without regard
// to case (Metronome accepts any case); it returns the allowed spelling.
func (o obj) enum(key string, required bool, allowed ...string) string {
	s := o.str(key, required)
	if s == "" {
		return ""
	}
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			return a
		}
	}
	o.r.fail(o.sub(key), "must be one of %s", strings.Join(allowed, ", "))
	return ""
}

// decodeObject parses the request body as a JSON object.
// bodyObject reads the request body (gzip allowed, size bounded) and decodes
// it as a JSON object, with errors that name the field at fault.
func (s *Server) bodyObject(ctx *fasthttp.RequestCtx) (obj, *reader, error) {
	body, err := readBody(ctx, s.cfg.MaxBodyBytes)
	if err != nil {
		r := &reader{}
		return obj{r: r, m: map[string]any{}}, r, err
	}
	return decodeObject(body)
}

func decodeObject(body []byte) (obj, *reader, error) {
	r := newReader(len(body))
	v, err := parseJSON(body)
	if err != nil {
		return obj{r: r, m: map[string]any{}}, r, err
	}
	o := r.rootObject(v)
	if r.err != nil {
		return o, r, r.err
	}
	return o, r, nil
}
