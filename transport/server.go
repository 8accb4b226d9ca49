// Package transport is Burndown's HTTP face: a fasthttp server that speaks a
// wire-compatible subset of Metronome's API plus native endpoints
// (entitlement checks, cluster operations, test clock). It authenticates,
// decodes and validates requests, turns them into engine commands proposed
// through the cluster, forwards writes from followers to the leader, and
// renders answers in Metronome's shapes.
package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"burndown/console"
	"burndown/telemetry"
)

// Config configures a Server.
type Config struct {
	// Node is the cluster member the server fronts.
	Node Node
	// Token is the admin bearer token every request except /healthz and
	// /readyz must carry. It must not be empty.
	Token string
	// MaxBodyBytes bounds request bodies (413 beyond). Default 4 MiB.
	MaxBodyBytes int
	// WriteTimeout bounds how long a write waits for its commit. Default 10s.
	WriteTimeout time.Duration
	// ReadTimeout bounds how long a read of a customer's state waits for
	// its shard (503 beyond). Default 5s.
	ReadTimeout time.Duration
	// Logger receives request failures and recovered panics. Default slog.Default().
	Logger *slog.Logger
	// StripeWebhookSecret verifies the signatures of Stripe's events on
	// POST /v1/stripe/webhook ("": the endpoint answers 404).
	StripeWebhookSecret string
	// LeaderWait bounds how long a write that finds no leader (an election
	// in progress, or a leader that stopped answering) waits for one before
	// it is answered 503 with Retry-After. Default DefaultLeaderWait;
	// negative: no wait.
	LeaderWait time.Duration
	// ReadyMaxLag is how many entries a follower may be behind the
	// leader's commit index and answer /readyz 200. Default
	// DefaultReadyMaxLag.
	ReadyMaxLag uint64
	// StreamIdleTimeout bounds how long a streamed backup download or
	// restore upload may make no progress before its connection is cut; a
	// transfer that keeps moving has no total bound. It is also the server's
	// write timeout for every other answer. Default DefaultStreamIdleTimeout.
	StreamIdleTimeout time.Duration
	// ForwardBatching makes a follower send the writes it forwards to the
	// leader in batches (fwdbatch.go) instead of one request each. Off by
	// default: on the 2-core machine it was measured on, 3 nodes wrote
	// about 10% less with it (batches of 1.3 writes did not pay for their
	// framing); docs/operations.md has the figures.
	ForwardBatching bool
	// AccessLog, when set, receives one JSON line per request (access.go).
	AccessLog io.Writer
	// PeerTLS, when set, is the client configuration of this node's calls
	// to another node's API (writes forwarded to the leader, the leader's
	// status for /readyz): HTTPS with it. nil: plain HTTP.
	PeerTLS *tls.Config
	// WallClock is the clock dashboard links expire by. Default time.Now.
	WallClock func() time.Time
}

// DefaultLeaderWait is twice the cluster's election timeout: long enough for
// one election after a leader is lost.
const DefaultLeaderWait = 2 * time.Second

// DefaultMaxBodyBytes is the default request body limit: an ingest of 100
// events is far below it.
const DefaultMaxBodyBytes = 4 << 20

// Server is the HTTP server. It holds no state of its own beyond connections
// to the leader for forwarding: everything else lives in the node.
type Server struct {
	// leaderCommit caches the leader's commit index for /readyz.
	leaderCommit leaderCommitCache
	cfg          Config
	node         Node
	token        []byte
	log          *slog.Logger
	console      *console.Files // the operator console's files (console.go)
	srv          *fasthttp.Server
	fwd          *forwarder
	routes       map[string]*endpoint
	// summed caches the summed-property index of the latest catalog seen.
	summed atomic.Pointer[summedKeys]
	// caughtUp opens local reads once the node has applied what the leader
	// had committed (catchup.go); closing stops the watch on Shutdown.
	caughtUp  atomic.Bool
	closing   chan struct{}
	closeOnce sync.Once
	// metricsReg is the node's series (the node's own registry);
	// series the routes served outside the route table.
	metricsReg *telemetry.Metrics
	series     serverSeries
	requestIDs *requestIDs
	access     *accessLog
}

