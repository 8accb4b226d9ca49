package importer

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// SourceIDField is the custom field that marks an imported object with the
// id of its source object: how a re-run recognises what it already made.
const SourceIDField = "burndown_import_source_id"

// Config says what to copy where.
type Config struct {
	// SourceURL and SourceToken: the Metronome API (or a Burndown node) to
	// read.
	SourceURL, SourceToken string
	// TargetURL and TargetToken: a Burndown node and an admin token.
	TargetURL, TargetToken string
	// DryRun reads both sides and reports what would be created, writing
	// nothing.
	DryRun bool
	// WebhookSecret, when set, is the signing secret given to the webhook
	// destinations created (a source never shows its secrets).
	WebhookSecret string
	// Out receives the progress lines; nil discards them.
	Out io.Writer
	// SourceHTTP and TargetHTTP are the HTTP clients of each side (nil: the
	// SDK's default).
	SourceHTTP, TargetHTTP *http.Client
	// Now is the time rates are first looked up at (zero: the wall clock).
	Now time.Time
}

// run is one import's state: the clients and the maps from source ids to
// target ids, per kind.
type run struct {
	cfg      Config
	src, dst *api
	rep      *Report
	out      io.Writer
	// ids maps a kind's source ids to target ids.
	ids map[string]map[string]string
	// sourceContracts are the contracts read from the source, by source
	// customer id (rates are looked up at their start dates).
	sourceContracts map[string][]contract
	// fiat is each source rate card's fiat credit type id, by source rate
	// card id (what an auto-recharge threshold is counted in).
	fiat map[string]string
}

// Run copies the source account into the target and returns the report;
// an error stops it where it happened (a re-run resumes, recognising what
// was already made).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.SourceURL == "" || cfg.TargetURL == "" {
		return nil, errors.New("importer: a source and a target URL are required")
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Now().UTC()
	}
	r := &run{cfg: cfg, rep: newReport(), out: cfg.Out, ids: map[string]map[string]string{}, sourceContracts: map[string][]contract{}, fiat: map[string]string{},
		src: newAPI("source", cfg.SourceURL, cfg.SourceToken, cfg.SourceHTTP),
		dst: newAPI("target", cfg.TargetURL, cfg.TargetToken, cfg.TargetHTTP)}
	steps := []struct {
		kind string
		f    func(context.Context) error
	}{
		{kindCreditTypes, r.creditTypes},
		{kindCustomers, r.customers},
		{kindMetrics, r.metrics},
		{kindProducts, r.products},
		{kindRateCards, r.rateCards},
		{kindContracts, r.contracts},
		{kindCustomerBalances, r.customerBalances},
		{kindAlerts, r.alerts},
		{kindWebhooks, r.webhooks},
	}
	for _, s := range steps {
		r.rep.kind(s.kind)
		if err := s.f(ctx); err != nil {
			return r.rep, err
		}
		r.rep.progress(r.out, s.kind)
	}
	return r.rep, nil
}

// The kinds, in the order they are imported (each needs the ones before).
const (
	kindCreditTypes = "credit types"
	kindCustomers   = "customers"
	kindMetrics     = "billable metrics"
	kindProducts    = "products"
	kindRateCards   = "rate cards"
	kindRates       = "rates"
	kindContracts   = "contracts"
	kindBalances    = "commits and credits"
	// kindCustomerBalances are customer-level commits and credits.
	kindCustomerBalances = "customer commits and credits"
	kindAlerts           = "alerts"
	kindWebhooks         = "webhooks"
)

// mapID records that the source object id of kind is target in the target.
func (r *run) mapID(kind, source, target string) {
	m := r.ids[kind]
	if m == nil {
		m = map[string]string{}
		r.ids[kind] = m
	}
	m[source] = target
}

// target is the target id of a source object of kind ("" when unknown).
func (r *run) target(kind, source string) string {
	return r.ids[kind][source]
}

// dryID stands for an object a dry run would create.
func dryID(source string) string { return "dry-run:" + source }

// isDry says whether id stands for an object not made (a dry run's).
func isDry(id string) bool { return strings.HasPrefix(id, "dry-run:") }

// marked returns fields with the source id mark set (a copy).
func marked(fields map[string]string, sourceID string) map[string]string {
	out := make(map[string]string, len(fields)+1)
	for k, v := range fields {
		out[k] = v
	}
	out[SourceIDField] = sourceID
	return out
}

// create posts a create for the source object of kind, or in a dry run
// stands for it; it returns the new target id.
func (r *run) create(ctx context.Context, kind, path, sourceID string, body any) (string, error) {
	if r.cfg.DryRun {
		return dryID(sourceID), nil
	}
	var res struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := r.dst.post(ctx, path, body, &res, idempotencyKey(kind, sourceID)); err != nil {
		return "", err
	}
	if res.Data.ID == "" {
		return "", errors.New("target: " + path + ": the answer has no data.id")
	}
	return res.Data.ID, nil
}
