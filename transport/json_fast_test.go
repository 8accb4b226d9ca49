package transport

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceJSON is what parseJSON's encoding/json path makes of body: its
// tree, or false when it refuses it.
func referenceJSON(body []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// checkFastJSON fails when the fast parser accepts body and its tree is not
// encoding/json's, or encoding/json refuses what it accepted.
func checkFastJSON(t *testing.T, body []byte) (fast bool) {
	t.Helper()
	got, ok := parseJSONFast(body)
	if !ok {
		return false
	}
	want, wantOK := referenceJSON(body)
	if !wantOK {
		t.Fatalf("%q: the fast parser accepted what encoding/json refuses", body)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n fast %#v\n json %#v", body, got, want)
	}
	return true
}

var fastJSONCases = []struct {
	body string
	fast bool // parsed by the fast parser (else left to encoding/json)
}{
	{`{"customer_id":"c-1","commits":[{"amount":10.50,"priority":-1e3}],"x":null,"y":true,"z":false}`, true},
	{` {"a" : [ ] , "b" : { } , "c":[1,[2,[3]]]} ` + "\n", true},
	{`{"a":1,"a":2}`, true}, // the last of a repeated key
	{`"just a string"`, true},
	{`0`, true},
	{`-0.0E+00`, true},
	{`{"name":"Zoë — ünïcode"}`, false}, // non-ASCII goes to encoding/json too
	{`{"a":"line\nbreak"}`, false},      // escapes go to encoding/json
	{`{"a":"tab	in"}`, false},           // a raw control byte is invalid
	{`{"a":01}`, false},                 // a leading zero is invalid
	{`{"a":1.}`, false},                 // a fraction needs digits
	{`{"a":-}`, false},                  //
	{`{"a":1e}`, false},                 //
	{`{"a":tru}`, false},                //
	{`{"a":1,}`, false},                 // a trailing comma is invalid
	{`[1 2]`, false},                    //
	{`{"a":1} {"b":2}`, false},          // trailing data
	{`{"a":1`, false},                   // cut short
	{`{a:1}`, false},                    //
	{strings.Repeat("[", 65) + strings.Repeat("]", 65), false}, // deeper than the fast parser goes
	{strings.Repeat("[", 64) + strings.Repeat("]", 64), true},
}

func TestParseJSONFastMatchesEncodingJSON(t *testing.T) {
	for _, tc := range fastJSONCases {
		if fast := checkFastJSON(t, []byte(tc.body)); fast != tc.fast {
			t.Errorf("%.40q: parsed by the fast parser %v, want %v", tc.body, fast, tc.fast)
		}
		// Whatever path it takes, parseJSON's answer is encoding/json's.
		got, err := parseJSON([]byte(tc.body))
		want, ok := referenceJSON([]byte(tc.body))
		if (err == nil) != ok || (ok && !reflect.DeepEqual(got, want)) {
			t.Errorf("%.40q: parseJSON %#v, %v; encoding/json %#v, %v", tc.body, got, err, want, ok)
		}
	}
}

// FuzzParseJSONFastMatchesEncodingJSON: on any valid UTF-8 input the fast
// parser either steps aside or builds exactly encoding/json's tree.
func FuzzParseJSONFastMatchesEncodingJSON(f *testing.F) {
	for _, tc := range fastJSONCases {
		f.Add([]byte(tc.body))
	}
	f.Add([]byte(onboardingContract))
	f.Fuzz(func(t *testing.T, body []byte) {
		if !utf8.Valid(body) { // parseJSON refuses it before either parser runs
			return
		}
		checkFastJSON(t, body)
	})
}

// BenchmarkParseJSON parses the onboarding bench's contract body with the
// fast parser and with encoding/json.
func BenchmarkParseJSON(b *testing.B) {
	body := []byte(onboardingContract)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := parseJSONFast(body); !ok {
				b.Fatal("fell back")
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := referenceJSON(body); !ok {
				b.Fatal("refused")
			}
		}
	})
}
