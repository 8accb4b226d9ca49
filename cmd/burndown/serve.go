package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"burndown/cluster"
	"burndown/effects"
	"burndown/engine"
	"burndown/transport"
)

type serveFlags struct {
	nodeID, dataDir, httpAddr, raftAddr, join, token string
	httpAdvertise, raftAdvertise                     string
	bootstrap, testClock                             bool
	webhookURL, webhookSecret                        string
	stripeAPIKey, stripeAPIBase, stripeWebhookSecret string
	shards                                           int
	snapshotThreshold, trailingLogs                  uint64
	snapshotCPUShare                                 float64
	leaderWait, shutdownTimeout                      time.Duration
	readyMaxLag                                      uint64
	logLevel, logFormat                              string
	dedupWindow                                      time.Duration
	dedupBudget                                      int64
	invoiceGrace                                     time.Duration
	certFile, keyFile                                string
	peerCertFile, peerKeyFile, peerCAFile            string
	accessLog                                        string
	forwardBatching                                  bool
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f serveFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.nodeID, "node-id", "", "this node's id in the cluster (default: generated once and kept in the data dir)")
	fs.StringVar(&f.dataDir, "data-dir", "./burndown-data", "directory for the Raft log, snapshots, token and node id")
	fs.StringVar(&f.httpAddr, "http-addr", "127.0.0.1:8080", "HTTP API address (host:port)")
	fs.StringVar(&f.raftAddr, "raft-addr", "127.0.0.1:8300", "Raft transport address (host:port)")
	fs.StringVar(&f.httpAdvertise, "http-advertise-addr", "", "HTTP address other nodes and clients are told (default: --http-addr; required when that binds 0.0.0.0)")
	fs.StringVar(&f.raftAdvertise, "raft-advertise-addr", "", "Raft address the other nodes are told (default: --raft-addr; required when that binds 0.0.0.0)")
	fs.BoolVar(&f.bootstrap, "bootstrap", false, "start a new cluster with this node (a no-op once it belongs to one)")
	fs.StringVar(&f.join, "join", "", "HTTP address of any member to join (a no-op once this node belongs to a cluster)")
	fs.StringVar(&f.token, "api-token", "", "admin bearer token (default: generated once and kept in the data dir)")
	fs.BoolVar(&f.testClock, "test-clock", false, "time stands still until set through POST /v1/admin/clock")
	fs.StringVar(&f.webhookURL, "webhook-url", "", "default webhook destination (optional)")
	fs.StringVar(&f.webhookSecret, "webhook-secret", "", "secret that signs deliveries to --webhook-url")
	fs.StringVar(&f.stripeAPIKey, "stripe-api-key", "", "Stripe secret key: the leader charges STRIPE payment gates and sends finalized invoices of Stripe customers with it (optional)")
	fs.StringVar(&f.stripeAPIBase, "stripe-api-base", effects.DefaultStripeAPIBase, "Stripe API base URL (a stripe-mock in tests)")
	fs.StringVar(&f.stripeWebhookSecret, "stripe-webhook-secret", "", "signing secret of the Stripe endpoint POST /v1/stripe/webhook (optional; without it the endpoint answers 404)")
	fs.IntVar(&f.shards, "shards", 0, "customer shards of the engine (default: number of CPUs)")
	fs.Uint64Var(&f.snapshotThreshold, "snapshot-threshold", 0, "new log entries that trigger a snapshot (default: raft's 8192; raise it for large states)")
	fs.Float64Var(&f.snapshotCPUShare, "snapshot-cpu-share", cluster.DefaultSnapshotCPUShare, "share of one core the snapshot writer may take, from 0.05 to 1 (1: unpaced); what it does to latency at each size: docs/operations.md, Snapshots")
	fs.Uint64Var(&f.trailingLogs, "trailing-logs", 0, "log entries kept after a snapshot for slow followers (default: raft's 10240)")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 10*time.Second, "on SIGTERM or SIGINT: hand leadership over, finish requests in flight and exit within this, even with a peer stuck")
	fs.Uint64Var(&f.readyMaxLag, "ready-max-lag", transport.DefaultReadyMaxLag, "entries a follower may be behind the leader's commit index and still answer /readyz 200")
	fs.DurationVar(&f.leaderWait, "leader-wait", transport.DefaultLeaderWait, "how long a write that finds no leader waits for one before a 503 with Retry-After (negative: none)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error (raft's own lines keep their levels)")
	fs.StringVar(&f.logFormat, "log-format", "text", "text or json (one JSON object a line)")
	fs.BoolVar(&f.forwardBatching, "forward-batching", false, "as a follower, send the writes forwarded to the leader in batches, one request per batch (measured slower on 2 cores: see docs/operations.md)")
	fs.StringVar(&f.accessLog, "access-log", "", "write one JSON line per request (request id, method, path, status, duration) to this file, or - for standard output (default: none)")
	fs.DurationVar(&f.dedupWindow, "dedup-window", engine.DefaultDedupWindow, "how long transaction ids are remembered; older events are rejected (same on every node)")
	fs.Int64Var(&f.dedupBudget, "dedup-memory-budget", 0, "bytes the dedup index may hold (0: no bound); past it the oldest days are dropped and their events rejected (same on every node)")
	fs.DurationVar(&f.invoiceGrace, "invoice-grace-period", engine.DefaultInvoiceGracePeriod,
		"how long after a usage period's end its draft invoice still takes late events; stored on each contract created (use the same on every node; 0: none)")
	fs.StringVar(&f.certFile, "cert-file", "", "certificate (PEM) the HTTP API serves HTTPS with; reloaded on SIGHUP (with --key-file)")
	fs.StringVar(&f.keyFile, "key-file", "", "private key (PEM) of --cert-file")
	fs.StringVar(&f.peerCertFile, "peer-cert-file", "", "this node's certificate (PEM) for mutual TLS with the other nodes: raft and node-to-node HTTP; reloaded on SIGHUP (needs --cert-file)")
	fs.StringVar(&f.peerKeyFile, "peer-key-file", "", "private key (PEM) of --peer-cert-file")
	fs.StringVar(&f.peerCAFile, "peer-trusted-ca-file", "", "CA certificates (PEM) that sign every node's peer certificate; others are refused")
	if err := parseWithEnv(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected arguments %q", fs.Args())
	}
	if f.invoiceGrace < 0 {
		return fmt.Errorf("--invoice-grace-period: must not be negative")
	}
	if err := cluster.ValidSnapshotCPUShare(f.snapshotCPUShare); err != nil {
		return fmt.Errorf("--snapshot-cpu-share: %w", err)
	}
	grace := f.invoiceGrace
	if grace == 0 {
		grace = -1 // engine.Config: negative means none, zero the default
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log, err := newLogger(stderr, f.logFormat, level)
	if err != nil {
		return err
	}
	// Certificates are read before anything is written to the data dir.
	tlsc, err := f.loadTLS()
	if err != nil {
		return err
	}

	fresh, err := prepareDataDir(f.dataDir)
	if err != nil {
		return err
	}
	if f.nodeID == "" {
		if f.nodeID, err = persistentValue(filepath.Join(f.dataDir, "node-id"), func() string { return "node-" + randomHex(4) }); err != nil {
			return err
		}
	}
	generatedToken, tokenFile := false, ""
	if f.token == "" {
		path := filepath.Join(f.dataDir, "api-token")
		tokenFile = path
		_, statErr := os.Stat(path)
		generatedToken = errors.Is(statErr, os.ErrNotExist)
		if f.token, err = persistentValue(path, func() string { return randomHex(24) }); err != nil {
			return err
		}
	}
	if f.webhookURL != "" && !strings.HasPrefix(f.webhookURL, "http://") && !strings.HasPrefix(f.webhookURL, "https://") {
		return fmt.Errorf("--webhook-url %q: must be an http:// or https:// URL", f.webhookURL)
	}
	if f.webhookURL != "" && f.webhookSecret == "" {
		log.Warn("--webhook-url without --webhook-secret: deliveries are signed with an empty secret")
	}

	metrics, err := newTelemetry()
	if err != nil {
		return err
	}
	accessLog, closeAccessLog, err := openAccessLog(f.accessLog, stdout)
	if err != nil {
		return err
	}
	defer closeAccessLog()
	var payments effects.PaymentCharger
	if f.stripeAPIKey != "" {
		st, err := effects.NewStripe(effects.StripeConfig{APIKey: f.stripeAPIKey, APIBase: f.stripeAPIBase, Metrics: metrics})
		if err != nil {
			return fmt.Errorf("--stripe-api-key/--stripe-api-base: %w", err)
		}
		payments = st
	}

	if err := f.advertised(); err != nil {
		return err
	}
	// Listen first so a busy port fails before Raft starts.
	ln, err := net.Listen("tcp", f.httpAddr)
	if err != nil {
		return fmt.Errorf("listen on --http-addr %s: %w", f.httpAddr, err)
	}
	ln = tlsc.listener(ln)
	node, err := cluster.Open(cluster.Config{
		NodeID: f.nodeID, DataDir: f.dataDir, RaftAddr: f.raftAddr, RaftAdvertiseAddr: f.raftAdvertise, HTTPAddr: f.httpAdvertise,
		RaftTLS: tlsc.raft(),
		// Bootstrap when asked, or when a fresh node is not told to join anyone.
		Bootstrap: f.bootstrap || (fresh && f.join == ""),
		TestClock: f.testClock, Logger: log,
		Engine:            engine.Config{Shards: f.shards, DedupWindow: f.dedupWindow, DedupMemoryBudget: f.dedupBudget, InvoiceGracePeriod: grace},
		SnapshotThreshold: f.snapshotThreshold, TrailingLogs: f.trailingLogs, SnapshotCPUShare: f.snapshotCPUShare, Metrics: metrics,
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("open node: %w", err)
	}
	// The leader's dispatcher: webhooks and Stripe calls from the
	// replicated outbox, while this node leads.
	dispatcher := effects.NewDispatcher(node, effects.Config{
		Webhooks: effects.WebhookConfig{URL: f.webhookURL, Secret: f.webhookSecret},
		Payments: payments, Logger: log, Metrics: metrics,
	})
	dctx, stopDispatch := context.WithCancel(context.Background())
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		if err := dispatcher.Run(dctx); err != nil && !errors.Is(err, cluster.ErrClosed) {
			log.Error("dispatcher stopped", "err", err)
		}
	}()
	srv, err := transport.New(transport.Config{Node: node, Token: f.token, Logger: log, StripeWebhookSecret: f.stripeWebhookSecret,
		LeaderWait: f.leaderWait, ReadyMaxLag: f.readyMaxLag, PeerTLS: tlsc.nodeClient(), AccessLog: accessLog,
		ForwardBatching: f.forwardBatching})
	if err != nil {
		ln.Close()
		stopDispatch()
		<-dispatched
		node.Close()
		return err
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	hctx, stopReload := context.WithCancel(ctx)
	defer stopReload()
	tlsc.reloadOnHangup(hctx, log)

	if f.join != "" && !node.IsMember() {
		go func() {
			jctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			j := transport.Join{Via: f.join, Token: f.token, ID: f.nodeID, RaftAddr: f.raftAdvertise, HTTPAddr: f.httpAdvertise, TLS: tlsc.nodeClient(), Log: log}
			if err := transport.JoinCluster(jctx, j); err != nil {
				errc <- err
				return
			}
			log.Info("joined the cluster", "via", f.join)
		}()
	}
	printBanner(stdout, f, tlsc.on(), tokenFile, generatedToken)

	select {
	case <-ctx.Done():
		log.Info("shutting down", "within", f.shutdownTimeout)
	case err = <-errc:
		log.Error("stopping", "err", err)
	}
	if cerr := shutdown(log, f.shutdownTimeout, node, srv, func() { stopDispatch(); <-dispatched }); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// shutdown stops a node within timeout, even when a peer is stuck: a leader
// first hands leadership to another voter (writes go on there at once, no
// election timeout), then the server stops taking requests and finishes
// those in flight, the dispatcher stops, and the node closes. What has not
// finished by the deadline is abandoned with an error: the process exits
// anyway, and raft's log makes a restart lose nothing acknowledged.
func shutdown(log *slog.Logger, timeout time.Duration, node *cluster.Node, srv *transport.Server, stopDispatch func()) error {
	deadline := time.Now().Add(timeout)
	if node.IsLeader() {
		within(deadline, timeout/2, func() {
			if err := node.TransferLeadership(); err != nil {
				log.Warn("leadership not transferred before stopping", "err", err)
				return
			}
			log.Info("transferred leadership before stopping")
		})
	}
	sctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown: requests still in flight at the deadline", "err", err)
	}
	var err error
	if !within(deadline, timeout, stopDispatch) {
		err = errors.New("the webhook dispatcher did not stop in time")
	}
	if !within(deadline, timeout, func() {
		if cerr := node.Close(); cerr != nil {
			err = fmt.Errorf("close node: %w", cerr)
		}
	}) && err == nil {
		err = fmt.Errorf("the node did not close within --shutdown-timeout %s", timeout)
	}
	return err
}

// within runs fn and waits for it until the deadline, and at most max; it
// reports whether fn finished (a stuck fn is left running: the process is
// about to exit).
func within(deadline time.Time, max time.Duration, fn func()) bool {
	wait := time.Until(deadline)
	if wait > max {
		wait = max
	}
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(max0(wait)):
		return false
	}
}

