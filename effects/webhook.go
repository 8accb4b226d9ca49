package effects

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"burndown/cluster"
)

// Webhook delivery: one signed POST of a notification's payload to a
// destination. A 2xx delivers it; a 410 Gone disables the destination;
// anything else (a network error included) is retried later, no sooner
// than a Retry-After header asks.

// DefaultDestinationID names the --webhook-url destination in marks.
const DefaultDestinationID = "default"

// Webhook tuning; WebhookConfig fields override them.
const (
	defaultRetryBase = time.Second
	defaultRetryMax  = 15 * time.Minute
	defaultRetryFor  = 72 * time.Hour
	deliveryTimeout  = 10 * time.Second
)

// WebhookConfig configures the default destination and the dispatcher's
// retries.
type WebhookConfig struct {
	// URL and Secret are the default destination (--webhook-url and
	// --webhook-secret); URL "" for none.
	URL, Secret string
	// RetryBase is the first retry's delay (doubling up to RetryMax, with
	// jitter); RetryFor how long a delivery is retried before it is given up.
	RetryBase, RetryMax, RetryFor time.Duration
	// Client sends the deliveries (default: a client with a 10 s timeout).
	Client *http.Client
}

// withDefaults fills the zero fields.
func (c WebhookConfig) withDefaults() WebhookConfig {
	if c.RetryBase <= 0 {
		c.RetryBase = defaultRetryBase
	}
	if c.RetryMax <= 0 {
		c.RetryMax = defaultRetryMax
	}
	if c.RetryFor <= 0 {
		c.RetryFor = defaultRetryFor
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: deliveryTimeout}
	}
	return c
}

// deliveryAnswer is what a receiver answered one delivery.
type deliveryAnswer struct {
	ok, gone   bool
	retryAfter time.Duration
}

// deliverWebhook posts one signed delivery of body to dst.
func deliverWebhook(ctx context.Context, client *http.Client, dst cluster.WebhookDestination, body []byte) deliveryAnswer {
	var res deliveryAnswer
	date := time.Now().UTC().Format(http.TimeFormat)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dst.URL, bytes.NewReader(body))
	if err != nil {
		return res
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Burndown")
	req.Header.Set("X-Metronome-Date", date)
	req.Header.Set("Date", date)
	req.Header.Set("Metronome-Webhook-Signature", SignWebhook(dst.Secret, date, body))
	resp, err := client.Do(req)
	if err != nil {
		return res
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		res.ok = true
	case resp.StatusCode == http.StatusGone:
		res.gone = true
	default:
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			res.retryAfter = time.Duration(s) * time.Second
		}
	}
	return res
}
