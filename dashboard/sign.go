package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A token is "v1.<payload>.<mac>": payload the Spec's JSON and mac the
// HMAC-SHA256 of "v1.<payload>" under the URL key, both unpadded base64url.
// The URL key is derived from the cluster's dashboard key with a label, so
// the same key could sign other things without a token of one passing for
// the other.
const (
	tokenVersion = "v1"
	urlKeyLabel  = "burndown dashboard url v1"
	// MaxTokenLen bounds a token, so a URL fits the request line the
	// server reads (4 KiB with the headers).
	MaxTokenLen = 2048
)

// Errors of Verify. They say what is wrong, never the expected MAC.
var (
	ErrMalformed = errors.New("dashboard: the link is malformed")
	ErrSignature = errors.New("dashboard: the link's signature does not match")
	ErrExpired   = errors.New("dashboard: the link has expired")
)

// b64 is strict: a token has one spelling (no variants in the unused low
// bits of its last character).
var b64 = base64.RawURLEncoding.Strict()

// urlKey derives the key that signs URLs from the cluster's dashboard key
// (HMAC-SHA256 keyed by it over a fixed label, as HKDF-Expand does).
func urlKey(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(urlKeyLabel))
	return m.Sum(nil)
}

func mac(key []byte, signed string) []byte {
	m := hmac.New(sha256.New, urlKey(key))
	m.Write([]byte(signed))
	return m.Sum(nil)
}

// Sign returns the token granting s, signed with the cluster's dashboard
// key; an error when it would be longer than MaxTokenLen.
func Sign(key []byte, s Spec) (string, error) {
	if len(key) == 0 {
		return "", errors.New("dashboard: sign: no key")
	}
	payload, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("dashboard: sign: %w", err)
	}
	signed := tokenVersion + "." + b64.EncodeToString(payload)
	tok := signed + "." + b64.EncodeToString(mac(key, signed))
	if len(tok) > MaxTokenLen {
		return "", fmt.Errorf("dashboard: sign: the options make a link of %d bytes, more than %d", len(tok), MaxTokenLen)
	}
	return tok, nil
}

// tokenAlphabet reports whether token holds only base64url characters and
// dots. Go's base64 decoder skips \r and \n even in strict mode, so without
// this check a link with a line break inside its MAC would verify: a second
// spelling of the same link (found by FuzzVerify).
func tokenAlphabet(token string) bool {
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Verify returns the Spec a token grants at now: ErrMalformed,
// ErrSignature (a token altered in any byte, or signed with another key)
// or ErrExpired otherwise. The MAC is checked, in constant time, before
// anything in the payload is read.
func Verify(key []byte, token string, now time.Time) (Spec, error) {
	if len(token) > MaxTokenLen || len(key) == 0 || !tokenAlphabet(token) {
		return Spec{}, ErrMalformed
	}
	version, rest, ok := strings.Cut(token, ".")
	payload64, mac64, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || version != tokenVersion {
		return Spec{}, ErrMalformed
	}
	got, err := b64.DecodeString(mac64)
	if err != nil || len(got) != sha256.Size {
		return Spec{}, ErrMalformed
	}
	if !hmac.Equal(got, mac(key, version+"."+payload64)) {
		return Spec{}, ErrSignature
	}
	payload, err := b64.DecodeString(payload64)
	if err != nil {
		return Spec{}, ErrMalformed
	}
	var s Spec
	if err := json.Unmarshal(payload, &s); err != nil || s.Customer == "" || !Valid(s.Dashboard) || s.Expires == 0 {
		return Spec{}, ErrMalformed
	}
	if now.Unix() >= s.Expires {
		return Spec{}, ErrExpired
	}
	return s, nil
}
