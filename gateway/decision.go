package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
)

// Decision is Burndown's answer for one request.
type Decision struct {
	// Entitled says whether the request may go on.
	Entitled bool
	// Reason is the check's reason (ok, balance_depleted, limit_reached,
	// unknown_customer, ...).
	Reason string
	// Balance is the customer's applicable balance, as a decimal string.
	Balance string
	// Body is the check's JSON answer, passed on to a denied client.
	Body []byte
}

// maxAnswer bounds the answer read from Burndown.
const maxAnswer = 64 << 10

// Authorize asks Burndown about r (and meters it when the configuration
// gives it an event type). An error means Burndown gave no answer: a
// timeout, a network failure, or a 5xx.
func (m *Middleware) Authorize(r *http.Request) (Decision, error) {
	ctx, cancel := context.WithTimeout(r.Context(), m.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.endpoint, nil)
	if err != nil {
		return Decision{}, fmt.Errorf("gateway: %w", err)
	}
	m.setHeaders(req.Header, r)
	resp, err := m.cfg.Client.Do(req)
	if err != nil {
		return Decision{}, fmt.Errorf("gateway: authorize: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return Decision{}, fmt.Errorf("gateway: authorize: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusForbidden {
		return Decision{}, fmt.Errorf("gateway: authorize: %s: %s", resp.Status, body)
	}
	return Decision{
		Entitled: resp.StatusCode == http.StatusOK && resp.Header.Get(HeaderEntitled) == "true",
		Reason:   resp.Header.Get(HeaderReason),
		Balance:  resp.Header.Get(HeaderBalance),
		Body:     body,
	}, nil
}

// setHeaders writes the protocol's headers for r on the call's header h.
func (m *Middleware) setHeaders(h http.Header, r *http.Request) {
	h.Set("Authorization", "Bearer "+m.cfg.Token)
	h.Set(HeaderCustomer, m.cfg.Customer(r))
	h.Set(HeaderProduct, m.cfg.Product(r))
	h.Set(HeaderRequestID, r.Header.Get(HeaderRequestID))
	if m.cfg.Group != nil {
		if k, v := m.cfg.Group(r); k != "" {
			h.Set(HeaderGroupKey, k)
			h.Set(HeaderGroupValue, v)
		}
	}
	if m.cfg.EventType == nil {
		return
	}
	if et := m.cfg.EventType(r); et != "" {
		h.Set(HeaderEventType, et)
		if m.cfg.Properties != nil {
			for k, v := range m.cfg.Properties(r) {
				h.Set(HeaderProperty+k, v)
			}
		}
	}
}

// requestID returns r's X-Request-Id, setting a new random one on r when
// it has none: the metered event's transaction id, so a client retrying
// with the same id is metered once.
func requestID(r *http.Request) string {
	if id := r.Header.Get(HeaderRequestID); id != "" {
		return id
	}
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails (Go 1.24+)
	id := hex.EncodeToString(b[:])
	r.Header.Set(HeaderRequestID, id)
	return id
}

// copyTo passes the answer on to the wrapped handler in the request's
// headers, as a gateway's auth_request_set would.
func (d Decision) copyTo(h http.Header) {
	h.Set(HeaderEntitled, fmt.Sprint(d.Entitled))
	h.Set(HeaderReason, d.Reason)
	h.Set(HeaderBalance, d.Balance)
}

// deny answers the client 403 with Burndown's headers and body.
func (d Decision) deny(w http.ResponseWriter) {
	d.copyTo(w.Header())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	w.Write(d.Body) //nolint:errcheck // the client went away
}

// unavailable answers the client 503 when Burndown gave no answer and the
// middleware fails closed.
func unavailable(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(http.StatusServiceUnavailable)
	io.WriteString(w, `{"message":"the entitlement service is unavailable; retry"}`) //nolint:errcheck // the client went away
}