func max0(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// prepareDataDir creates the data dir and reports whether it was new (absent or empty).
func prepareDataDir(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	fresh := errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("data dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("create data dir %s: %w", dir, err)
	}
	return fresh, nil
}

// persistentValue reads a one-line value kept in path, creating it with gen()
// the first time, so a restart keeps the same token and node id.
func persistentValue(path string, gen func() string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if v := strings.TrimSpace(string(b)); v != "" {
			return v, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	v := gen()
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return v, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// printBanner says where the node serves and where its token is, never the
// token itself: stdout ends up in journald and container logs. A token
// given with --api-token or BURNDOWN_API_TOKEN is the operator's to know;
// a generated one is read from its file (mode 0600).
func printBanner(w io.Writer, f serveFlags, https bool, tokenFile string, generatedToken bool) {
	url := "http://" + f.httpAdvertise
	if https {
		url = "https://" + f.httpAdvertise
	}
	fmt.Fprintf(w, "burndown node %s serving %s (raft %s, data %s)\n", f.nodeID, url, f.raftAdvertise, f.dataDir)
	if tokenFile == "" {
		fmt.Fprintf(w, "API token: the one given with --api-token or BURNDOWN_API_TOKEN (not shown)\n\n")
		return
	}
	if generatedToken {
		fmt.Fprintf(w, "generated an API token, kept in %s (not shown)\n", tokenFile)
	} else {
		fmt.Fprintf(w, "API token: in %s (not shown)\n", tokenFile)
	}
	auth := fmt.Sprintf("\"Authorization: Bearer $(cat %s)\"", tokenFile)
	fmt.Fprintf(w, "\ntry:\n  curl -s -H %s %s/v1/cluster/status\n", auth, url)
	fmt.Fprintf(w, "  curl -s -H %s -H 'Content-Type: application/json' \\\n    -d '{\"name\":\"Example Inc\",\"ingest_aliases\":[\"example-inc\"]}' %s/v1/customers\n\n", auth, url)
}

// newLogger returns the node's logger: text or JSON lines on w, from level.
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: must be text or json", format)
}

// advertised fills in the advertise addresses (default: the bind address)
// and refuses one other nodes could not reach: a wildcard bind (0.0.0.0,
// ::) needs an advertise address.
func (f *serveFlags) advertised() error {
	for _, a := range []struct {
		bindFlag, advFlag, bind string
		adv                     *string
	}{{"--http-addr", "--http-advertise-addr", f.httpAddr, &f.httpAdvertise}, {"--raft-addr", "--raft-advertise-addr", f.raftAddr, &f.raftAdvertise}} {
		named := a.advFlag + " " + *a.adv
		if *a.adv == "" {
			*a.adv, named = a.bind, a.bindFlag+" "+a.bind
		}
		host, port, err := net.SplitHostPort(*a.adv)
		if err != nil {
			return fmt.Errorf("%s: %w", named, err)
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) || port == "0" {
			return fmt.Errorf("%s: not an address the other nodes can reach (every interface, or no fixed port); give %s host:port", named, a.advFlag)
		}
	}
	return nil
}
