package importer

import (
	"context"
	"fmt"
	"slices"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
)

// customers copies the active customers: name, ingest aliases, custom
// fields and billing provider configurations. A customer already imported
// gets its aliases and billing providers brought in line.
func (r *run) customers(ctx context.Context) error {
	src, err := listCustomers(ctx, r.src)
	if err != nil {
		return err
	}
	dst, err := listCustomers(ctx, r.dst)
	if err != nil {
		return err
	}
	imported := map[string]customer{}
	for _, cu := range dst {
		if id := cu.CustomFields[SourceIDField]; id != "" {
			imported[id] = cu
		}
	}
	c := r.rep.kind(kindCustomers)
	for _, cu := range src {
		c.Source++
		providers, err := r.billingProviders(ctx, r.src, cu.ID)
		if err != nil {
			return err
		}
		have, ok := imported[cu.ID]
		if !ok {
			id, err := r.create(ctx, kindCustomers, "v1/customers", cu.ID, r.customerBody(cu, providers))
			if err != nil {
				return fmt.Errorf("customer %s (%q): %w", cu.ID, cu.Name, err)
			}
			r.mapID(kindCustomers, cu.ID, id)
			c.Created++
			continue
		}
		r.mapID(kindCustomers, cu.ID, have.ID)
		changed, err := r.syncCustomer(ctx, cu, have, providers)
		if err != nil {
			return fmt.Errorf("customer %s (%q): %w", cu.ID, cu.Name, err)
		}
		if changed {
			c.Updated++
		} else {
			c.Existing++
		}
	}
	return nil
}

func listCustomers(ctx context.Context, a *api) ([]customer, error) {
	out, err := collect[metronome.CustomerDetail, customer](a.sdk.V1.Customers.ListAutoPaging(ctx, metronome.V1CustomerListParams{}))
	if err != nil {
		return nil, fmt.Errorf("%s: list customers: %w", a.name, err)
	}
	return out, nil
}

// billingProviders are a customer's live billing provider configurations.
func (r *run) billingProviders(ctx context.Context, a *api, customerID string) ([]billingProviderConfig, error) {
	if isDry(customerID) {
		return nil, nil
	}
	res, err := a.sdk.V1.Customers.GetBillingConfigurations(ctx, metronome.V1CustomerGetBillingConfigurationsParams{CustomerID: customerID})
	if err != nil {
		return nil, fmt.Errorf("%s: billing provider configurations of %s: %w", a.name, customerID, err)
	}
	var body struct {
		Data []billingProviderConfig `json:"data"`
	}
	if err := decode(res.RawJSON(), &body); err != nil {
		return nil, fmt.Errorf("%s: billing provider configurations of %s: %w", a.name, customerID, err)
	}
	live := body.Data[:0]
	for _, p := range body.Data {
		if p.ArchivedAt == nil {
			live = append(live, p)
		}
	}
	return live, nil
}

func (r *run) customerBody(cu customer, providers []billingProviderConfig) map[string]any {
	body := map[string]any{"name": cu.Name, "custom_fields": marked(cu.CustomFields, cu.ID)}
	if len(cu.IngestAliases) > 0 {
		body["ingest_aliases"] = cu.IngestAliases
	}
	if len(providers) > 0 {
		var list []map[string]any
		for _, p := range providers {
			list = append(list, providerBody(p))
		}
		body["customer_billing_provider_configurations"] = list
	}
	return body
}

func providerBody(p billingProviderConfig) map[string]any {
	return map[string]any{"billing_provider": p.BillingProvider, "delivery_method": p.DeliveryMethod, "configuration": p.Configuration}
}

// syncCustomer brings an imported customer's aliases and billing providers
// in line with the source's; it reports whether it changed anything.
func (r *run) syncCustomer(ctx context.Context, cu, have customer, providers []billingProviderConfig) (bool, error) {
	changed := false
	if !sameSet(cu.IngestAliases, have.IngestAliases) {
		changed = true
		if !r.cfg.DryRun {
			if err := r.dst.sdk.V1.Customers.SetIngestAliases(ctx, metronome.V1CustomerSetIngestAliasesParams{
				CustomerID: have.ID, IngestAliases: orEmptyList(cu.IngestAliases)}); err != nil {
				return false, fmt.Errorf("target: set ingest aliases: %w", err)
			}
		}
	}
	haveProviders, err := r.billingProviders(ctx, r.dst, have.ID)
	if err != nil {
		return false, err
	}
	var missing []map[string]any
	for _, p := range providers {
		if !slices.ContainsFunc(haveProviders, func(h billingProviderConfig) bool { return sameProvider(p, h) }) {
			body := providerBody(p)
			body["customer_id"] = have.ID
			missing = append(missing, body)
		}
	}
	if len(missing) == 0 {
		return changed, nil
	}
	if !r.cfg.DryRun {
		if err := r.dst.post(ctx, "v1/setCustomerBillingProviderConfigurations", map[string]any{"data": missing}, nil,
			idempotencyKey("billing-providers", cu.ID)); err != nil {
			return false, err
		}
	}
	return true, nil
}

// sameProvider says whether two billing provider configurations link the
// same account the same way.
func sameProvider(a, b billingProviderConfig) bool {
	if a.BillingProvider != b.BillingProvider || a.DeliveryMethod != b.DeliveryMethod || len(a.Configuration) != len(b.Configuration) {
		return false
	}
	for k, v := range a.Configuration {
		if fmt.Sprint(b.Configuration[k]) != fmt.Sprint(v) {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func orEmptyList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
