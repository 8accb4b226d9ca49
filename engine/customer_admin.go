package engine

import (
	"strconv"
	"unicode/utf8"
)

// Customer administration after creation: archiving customers and
// contracts, replacing ingest aliases, renaming, and adding billing
// provider configurations (Metronome's customers/archive,
// contracts/archive, setIngestAliases, setName and
// setCustomerBillingProviderConfigurations). Each is a customer command of
// the one command table (registry.go); what changes the directory (aliases,
// the archived mark on a handle) is done by its Route, in log order on the
// apply goroutine, after every check, so the shard's handler cannot fail.

// Kinds of the customer administration commands.
const (
	KindArchiveCustomer     Kind = 12
	KindArchiveContract     Kind = 13
	KindSetIngestAliases    Kind = 14
	KindSetCustomerName     Kind = 15
	KindAddBillingProviders Kind = 16
)

// Bounds of what these commands carry, checked at the API edge and again
// here, since they reach the log.
const (
	// MaxIngestAliases is how many ingest aliases one customer may hold.
	MaxIngestAliases = 1000
	// MaxIngestAliasLen is the longest alias, in bytes.
	MaxIngestAliasLen = 4096
	// MaxCustomerName is the longest customer name, in characters
	// (Metronome truncates longer names to it).
	MaxCustomerName = 160
	// MaxBillingProviders is how many billing provider configurations one
	// customer may hold.
	MaxBillingProviders = 50
	// MaxProviderConfigKeys bounds one configuration's keys.
	MaxProviderConfigKeys = 50
	// MaxProviderValueLen bounds a configuration's keys and values, in bytes.
	MaxProviderValueLen = 4096
)

// ArchiveCustomer archives a customer: its contracts are archived (as
// ArchiveContract does) and its alerts archived without a notification; the
// customer stays readable, keeps its ingest aliases (still taken) and can
// never be unarchived. Archiving an archived customer changes nothing.
type ArchiveCustomer struct {
	ID string `msgpack:"ID"`
}

// ArchiveContract archives a contract: it no longer rates, entitles or
// moves (see Contract.Archived). VoidInvoices voids its finalized invoices
// too (refused, naming the invoice, when one of them cannot be voided).
type ArchiveContract struct {
	CustomerID   string `msgpack:"CustomerID"`
	ContractID   string `msgpack:"ContractID"`
	VoidInvoices bool   `msgpack:"VoidInvoices"`
}

// SetIngestAliases replaces a customer's ingest aliases.
type SetIngestAliases struct {
	CustomerID    string   `msgpack:"CustomerID"`
	IngestAliases []string `msgpack:"IngestAliases"`
}

// SetCustomerName renames a customer.
type SetCustomerName struct {
	CustomerID string `msgpack:"CustomerID"`
	Name       string `msgpack:"Name"`
}

// AddBillingProviders adds billing provider configurations to a customer,
// after those it has (setCustomerBillingProviderConfigurations).
type AddBillingProviders struct {
	CustomerID     string                  `msgpack:"CustomerID"`
	Configurations []BillingProviderConfig `msgpack:"Configurations"`
}

func (*ArchiveCustomer) Kind() Kind     { return KindArchiveCustomer }
func (*ArchiveContract) Kind() Kind     { return KindArchiveContract }
func (*SetIngestAliases) Kind() Kind    { return KindSetIngestAliases }
func (*SetCustomerName) Kind() Kind     { return KindSetCustomerName }
func (*AddBillingProviders) Kind() Kind { return KindAddBillingProviders }

// BillingProviderConfigID is the id of a customer's billing provider
// configuration: derived from the customer and its position, which never
// changes (configurations are only appended).
func BillingProviderConfigID(customerID string, i int) string {
	return DeriveID(customerID, "billing_provider_configuration", strconv.Itoa(i))
}

// IsArchived reports whether the customer was archived.
func (c *Customer) IsArchived() bool { return c.ArchivedAt() != 0 }

// Updated is when the customer last changed: UpdatedAt, or CreatedAt for
// a customer no command has changed since its creation.
func (c *Customer) Updated() Nanos {
	if u := c.UpdatedAt(); u != 0 {
		return u
	}
	return c.CreatedAt
}

// routeArchiveCustomer marks the handle archived, so later commands in
// the log find the customer archived (batch.add).
func routeArchiveCustomer(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	id := cmd.(*ArchiveCustomer).ID
	h := b.e.dir.lookup(id)
	if h == nil || h.ID != id {
		return nil, errorf(NotFound, "id: customer %s not found", id)
	}
	h.archived.Store(true)
	return h, nil
}

func applyArchiveCustomer(_ *shard, t *task, c *Customer, _ *Catalog, now Nanos) {
	t.res.ID = c.ID
	if c.IsArchived() {
		return
	}
	c.SetAdmin(now, now)
	for _, k := range c.Contracts {
		c.archiveContract(k, now)
	}
	for _, a := range c.Alerts {
		if a.Active() {
			a.archive(now)
		}
	}
}

