package transport

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/pprofhandler"

	"burndown/cluster"
	"burndown/engine"
	"burndown/telemetry"
)

// handlerFunc serves one endpoint; param is the path parameter of
// /v1/customers/{id} style routes ("" elsewhere).
type handlerFunc func(ctx *fasthttp.RequestCtx, param string) error

// access says where a route may run.
type access uint8

const (
	// anyNode routes are served by the node that receives them.
	anyNode access = iota
	// readRoute routes are served locally, or through the leader after a
	// read barrier with ?consistency=strong.
	readRoute
	// leaderOnly routes change state: a follower forwards them to the leader.
	leaderOnly
)

type route struct {
	h      handlerFunc
	access access
	// scope is the narrowest token scope that may call the route
	// (cluster.ScopeRead, ScopeWrite or ScopeAdmin).
	scope string
}

// endpoint holds the routes of one path by method.
type endpoint struct {
	get, post *route
	// series counts and times the path's requests by status code.
	series *telemetry.Route
}

// buildRoutes maps every static path to its handlers.
func (s *Server) buildRoutes() map[string]*endpoint {
	r := map[string]*endpoint{}
	add := func(method, path string, h handlerFunc, a access, scope string) {
		ep := r[path]
		if ep == nil {
			ep = &endpoint{series: s.metricsReg.Route(routePattern(path))}
			r[path] = ep
		}
		rt := &route{h: h, access: a, scope: scope}
		if method == fasthttp.MethodGet {
			ep.get = rt
		} else {
			ep.post = rt
		}
	}
	const get, post = fasthttp.MethodGet, fasthttp.MethodPost
	// Scopes: read for checks and every read, write for metering (ingest,
	// consume), admin for everything else.
	const read, write, admin = cluster.ScopeRead, cluster.ScopeWrite, cluster.ScopeAdmin
	add(post, "/v1/ingest", s.ingest, leaderOnly, write)
	add(post, "/v1/usage", s.listUsage, readRoute, read)
	add(post, "/v1/usage/groups", s.listUsageGroups, readRoute, read)

	add(post, "/v1/customers", s.createCustomer, leaderOnly, admin)
	add(get, "/v1/customers", s.listCustomers, readRoute, read)
	add(get, "/v1/customers/", s.getCustomer, readRoute, read) // prefix: /v1/customers/{id}
	add(get, customerInvoicesRoute, s.listInvoices, readRoute, read)
	add(get, customerInvoiceRoute, s.getInvoice, readRoute, read)
	add(get, customerRejectsRoute, s.customerRejects, readRoute, read)
	add(post, "/v1/invoices/void", s.voidInvoice, leaderOnly, admin)
	add(post, "/v1/invoices/regenerate", s.regenerateInvoice, leaderOnly, admin)
	add(post, "/v1/customers/archive", s.archiveCustomer, leaderOnly, admin)
	add(post, customerAliasesRoute, s.setIngestAliases, leaderOnly, admin)
	add(post, customerNameRoute, s.setCustomerName, leaderOnly, admin)
	add(post, "/v1/setCustomerBillingProviderConfigurations", s.setBillingProviders, leaderOnly, admin)
	add(post, "/v1/getCustomerBillingProviderConfigurations", s.getBillingProviders, readRoute, read)

	add(post, "/v1/billable-metrics/create", s.createMetric, leaderOnly, admin)
	add(get, "/v1/billable-metrics", s.listMetrics, readRoute, read)
	add(get, "/v1/billable-metrics/", s.getMetric, readRoute, read) // prefix

	add(post, "/v1/contract-pricing/products/create", s.createProduct, leaderOnly, admin)
	add(post, "/v1/contract-pricing/products/get", s.getProduct, readRoute, read)
	add(post, "/v1/contract-pricing/products/list", s.listProducts, readRoute, read)

	add(post, "/v1/contract-pricing/rate-cards/create", s.createRateCard, leaderOnly, admin)
	add(post, "/v1/contract-pricing/rate-cards/get", s.getRateCard, readRoute, read)
	add(post, "/v1/contract-pricing/rate-cards/list", s.listRateCards, readRoute, read)
	add(post, "/v1/contract-pricing/rate-cards/getRates", s.getRates, readRoute, read)
	add(post, "/v1/contract-pricing/rate-cards/addRate", s.addRate, leaderOnly, admin)
	add(post, "/v1/contract-pricing/rate-cards/addRates", s.addRates, leaderOnly, admin)

	add(post, "/v1/contracts/create", s.createContract, leaderOnly, admin)
	add(post, "/v1/contracts/get", s.getContract, readRoute, read)
	add(post, "/v1/contracts/list", s.listContracts, readRoute, read)
	add(post, "/v1/contracts/customerBalances/list", s.listBalances, readRoute, read)
	add(post, "/v1/contracts/customerCommits/create", s.createCustomerCommit, leaderOnly, admin)
	add(post, "/v1/contracts/customerCommits/list", s.listCustomerCommits, readRoute, read)
	add(post, "/v1/contracts/customerCommits/updateEndDate", s.updateCustomerCommitEnd, leaderOnly, admin)
	add(post, "/v1/contracts/customerCredits/create", s.createCustomerCredit, leaderOnly, admin)
	add(post, "/v1/contracts/customerCredits/list", s.listCustomerCredits, readRoute, read)
	add(post, "/v1/contracts/customerCredits/updateEndDate", s.updateCustomerCreditEnd, leaderOnly, admin)
	add(post, "/v1/contracts/updateEndDate", s.updateEndDate, leaderOnly, admin)
	add(post, "/v2/contracts/get", s.getContractV2, readRoute, read)
	add(post, "/v2/contracts/list", s.listContractsV2, readRoute, read)
	add(post, "/v1/contracts/archive", s.archiveContract, leaderOnly, admin)
	add(post, "/v1/contracts/addManualBalanceLedgerEntry", s.addManualBalanceEntry, leaderOnly, admin)
	add(post, "/v2/contracts/edit", s.editContract, leaderOnly, admin)
	add(post, "/v2/contracts/commits/edit", s.editCommit, leaderOnly, admin)
	add(post, "/v2/contracts/credits/edit", s.editCredit, leaderOnly, admin)
	add(post, "/v1/contracts/amend", s.amendContract, leaderOnly, admin)
	add(post, "/v1/contracts/commits/threshold-billing/release", s.releasePaymentGate, leaderOnly, admin)

	add(get, "/v1/credit-types/list", s.listCreditTypes, readRoute, read)
	add(post, "/v1/credit-types/create", s.createCreditType, leaderOnly, admin)

	add(post, "/v1/entitlements/check", s.checkPost, readRoute, read)
	add(post, "/v1/entitlements/consume", s.consume, leaderOnly, write)

	// A read token sees every customer already; the link shows one.
	add(post, "/v1/dashboards/getEmbeddableUrl", s.getEmbeddableURL, readRoute, read)

	add(post, "/v1/alerts/create", s.createAlert, leaderOnly, admin)
	add(post, "/v1/alerts/archive", s.archiveAlert, leaderOnly, admin)
	add(post, "/v1/customer-alerts/get", s.getCustomerAlert, readRoute, read)
	add(post, "/v1/customer-alerts/list", s.listCustomerAlerts, readRoute, read)
	add(post, "/v1/customer-alerts/reset", s.resetCustomerAlert, leaderOnly, admin)

	add(post, "/v1/webhooks/create", s.createWebhook, leaderOnly, admin)
	add(post, "/v1/webhooks/archive", s.archiveWebhook, leaderOnly, admin)
	add(get, "/v1/webhooks", s.listWebhooks, readRoute, read)
	add(get, "/v1/webhooks/deliveries", s.listDeliveries, readRoute, read)
	add(post, "/v1/webhooks/deliveries/replay", s.replayDeliveries, leaderOnly, admin)

	add(get, "/v1/cluster/status", s.clusterStatus, anyNode, read)
	add(post, "/v1/cluster/join", s.clusterJoin, leaderOnly, admin)
	add(post, "/v1/cluster/remove", s.clusterRemove, leaderOnly, admin)
	add(post, "/v1/cluster/transfer-leadership", s.clusterTransfer, leaderOnly, admin)
	add(post, "/v1/cluster/finalize-upgrade", s.clusterFinalizeUpgrade, leaderOnly, admin)
	add(post, "/v1/cluster/snapshot", s.clusterSnapshot, anyNode, admin)
	add(get, "/v1/cluster/backup", s.clusterBackup, anyNode, admin)
	add(post, "/v1/cluster/restore", s.clusterRestore, leaderOnly, admin)
	// A follower's forwarded writes (fwdserve.go): the batch needs a write
	// token, and each request in it is authenticated and scoped on its own.
	add(post, forwardBatchPath, s.forwardBatch, leaderOnly, write)

	add(get, "/v1/admin/clock", s.getClock, anyNode, read)
	add(post, "/v1/admin/tokens/create", s.createToken, leaderOnly, admin)
	add(get, "/v1/admin/tokens/list", s.listTokens, readRoute, admin)
	add(post, "/v1/admin/tokens/revoke", s.revokeToken, leaderOnly, admin)
	add(post, "/v1/admin/clock", s.setClock, leaderOnly, admin)
	return r
}

