package target

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// HTTPConfig describes a server that speaks Burndown's check and ingest endpoints.
type HTTPConfig struct {
	Name      string        // report label
	Via       string        // how it is measured, for the report
	BaseURL   string        // e.g. http://127.0.0.1:8080
	Token     string        // bearer token; empty sends none
	ProductID string        // product_id of every check
	EventType string        // event_type of every ingested event
	Conns     int           // keep-alive connections (one per worker)
	Timeout   time.Duration // per request
	Customers *Customers
}

// HTTP drives a server over keep-alive fasthttp connections.
type HTTP struct {
	cfg  HTTPConfig
	hc   *fasthttp.HostClient
	host string
	auth []byte
}

// NewHTTP returns an HTTP target; it does not connect until the first request.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("target %s: base url: %w", cfg.Name, err)
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("target %s: base url %q must be http://host:port", cfg.Name, cfg.BaseURL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Conns < 1 {
		cfg.Conns = 1
	}
	t := &HTTP{cfg: cfg, host: u.Host, hc: &fasthttp.HostClient{
		Addr:                     u.Host,
		MaxConns:                 cfg.Conns,
		ReadTimeout:              cfg.Timeout,
		WriteTimeout:             cfg.Timeout,
		MaxIdleConnDuration:      time.Minute,
		MaxConnWaitTimeout:       cfg.Timeout,
		NoDefaultUserAgentHeader: true,
	}}
	if cfg.Token != "" {
		t.auth = []byte("Bearer " + cfg.Token)
	}
	return t, nil
}

// Name implements Target.
func (t *HTTP) Name() string { return t.cfg.Name }

// Via implements Target.
func (t *HTTP) Via() string { return t.cfg.Via }

// Close implements Target.
func (t *HTTP) Close() error {
	t.hc.CloseIdleConnections()
	return nil
}

// Session implements Target.
func (t *HTTP) Session(worker int) (Session, error) {
	return &httpSession{t: t, req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse()}, nil
}

type httpSession struct {
	t    *HTTP
	req  *fasthttp.Request
	resp *fasthttp.Response
	uri  []byte
	body []byte
}

// StatusError is a non-2xx answer.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return "http status " + strconv.Itoa(e.Code)
	}
	return "http status " + strconv.Itoa(e.Code) + ": " + e.Body
}

func (s *httpSession) prepare(method string) {
	s.req.Reset()
	s.req.Header.SetMethod(method)
	if s.t.auth != nil {
		s.req.Header.SetBytesV("Authorization", s.t.auth)
	}
}

func (s *httpSession) do() error {
	if err := s.t.hc.DoTimeout(s.req, s.resp, s.t.cfg.Timeout); err != nil {
		return fmt.Errorf("%s: %w", s.t.cfg.Name, err)
	}
	if c := s.resp.StatusCode(); c < 200 || c > 299 {
		body := s.resp.Body()
		if len(body) > 60 {
			body = body[:60]
		}
		return &StatusError{Code: c, Body: string(body)}
	}
	return nil
}

// Check implements Session: GET /v1/entitlements/check.
func (s *httpSession) Check(ctx context.Context, customer int) error {
	s.prepare(fasthttp.MethodGet)
	s.uri = append(s.uri[:0], "/v1/entitlements/check?customer_id="...)
	s.uri = append(s.uri, s.t.cfg.Customers.Key(customer)...)
	s.uri = append(s.uri, "&product_id="...)
	s.uri = append(s.uri, s.t.cfg.ProductID...)
	s.req.SetRequestURIBytes(s.uri)
	s.req.SetHost(s.t.host)
	return s.do()
}

// CheckBody performs a check and returns the raw JSON answer (for verification).
func (s *httpSession) CheckBody(customer int) ([]byte, error) {
	if err := s.Check(context.Background(), customer); err != nil {
		return nil, err
	}
	return append([]byte(nil), s.resp.Body()...), nil
}

// Ingest implements Session: POST /v1/ingest with a JSON array.
func (s *httpSession) Ingest(ctx context.Context, b Batch) error {
	s.prepare(fasthttp.MethodPost)
	s.req.SetRequestURI("/v1/ingest")
	s.req.SetHost(s.t.host)
	s.req.Header.SetContentType("application/json")
	s.body = AppendIngestBody(s.body[:0], s.t.cfg.Customers, b, s.t.cfg.EventType, time.Now())
	s.req.SetBodyRaw(s.body)
	return s.do()
}