func routeArchiveContract(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	return routeToCustomer(b, cmd.(*ArchiveContract).CustomerID)
}

func validateArchiveContract(c *Customer, command Command, cat *Catalog, _ Nanos) *Error {
	cmd := command.(*ArchiveContract)
	if c == nil {
		return errorf(NotFound, "customer_id: customer %s not found", cmd.CustomerID)
	}
	if c.Contract(cmd.ContractID) == nil {
		return errorf(NotFound, "contract_id: contract %s not found", cmd.ContractID)
	}
	if !cmd.VoidInvoices {
		return nil
	}
	k := c.Contract(cmd.ContractID)
	if k.Archived {
		return errorf(Invalid, "void_invoices: contract %s is already archived; void its invoices one by one with invoices/void", k.ID)
	}
	for _, inv := range k.Invoices {
		if inv.Status != InvoiceFinalized {
			continue
		}
		if why := unvoidable(c, k, inv, cat); why != "" {
			return errorf(Invalid, "void_invoices: %s; archive it with void_invoices false", why)
		}
	}
	return nil
}

// applyArchiveContract archives the contract, first voiding its finalized
// invoices when asked (each gives back what it drew, as invoices/void).
func applyArchiveContract(s *shard, t *task, c *Customer, _ *Catalog, now Nanos) {
	cmd := t.cmd.(*ArchiveContract)
	k := c.Contract(cmd.ContractID)
	if cmd.VoidInvoices {
		for _, inv := range k.Invoices {
			if inv.Status == InvoiceFinalized {
				s.voidInvoice(c, k, inv, now)
			}
		}
	}
	c.archiveContract(k, now)
	t.res.ID = k.ID
}

// archive archives the contract at now (nothing if it is already): it
// stops rating, entitling and moving (InForce is false; transitions skip
// it), its draft invoices are canceled (removed: nothing was billed on
// them), its active commits, credits and scheduled charges archived.
// Finalized invoices stay as they are.
func (k *Contract) archive(now Nanos) {
	if k.Archived {
		return
	}
	k.Archived = true
	k.EditExtra(func(x *ContractExtra) { x.ArchivedAt = now })
	kept := k.Invoices[:0]
	for _, inv := range k.Invoices {
		if inv.Status != InvoiceDraft {
			kept = append(kept, inv)
		}
	}
	clear(k.Invoices[len(kept):])
	k.Invoices = kept
	for _, cm := range k.Balances {
		cm.archive(now)
	}
	for _, ch := range k.ScheduledCharges() {
		if ch.ArchivedAt == 0 {
			ch.ArchivedAt = now
		}
	}
}

// routeSetIngestAliases checks the new aliases against the directory and
// moves them there: the customer's old aliases that it no longer lists
// stop resolving, the new ones resolve to it.
func routeSetIngestAliases(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	c := cmd.(*SetIngestAliases)
	h := b.e.dir.lookup(c.CustomerID)
	if h == nil || h.ID != c.CustomerID {
		return nil, errorf(NotFound, "customer_id: customer %s not found", c.CustomerID)
	}
	if len(c.IngestAliases) > MaxIngestAliases {
		return nil, errorf(Invalid, "ingest_aliases: at most %d aliases", MaxIngestAliases)
	}
	seen := make(map[string]bool, len(c.IngestAliases))
	for i, a := range c.IngestAliases {
		switch {
		case a == "" || len(a) > MaxIngestAliasLen:
			return nil, errorf(Invalid, "ingest_aliases[%d]: must be 1 to %d bytes", i, MaxIngestAliasLen)
		case seen[a]:
			return nil, errorf(Invalid, "ingest_aliases[%d]: alias %q is listed twice", i, a)
		}
		seen[a] = true
		if o := b.e.dir.lookup(a); o != nil && o != h {
			return nil, errorf(Conflict, "ingest_aliases[%d]: ingest alias %q is already in use", i, a)
		}
	}
	if h.archived.Load() {
		return nil, errorf(Invalid, "customer_id: customer %s is archived", h.ID)
	}
	for _, a := range h.aliases {
		if !seen[a] && a != h.ID { // the customer's own id resolves to it anyway
			b.e.dir.remove(a)
		}
	}
	for _, a := range c.IngestAliases {
		if a != h.ID {
			b.e.dir.insert(a, h)
		}
	}
	h.aliases = append([]string(nil), c.IngestAliases...)
	return h, nil
}

func applySetIngestAliases(_ *shard, t *task, c *Customer, _ *Catalog, now Nanos) {
	c.IngestAliases = append([]string{}, t.cmd.(*SetIngestAliases).IngestAliases...)
	c.SetAdmin(now, c.ArchivedAt())
	t.res.ID = c.ID
}

