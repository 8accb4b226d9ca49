package transport

import (
	"strconv"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// Customer administration after creation (engine/customer_admin.go):
// customers/archive, contracts/archive, setIngestAliases, setName and the
// customer billing provider configurations.

// archiveCustomer serves POST /v1/customers/archive {id} → {data:{id}}.
func (s *Server) archiveCustomer(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, func(body []byte) (*engine.ArchiveCustomer, error) {
		o, r, err := decodeObject(body)
		if err != nil {
			return nil, err
		}
		return &engine.ArchiveCustomer{ID: o.str("id", true)}, r.Err()
	})
}

// archiveContract serves POST /v1/contracts/archive {customer_id,
// contract_id, void_invoices} → {data:{id}}; void_invoices true voids the
// contract's finalized invoices too (engine.ArchiveContract).
func (s *Server) archiveContract(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, func(body []byte) (*engine.ArchiveContract, error) {
		o, r, err := decodeObject(body)
		if err != nil {
			return nil, err
		}
		cmd := &engine.ArchiveContract{CustomerID: o.str("customer_id", true), ContractID: o.str("contract_id", true)}
		cmd.VoidInvoices, _ = o.boolean("void_invoices", false)
		return cmd, r.Err()
	})
}

// setIngestAliases serves POST /v1/customers/{id}/setIngestAliases
// {ingest_aliases} → 200 with no body, as Metronome answers.
func (s *Server) setIngestAliases(ctx *fasthttp.RequestCtx, id string) error {
	_, _, err := decodeAndPropose(s, ctx, func(body []byte) (*engine.SetIngestAliases, error) {
		o, r, err := decodeObject(body)
		if err != nil {
			return nil, err
		}
		aliases := o.strList("ingest_aliases", true)
		if len(aliases) > engine.MaxIngestAliases {
			r.fail("ingest_aliases", "at most %d aliases", engine.MaxIngestAliases)
		}
		return &engine.SetIngestAliases{CustomerID: id, IngestAliases: orEmpty(aliases)}, r.Err()
	})
	if err != nil {
		return err
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	return nil
}

// setCustomerName serves POST /v1/customers/{id}/setName {name} →
// {data: Customer} (the name truncated to 160 characters, as at create).
func (s *Server) setCustomerName(ctx *fasthttp.RequestCtx, id string) error {
	cmd, _, err := decodeAndPropose(s, ctx, func(body []byte) (*engine.SetCustomerName, error) {
		o, r, err := decodeObject(body)
		if err != nil {
			return nil, err
		}
		return &engine.SetCustomerName{CustomerID: id, Name: truncateRunes(o.str("name", true), maxCustomerName)}, r.Err()
	})
	if err != nil {
		return err
	}
	out, ok, err := s.readCustomer(id)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("customer_id: customer %s not found", cmd.CustomerID)
	}
	return writeData(ctx, struct {
		ID            string            `json:"id"`
		ExternalID    string            `json:"external_id"`
		IngestAliases []string          `json:"ingest_aliases"`
		Name          string            `json:"name"`
		CustomFields  map[string]string `json:"custom_fields"`
	}{out.ID, out.ExternalID, out.IngestAliases, out.Name, out.CustomFields})
}

// billingProviderConfigOut is Metronome's customer billing provider
// configuration as setCustomerBillingProviderConfigurations and
// getCustomerBillingProviderConfigurations answer it.
type billingProviderConfigOut struct {
	ID                          string            `json:"id"`
	CustomerID                  string            `json:"customer_id"`
	BillingProvider             string            `json:"billing_provider"`
	DeliveryMethod              string            `json:"delivery_method"`
	Configuration               map[string]string `json:"configuration"`
	DeliveryMethodConfiguration map[string]string `json:"delivery_method_configuration"`
	DeliveryMethodID            *string           `json:"delivery_method_id"`
	ArchivedAt                  *string           `json:"archived_at"`
}

