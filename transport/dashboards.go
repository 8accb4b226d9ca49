package transport

import (
	"context"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"burndown/dashboard"
	"burndown/engine"
)

// Limits on a dashboard request's lists; the signed link must also fit a
// URL (dashboard.MaxTokenLen).
const (
	maxColorOverrides = 64
	maxDashOptions    = 16
	maxGroupOverrides = 16
)

// decodeEmbeddable reads POST /v1/dashboards/getEmbeddableUrl's body into
// the spec a link grants (without its expiry). Every field is applied:
// colors by the page, options by the invoices dashboard's data, group-key
// names by the usage and invoices dashboards; what a dashboard cannot
// apply is refused by name.
func decodeEmbeddable(o obj, r *reader) dashboard.Spec {
	s := dashboard.Spec{Customer: o.str("customer_id", true), Dashboard: o.str("dashboard", true)}
	switch {
	case s.Dashboard == "credits":
		r.fail("dashboard", "credits (Metronome's dashboard of plan credit grants) is not served: plans are not; use commits_and_credits")
	case s.Dashboard != "" && !dashboard.Valid(s.Dashboard):
		r.fail("dashboard", "must be one of %s", strings.Join(dashboard.Names, ", "))
	}
	for _, c := range o.objects("color_overrides", false, maxColorOverrides) {
		name, value := c.str("name", true), c.str("value", true)
		switch {
		case name != "" && !dashboard.ValidColorName(name):
			r.fail(c.sub("name"), "must be one of %s", strings.Join(dashboard.ColorNames, ", "))
		case value != "" && !dashboard.ValidColorValue(value):
			r.fail(c.sub("value"), "must be a hex color, #rgb or #rrggbb")
		}
		if s.Colors == nil {
			s.Colors = map[string]string{}
		}
		s.Colors[name] = value
	}
	for _, d := range o.objects("dashboard_options", false, maxDashOptions) {
		key, value := d.str("key", true), d.str("value", true)
		if r.err != nil {
			break
		}
		if problem, badKey := dashboard.CheckOption(s.Dashboard, key, value); problem != "" {
			at := d.sub("value")
			if badKey {
				at = d.sub("key")
			}
			r.fail(at, "%s", problem)
		}
		if s.Options == nil {
			s.Options = map[string]string{}
		}
		s.Options[key] = value
	}
	groups := o.objects("bm_group_key_overrides", false, maxGroupOverrides)
	if len(groups) > 0 && s.Dashboard == dashboard.CommitsAndCredit {
		r.fail("bm_group_key_overrides", "applies to the usage and invoices dashboards, which show usage by group; commits_and_credits shows none")
	}
	for _, g := range groups {
		s.GroupKeys = append(s.GroupKeys, dashboard.GroupKey{Name: g.str("group_key_name", true), DisplayName: g.str("display_name", false),
			Values: g.strMap("value_display_names")})
	}
	return s
}

// checkEmbeddable checks a spec against the customer: a contract_id option
// names one of its contracts, and a group key is one a billable metric has.
func checkEmbeddable(s dashboard.Spec, rd engine.CustomerRead) error {
	if id := s.Options["contract_id"]; id != "" {
		found := false
		for _, k := range rd.Customer.Contracts {
			found = found || k.ID == id
		}
		if !found {
			return badRequest("dashboard_options: contract_id %s is not a contract of customer %s", id, s.Customer)
		}
	}
	keys := map[string]bool{}
	for _, m := range rd.Catalog.Metrics {
		for _, set := range m.GroupKeys {
			for _, k := range set {
				keys[k] = true
			}
		}
	}
	for i, g := range s.GroupKeys {
		if !keys[g.Name] {
			return badRequest("bm_group_key_overrides[%d].group_key_name: no billable metric has the group key %q", i, g.Name)
		}
	}
	return nil
}

type embeddableURLOut struct {
	URL string `json:"url"`
}

// getEmbeddableURL serves POST /v1/dashboards/getEmbeddableUrl: a link to
// one customer's dashboard, signed with the cluster's dashboard key and
// valid for dashboard.DefaultTTL. The link names the host the request was
// sent to. The first link of a cluster has the leader make the key (a
// follower forwards that one request).
func (s *Server) getEmbeddableURL(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	spec := decodeEmbeddable(o, r)
	if err := r.Err(); err != nil {
		return err
	}
	rd, found, err := s.readCustomerByID(spec.Customer)
	switch {
	case err != nil:
		return err
	case !found:
		return notFound("customer_id: customer %s not found", spec.Customer)
	}
	if err := checkEmbeddable(spec, rd); err != nil {
		return err
	}
	kctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	key, err := s.node.DashboardKey(kctx, true)
	cancel()
	if err != nil {
		return proposeError(err)
	}
	spec.Expires = s.wallNow().Add(dashboard.DefaultTTL).Unix()
	tok, err := dashboard.Sign(key, spec)
	if err != nil {
		return badRequest("bm_group_key_overrides: the options make the link longer than a URL may be (%d bytes); give fewer or shorter names", dashboard.MaxTokenLen)
	}
	scheme := "http"
	if ctx.IsTLS() {
		scheme = "https"
	}
	return writeData(ctx, embeddableURLOut{URL: scheme + "://" + string(ctx.Host()) + embedPrefix + "/" + tok})
}

// wallNow is the wall clock that dashboard links expire by (never the test
// clock: a link's lifetime is a security bound, not a billing time).
func (s *Server) wallNow() time.Time {
	if s.cfg.WallClock != nil {
		return s.cfg.WallClock()
	}
	return time.Now()
}

// dashboardKey reads the cluster's key without making one (nil: none yet,
// so no link was ever issued).
func (s *Server) dashboardKey() []byte {
	key, _ := s.node.DashboardKey(context.Background(), false)
	return key
}