func routeSetCustomerName(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	id := cmd.(*SetCustomerName).CustomerID
	h := b.e.dir.lookup(id)
	if h == nil || h.ID != id {
		return nil, errorf(NotFound, "customer_id: customer %s not found", id)
	}
	return h, nil
}

func validateSetCustomerName(_ *Customer, command Command, _ *Catalog, _ Nanos) *Error {
	name := command.(*SetCustomerName).Name
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxCustomerName {
		return errorf(Invalid, "name: must be 1 to %d characters of UTF-8", MaxCustomerName)
	}
	return nil
}

func applySetCustomerName(_ *shard, t *task, c *Customer, _ *Catalog, now Nanos) {
	c.Name = t.cmd.(*SetCustomerName).Name
	c.SetAdmin(now, c.ArchivedAt())
	t.res.ID = c.ID
}

func routeAddBillingProviders(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	id := cmd.(*AddBillingProviders).CustomerID
	h := b.e.dir.lookup(id)
	if h == nil || h.ID != id {
		return nil, errorf(NotFound, "data[0].customer_id: customer %s not found", id)
	}
	return h, nil
}

// BillingProviders are the providers a billing provider configuration
// may name (Metronome's BillingProviderType).
var BillingProviders = []string{"aws_marketplace", "azure_marketplace", "gcp_marketplace", "stripe", "netsuite", "custom", "quickbooks_online", "workday"}

// DeliveryMethods are the delivery methods a configuration may name.
var DeliveryMethods = []string{DeliveryDirect, "aws_sqs", "tackle", "aws_sns"}

func validateAddBillingProviders(c *Customer, command Command, _ *Catalog, _ Nanos) *Error {
	cmd := command.(*AddBillingProviders)
	if len(cmd.Configurations) == 0 {
		return errorf(Invalid, "data: at least one configuration is required")
	}
	if len(c.BillingProviders())+len(cmd.Configurations) > MaxBillingProviders {
		return errorf(Invalid, "data: a customer holds at most %d billing provider configurations (it has %d)", MaxBillingProviders, len(c.BillingProviders()))
	}
	for i, bp := range cmd.Configurations {
		switch {
		case !contains(BillingProviders, bp.BillingProvider):
			return errorf(Invalid, "data[%d].billing_provider: %q is not a billing provider", i, bp.BillingProvider)
		case !contains(DeliveryMethods, bp.DeliveryMethod):
			return errorf(Invalid, "data[%d].delivery_method: %q is not a delivery method", i, bp.DeliveryMethod)
		case len(bp.Configuration) > MaxProviderConfigKeys:
			return errorf(Invalid, "data[%d].configuration: at most %d keys", i, MaxProviderConfigKeys)
		}
		for k, v := range bp.Configuration {
			if len(k) > MaxProviderValueLen || len(v) > MaxProviderValueLen {
				return errorf(Invalid, "data[%d].configuration: keys and values are at most %d bytes", i, MaxProviderValueLen)
			}
		}
	}
	return nil
}

// applyAddBillingProviders appends the configurations; the result's ID is
// the first one's (BillingProviderConfigID), the others follow it.
func applyAddBillingProviders(_ *shard, t *task, c *Customer, _ *Catalog, now Nanos) {
	t.res.ID = BillingProviderConfigID(c.ID, len(c.BillingProviders()))
	for _, bp := range t.cmd.(*AddBillingProviders).Configurations {
		conf := make(map[string]string, len(bp.Configuration))
		for k, v := range bp.Configuration {
			conf[k] = v
		}
		bp.Configuration = conf
		c.EditExtra(func(x *CustomerExtra) { x.BillingProviders = append(x.BillingProviders, bp) })
	}
	c.SetAdmin(now, c.ArchivedAt())
}

// CustomerAdmin is when a command last changed a customer's own fields
// (name, aliases, billing providers, archive; 0: never since its creation,
// see Updated) and when it was archived (0: not archived).
type CustomerAdmin struct {
	UpdatedAt  Nanos `msgpack:"UpdatedAt"`
	ArchivedAt Nanos `msgpack:"ArchivedAt"`
}

// UpdatedAt is when a command last changed the customer's own fields (0:
// never since its creation).
func (c *Customer) UpdatedAt() Nanos {
	if c.Admin == nil {
		return 0
	}
	return c.Admin.UpdatedAt
}

// ArchivedAt is when the customer was archived (0: not archived).
func (c *Customer) ArchivedAt() Nanos {
	if c.Admin == nil {
		return 0
	}
	return c.Admin.ArchivedAt
}

// SetAdmin stores the two times, or nil when both are 0. It replaces the
// struct rather than change it, so a copy of the customer keeps its own.
func (c *Customer) SetAdmin(updatedAt, archivedAt Nanos) {
	if updatedAt == 0 && archivedAt == 0 {
		c.Admin = nil
		return
	}
	c.Admin = &CustomerAdmin{UpdatedAt: updatedAt, ArchivedAt: archivedAt}
}
