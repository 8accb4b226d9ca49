// Package burndown is the bench's view of a Burndown server: a small client for
// the control plane (catalog, customers, contracts, cluster status) used to set a
// benchmark up, and a launcher that starts local burndown processes.
package burndown

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Client calls a Burndown server's JSON API.
type Client struct {
	base  string // http://host:port, no trailing slash
	token string
	hc    *fasthttp.Client
	slow  *fasthttp.Client // for snapshots, which may take minutes
	// Retry bounds how long a request is retried on 429/503/connection errors
	// (a cluster electing a leader answers 503 for a moment).
	Retry time.Duration
}

// NewClient returns a client for the server at base with up to conns connections.
func NewClient(base, token string, conns int) *Client {
	return &Client{
		base:  strings.TrimRight(base, "/"),
		token: token,
		hc: &fasthttp.Client{
			MaxConnsPerHost:          conns,
			ReadTimeout:              30 * time.Second,
			WriteTimeout:             30 * time.Second,
			MaxConnWaitTimeout:       30 * time.Second,
			NoDefaultUserAgentHeader: true,
		},
		slow: &fasthttp.Client{
			ReadTimeout:              10 * time.Minute,
			WriteTimeout:             time.Minute,
			NoDefaultUserAgentHeader: true,
		},
		Retry: 30 * time.Second,
	}
}

// Base returns the server's base URL.
func (c *Client) Base() string { return c.base }

// APIError is a non-2xx answer.
type APIError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// retryable reports whether err may go away by itself (no leader yet, overload).
func retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status == 429 || ae.Status == 503 || ae.Status == 502
	}
	return err != nil
}

// Do sends a request with a JSON body (nil for none; a json.RawMessage is
// sent as is) and decodes a JSON answer
// into out (nil to ignore it), retrying transient failures for up to c.Retry.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if raw, ok := in.(json.RawMessage); ok {
		body = raw // already JSON: sent as is
	} else if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		body = b
	}
	deadline := time.Now().Add(c.Retry)
	backoff := 20 * time.Millisecond
	for {
		err := c.once(method, path, body, out)
		if err == nil || !retryable(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s %s: %w (last error: %v)", method, path, ctx.Err(), err)
		case <-time.After(backoff):
		}
		if backoff < time.Second {
			backoff *= 2
		}
	}
}

func (c *Client) once(method, path string, body []byte, out any) error {
	return c.onceWith(c.hc, method, path, body, out)
}

func (c *Client) onceWith(hc *fasthttp.Client, method, path string, body []byte, out any) error {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(c.base + path)
	req.Header.SetMethod(method)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body)
	}
	if err := hc.Do(req, resp); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if s := resp.StatusCode(); s < 200 || s > 299 {
		b := bytes.TrimSpace(resp.Body())
		if len(b) > 300 {
			b = b[:300]
		}
		return &APIError{Method: method, Path: path, Status: s, Body: string(b)}
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body(), out); err != nil {
			return fmt.Errorf("%s %s: decode %q: %w", method, path, truncate(resp.Body(), 200), err)
		}
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// idData is Metronome's {"data":{"id":...}} envelope.
type idData struct {
	Data struct {
		ID string `json:"id"`
	} `json:"data"`
}

// Create posts a create request and returns the new object's id.
func (c *Client) Create(ctx context.Context, path string, in any) (string, error) {
	var out idData
	if err := c.Do(ctx, "POST", path, in, &out); err != nil {
		return "", err
	}
	if out.Data.ID == "" {
		return "", fmt.Errorf("POST %s: answer has no data.id", path)
	}
	return out.Data.ID, nil
}

// Status is GET /v1/cluster/status.
type Status struct {
	NodeID         string       `json:"node_id"`
	State          string       `json:"state"`
	LeaderID       string       `json:"leader_id"`
	LeaderHTTPAddr string       `json:"leader_http_addr"`
	Term           uint64       `json:"term"`
	CommitIndex    uint64       `json:"commit_index"`
	AppliedIndex   uint64       `json:"applied_index"`
	Nodes          []StatusNode `json:"nodes"`
}

// StatusNode is one member in Status.
type StatusNode struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	HTTPAddr string `json:"http_addr"`
	Suffrage string `json:"suffrage"`
	State    string `json:"state"`
}

// ClusterStatus fetches the node's view of the cluster without retrying.
func (c *Client) ClusterStatus(ctx context.Context) (Status, error) {
	var s Status
	err := c.once("GET", "/v1/cluster/status", nil, &s)
	return s, err
}

// Snapshot asks the node for a Raft snapshot now and waits (up to 10 minutes)
// for it to be written; it is not retried, so its duration is the snapshot's.
func (c *Client) Snapshot(ctx context.Context) error {
	return c.onceWith(c.slow, "POST", "/v1/cluster/snapshot", []byte("{}"), nil)
}

// Entitlement is the answer of GET /v1/entitlements/check.
type Entitlement struct {
	Entitled     bool   `json:"entitled"`
	Reason       string `json:"reason"`
	Balance      string `json:"balance"`
	CreditTypeID string `json:"credit_type_id"`
}

// Check performs one entitlement check.
func (c *Client) Check(ctx context.Context, customer, product string) (Entitlement, error) {
	var e Entitlement
	err := c.Do(ctx, "GET", "/v1/entitlements/check?customer_id="+customer+"&product_id="+product, nil, &e)
	return e, err
}

// Metric reads one sample of a Prometheus text metric from GET /metrics (the first
// line whose name matches exactly); ok is false when the node does not export it.
func (c *Client) Metric(ctx context.Context, name string) (v float64, ok bool) {
	if err := c.metrics(func(body []byte) { v, ok = parseMetric(body, name) }); err != nil {
		return 0, false
	}
	return v, ok
}

// parseMetric finds `name value` or `name{labels} value` in Prometheus text.
func parseMetric(body []byte, name string) (float64, bool) {
	for _, line := range bytes.Split(body, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte(name)) || len(line) == len(name) {
			continue
		}
		rest := line[len(name):]
		if rest[0] == '{' {
			i := bytes.IndexByte(rest, '}')
			if i < 0 {
				continue
			}
			rest = rest[i+1:]
		} else if rest[0] != ' ' {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(string(f[0]), 64)
		if err == nil {
			return v, true
		}
	}
	return 0, false
}