// New validates cfg and builds a server; call Serve or ListenAndServe to run it.
func New(cfg Config) (*Server, error) {
	if cfg.Node == nil {
		return nil, errors.New("transport: Config.Node is required")
	}
	if cfg.Token == "" {
		return nil, errors.New("transport: Config.Token is required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LeaderWait == 0 {
		cfg.LeaderWait = DefaultLeaderWait
	}
	if cfg.ReadyMaxLag == 0 {
		cfg.ReadyMaxLag = DefaultReadyMaxLag
	}
	if cfg.StreamIdleTimeout <= 0 {
		cfg.StreamIdleTimeout = DefaultStreamIdleTimeout
	}
	files, err := console.New()
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	s := &Server{cfg: cfg, node: cfg.Node, token: []byte(cfg.Token), log: cfg.Logger,
		metricsReg: cfg.Node.Metrics(), requestIDs: newRequestIDs(), console: files}
	if s.metricsReg == nil {
		s.metricsReg = telemetry.New("dev", runtime.Version())
	}
	s.fwd = newForwarder(cfg.WriteTimeout, cfg.PeerTLS, cfg.MaxBodyBytes, s.metricsReg)
	s.metricsReg.AddWriter(s.writeStateGauges)
	s.series = newServerSeries(s.metricsReg)
	if cfg.AccessLog != nil {
		s.access = newAccessLog(cfg.AccessLog)
	}
	s.routes = s.buildRoutes()
	s.closing = make(chan struct{})
	if !s.openIfCaughtUp() {
		go s.watchCatchUp(s.closing)
	}
	s.srv = &fasthttp.Server{
		Handler:            s.serve,
		Name:               "burndown",
		MaxRequestBodySize: cfg.MaxBodyBytes,
		// Bodies are streamed so a restore can upload a backup of any size;
		// every other route reads its body whole, bounded by MaxBodyBytes
		// (bufferBody, body.go).
		StreamRequestBody: true,
		ReadTimeout:       30 * time.Second,
		// A streamed backup moves the write deadline on as it progresses
		// (idleBody), so this is an idle bound for it, not a total one.
		WriteTimeout: cfg.StreamIdleTimeout,
		IdleTimeout:  2 * time.Minute,
		// During Shutdown, answers say Connection: close, so keep-alive
		// clients move to another node instead of holding this one open.
		CloseOnShutdown:              true,
		DisablePreParseMultipartForm: true,
		ErrorHandler:                 s.protocolError,
		Logger:                       fasthttpLogger{s.log},
	}
	return s, nil
}

// Serve answers requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.srv.Serve(ln); err != nil {
		return fmt.Errorf("transport: serve: %w", err)
	}
	return nil
}

// ListenAndServe listens on addr (host:port) and serves until Shutdown.
func (s *Server) ListenAndServe(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("transport: listen %s: %w", addr, err)
	}
	return s.Serve(ln)
}

// Shutdown stops accepting connections and waits for in-flight requests
// (up to ctx's deadline).
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() { close(s.closing) })
	err := s.srv.ShutdownWithContext(ctx)
	s.fwd.close() // writes still waiting for a batch are answered 503
	if s.access != nil {
		s.access.close()
	}
	if err != nil {
		return fmt.Errorf("transport: shutdown: %w", err)
	}
	return nil
}

// protocolError answers requests fasthttp could not read, in the API's error shape.
func (s *Server) protocolError(ctx *fasthttp.RequestCtx, err error) {
	var tooLarge *fasthttp.ErrSmallBuffer
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		writeError(ctx, &apiError{Status: fasthttp.StatusRequestEntityTooLarge, Message: fmt.Sprintf("body: larger than the %d-byte limit", s.cfg.MaxBodyBytes)})
	case errors.Is(err, io.ErrUnexpectedEOF):
		writeError(ctx, badRequest("body: truncated: the connection ended before the bytes Content-Length announced arrived"))
	case errors.As(err, &tooLarge):
		writeError(ctx, &apiError{Status: fasthttp.StatusRequestHeaderFieldsTooLarge, Message: "headers: too large"})
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			writeError(ctx, &apiError{Status: fasthttp.StatusRequestTimeout, Message: "request: timed out while reading"})
			return
		}
		writeError(ctx, badRequest("request: cannot be parsed as HTTP: %v", err))
	}
}

// fasthttpLogger sends fasthttp's own messages to slog.
type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	f.l.Debug(fmt.Sprintf(format, args...), "component", "fasthttp")
}

// readTimeout is the deadline of one read of a customer's state.
func (s *Server) readTimeout() time.Duration {
	if s.cfg.ReadTimeout > 0 {
		return s.cfg.ReadTimeout
	}
	return 5 * time.Second
}
