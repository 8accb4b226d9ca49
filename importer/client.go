package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/option"
)

// api is one side of the import (the source or the target) through the
// official SDK's client.
type api struct {
	sdk metronome.Client
	// name says which side it is in errors ("source", "target").
	name string
}

// newAPI is a client of the API at base with token. The SDK retries
// timeouts, 409s, 429s and 5xx answers; every write carries an
// Idempotency-Key, so a retried create is applied once.
func newAPI(name, base, token string, hc *http.Client) *api {
	opts := []option.RequestOption{option.WithBaseURL(base), option.WithBearerToken(token), option.WithMaxRetries(3)}
	if hc != nil {
		opts = append(opts, option.WithHTTPClient(hc))
	}
	return &api{sdk: metronome.NewClient(opts...), name: name}
}

// post sends body to path with the Idempotency-Key key (none when empty)
// and decodes the answer into out (when not nil).
func (a *api) post(ctx context.Context, path string, body, out any, key string) error {
	var opts []option.RequestOption
	if key != "" {
		opts = append(opts, option.WithHeader("Idempotency-Key", key))
	}
	var raw []byte
	if err := a.sdk.Post(ctx, path, body, &raw, opts...); err != nil {
		return fmt.Errorf("%s: POST /%s: %w", a.name, path, err)
	}
	return decodeInto(raw, out, a.name, path)
}

// get sends a GET to path and decodes the answer into out.
func (a *api) get(ctx context.Context, path string, out any) error {
	var raw []byte
	if err := a.sdk.Get(ctx, path, nil, &raw); err != nil {
		return fmt.Errorf("%s: GET /%s: %w", a.name, path, err)
	}
	return decodeInto(raw, out, a.name, path)
}

// decodeInto decodes raw into out, numbers as json.Number so amounts keep
// every digit.
func decodeInto(raw []byte, out any, side, path string) error {
	if out == nil || len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := decode(raw, out); err != nil {
		return fmt.Errorf("%s: /%s: decode the answer: %w", side, path, err)
	}
	return nil
}

// decode decodes a JSON document (an SDK item's RawJSON, an answer) into
// out with numbers as json.Number.
func decode[T ~[]byte | ~string](raw T, out any) error {
	d := json.NewDecoder(bytes.NewReader([]byte(raw)))
	d.UseNumber()
	return d.Decode(out)
}

// statusOf is the HTTP status of an SDK error (0 when err is not one).
func statusOf(err error) int {
	var apiErr *metronome.Error
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode
	}
	return 0
}

// idempotencyKey is the key of the create of one source object: the same
// object gets the same key on every run.
func idempotencyKey(kind, sourceID string) string {
	return "burndown-import." + strings.ReplaceAll(kind, " ", "-") + "." + sourceID
}

// pager is the SDK's auto pager of items of type T.
type pager[T any] interface {
	Next() bool
	Current() T
	Err() error
}

// collect reads every item of p, each decoded from its raw JSON into O.
func collect[T interface{ RawJSON() string }, O any](p pager[T]) ([]O, error) {
	var out []O
	for p.Next() {
		var o O
		if err := decode(p.Current().RawJSON(), &o); err != nil {
			return nil, fmt.Errorf("decode an item: %w", err)
		}
		out = append(out, o)
	}
	return out, p.Err()
}