func renderBillingProviders(c *engine.Customer, from int) []billingProviderConfigOut {
	out := []billingProviderConfigOut{}
	for i := from; i < len(c.BillingProviders()); i++ {
		bp := c.BillingProviders()[i]
		out = append(out, billingProviderConfigOut{ID: engine.BillingProviderConfigID(c.ID, i), CustomerID: c.ID,
			BillingProvider: bp.BillingProvider, DeliveryMethod: bp.DeliveryMethod, Configuration: orEmptyMap(bp.Configuration),
			DeliveryMethodConfiguration: map[string]string{}})
	}
	return out
}

// decodeProviderConfiguration reads a billing provider configuration's
// configuration object: strings, and booleans kept as "true"/"false".
func decodeProviderConfiguration(c obj, r *reader) map[string]string {
	conf, ok := c.object("configuration", false)
	if !ok {
		return nil
	}
	conf.readAll()
	out := map[string]string{}
	for k, v := range conf.m {
		switch x := v.(type) {
		case nil:
		case string:
			out[k] = r.str(x, conf.sub(k), false)
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			r.fail(conf.sub(k), "expected a string or boolean, got %s", jsonType(v))
		}
	}
	return out
}

// decodeSetBillingProviders validates POST
// /v1/setCustomerBillingProviderConfigurations: one customer per request
// (every data[].customer_id the same), delivery_method required
// (delivery_method_id and tax_provider refused by name).
func decodeSetBillingProviders(body []byte) (*engine.AddBillingProviders, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	cmd := &engine.AddBillingProviders{}
	items := o.objects("data", true, 20)
	if len(items) == 0 && r.Err() == nil {
		r.fail("data", "at least one configuration is required")
	}
	for i, c := range items {
		cust := c.str("customer_id", true)
		if i == 0 {
			cmd.CustomerID = cust
		} else if cust != cmd.CustomerID && r.Err() == nil {
			r.fail(c.sub("customer_id"), "every configuration of one request must be for the same customer (send one request per customer)")
		}
		cmd.Configurations = append(cmd.Configurations, engine.BillingProviderConfig{
			BillingProvider: c.enum("billing_provider", true, engine.BillingProviders...),
			DeliveryMethod:  c.enum("delivery_method", true, engine.DeliveryMethods...),
			Configuration:   decodeProviderConfiguration(c, r),
		})
	}
	return cmd, r.Err()
}

// setBillingProviders serves POST
// /v1/setCustomerBillingProviderConfigurations → {data:[configuration]}:
// the configurations added, with their ids (a contract's
// billing_provider_configuration may then select stripe).
func (s *Server) setBillingProviders(ctx *fasthttp.RequestCtx, _ string) error {
	cmd, res, err := decodeAndPropose(s, ctx, decodeSetBillingProviders)
	if err != nil {
		return err
	}
	rd, ok, err := s.readCustomerByID(cmd.CustomerID)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("data[0].customer_id: customer %s not found", cmd.CustomerID)
	}
	c := rd.Customer
	for i := range c.BillingProviders() { // res.ID is the first added one's id
		if engine.BillingProviderConfigID(c.ID, i) == res.ID {
			out := renderBillingProviders(c, i)
			return writeData(ctx, out[:min(len(out), len(cmd.Configurations))])
		}
	}
	return notFound("data[0].customer_id: the configurations of customer %s were not found after they were added", c.ID)
}

// getBillingProviders serves POST /v1/getCustomerBillingProviderConfigurations
// {customer_id, include_archived} → {data:[configuration]} (none is ever
// archived: include_archived changes nothing).
func (s *Server) getBillingProviders(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	id := o.str("customer_id", true)
	o.boolean("include_archived", false)
	if err := r.Err(); err != nil {
		return err
	}
	if h := s.node.Engine().LookupCustomer(id); h == nil || h.ID != id {
		return notFound("customer_id: customer %s not found", id)
	}
	rd, ok, err := s.readCustomerByID(id)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("customer_id: customer %s not found", id)
	}
	return writeData(ctx, renderBillingProviders(rd.Customer, 0))
}
