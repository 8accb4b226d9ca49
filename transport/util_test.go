package transport

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

// jsonNumber keeps a JSON number's literal for exact comparison.
type jsonNumber = json.Number

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

// f converts for tests only (small integral amounts).
func fOf(t *testing.T, n json.Number) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
