package target

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/valyala/fasthttp"
)

// GatewayConfig describes a route of a gateway (NGINX) in front of a
// service: every request is a GET of Path with the customer's key in
// X-Api-Key, as an API client sends it.
type GatewayConfig struct {
	Name      string
	Via       string
	Addr      string // the gateway's host:port
	Path      string
	Conns     int
	Timeout   time.Duration
	Customers *Customers
}

// Gateway drives one gateway route over keep-alive connections. Its Check
// is a request through the gateway; it has no ingest.
type Gateway struct {
	cfg GatewayConfig
	hc  *fasthttp.HostClient
}

// NewGateway returns a gateway target.
func NewGateway(cfg GatewayConfig) *Gateway {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Gateway{cfg: cfg, hc: &fasthttp.HostClient{Addr: cfg.Addr, MaxConns: max(cfg.Conns, 1),
		ReadTimeout: cfg.Timeout, WriteTimeout: cfg.Timeout, MaxIdleConnDuration: time.Minute,
		MaxConnWaitTimeout: cfg.Timeout, NoDefaultUserAgentHeader: true}}
}

// Name implements Target.
func (g *Gateway) Name() string { return g.cfg.Name }

// Via implements Target.
func (g *Gateway) Via() string { return g.cfg.Via }

// Close implements Target.
func (g *Gateway) Close() error {
	g.hc.CloseIdleConnections()
	return nil
}

// Session implements Target.
func (g *Gateway) Session(int) (Session, error) {
	return &gatewaySession{g: g, req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse()}, nil
}

type gatewaySession struct {
	g    *Gateway
	req  *fasthttp.Request
	resp *fasthttp.Response
}

// Check implements Session: one request through the gateway.
func (s *gatewaySession) Check(ctx context.Context, customer int) error {
	s.req.Reset()
	s.req.Header.SetMethod(fasthttp.MethodGet)
	s.req.SetRequestURI(s.g.cfg.Path)
	s.req.SetHost(s.g.cfg.Addr)
	s.req.Header.Set("X-Api-Key", s.g.cfg.Customers.Key(customer))
	if err := s.g.hc.DoTimeout(s.req, s.resp, s.g.cfg.Timeout); err != nil {
		return fmt.Errorf("%s: %w", s.g.cfg.Name, err)
	}
	if c := s.resp.StatusCode(); c != fasthttp.StatusOK {
		return &StatusError{Code: c, Body: string(s.resp.Body())}
	}
	return nil
}

// errNoIngest is what a gateway target answers to an ingest.
var errNoIngest = errors.New("a gateway route has no ingest")

// Ingest implements Session: a gateway route meters nothing.
func (s *gatewaySession) Ingest(context.Context, Batch) error { return errNoIngest }
