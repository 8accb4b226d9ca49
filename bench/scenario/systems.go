package scenario

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"burndown/bench/baseline"
	"burndown/bench/burndown"
	"burndown/bench/report"
	"burndown/bench/target"
)

// SystemNames returns the shared systems, in report order.
func SystemNames() []string {
	return []string{"burndown", "floor", "redis-http", "redis-direct", "postgres-http", "postgres-direct"}
}

// Price and Balance are the per-event price and starting balance (USD cents) that
// every system uses.
const (
	Price   = 1
	Balance = 1_000_000_000_000
)

// StartSystems starts the requested shared systems, sets the customers up on each
// and fills env.Systems. targetURL, when not empty, is an already running Burndown
// to drive instead of starting one. Systems that cannot start are returned as skips.
// The returned stop function tears everything down.
func StartSystems(ctx context.Context, env *Env, names []string, targetURL string) (stop func(), skips []report.Skip, infos []report.System, err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	want := func(n string) bool { return slices.Contains(names, n) }
	conns := max(env.Opts.Conns, env.Opts.IngestConns, env.Opts.MaxIngestConns) + 4
	add := func(t target.Target) {
		env.Systems = append(env.Systems, t)
		stops = append(stops, func() { _ = t.Close() })
		infos = append(infos, report.System{Name: t.Name(), Via: t.Via()})
	}
	skip := func(what string, err error) {
		env.logf("bench: skipping %s: %v", what, err)
		skips = append(skips, report.Skip{What: what, Reason: err.Error()})
	}

	if want("burndown") {
		if err := env.startBurndown(ctx, targetURL, conns, add, &stops); err != nil {
			if ctx.Err() != nil {
				return stop, skips, infos, ctx.Err()
			}
			skip("burndown", err)
		}
	}
	keys := make([]string, env.Customers.N)
	for i := range keys {
		keys[i] = env.Customers.Key(i)
	}
	// serve puts a store behind the HTTP endpoints: in a child process of its
	// own when env.Self can start one (like Burndown, it then does not share
	// the load generator's process), else in this process.
	serve := func(st baseline.Store, name, via string, childArgs ...string) error {
		var url string
		if env.Self != nil {
			args := append([]string{baseline.ChildFlag, "--price", fmt.Sprint(Price), "--conns", fmt.Sprint(conns)}, childArgs...)
			ch, err := baseline.StartChild(name, env.Self(ctx, args...))
			if err != nil {
				return err
			}
			stops = append(stops, ch.Stop)
			url = ch.URL
			via = strings.Replace(via, "HTTP (same client) to an in-process fasthttp", "HTTP (same client) to a fasthttp", 1) +
				" (served by a child process of the bench, like Burndown in its own process)"
		} else {
			srv, err := baseline.Serve(st, Price)
			if err != nil {
				return err
			}
			stops = append(stops, func() { _ = srv.Close() })
			url = srv.URL()
			via += " (served inside the bench process, sharing it with the load generator)"
		}
		t, err := target.NewHTTP(target.HTTPConfig{Name: name, Via: via, BaseURL: url, ProductID: "p",
			EventType: "bench", Conns: conns, Timeout: env.Opts.Timeout, Customers: env.Customers})
		if err != nil {
			return err
		}
		add(t)
		return nil
	}
	if want("floor") {
		f := baseline.NewFloor()
		_ = f.Seed(ctx, keys, Balance)
		if err := serve(f, "floor", "HTTP (same client) to an in-process fasthttp handler that looks the customer up in a Go map; "+
			"ingest decodes the JSON and does an atomic decrement per event, no dedup, no durability",
			"--store", "floor", "--run", env.Customers.Run, "--customers", fmt.Sprint(env.Customers.N), "--balance", fmt.Sprint(Balance)); err != nil {
			skip("floor", err)
		}
	}
	if want("redis-http") || want("redis-direct") {
		if err := env.startRedis(ctx, keys, conns, want, serve, add, &stops); err != nil {
			if ctx.Err() != nil {
				return stop, skips, infos, ctx.Err()
			}
			skip("redis", err)
		}
	}
	if want("postgres-http") || want("postgres-direct") {
		if err := env.startPostgres(ctx, keys, conns, want, serve, add, &stops); err != nil {
			if ctx.Err() != nil {
				return stop, skips, infos, ctx.Err()
			}
			skip("postgres", err)
		}
	}
	return stop, skips, infos, nil
}

