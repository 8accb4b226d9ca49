package transport

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Join says which node asks to join a cluster, and through whom.
type Join struct {
	// Via is the HTTP address of a member (host:port or a URL).
	Via   string
	Token string // the admin token
	// ID, RaftAddr and HTTPAddr are the joining node's id and advertised
	// addresses.
	ID, RaftAddr, HTTPAddr string
	// TLS, when set, is the client configuration (the node's peer
	// certificate, the CA trusted): Via without a scheme is then https.
	TLS *tls.Config
	// Log, when set, is told of each failed attempt.
	Log *slog.Logger
}

// JoinCluster asks the member at j.Via to add the node j names as a voter.
// The member forwards to its leader. It retries with exponential backoff
// until ctx ends, because a cluster that is still electing its first
// leader answers 503 for a while (and a refused TLS handshake is retried
// too: the certificates may be on their way). 4xx answers other than 429
// are final.
func JoinCluster(ctx context.Context, j Join) error {
	base := j.Via
	if !strings.Contains(base, "://") {
		base = "http://" + base
		if j.TLS != nil {
			base = "https://" + j.Via
		}
	}
	body, err := json.Marshal(map[string]string{"id": j.ID, "raft_addr": j.RaftAddr, "http_addr": j.HTTPAddr})
	if err != nil {
		return fmt.Errorf("join: encode request: %w", err)
	}
	client := &fasthttp.Client{Name: "burndown-join", ReadTimeout: 30 * time.Second, WriteTimeout: 10 * time.Second, TLSConfig: j.TLS}
	joinHTTPAddr, token := j.Via, j.Token
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		status, msg, err := joinOnce(client, strings.TrimRight(base, "/")+"/v1/cluster/join", token, body)
		switch {
		case err == nil && status == fasthttp.StatusOK:
			return nil
		case err == nil && status >= 400 && status < 500 && status != fasthttp.StatusTooManyRequests:
			return fmt.Errorf("join %s: refused with %d: %s", joinHTTPAddr, status, msg)
		}
		last := err
		if last == nil {
			last = fmt.Errorf("status %d: %s", status, msg)
		}
		if j.Log != nil {
			j.Log.Warn("join attempt failed; retrying", "via", joinHTTPAddr, "attempt", attempt, "err", last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("join %s: gave up after %d attempts (last: %v): %w", joinHTTPAddr, attempt, last, ctx.Err())
		case <-time.After(backoff):
		}
		if backoff < 5*time.Second {
			backoff *= 2
		}
	}
}

func joinOnce(c *fasthttp.Client, url, token string, body []byte) (int, string, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.Set(fasthttp.HeaderAuthorization, "Bearer "+token)
	req.Header.SetContentType("application/json")
	req.SetBodyRaw(body)
	if err := c.DoTimeout(req, resp, 30*time.Second); err != nil {
		return 0, "", err
	}
	return resp.StatusCode(), string(resp.Body()), nil
}