// lookup finds the endpoint of path and its path parameter.
func (s *Server) lookup(path []byte) (*endpoint, string) {
	if ep := s.routes[string(path)]; ep != nil {
		return ep, ""
	}
	for _, prefix := range [...]string{"/v1/customers/", "/v1/billable-metrics/"} {
		if len(path) > len(prefix) && string(path[:len(prefix)]) == prefix {
			param := string(path[len(prefix):])
			if id, rest, sub := strings.Cut(param, "/"); sub && prefix == "/v1/customers/" && id != "" {
				return s.customerSubroute(id, rest)
			}
			if strings.Contains(param, "/") {
				return nil, ""
			}
			return s.routes[prefix], param
		}
	}
	return nil, ""
}

// Routes under /v1/customers/{id}/; the path parameter is the customer id
// (and "/{invoice_id}" for one invoice).
const (
	customerInvoicesRoute = "/v1/customers/{id}/invoices"
	customerInvoiceRoute  = "/v1/customers/{id}/invoices/{invoice_id}"
	customerRejectsRoute  = "/v1/customers/{id}/rejects"
	customerAliasesRoute  = "/v1/customers/{id}/setIngestAliases"
	customerNameRoute     = "/v1/customers/{id}/setName"
)

func (s *Server) customerSubroute(id, rest string) (*endpoint, string) {
	switch {
	case rest == "invoices":
		return s.routes[customerInvoicesRoute], id
	case rest == "rejects":
		return s.routes[customerRejectsRoute], id
	case rest == "setIngestAliases":
		return s.routes[customerAliasesRoute], id
	case rest == "setName":
		return s.routes[customerNameRoute], id
	case strings.HasPrefix(rest, "invoices/") && len(rest) > len("invoices/") && !strings.Contains(rest[len("invoices/"):], "/"):
		return s.routes[customerInvoiceRoute], id + "/" + rest[len("invoices/"):]
	}
	return nil, ""
}

