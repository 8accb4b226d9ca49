package transport

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// maxCustomerName is where Metronome truncates customer names.
const maxCustomerName = 160

// customerOut is Metronome's CustomerDetail.
type customerOut struct {
	ID             string            `json:"id"`
	ExternalID     string            `json:"external_id"`
	IngestAliases  []string          `json:"ingest_aliases"`
	Name           string            `json:"name"`
	CustomFields   map[string]string `json:"custom_fields"`
	CustomerConfig customerConfig    `json:"customer_config"`
	CreatedAt      string            `json:"created_at"`
	UpdatedAt      string            `json:"updated_at"`
	ArchivedAt     *string           `json:"archived_at"`
}

type customerConfig struct {
	SalesforceAccountID *string `json:"salesforce_account_id"`
}

func externalID(id string, aliases []string) string {
	if len(aliases) > 0 {
		return aliases[0]
	}
	return id
}

func renderCustomer(c *engine.Customer) customerOut {
	aliases := append([]string{}, c.IngestAliases...)
	fields := make(map[string]string, len(c.CustomFields()))
	for k, v := range c.CustomFields() {
		fields[k] = v
	}
	out := customerOut{
		ID: c.ID, ExternalID: externalID(c.ID, aliases), IngestAliases: aliases, Name: c.Name,
		CustomFields: fields, CreatedAt: tsv(c.CreatedAt), UpdatedAt: tsv(c.Updated()),
	}
	if c.IsArchived() {
		at := tsv(c.ArchivedAt())
		out.ArchivedAt = &at
	}
	return out
}

