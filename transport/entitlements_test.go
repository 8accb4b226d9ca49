package transport

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"burndown/engine"
	"burndown/money"
)

// checkFixture builds a fake node with one customer on a prepaid contract and
// a server in front of it, without a socket.
func checkFixture(tb testing.TB) (*Server, string) {
	tb.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	node := newFakeNode(start)
	tb.Cleanup(node.eng.Close)
	must := func(cmd engine.Command) string {
		res, err := node.Propose(context.Background(), cmd)
		if err != nil || res.Err != nil {
			tb.Fatalf("%T: %v %v", cmd, err, res.Err)
		}
		return res.ID
	}
	metric := must(&engine.CreateMetric{Name: "calls", Aggregation: engine.AggCount})
	product := must(&engine.CreateProduct{Name: "API", Type: engine.ProductUsage, BillableMetricID: metric})
	rc := must(&engine.CreateRateCard{Name: "rc"})
	must(&engine.AddRates{RateCardID: rc, Rates: []engine.RateInput{{ProductID: product, StartingAt: start.UnixNano(), Entitled: true, RateType: engine.RateFlat, Price: money.FromInt(1)}}})
	cust := must(&engine.CreateCustomer{Name: "c", IngestAliases: []string{"alias-1"}})
	must(&engine.CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: start.UnixNano(), PrepaidOnly: true,
		Commits: []engine.CommitInput{{Type: engine.CommitPrepaid, ProductID: product, AccessSchedule: []engine.ScheduleItem{{
			Amount: money.FromInt(2000), StartingAt: start.UnixNano(), EndingBefore: start.AddDate(1, 0, 0).UnixNano()}}}}})
	srv, err := New(Config{Node: node, Token: testToken, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	return srv, "/v1/entitlements/check?customer_id=alias-1&product_id=" + product
}

func prepareCheck(ctx *fasthttp.RequestCtx, uri string) {
	ctx.Request.Reset()
	ctx.Response.Reset()
	ctx.Request.Header.SetMethod(fasthttp.MethodGet)
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.Set(fasthttp.HeaderAuthorization, "Bearer "+testToken)
}

func TestCheckGetAnswers(t *testing.T) {
	srv, uri := checkFixture(t)
	var ctx fasthttp.RequestCtx
	prepareCheck(&ctx, uri)
	srv.Handle(&ctx)
	if ctx.Response.StatusCode() != 200 || string(ctx.Response.Body()) != `{"entitled":true,"reason":"ok","balance":"2000","credit_type_id":"2714e483-4ff1-48e4-9e25-ac732e8f24f2"}` {
		t.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}

// The hot path must not allocate in steady state.
func TestCheckGetZeroAllocs(t *testing.T) {
	srv, uri := checkFixture(t)
	var ctx fasthttp.RequestCtx
	prepareCheck(&ctx, uri)
	srv.Handle(&ctx) // warm up pooled buffers
	allocs := testing.AllocsPerRun(1000, func() {
		prepareCheck(&ctx, uri)
		srv.Handle(&ctx)
	})
	if ctx.Response.StatusCode() != 200 {
		t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	if allocs != 0 {
		t.Fatalf("GET /v1/entitlements/check allocates %.1f times per request, want 0", allocs)
	}
}

func BenchmarkCheckGet(b *testing.B) {
	srv, uri := checkFixture(b)
	var ctx fasthttp.RequestCtx
	prepareCheck(&ctx, uri)
	srv.Handle(&ctx)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		prepareCheck(&ctx, uri)
		srv.Handle(&ctx)
	}
}

func BenchmarkCheckGetParallel(b *testing.B) {
	srv, uri := checkFixture(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var ctx fasthttp.RequestCtx
		for pb.Next() {
			prepareCheck(&ctx, uri)
			srv.Handle(&ctx)
		}
	})
}