const checkPath = "/v1/entitlements/check"

// Handle serves one request. It is the fasthttp handler; exported so
// benchmarks and tests can call it on a RequestCtx without a socket. Every
// request is counted and timed under its route's pattern, given an
// X-Request-Id, and written to the access log when one is configured.
func (s *Server) Handle(ctx *fasthttp.RequestCtx) {
	start := ctx.Time() // read by fasthttp as it calls the handler: no second clock read
	if start.IsZero() { // a RequestCtx not from a server (tests, benchmarks)
		start = time.Now()
	}
	series := s.dispatch(ctx)
	if series == nil { // a panic was answered
		series = s.series.unmatched
	}
	id := s.requestIDs.echo(ctx, s.access != nil) // after: an error answer resets the headers
	took := time.Since(start)
	series.ObserveDuration(ctx.Response.StatusCode(), took)
	if series == s.series.check || series == s.series.authorize {
		s.metricsReg.CheckDone(took)
	}
	if s.access != nil {
		s.access.log(ctx, id, start, took)
	}
}

// dispatch serves the request and returns the series of the route that
// answered it.
func (s *Server) dispatch(ctx *fasthttp.RequestCtx) (series *telemetry.Route) {
	defer s.recoverPanic(ctx)
	path := ctx.Path()
	// The entitlement check is the hot path: no map lookups, no allocation.
	if string(path) == checkPath && ctx.IsGet() {
		if _, ok := s.authenticate(ctx); !ok { // every scope may check
			writeUnauthorized(ctx)
			return s.series.check
		}
		if !s.readsOpen() {
			s.notCaughtUp(ctx)
			return s.series.check
		}
		s.checkGet(ctx)
		return s.series.check
	}
	if atOrBelow(path, consolePath) { // the operator console's page: no token
		s.serveConsole(ctx)
		return s.series.console
	}
	if atOrBelow(path, authorizePath) { // every method: gateways forward the client's
		s.authorize(ctx)
		return s.series.authorize
	}
	switch string(path) {
	case "/healthz":
		s.healthz(ctx)
		return s.series.healthz
	case "/readyz":
		s.readyz(ctx)
		return s.series.readyz
	case StripeWebhookPath: // authenticated by Stripe's signature
		s.stripeWebhook(ctx)
		return s.series.stripe
	}
	if atOrBelow(path, embedPrefix) { // authenticated by the link's signature
		s.embed(ctx)
		return s.series.embed
	}
	ep, param := s.lookup(path)
	series = s.series.unmatched
	if ep != nil {
		series = ep.series
	}
	scope, ok := s.authenticate(ctx)
	if !ok {
		writeUnauthorized(ctx)
		return series
	}
	if string(path) == "/metrics" && ctx.IsGet() { // every scope may read metrics
		s.metrics(ctx)
		return s.series.metrics
	}
	if strings.HasPrefix(string(path), pprofPrefix) {
		// Go's profiler, for operators and bench --profile: admin only.
		if !cluster.ScopeAllows(scope, cluster.ScopeAdmin) {
			writeForbidden(ctx, scope, cluster.ScopeAdmin)
			return s.series.pprof
		}
		pprofhandler.PprofHandler(ctx)
		return s.series.pprof
	}
	if ep == nil {
		writeError(ctx, notFound("path: no endpoint %s", path))
		return series
	}
	s.serveEndpoint(ctx, ep, param, scope)
	return series
}

