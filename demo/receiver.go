package demo

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// receiver is the application's webhook endpoint, on loopback: it verifies
// each delivery's signature as a Metronome customer does (HMAC-SHA256 with
// the destination's secret over X-Metronome-Date, a newline and the raw
// body; compared in constant time), refuses a bad one with 401, and keeps
// the events for the guides to wait on.
type receiver struct {
	secret string
	url    string
	srv    *http.Server

	mu       sync.Mutex
	events   []*event
	bad      int
	arrived  chan struct{} // closed and replaced on each arrival
	serveErr error
}

// event is one verified delivery.
type event struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties"`
	raw        []byte
	taken      bool
}

// prop returns a property as text ("" when absent).
func (e *event) prop(name string) string {
	switch v := e.Properties[name].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// startReceiver listens on a free loopback port with a new random secret.
func startReceiver() (*receiver, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("webhook receiver: %w", err)
	}
	r := &receiver{secret: "whsec_" + hex.EncodeToString(b[:]), url: "http://" + ln.Addr().String() + "/webhooks",
		arrived: make(chan struct{})}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := r.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.mu.Lock()
			r.serveErr = err
			r.mu.Unlock()
		}
	}()
	return r, nil
}

func (r *receiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx) // the demo is over; a delivery in flight is retried elsewhere or dropped
}

func (r *receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, `{"message":"body: unreadable"}`, http.StatusBadRequest)
		return
	}
	if !r.verify(req.Header.Get("X-Metronome-Date"), req.Header.Get("Metronome-Webhook-Signature"), body) {
		r.mu.Lock()
		r.bad++
		r.mu.Unlock()
		http.Error(w, `{"message":"Metronome-Webhook-Signature: does not match"}`, http.StatusUnauthorized)
		return
	}
	ev := &event{raw: body}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // amounts as sent, not as float64
	if err := dec.Decode(ev); err != nil {
		http.Error(w, `{"message":"body: not a JSON event"}`, http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.events = append(r.events, ev)
	close(r.arrived)
	r.arrived = make(chan struct{})
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// verify checks a signature: hex HMAC-SHA256 over date, "\n" and the body.
func (r *receiver) verify(date, signature string, body []byte) bool {
	got, err := hex.DecodeString(signature)
	if err != nil || date == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(r.secret))
	mac.Write([]byte(date + "\n"))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// deliveryWait bounds how long a guide waits for a webhook: the leader
// delivers within milliseconds; a retried delivery takes a few seconds.
const deliveryWait = 15 * time.Second

// take waits for the first event of type typ about customer that no earlier
// take returned, and marks it taken.
func (r *receiver) take(ctx context.Context, customer, typ string) (*event, error) {
	deadline := time.NewTimer(deliveryWait)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		if r.bad > 0 {
			r.mu.Unlock()
			return nil, fmt.Errorf("a webhook arrived with a signature that does not verify")
		}
		for _, ev := range r.events {
			if !ev.taken && ev.Type == typ && ev.prop("customer_id") == customer {
				ev.taken = true
				r.mu.Unlock()
				return ev, nil
			}
		}
		arrived, serveErr := r.arrived, r.serveErr
		r.mu.Unlock()
		if serveErr != nil {
			return nil, fmt.Errorf("webhook receiver: %w", serveErr)
		}
		select {
		case <-arrived:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return nil, fmt.Errorf("no %s webhook for customer %s arrived within %s", typ, customer, deliveryWait)
		}
	}
}

// count is how many events of type typ about customer arrived so far.
func (r *receiver) count(customer, typ string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.events {
		if ev.Type == typ && ev.prop("customer_id") == customer {
			n++
		}
	}
	return n
}
