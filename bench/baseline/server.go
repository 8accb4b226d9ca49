package baseline

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"

	"github.com/valyala/fasthttp"
)

// Server serves a Store behind the same two endpoints as Burndown, so the same
// HTTP client drives both: GET /v1/entitlements/check?customer_id=C&product_id=P
// and POST /v1/ingest with a JSON array of events. It is what a team would put in
// front of Redis or PostgreSQL; the floor store makes it the trivial handler.
type Server struct {
	store Store
	price int64
	srv   *fasthttp.Server
	ln    net.Listener
	done  chan error
}

// bytesBalancer is implemented by stores that can look a key up without a copy.
type bytesBalancer interface {
	BalanceBytes(key []byte) (int64, bool)
}

// Serve starts a server for store on a free loopback port.
func Serve(store Store, price int64) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("baseline %s: listen: %w", store.Name(), err)
	}
	s := &Server{store: store, price: price, ln: ln, done: make(chan error, 1)}
	s.srv = &fasthttp.Server{Handler: s.handle, Name: "baseline", NoDefaultDate: true, NoDefaultContentType: true}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// URL returns the server's base URL.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the server.
func (s *Server) Close() error {
	if err := s.srv.Shutdown(); err != nil {
		return fmt.Errorf("baseline %s: shutdown: %w", s.store.Name(), err)
	}
	return <-s.done
}

func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	switch string(ctx.Path()) {
	case "/v1/entitlements/check":
		s.check(ctx)
	case "/v1/ingest":
		s.ingest(ctx)
	default:
		ctx.SetStatusCode(404)
	}
}

func (s *Server) check(ctx *fasthttp.RequestCtx) {
	key := ctx.QueryArgs().Peek("customer_id")
	var bal int64
	var ok bool
	if bb, fast := s.store.(bytesBalancer); fast {
		bal, ok = bb.BalanceBytes(key)
	} else {
		var err error
		bal, ok, err = s.store.Balance(ctx, string(key))
		if err != nil {
			ctx.SetStatusCode(500)
			ctx.SetBodyString(`{"message":"store error"}`)
			return
		}
	}
	if !ok {
		ctx.SetStatusCode(404)
		ctx.SetBodyString(`{"message":"unknown customer_id"}`)
		return
	}
	ctx.SetContentType("application/json")
	b := ctx.Response.Body()[:0]
	if bal > 0 {
		b = append(b, `{"entitled":true,"reason":"ok","balance":"`...)
	} else {
		b = append(b, `{"entitled":false,"reason":"balance_depleted","balance":"`...)
	}
	b = strconv.AppendInt(b, bal, 10)
	b = append(b, `","credit_type_id":"`+CreditTypeID+`"}`...)
	ctx.Response.SetBodyRaw(b)
}

// ingestEvent is the part of a Metronome event a baseline needs.
type ingestEvent struct {
	TransactionID string `json:"transaction_id"`
	CustomerID    string `json:"customer_id"`
}

func (s *Server) ingest(ctx *fasthttp.RequestCtx) {
	if !ctx.IsPost() {
		ctx.SetStatusCode(405)
		return
	}
	var in []ingestEvent
	if err := json.Unmarshal(ctx.PostBody(), &in); err != nil || len(in) < 1 || len(in) > 100 {
		ctx.SetStatusCode(400)
		ctx.SetBodyString(`{"message":"body must be a JSON array of 1 to 100 events"}`)
		return
	}
	events := make([]Event, len(in))
	for i, e := range in {
		events[i] = Event{TxnID: e.TransactionID, Customer: e.CustomerID}
	}
	if err := s.store.Apply(context.Background(), events, s.price); err != nil {
		ctx.SetStatusCode(503)
		ctx.SetBodyString(`{"message":"store error"}`)
		return
	}
	ctx.SetStatusCode(200)
}