// serveEndpoint serves a route-table path: method, scope, idempotency key,
// where it may run, then its handler.
func (s *Server) serveEndpoint(ctx *fasthttp.RequestCtx, ep *endpoint, param, scope string) {
	path := ctx.Path()
	var rt *route
	switch {
	case ctx.IsGet():
		rt = ep.get
	case ctx.IsPost():
		rt = ep.post
	}
	if rt == nil {
		allow := []string{}
		if ep.get != nil {
			allow = append(allow, fasthttp.MethodGet)
		}
		if ep.post != nil {
			allow = append(allow, fasthttp.MethodPost)
		}
		ctx.Response.Header.Set("Allow", strings.Join(allow, ", "))
		writeError(ctx, &apiError{Status: fasthttp.StatusMethodNotAllowed, Message: fmt.Sprintf("method: %s is not allowed on %s", ctx.Method(), path)})
		return
	}
	if !cluster.ScopeAllows(scope, rt.scope) {
		writeForbidden(ctx, scope, rt.scope)
		return
	}
	if rt == ep.post {
		if err := checkIdempotencyKey(ctx); err != nil {
			writeError(ctx, err)
			return
		}
	}
	switch rt.access {
	case leaderOnly:
		if !s.node.IsLeader() {
			s.forwardWrite(ctx)
			return
		}
	case readRoute:
		if c := ctx.QueryArgs().Peek("consistency"); string(c) != "strong" && !s.readsOpen() {
			s.notCaughtUp(ctx)
			return
		}
		if c := ctx.QueryArgs().Peek("consistency"); len(c) > 0 {
			switch string(c) {
			case "strong":
				if !s.node.IsLeader() {
					s.forward(ctx)
					return
				}
				bctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
				err := s.node.Barrier(bctx)
				cancel()
				if err != nil {
					if perr := proposeError(err); errors.Is(perr, errNotLeaderForward) {
						s.forward(ctx)
					} else {
						writeError(ctx, perr)
					}
					return
				}
			case "local", "default":
			default:
				writeError(ctx, badRequest("consistency: must be strong or local"))
				return
			}
		}
	}
	err := rt.h(ctx, param)
	switch {
	case err == nil:
	case errors.Is(err, errNotLeaderForward):
		ctx.Response.Reset()
		if rt.access == leaderOnly {
			s.forwardWrite(ctx)
		} else {
			s.forward(ctx)
		}
	default:
		var ae *apiError
		if !errors.As(err, &ae) {
			s.log.Error("request failed", "method", string(ctx.Method()), "path", string(path), "err", err)
		}
		ctx.Response.Reset()
		writeError(ctx, err)
	}
}