func (e *Env) startBurndown(ctx context.Context, targetURL string, conns int, add func(target.Target), stops *[]func()) error {
	url, via := targetURL, "HTTP to the Burndown server at "+targetURL
	var client *burndown.Client
	if targetURL == "" {
		e.logf("bench: starting a local single-node burndown")
		nodes := max(e.Opts.Nodes, 1)
		l, err := e.startLocal(ctx, "shared", nodes, e.Customers, burndown.SetupOptions{Price: Price, Amount: Balance})
		if err != nil {
			return err
		}
		*stops = append(*stops, l.cluster.Stop)
		e.shared = l
		var t target.Target
		if nodes == 1 {
			via = "HTTP to a local single-node burndown process (its own process, Raft commit with fsync before each ingest is acknowledged)"
			t, err = e.httpTarget("burndown", via, l.cluster.Nodes[0].URL(), l.catalog, e.Customers, conns)
		} else {
			m, merr := e.multiTarget("burndown", l, conns)
			if merr == nil {
				m.SetVia(fmt.Sprintf("HTTP to a local %d-node burndown cluster (separate processes), workers spread over all nodes "+
					"(followers answer checks locally and forward writes to the leader; ingest acknowledged after a quorum fsync)", nodes))
			}
			t, err = m, merr
		}
		if err != nil {
			return err
		}
		add(t)
		e.Burndown = "burndown"
		return nil
	}
	client = burndown.NewClient(url, e.Token, 32)
	e.targetClient = client
	e.logf("bench: setting up %d customers on %s", e.Customers.N, url)
	cat, _, err := burndown.Setup(ctx, client, e.Customers, burndown.SetupOptions{Price: Price, Amount: Balance})
	if err != nil {
		return err
	}
	t, err := e.httpTarget("burndown", via, url, cat, e.Customers, conns)
	if err != nil {
		return err
	}
	add(t)
	e.Burndown = "burndown"
	return nil
}

func (e *Env) startRedis(ctx context.Context, keys []string, conns int, want func(string) bool,
	serve func(baseline.Store, string, string, ...string) error, add func(target.Target), stops *[]func()) error {
	e.logf("bench: starting redis-server")
	rs, err := baseline.StartRedis(ctx, filepath.Join(e.TmpDir, "redis"), e.Log, e.Opts.InstallBaselines)
	if err != nil {
		return err
	}
	*stops = append(*stops, rs.Stop)
	st, err := baseline.NewRedis(ctx, rs.Addr, conns)
	if err != nil {
		return err
	}
	*stops = append(*stops, func() { _ = st.Close() })
	if err := st.Seed(ctx, keys, Balance); err != nil {
		return err
	}
	note := baseline.RedisConfigNote + "; check = GET, ingest = one pipelined EVALSHA per event (SET NX on the transaction id, then DECRBY)"
	var errs []error
	if want("redis-http") {
		errs = append(errs, serve(st, "redis-http", "HTTP (same client) to an in-process fasthttp service backed by go-redis; "+note,
			"--store", "redis", "--redis-addr", rs.Addr))
	}
	if want("redis-direct") {
		add(baseline.NewDirect(st, Price, e.Customers, "go-redis straight from the load generator, no HTTP; "+note, e.Opts.Timeout))
	}
	return errors.Join(errs...)
}

func (e *Env) startPostgres(ctx context.Context, keys []string, conns int, want func(string) bool,
	serve func(baseline.Store, string, string, ...string) error, add func(target.Target), stops *[]func()) error {
	e.logf("bench: starting postgres")
	ps, err := baseline.StartPostgres(ctx, filepath.Join(e.TmpDir, "postgres"), e.Log, e.Opts.InstallBaselines)
	if err != nil {
		return err
	}
	*stops = append(*stops, ps.Stop)
	st, err := baseline.NewPostgres(ctx, ps.DSN, conns, true)
	if err != nil {
		return err
	}
	*stops = append(*stops, func() { _ = st.Close() })
	if err := st.Seed(ctx, keys, Balance); err != nil {
		return err
	}
	var errs []error
	if want("postgres-http") {
		errs = append(errs, serve(st, "postgres-http", "HTTP (same client) to an in-process fasthttp service backed by pgx; "+baseline.PostgresConfigNote,
			"--store", "postgres", "--pg-dsn", ps.DSN))
	}
	if want("postgres-direct") {
		add(baseline.NewDirect(st, Price, e.Customers, "pgx straight from the load generator, no HTTP; "+baseline.PostgresConfigNote, e.Opts.Timeout))
	}
	return errors.Join(errs...)
}

// ParseSystems validates a comma-separated system list ("all" for every one).
func ParseSystems(list string) ([]string, error) {
	if list == "" || list == "all" {
		return SystemNames(), nil
	}
	var out []string
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(SystemNames(), s) {
			return nil, fmt.Errorf("unknown system %q (have: %s)", s, strings.Join(SystemNames(), ", "))
		}
		out = append(out, s)
	}
	return out, nil
}
