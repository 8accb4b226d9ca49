package transport

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/valyala/fasthttp"

	"burndown/cluster"
)

// Webhook destinations (/v1/webhooks) and the deliveries the dispatcher
// gave up on (/v1/webhooks/deliveries). These handlers only propose
// commands and read the replicated outbox of package cluster; the
// deliveries themselves are package effects'.

// webhookOut is a webhook destination as GET /v1/webhooks lists it.
type webhookOut struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	EventTypes []string `json:"event_types"`
	CreatedAt  string   `json:"created_at"`
	ArchivedAt *string  `json:"archived_at"`
	DisabledAt *string  `json:"disabled_at"`
}

// createWebhook serves POST /v1/webhooks/create {url, secret?, event_types?}
// → {data:{id, secret}}; without a secret a random one is made here, at the
// edge (the log carries it). Like every write it may carry an
// Idempotency-Key: a retry is answered with the destination the first
// request made, and so with its secret, read back from the replicated state
// (the retry's own random secret is never used).
func (s *Server) createWebhook(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	url := o.str("url", true)
	secret := o.str("secret", false)
	types := o.strList("event_types", false)
	if r.err == nil && !(len(url) > 8 && (url[:7] == "http://" || url[:8] == "https://")) {
		r.fail(o.sub("url"), "must be an http:// or https:// URL")
	}
	if err := r.Err(); err != nil {
		return err
	}
	if secret == "" {
		var b [24]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		secret = hex.EncodeToString(b[:])
	}
	res, err := s.propose(ctx, cluster.NewWebhookCreate(url, secret, types))
	if err != nil {
		return err
	}
	found := false
	for _, d := range s.node.Webhooks() {
		if d.ID == res.ID {
			secret, found = d.Secret, true
		}
	}
	if !found { // a key replayed after a restore from a backup without it
		return unavailable("webhook %s is not in this cluster's state; list /v1/webhooks and create it again", res.ID)
	}
	return writeData(ctx, struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}{res.ID, secret})
}

// archiveWebhook serves POST /v1/webhooks/archive {id}.
func (s *Server) archiveWebhook(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	id := o.str("id", true)
	if err := r.Err(); err != nil {
		return err
	}
	res, err := s.propose(ctx, cluster.NewWebhookArchive(id))
	if err != nil {
		return err
	}
	return writeID(ctx, res.ID)
}

// listWebhooks serves GET /v1/webhooks (secrets are not shown).
func (s *Server) listWebhooks(ctx *fasthttp.RequestCtx, _ string) error {
	out := []webhookOut{}
	for _, d := range s.node.Webhooks() {
		w := webhookOut{ID: d.ID, URL: d.URL, EventTypes: orEmpty(d.EventTypes), CreatedAt: tsv(d.CreatedAt)}
		if d.ArchivedAt != 0 {
			v := tsv(d.ArchivedAt)
			w.ArchivedAt = &v
		}
		if d.DisabledAt != 0 {
			v := tsv(d.DisabledAt)
			w.DisabledAt = &v
		}
		out = append(out, w)
	}
	return writeJSON(ctx, struct {
		Data     []webhookOut `json:"data"`
		NextPage *string      `json:"next_page"`
	}{out, nil})
}

// deliveryOut is a failed webhook delivery as
// GET /v1/webhooks/deliveries?status=failed lists it (ours: Metronome has
// no such endpoint).
type deliveryOut struct {
	ID             string          `json:"id"`
	Status         string          `json:"status"`
	NotificationID string          `json:"notification_id"`
	DestinationID  string          `json:"destination_id"`
	Type           string          `json:"type"`
	CustomerID     string          `json:"customer_id"`
	Attempts       int             `json:"attempts"`
	FailedAt       string          `json:"failed_at"`
	Payload        json.RawMessage `json:"payload"`
}

// listDeliveries serves GET /v1/webhooks/deliveries?status=failed: the
// deliveries the dispatcher gave up on, oldest first (one page).
func (s *Server) listDeliveries(ctx *fasthttp.RequestCtx, _ string) error {
	if st := string(ctx.QueryArgs().Peek("status")); st != "" && st != "failed" {
		return badRequest("status: %q is not supported (only failed deliveries are kept)", st)
	}
	out := []deliveryOut{}
	for _, f := range s.node.FailedDeliveries() {
		out = append(out, deliveryOut{ID: f.ID, Status: "failed", NotificationID: f.NotificationID, DestinationID: f.DestinationID,
			Type: f.Type, CustomerID: f.CustomerID, Attempts: f.Attempts, FailedAt: tsv(f.FailedAt), Payload: f.Payload})
	}
	return writeJSON(ctx, struct {
		Data     []deliveryOut `json:"data"`
		NextPage *string       `json:"next_page"`
	}{out, nil})
}

// replayDeliveries serves POST /v1/webhooks/deliveries/replay {id} or
// {since}: the failed delivery, or every one that failed at or after the
// time, goes back in the outbox for its destination alone, with its
// notification's id → {data:{replayed: n}}.
func (s *Server) replayDeliveries(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	id := o.str("id", false)
	since := o.time("since", false)
	if r.err == nil {
		switch {
		case o.has("id") && o.has("since"):
			r.fail(o.sub("since"), "give either id or since, not both")
		case id == "" && !o.has("since"):
			r.fail(o.sub("id"), "is required (or since)")
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	res, err := s.propose(ctx, cluster.NewDeliveriesReplay(id, since))
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(res.ID)
	return writeData(ctx, struct {
		Replayed int `json:"replayed"`
	}{n})
}