// truncateRunes cuts s to at most n characters without splitting one.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// decodeCreateCustomer validates POST /v1/customers.
func decodeCreateCustomer(body []byte) (*engine.CreateCustomer, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	cmd := &engine.CreateCustomer{
		Name:          truncateRunes(o.str("name", true), maxCustomerName),
		IngestAliases: o.strList("ingest_aliases", false),
		CustomFields:  o.strMap("custom_fields"),
	}
	// external_id is Metronome's deprecated single alias; it works as one.
	if ext := o.str("external_id", false); ext != "" {
		found := false
		for _, a := range cmd.IngestAliases {
			found = found || a == ext
		}
		if !found {
			cmd.IngestAliases = append([]string{ext}, cmd.IngestAliases...)
		}
	}
	for _, c := range o.objects("customer_billing_provider_configurations", false, 20) {
		bp := engine.BillingProviderConfig{
			BillingProvider: c.enum("billing_provider", true, "aws_marketplace", "azure_marketplace", "gcp_marketplace", "stripe", "netsuite", "custom", "quickbooks_online", "workday"),
			DeliveryMethod:  c.str("delivery_method", false),
		}
		bp.Configuration = decodeProviderConfiguration(c, r)
		cmd.BillingProviders = append(cmd.BillingProviders, bp)
	}
	if bc, ok := o.object("billing_config", false); ok {
		typ := bc.str("billing_provider_type", true)
		cust := bc.str("billing_provider_customer_id", true)
		bp := engine.BillingProviderConfig{BillingProvider: strings.ToLower(typ), Configuration: map[string]string{}}
		if strings.EqualFold(typ, "stripe") {
			bp.Configuration["stripe_customer_id"] = cust
		} else {
			bp.Configuration["customer_id"] = cust
		}
		if m := bc.str("stripe_collection_method", false); m != "" {
			bp.Configuration["stripe_collection_method"] = m
		}
		cmd.BillingProviders = append(cmd.BillingProviders, bp)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// createCustomer serves POST /v1/customers; 409 when an alias is taken.
func (s *Server) createCustomer(ctx *fasthttp.RequestCtx, _ string) error {
	cmd, res, err := decodeAndPropose(s, ctx, decodeCreateCustomer)
	if err != nil {
		return err
	}
	return writeData(ctx, struct {
		ID            string            `json:"id"`
		ExternalID    string            `json:"external_id"`
		IngestAliases []string          `json:"ingest_aliases"`
		Name          string            `json:"name"`
		CustomFields  map[string]string `json:"custom_fields"`
	}{res.ID, externalID(res.ID, cmd.IngestAliases), orEmpty(cmd.IngestAliases), cmd.Name, orEmptyMap(cmd.CustomFields)})
}

// readCustomer renders one customer read from its shard; ok is false when
// unknown.
func (s *Server) readCustomer(idOrAlias string) (customerOut, bool, error) {
	rd, found, err := s.readCustomerByID(idOrAlias)
	if err != nil || !found {
		return customerOut{}, found, err
	}
	return renderCustomer(rd.Customer), true, nil
}

// getCustomer serves GET /v1/customers/{id}.
func (s *Server) getCustomer(ctx *fasthttp.RequestCtx, id string) error {
	h := s.node.Engine().LookupCustomer(id)
	if h == nil || h.ID != id {
		return notFound("customer_id: customer %s not found", id)
	}
	out, ok, err := s.readCustomer(id)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("customer_id: customer %s not found", id)
	}
	return writeData(ctx, out)
}

// listCustomers serves GET
// /v1/customers?limit&next_page&ingest_alias&customer_ids&only_archived.
func (s *Server) listCustomers(ctx *fasthttp.RequestCtx, _ string) error {
	q := ctx.QueryArgs()
	limit, offset, err := pageArgs(q, 25)
	if err != nil {
		return err
	}
	eng := s.node.Engine()
	// Archived customers are listed only with only_archived=true, and then
	// only they, as Metronome does.
	archived := false
	if v := q.Peek("only_archived"); q.Has("only_archived") {
		b, perr := strconv.ParseBool(string(v))
		if perr != nil {
			return badRequest("only_archived: must be true or false")
		}
		archived = b
	}
	keep := func(id string) bool {
		h := eng.LookupCustomer(id)
		return h != nil && h.ID == id && h.Archived() == archived
	}
	var ids []string
	filtered := false
	if alias := q.Peek("ingest_alias"); q.Has("ingest_alias") {
		filtered = true
		if h := eng.LookupCustomer(string(alias)); h != nil && keep(h.ID) {
			ids = append(ids, h.ID)
		}
	}
	if q.Has("customer_ids") {
		var want []string
		for _, v := range q.PeekMulti("customer_ids") {
			for _, id := range strings.Split(string(v), ",") {
				if id = strings.TrimSpace(id); id != "" {
					want = append(want, id)
				}
			}
		}
		if len(want) > 100 {
			return badRequest("customer_ids: at most 100 ids are allowed")
		}
		if filtered {
			keep := ids[:0]
			for _, id := range ids {
				for _, w := range want {
					if id == w {
						keep = append(keep, id)
						break
					}
				}
			}
			ids = keep
		} else {
			for _, w := range want {
				if keep(w) {
					ids = append(ids, w)
				}
			}
		}
		filtered = true
	}
	var next *string
	if filtered {
		if offset >= len(ids) {
			ids = nil
		} else {
			ids = ids[offset:]
		}
		if len(ids) > limit {
			ids = ids[:limit]
			n := strconv.Itoa(offset + limit)
			next = &n
		}
	} else {
		var from int
		if ids, from = eng.CustomerIDsWhere(offset, limit, archived); from >= 0 {
			n := strconv.Itoa(from)
			next = &n
		}
	}
	out := make([]customerOut, 0, len(ids))
	for _, id := range ids {
		c, ok, err := s.readCustomer(id)
		if err != nil {
			return err
		}
		if ok {
			out = append(out, c)
		}
	}
	return writeJSON(ctx, listEnvelope{Data: out, NextPage: next})
}

// pageArgs reads limit (1..100) and the opaque next_page cursor (an offset)
// from the query string.
func pageArgs(q *fasthttp.Args, def int) (limit, offset int, err error) {
	limit = def
	if v := q.Peek("limit"); len(v) > 0 {
		n, perr := strconv.Atoi(string(v))
		if perr != nil || n < 1 || n > 100 {
			return 0, 0, badRequest("limit: must be a whole number between 1 and 100")
		}
		limit = n
	}
	if v := q.Peek("next_page"); len(v) > 0 {
		n, perr := strconv.Atoi(string(v))
		if perr != nil || n < 0 {
			return 0, 0, badRequest("next_page: not a cursor this server issued")
		}
		offset = n
	}
	return limit, offset, nil
}
