package transport

import (
	"encoding/json"
	"time"

	"github.com/valyala/fasthttp"

	"burndown/engine"
	"burndown/money"
)

// appendJSONString appends s as a JSON string literal (invalid UTF-8 is
// replaced, control characters escaped).
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// num renders an amount as a bare JSON number, the way Metronome sends
// money, without going through float64.
type num money.Amount

// MarshalJSON writes the exact decimal digits.
func (n num) MarshalJSON() ([]byte, error) { return money.Amount(n).AppendString(nil), nil }

// numPtr renders an optional amount; nil stays absent with omitempty.
func numPtr(a *money.Amount) *num {
	if a == nil {
		return nil
	}
	n := num(*a)
	return &n
}

// amountNum renders an amount as num (same digits).
func amountNum(a money.Amount) num { return num(a) }

// amountNumPtr renders an optional amount; nil stays absent.
func amountNumPtr(a *money.Amount) *num { return numPtr(a) }

// ts renders a time as RFC 3339 in UTC, or nil for an unset (zero) time.
func ts(n engine.Nanos) *string {
	if n == 0 {
		return nil
	}
	s := time.Unix(0, n).UTC().Format(time.RFC3339Nano)
	return &s
}

// tsv renders a time that is always present.
func tsv(n engine.Nanos) string { return time.Unix(0, n).UTC().Format(time.RFC3339Nano) }

// orEmpty makes nil slices render as [] instead of null, as Metronome does.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// orEmptyMap makes nil maps render as {}.
func orEmptyMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// dataEnvelope is Metronome's {"data": ...} wrapper.
type dataEnvelope struct {
	Data any `json:"data"`
}

// listEnvelope is Metronome's paginated list wrapper; NextPage is null on the last page.
type listEnvelope struct {
	Data     any     `json:"data"`
	NextPage *string `json:"next_page"`
}

// idData is the {"data":{"id":...}} answer of creates.
type idData struct {
	ID string `json:"id"`
}

// writeJSON answers 200 with v encoded as JSON.
func writeJSON(ctx *fasthttp.RequestCtx, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
	return nil
}

// writeData answers {"data": v}.
func writeData(ctx *fasthttp.RequestCtx, v any) error { return writeJSON(ctx, dataEnvelope{Data: v}) }

// writeID answers {"data":{"id": id}}.
func writeID(ctx *fasthttp.RequestCtx, id string) error { return writeData(ctx, idData{ID: id}) }

// creditTypeRef is {id, name} as embedded in responses.
type creditTypeRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func creditTypeOf(cat *engine.Catalog, id string) creditTypeRef {
	if ct := cat.CreditTypes[id]; ct != nil {
		return creditTypeRef{ID: id, Name: ct.Name}
	}
	return creditTypeRef{ID: id}
}

// idRef is {id} or {id, name} as embedded in responses.
type idRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}