// recoverPanic turns a handler panic into a 500 so one bad request never
// takes the node down.
func (s *Server) recoverPanic(ctx *fasthttp.RequestCtx) {
	if p := recover(); p != nil {
		s.log.Error("panic while serving a request", "method", string(ctx.Method()), "path", string(ctx.Path()), "panic", p, "stack", string(debug.Stack()))
		ctx.Response.Reset()
		writeError(ctx, errors.New("panic"))
	}
}

// propose replicates cmd with the server's write timeout and maps the
// outcome: ErrNotLeader to a forward, a business rejection to its 4xx. With
// an Idempotency-Key the command is guarded by it (idempotency.go): a
// handler proposes at most one command per request.
func (s *Server) propose(ctx *fasthttp.RequestCtx, cmd engine.Command) (engine.Result, error) {
	key, guarded, err := s.idempotencyKeyOf(ctx)
	if err != nil {
		return engine.Result{}, err
	}
	pctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	var res engine.Result
	if guarded {
		res, err = s.node.ProposeOnce(pctx, cmd, key)
		if errors.Is(err, cluster.ErrUpgradeNotFinalized) && !usesStripeConfig(cmd) {
			return res, badRequest("%s: on this route it needs every node on this release and the upgrade finalized (burndown cluster finalize-upgrade); send the request without it, or finalize first", idempotencyHeader)
		}
	} else {
		res, err = s.node.Propose(pctx, cmd)
	}
	if cc, ok := cmd.(*engine.CreateContract); ok && cc.UsageFilter != nil && errors.Is(err, cluster.ErrUpgradeNotFinalized) {
		return res, badRequest("usage_filter: needs every node on this release and the upgrade finalized (burndown cluster finalize-upgrade); send the contract without it until then")
	}
	if cc, ok := cmd.(*engine.CreateContract); ok && cc.SeparateScheduledInvoices && errors.Is(err, cluster.ErrUpgradeNotFinalized) {
		return res, badRequest("scheduled_charges_on_usage_invoices: absent, scheduled charges are billed on SCHEDULED invoices of their own, which needs every node on this release and the upgrade finalized (burndown cluster finalize-upgrade); send ALL to bill them on the usage invoices until then")
	}
	if usesStripeConfig(cmd) && errors.Is(err, cluster.ErrUpgradeNotFinalized) {
		return res, badRequest("payment_gate_config.stripe_config: a STRIPE gate paid through a Stripe invoice (payment_type INVOICE, the default when stripe_config is absent) needs every node on this release and the upgrade finalized (burndown cluster finalize-upgrade); send stripe_config {\"payment_type\": \"PAYMENT_INTENT\"} to charge a PaymentIntent until then")
	}
	if err != nil {
		return res, proposeError(err)
	}
	if res.Err != nil {
		return res, resultError(res.Err)
	}
	return res, nil
}

// pprofPrefix serves net/http/pprof's profiles behind the admin token.
const pprofPrefix = "/debug/pprof/"

// usesStripeConfig reports whether a contract command gives a payment gate
// a stripe_config (engine/stripe_gate.go), which needs the finalized
// upgrade.
func usesStripeConfig(cmd engine.Command) bool {
	switch c := cmd.(type) {
	case *engine.CreateContract:
		return c.UsesStripeConfig()
	case *engine.EditContract:
		return c.UsesStripeConfig()
	}
	return false
}
