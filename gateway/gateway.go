// Package gateway is net/http middleware for services that ask Burndown
// themselves whether a request may go on: before the wrapped handler runs
// it calls the cluster's auth-subrequest endpoint
// (/v1/entitlements/authorize) with the request's customer and product,
// lets the request through when the customer is entitled and answers 403
// otherwise, exactly as NGINX or Caddy would in front of the service. With
// an event type it meters the request in the same call, once per request id.
//
// It imports nothing of Burndown: it speaks the HTTP API, so a service
// links only this package.
package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The headers of the authorize protocol (docs/gateways.md).
const (
	HeaderCustomer   = "X-Burndown-Customer-Id"
	HeaderProduct    = "X-Burndown-Product-Id"
	HeaderGroupKey   = "X-Burndown-Group-Key"
	HeaderGroupValue = "X-Burndown-Group-Value"
	HeaderEventType  = "X-Burndown-Event-Type"
	HeaderProperty   = "X-Burndown-Property-" // + the property's name
	HeaderRequestID  = "X-Request-Id"
	HeaderEntitled   = "X-Burndown-Entitled"
	HeaderReason     = "X-Burndown-Reason"
	HeaderBalance    = "X-Burndown-Balance"
)

// AuthorizePath is the endpoint the middleware calls.
const AuthorizePath = "/v1/entitlements/authorize"

// ReasonUnavailable is the X-Burndown-Reason a fail-open middleware gives
// the wrapped handler when Burndown could not answer.
const ReasonUnavailable = "unavailable"

// DefaultTimeout bounds one authorize call: a check answers in well under a
// millisecond, a metered one after a Raft commit.
const DefaultTimeout = 500 * time.Millisecond

// Config says where Burndown is and how to read a request.
type Config struct {
	// BaseURL is a Burndown node's API, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Token is a read token (check only) or a write token (metering).
	Token string
	// Customer returns the request's customer id or ingest alias (for
	// example the API key the client sent, registered as an alias). An
	// empty answer is denied.
	Customer func(*http.Request) string
	// Product returns the product the request uses. Required.
	Product func(*http.Request) string
	// Group, when set, returns the group key and value of a group-scoped
	// limit (e.g. "user_id" and the user).
	Group func(*http.Request) (key, value string)
	// EventType, when set and not empty for a request, meters it: one event
	// of that type, admitted and counted atomically.
	EventType func(*http.Request) string
	// Properties, when set, returns the metered event's properties.
	Properties func(*http.Request) map[string]string
	// FailOpen lets requests through when Burndown cannot answer (timeout,
	// no leader, network), with X-Burndown-Reason: unavailable; otherwise
	// they are answered 503.
	FailOpen bool
	// Timeout bounds one call. Default DefaultTimeout.
	Timeout time.Duration
	// Client sends the calls. Default: a keep-alive client of its own.
	Client *http.Client
}

// Middleware wraps handlers with the authorize call.
type Middleware struct {
	cfg      Config
	endpoint string
}

// New checks cfg and builds the middleware.
func New(cfg Config) (*Middleware, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gateway: BaseURL %q: must be an http:// or https:// URL", cfg.BaseURL)
	}
	switch {
	case cfg.Token == "":
		return nil, errors.New("gateway: Token is required")
	case cfg.Customer == nil:
		return nil, errors.New("gateway: Customer is required")
	case cfg.Product == nil:
		return nil, errors.New("gateway: Product is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Client == nil {
		cfg.Client = newClient(cfg.Timeout)
	}
	return &Middleware{cfg: cfg, endpoint: strings.TrimRight(cfg.BaseURL, "/") + AuthorizePath}, nil
}

// newClient keeps connections to Burndown open between requests: a new
// connection per request would cost more than the check.
func newClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	t.ResponseHeaderTimeout = timeout
	return &http.Client{Transport: t, Timeout: timeout}
}

// Handler returns next behind the authorize call. The request next sees
// carries X-Request-Id (the client's, or one made here) and Burndown's
// X-Burndown-Entitled, -Reason and -Balance; the response echoes the
// request id.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := requestID(r)
		w.Header().Set(HeaderRequestID, id)
		d, err := m.Authorize(r)
		switch {
		case err != nil && m.cfg.FailOpen:
			r.Header.Set(HeaderReason, ReasonUnavailable)
			next.ServeHTTP(w, r)
		case err != nil:
			unavailable(w)
		case !d.Entitled:
			d.deny(w)
		default:
			d.copyTo(r.Header)
			next.ServeHTTP(w, r)
		}
	})
}
