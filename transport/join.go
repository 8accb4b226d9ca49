package transport

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// JoinCluster asks the member at joinHTTPAddr (host:port or a URL) to add
// this node (id, raftAddr, httpAddr) as a voter. The member forwards to its
// leader. It retries with exponential backoff until ctx ends, because a
// cluster that is still electing its first leader answers 503 for a while.
// 4xx answers other than 429 are final.
func JoinCluster(ctx context.Context, joinHTTPAddr, token, id, raftAddr, httpAddr string) error {
	base := joinHTTPAddr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	body, err := json.Marshal(map[string]string{"id": id, "raft_addr": raftAddr, "http_addr": httpAddr})
	if err != nil {
		return fmt.Errorf("join: encode request: %w", err)
	}
	client := &fasthttp.Client{Name: "burndown-join", ReadTimeout: 30 * time.Second, WriteTimeout: 10 * time.Second}
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
