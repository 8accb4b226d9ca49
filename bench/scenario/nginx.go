package scenario

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"burndown/bench/baseline"
	"burndown/bench/burndown"
	"burndown/bench/report"
	"burndown/bench/target"
)

// nginxCustomers is how many customers the nginx scenario sets up: enough
// for Zipf-chosen keys, few enough to onboard in seconds.
const nginxCustomers = 1000

// nginxGateway: requests through NGINX to a trivial upstream, with and
// without the auth subrequest to Burndown, in the same run: what a gateway
// pays for asking Burndown on every request.
func nginxGateway() Scenario {
	return Scenario{
		Name: "nginx",
		Description: "GET requests through NGINX (Debian's) to a trivial upstream: straight through, and with auth_request " +
			"to a local Burndown node's /v1/entitlements/authorize; closed loop for peak throughput, then open loop at --gateway-rate " +
			"requests/s and at half the subrequest route's peak, on both routes, for the latency the subrequest adds.",
		Run: func(ctx context.Context, env *Env, out *report.Scenario) error {
			cust := target.NewCustomers(env.Customers.Run+"-gw", min(env.Customers.N, nginxCustomers))
			l, err := env.startLocal(ctx, "nginx-burndown", 1, cust, burndown.SetupOptions{})
			if err != nil {
				return err
			}
			defer l.cluster.Stop()
			ng, err := baseline.StartNGINX(ctx, filepath.Join(env.TmpDir, "nginx"), env.Log, env.Opts.InstallBaselines, baseline.NGINXConfig{
				BurndownAddr: strings.TrimPrefix(l.cluster.Nodes[0].URL(), "http://"), Token: env.Token, ProductID: l.catalog.ProductID})
			if err != nil {
				out.Note("skipped: " + err.Error())
				return nil
			}
			defer ng.Stop()
			routes := []target.Target{
				env.gatewayRoute(ng, cust, "nginx", baseline.NGINXPlainPath, "NGINX proxying to the upstream"),
				env.gatewayRoute(ng, cust, "nginx+burndown", baseline.NGINXAuthorizedPath, "NGINX asking Burndown (auth_request, keep-alive) before proxying"),
			}
			at := fmt.Sprintf("%.0f/s", env.Opts.GatewayRate)
			if err := env.gatewayPhases(ctx, out, routes, "peak", 0, cust.N); err != nil {
				return err
			}
			if err := env.gatewayPhases(ctx, out, routes, at, env.Opts.GatewayRate, cust.N); err != nil {
				return err
			}
			// The same below saturation: half the slower route's peak.
			half := ""
			if p := out.Find("nginx+burndown", "peak", "check"); p != nil && p.Result.OpsPerSec > 0 {
				half = fmt.Sprintf("%.0f/s", p.Result.OpsPerSec/2)
				if err := env.gatewayPhases(ctx, out, routes, half, p.Result.OpsPerSec/2, cust.N); err != nil {
					return err
				}
			}
			addedByAuthorize(out, at)
			if half != "" {
				addedByAuthorize(out, half)
			}
			return nil
		},
	}
}

// gatewayPhases runs one phase on every route, one after the other: closed
// loop when rate is 0, else open loop at rate.
func (e *Env) gatewayPhases(ctx context.Context, out *report.Scenario, routes []target.Target, name string, rate float64, customers int) error {
	for _, t := range routes {
		j := job{name: name, op: "check", cfg: e.closed(e.Opts.Conns), factory: e.checkOps(t, customers)}
		if rate > 0 {
			j.cfg = e.open(e.Opts.Conns, rate)
		}
		if _, err := e.runJobs(ctx, out, t.Name(), j); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			out.Note(err.Error())
		}
	}
	return nil
}

// gatewayRoute is a target for one route of ng.
func (e *Env) gatewayRoute(ng *baseline.NGINX, cust *target.Customers, name, path, via string) target.Target {
	return target.NewGateway(target.GatewayConfig{Name: name, Via: via, Addr: ng.Addr, Path: path + "v1/chat",
		Conns: e.Opts.Conns, Timeout: e.Opts.Timeout, Customers: cust})
}

// addedByAuthorize reports what the subrequest adds: p50 and p99 at the
// offered rate (and, once, the peak throughput ratio).
func addedByAuthorize(out *report.Scenario, at string) {
	plainPeak, authPeak := out.Find("nginx", "peak", "check"), out.Find("nginx+burndown", "peak", "check")
	const ratio = "peak throughput with the auth subrequest / without"
	if plainPeak != nil && authPeak != nil && plainPeak.Result.OpsPerSec > 0 && !out.HasFigure(ratio) {
		out.Figure(ratio, authPeak.Result.OpsPerSec/plainPeak.Result.OpsPerSec, "ratio",
			fmt.Sprintf("%.0f vs %.0f requests/s", authPeak.Result.OpsPerSec, plainPeak.Result.OpsPerSec))
	}
	plain, auth := out.Find("nginx", at, "check"), out.Find("nginx+burndown", at, "check")
	if plain == nil || auth == nil || plain.Result.Ops == 0 || auth.Result.Ops == 0 {
		out.Note("no latency comparison at " + at + ": a route had no successful request")
		return
	}
	out.Figure("p50 added by the auth subrequest at "+at, auth.Result.Latency.P50-plain.Result.Latency.P50, "ms",
		fmt.Sprintf("%.3f ms vs %.3f ms", auth.Result.Latency.P50, plain.Result.Latency.P50))
	out.Figure("p99 added by the auth subrequest at "+at, auth.Result.Latency.P99-plain.Result.Latency.P99, "ms",
		fmt.Sprintf("%.3f ms vs %.3f ms (target: under 1 ms added)", auth.Result.Latency.P99, plain.Result.Latency.P99))
	if auth.Result.Unsent > 0 || plain.Result.Unsent > 0 {
		out.Note(fmt.Sprintf("at %s some requests were never sent (the offered rate is above what the route sustains here): %d through NGINX alone, %d with the subrequest",
			at, plain.Result.Unsent, auth.Result.Unsent))
	}
}
