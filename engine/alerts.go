package engine

import (
	"encoding/json"
	"sort"
	"strconv"

	"burndown/money"
)

// Alerts (threshold notifications). An alert belongs to one customer and is
// evaluated on the apply that changes its input: at the end of every shard
// run, for every customer the run changed (and at once by the commands that
// must answer from a fresh state: create, reset, consume). A transition
// from ok (or evaluating) into alarm queues an "alerts.<type>" notification,
// a transition back to ok an "alerts.<type>_resolved" one; both get ids
// derived from the log entry that caused them (see Engine.TakeNotifications),
// never from a clock or randomness.
//
// What each type watches, for the contract in force at the stamped time:
//   - spend_threshold_reached: the usage spend (before burn-down) of the
//     statement period in force, in the alert's credit type; with a group
//     value, only the spend of events whose property key has that value.
//     In alarm when it reaches the threshold (≥). A new period starts at 0.
//   - invoice_total_reached: the total (after burn-down) of the usage
//     invoice of the period in force, in the alert's credit type (≥); a
//     SCHEDULED invoice (scheduled_invoice.go) is never that invoice.
//   - low_remaining_commit_balance_reached: the sum of the commits' balances
//     (PREPAID and POSTPAID) in the credit type, in alarm when it falls to
//     the threshold (≤); credits: CREDIT balances; credit_and_commit: both.
//     Evaluated only while at least one such balance has a segment in force.
//   - usage_threshold_reached: the quantity of the alert's billable metric
//     in the statement period in force, before burn-down, as rating
//     aggregates it (the sum for COUNT and SUM, the maximum for MAX, the
//     distinct values for UNIQUE, the latest value for LATEST), before a
//     product's quantity conversion and rounding. Rating keeps that
//     aggregate per product the metric feeds (an event counts for a product
//     only when the customer's rate card prices and entitles it), so when
//     the metric feeds several products the value is the largest of their
//     aggregates; it is read from the invoice of the period (its usage
//     lines, or its period aggregates), so it needs no state of its own and
//     counts the whole period, usage before the alert was created included.
//     With a group value, only the usage of that value of a pricing or
//     presentation group key of the product counts. In alarm at or above
//     the threshold (≥); a new period starts at 0.
//
// Percentages, days and monthly invoice totals: alert_kinds.go.

// Alert types this engine evaluates.
const (
	AlertSpend                 = "spend_threshold_reached"
	AlertInvoiceTotal          = "invoice_total_reached"
	AlertLowCommit             = "low_remaining_commit_balance_reached"
	AlertLowCredit             = "low_remaining_contract_credit_balance_reached"
	AlertLowCreditAndCommit    = "low_remaining_contract_credit_and_commit_balance_reached"
	AlertUsage                 = "usage_threshold_reached"
	alertResolvedSuffix        = "_resolved"
	notificationTypeAlertsPref = "alerts."
)

// AlertTypes lists the alert types the engine evaluates, for the API edge.
var AlertTypes = []string{AlertSpend, AlertInvoiceTotal, AlertLowCommit, AlertLowCredit, AlertLowCreditAndCommit, AlertUsage,
	AlertLowCommitPercent, AlertLowCreditPercent, AlertCommitDays, AlertCreditDays, AlertMonthlyInvoiceTotal}

// AlertStatus is where an alert's evaluation stands for its customer: a
// byte, not the name, so that Alert keeps a usage alert's metric within
// its 128 bytes (BenchmarkMemoryLayers' +usage alert layer). String gives Metronome's
// name, which is what the API and the customer layout carry.
type AlertStatus uint8

// Alert statuses per customer, as Metronome names them (String). The zero
// value is an archived alert's: it has no status.
const (
	AlertArchived AlertStatus = iota
	AlertOK
	AlertInAlarm
	AlertEvaluating
)

var alertStatusNames = [...]string{AlertArchived: "", AlertOK: "ok", AlertInAlarm: "in_alarm", AlertEvaluating: "evaluating"}

// String is the status as Metronome names it ("" for an archived alert's).
func (st AlertStatus) String() string {
	if int(st) < len(alertStatusNames) {
		return alertStatusNames[st]
	}
	return "unknown"
}

// ParseAlertStatus reads a status by its name, as String writes it; ok is
// false for a name no build wrote.
func ParseAlertStatus(name string) (st AlertStatus, ok bool) {
	for i, n := range alertStatusNames {
		if n == name {
			return AlertStatus(i), true
		}
	}
	return 0, false
}

// Alert is one customer's alert: its definition and its status.
type Alert struct {
	ID           string       `msgpack:"ID"`
	Name         string       `msgpack:"Name"`
	Type         string       `msgpack:"Type"`
	Threshold    money.Amount `msgpack:"Threshold"`
	CreditTypeID string       `msgpack:"CreditTypeID"`
	// BillableMetricID is a usage alert's metric ("" for the other types,
	// whose CreditTypeID is set instead). It was AlertExtra's until the
	// status became a byte, which made room for it here: every usage
	// alert has one, and it cost the alert a 144-byte extra. The customer
	// layout keeps it in the credit type's place (see
	// persist/customer_codec.go): no new layout.
	BillableMetricID string `msgpack:"BillableMetricID,omitempty"`
	// BlockOnAlarm makes the alert a hard limit: while it is in alarm the
	// entitlement check answers limit_reached (for its group value only,
	// when it has one).
	BlockOnAlarm bool `msgpack:"BlockOnAlarm"`
	// KeyReleased: archived with release_uniqueness_key; the key may be
	// reused. (Next to BlockOnAlarm and Status: the three share one word.)
	KeyReleased bool `msgpack:"KeyReleased"`
	// Status is ok, in_alarm or evaluating (AlertArchived once archived).
	Status    AlertStatus `msgpack:"Status"`
	CreatedAt Nanos       `msgpack:"CreatedAt"`
	UpdatedAt Nanos       `msgpack:"UpdatedAt"`
	// Extra holds the fields few alerts set (nil for the others, so an
	// alert does not carry them empty: BenchmarkMemoryPerCustomer). Read
	// through InvoiceTypesFilter, GroupInvoiceID, GroupInvoiceStart,
	// GroupSpend and ArchivedAt; set through SetExtra (restore) or in
	// place by the engine (an alert is never copied).
	Extra *AlertExtra `msgpack:"Extra,omitempty"`
}

// AlertExtra holds an alert's rarely set fields.
type AlertExtra struct {
	// GroupKey and GroupValue scope a spend alert to the events whose
	// property GroupKey has GroupValue, a usage alert to the usage of that
	// value of the products' group key GroupKey ("": unscoped).
	GroupKey   string `msgpack:"GroupKey"`
	GroupValue string `msgpack:"GroupValue"`
	// UniquenessKey is the uniqueness_key the alert was created with.
	UniquenessKey string `msgpack:"UniquenessKey"`
	// InvoiceTypesFilter is kept as given (the API takes USAGE only: the
	// alert watches the usage invoice, never a SCHEDULED one).
	InvoiceTypesFilter []string `msgpack:"InvoiceTypesFilter"`
	// GroupInvoiceID and GroupSpend track a scoped spend alert's spend: the
	// spend of the matching events rated on that invoice.
	GroupInvoiceID    string       `msgpack:"GroupInvoiceID"`
	GroupInvoiceStart Nanos        `msgpack:"GroupInvoiceStart"`
	GroupSpend        money.Amount `msgpack:"GroupSpend"`
	// ArchivedAt is when the alert was archived (0: it is active). It was
	// the alert's own field until it moved here (Alert 136 -> 128 bytes);
	// the customer layout writes it where it did.
	ArchivedAt Nanos `msgpack:"ArchivedAt"`
}

// ArchivedAt is when the alert was archived (0: it is active).
func (a *Alert) ArchivedAt() Nanos {
	if a.Extra == nil {
		return 0
	}
	return a.Extra.ArchivedAt
}

// archive archives the alert at now.
func (a *Alert) archive(now Nanos) {
	if a.Extra == nil {
		a.Extra = &AlertExtra{}
	}
	a.Extra.ArchivedAt, a.UpdatedAt, a.Status = now, now, AlertArchived
}

// UniquenessKey is the uniqueness_key the alert was created with ("":
// none).
func (a *Alert) UniquenessKey() string {
	if a.Extra == nil {
		return ""
	}
	return a.Extra.UniquenessKey
}

// InvoiceTypesFilter is the alert's invoice_types_filter, as given.
func (a *Alert) InvoiceTypesFilter() []string {
	if a.Extra == nil {
		return nil
	}
	return a.Extra.InvoiceTypesFilter
}

// GroupKey is the property (spend alert) or group key (usage alert) the
// alert is scoped to ("": unscoped).
func (a *Alert) GroupKey() string {
	if a.Extra == nil {
		return ""
	}
	return a.Extra.GroupKey
}

// GroupValue is the value of GroupKey the alert is scoped to.
func (a *Alert) GroupValue() string {
	if a.Extra == nil {
		return ""
	}
	return a.Extra.GroupValue
}

// GroupInvoiceID is the invoice a scoped spend alert's GroupSpend is of.
func (a *Alert) GroupInvoiceID() string {
	if a.Extra == nil {
		return ""
	}
	return a.Extra.GroupInvoiceID
}

// GroupInvoiceStart is the start of GroupInvoiceID's period.
func (a *Alert) GroupInvoiceStart() Nanos {
	if a.Extra == nil {
		return 0
	}
	return a.Extra.GroupInvoiceStart
}

// GroupSpend is a scoped spend alert's spend on GroupInvoiceID.
func (a *Alert) GroupSpend() money.Amount {
	if a.Extra == nil {
		return money.Amount{}
	}
	return a.Extra.GroupSpend
}

// SetExtra stores the alert's rarely set fields, or nil when x holds none
// (a spend of zero counts as none only in its zero value's form: 0.00 is
// kept, so it is written back as it was read).
func (a *Alert) SetExtra(x AlertExtra) {
	if x.GroupKey == "" && x.GroupValue == "" && x.UniquenessKey == "" && x.InvoiceTypesFilter == nil &&
		x.GroupInvoiceID == "" && x.GroupInvoiceStart == 0 && x.GroupSpend == (money.Amount{}) && x.ArchivedAt == 0 {
		a.Extra = nil
		return
	}
	// A copy, so x itself stays on the stack: &x would move every call's
	// x to the heap, the empty ones too (garbage in the size class the
	// alerts live in, BenchmarkMemoryPerCustomer).
	kept := new(AlertExtra)
	*kept = x
	a.Extra = kept
}

// Active reports whether the alert is evaluated (not archived).
func (a *Alert) Active() bool { return a.ArchivedAt() == 0 }

// GroupValue is one {key, value} of an alert's group_values.
type GroupValue struct {
	Key   string `msgpack:"Key"`
	Value string `msgpack:"Value"`
}

// CreateAlert is /v1/alerts/create for one customer.
type CreateAlert struct {
	CustomerID   string       `msgpack:"CustomerID"`
	Name         string       `msgpack:"Name"`
	Type         string       `msgpack:"Type"`
	Threshold    money.Amount `msgpack:"Threshold"`
	CreditTypeID string       `msgpack:"CreditTypeID"`
	// BillableMetricID is a usage_threshold_reached alert's metric (added
	// with usage alerts: older entries never carry it).
	BillableMetricID   string       `msgpack:"BillableMetricID,omitempty"`
	GroupValues        []GroupValue `msgpack:"GroupValues"`
	InvoiceTypesFilter []string     `msgpack:"InvoiceTypesFilter"`
	BlockOnAlarm       bool         `msgpack:"BlockOnAlarm"`
	// EvaluateOnCreate: a customer already past the threshold is notified at
	// once. Without it the alert takes the customer's status silently and
	// only a later crossing notifies.
	EvaluateOnCreate bool   `msgpack:"EvaluateOnCreate"`
	UniquenessKey    string `msgpack:"UniquenessKey"`
}

// ArchiveAlert is /v1/alerts/archive.
type ArchiveAlert struct {
	AlertID              string `msgpack:"AlertID"`
	ReleaseUniquenessKey bool   `msgpack:"ReleaseUniquenessKey"`
}

// ResetAlert is /v1/customer-alerts/reset: the customer's status is
// forgotten and evaluated again at once (a crossing notifies again).
type ResetAlert struct {
	CustomerID string `msgpack:"CustomerID"`
	AlertID    string `msgpack:"AlertID"`
}

func (*CreateAlert) Kind() Kind  { return KindCreateAlert }
func (*ArchiveAlert) Kind() Kind { return KindArchiveAlert }
func (*ResetAlert) Kind() Kind   { return KindResetAlert }

// Alert command kinds (numbered apart from the rest so parallel work on
// other commands cannot collide with them).
const (
	KindCreateAlert  Kind = 30
	KindArchiveAlert Kind = 31
	KindResetAlert   Kind = 32
	KindConsume      Kind = 33
)

func routeCreateAlert(b *batch, pos int, cmd Command) (*CustomerHandle, *Error) {
	h, err := routeToCustomer(b, cmd.(*CreateAlert).CustomerID)
	if err != nil {
		return nil, err
	}
	id := b.e.ids.entryID(b.index, pos, "alert")
	b.e.alertOwners.store(id, h)
	b.results[pos].ID = id
	return h, nil
}

func routeArchiveAlert(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	id := cmd.(*ArchiveAlert).AlertID
	if h, ok := b.e.alertOwners.load(id); ok {
		return h, nil
	}
	return nil, errorf(NotFound, "id: alert %s not found", id)
}

func routeResetAlert(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	return routeToCustomer(b, cmd.(*ResetAlert).CustomerID)
}

// AlertOwner returns the customer id an alert belongs to ("" if unknown).
func (e *Engine) AlertOwner(alertID string) string {
	if h, ok := e.alertOwners.load(alertID); ok {
		return h.ID
	}
	return ""
}

// validateCreateAlert checks an alert against the catalog and the
// customer's alerts, before the gate.
func validateCreateAlert(c *Customer, command Command, cat *Catalog, _ Nanos) *Error {
	cmd := command.(*CreateAlert)
	if c == nil {
		return errorf(NotFound, "customer_id: customer %s not found", cmd.CustomerID)
	}
	if why, ok := RefusedAlertTypes[cmd.Type]; ok {
		return errorf(Invalid, "alert_type: %s is not supported: %s", cmd.Type, why)
	}
	if !contains(AlertTypes, cmd.Type) {
		return errorf(Invalid, "alert_type: %q is not supported", cmd.Type)
	}
	if err := validateAlertCreditType(cmd, cat); err != nil {
		return err
	}
	if _, err := inputAmount(cmd.Threshold); err != nil {
		return errorf(Invalid, "threshold: %v", err)
	}
	if err := validateAlertThreshold(cmd); err != nil {
		return err
	}
	if len(cmd.GroupValues) > 1 {
		return errorf(Invalid, "group_values: at most one group value is supported")
	}
	if len(cmd.GroupValues) == 1 && cmd.Type != AlertSpend && cmd.Type != AlertUsage {
		return errorf(Invalid, "group_values: only spend_threshold_reached and usage_threshold_reached alerts take group values")
	}
	if len(cmd.GroupValues) == 1 && cmd.Type == AlertUsage && !metricGroupKey(cat, cmd.BillableMetricID, cmd.GroupValues[0].Key) {
		return errorf(Invalid, "group_values: %q is not a pricing or presentation group key of a product billable metric %s feeds",
			cmd.GroupValues[0].Key, cmd.BillableMetricID)
	}
	if cmd.UniquenessKey != "" {
		for _, a := range c.Alerts {
			if a.UniquenessKey() == cmd.UniquenessKey && !a.KeyReleased {
				return errorf(Conflict, "uniqueness_key: This uniqueness key has already been used.")
			}
		}
	}
	return nil
}

// validateAlertCreditType checks the alert's credit type or billable metric:
// a usage alert counts a metric's quantity, the others an amount of a
// credit type (USD when none is given).
func validateAlertCreditType(cmd *CreateAlert, cat *Catalog) *Error {
	if cmd.Type == AlertUsage {
		switch {
		case cmd.CreditTypeID != "":
			return errorf(Invalid, "credit_type_id: a usage_threshold_reached alert counts a quantity, not an amount of a credit type")
		case cmd.BillableMetricID == "":
			return errorf(Invalid, "billable_metric_id: is required for usage_threshold_reached alerts")
		case cat.Metrics[cmd.BillableMetricID] == nil:
			return errorf(NotFound, "billable_metric_id: billable metric %s not found", cmd.BillableMetricID)
		}
		return nil
	}
	if cmd.BillableMetricID != "" {
		return errorf(Invalid, "billable_metric_id: only usage_threshold_reached alerts take a billable metric")
	}
	if ct := alertCreditType(cmd); ct != "" {
		if _, ok := cat.CreditTypes[ct]; !ok {
			return errorf(NotFound, "credit_type_id: credit type %s not found", ct)
		}
	}
	return nil
}

// alertCreditType is the credit type an alert counts in: the one given,
// USD for amount alerts without one, none for usage alerts and days
// alerts without one (those watch segments of every credit type).
func alertCreditType(cmd *CreateAlert) string {
	if cmd.CreditTypeID == "" && cmd.Type != AlertUsage && !daysAlert(cmd.Type) {
		return USDCreditTypeID
	}
	return cmd.CreditTypeID
}

func applyCreateAlert(s *shard, t *task, c *Customer, cat *Catalog, now Nanos) {
	cmd := t.cmd.(*CreateAlert)
	id := t.res.ID
	ct := alertCreditType(cmd)
	th, _ := inputAmount(cmd.Threshold) // validated
	a := &Alert{
		ID: id, Name: cmd.Name, Type: internOf(AlertTypes, cmd.Type), Threshold: th, CreditTypeID: cat.creditTypeID(ct),
		BillableMetricID: cat.metricID(cmd.BillableMetricID), BlockOnAlarm: cmd.BlockOnAlarm,
		CreatedAt: now, UpdatedAt: now, Status: AlertEvaluating,
	}
	x := AlertExtra{UniquenessKey: cmd.UniquenessKey, InvoiceTypesFilter: cmd.InvoiceTypesFilter}
	if len(cmd.GroupValues) == 1 {
		x.GroupKey, x.GroupValue = cmd.GroupValues[0].Key, cmd.GroupValues[0].Value
		// A scoped alert counts only what is rated from now on: the spend
		// of earlier events of the group was not tracked.
	}
	a.SetExtra(x)
	c.Alerts = append(c.Alerts, a)
	s.evaluateAlert(c, a, cat, now, !cmd.EvaluateOnCreate)
	t.res.ID = id
}

// activeAlert returns the customer's active alert by id, or nil (c may be
// nil).
func (c *Customer) activeAlert(id string) *Alert {
	if c == nil {
		return nil
	}
	if a := c.alert(id); a != nil && a.Active() {
		return a
	}
	return nil
}

func validateArchiveAlert(c *Customer, cmd Command, _ *Catalog, _ Nanos) *Error {
	if id := cmd.(*ArchiveAlert).AlertID; c.activeAlert(id) == nil {
		return errorf(NotFound, "id: alert %s not found", id)
	}
	return nil
}

func applyArchiveAlert(s *shard, t *task, c *Customer, cat *Catalog, now Nanos) {
	cmd := t.cmd.(*ArchiveAlert)
	a := c.activeAlert(cmd.AlertID)
	if a.Status == AlertInAlarm {
		s.notifyAlert(c, a, cat, now, true)
	}
	a.archive(now)
	if cmd.ReleaseUniquenessKey {
		a.KeyReleased = true
	}
	t.res.ID = a.ID
}

func validateResetAlert(c *Customer, command Command, _ *Catalog, _ Nanos) *Error {
	if cmd := command.(*ResetAlert); c.activeAlert(cmd.AlertID) == nil {
		return errorf(NotFound, "alert_id: alert %s not found for customer %s", cmd.AlertID, cmd.CustomerID)
	}
	return nil
}

func applyResetAlert(s *shard, t *task, c *Customer, cat *Catalog, now Nanos) {
	cmd := t.cmd.(*ResetAlert)
	a := c.activeAlert(cmd.AlertID)
	a.Status, a.UpdatedAt = AlertEvaluating, now
	s.evaluateAlert(c, a, cat, now, false)
	t.res.ID = a.ID
}

// alert returns the customer's alert by id, or nil.
func (c *Customer) alert(id string) *Alert {
	for _, a := range c.Alerts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// Alert returns the customer's alert by id, or nil (for reads).
func (c *Customer) Alert(id string) *Alert { return c.alert(id) }

// evaluateAlerts evaluates every active alert of a customer the run changed.
func (s *shard) evaluateAlerts(c *Customer, cat *Catalog, now Nanos) {
	for _, a := range c.Alerts {
		if a.Active() {
			s.evaluateAlert(c, a, cat, now, false)
		}
	}
}

// evaluateAlert moves the alert's status to what its input says now and
// queues the notification of a transition (none when silent).
func (s *shard) evaluateAlert(c *Customer, a *Alert, cat *Catalog, now Nanos, silent bool) {
	alarm := a.alarmed(c, cat, now)
	switch {
	case alarm && a.Status != AlertInAlarm:
		a.Status = AlertInAlarm
		if !silent {
			s.notifyAlert(c, a, cat, now, false)
		}
	case !alarm && a.Status == AlertInAlarm:
		a.Status = AlertOK
		if !silent {
			s.notifyAlert(c, a, cat, now, true)
		}
	case !alarm:
		a.Status = AlertOK
	}
}

// alarmed reports whether the alert's input is past its threshold now.
func (a *Alert) alarmed(c *Customer, cat *Catalog, now Nanos) bool {
	var buf [2]*Contract // most customers hold one or two contracts in force
	if ks := c.contractsAt(now, buf[:0]); len(ks) > 0 {
		switch {
		case percentAlert(a.Type):
			return a.percentAlarmed(c, ks, now)
		case daysAlert(a.Type):
			return a.daysAlarmed(c, ks, now)
		}
	}
	v, ok := a.value(c, cat, now)
	if !ok {
		return false
	}
	if lowAlert(a.Type) {
		return v.Cmp(a.Threshold) <= 0
	}
	return v.Cmp(a.Threshold) >= 0
}

// value is the alert's input now; false when it has none (no contract in
// force, no balance of the kind watched). A percentage alert's is the
// percentage left (rounded), a days alert's the days left.
func (a *Alert) value(c *Customer, cat *Catalog, now Nanos) (money.Amount, bool) {
	if a.Type == AlertMonthlyInvoiceTotal {
		return a.monthlyInvoiceTotal(c, cat, now), true
	}
	var buf [2]*Contract
	ks := c.contractsAt(now, buf[:0])
	if len(ks) == 0 {
		return money.Amount{}, false
	}
	switch {
	case percentAlert(a.Type):
		return a.remainingPercent(c, ks, now)
	case daysAlert(a.Type):
		v, _, ok := a.remainingDays(c, ks, now)
		return v, ok
	}
	if a.Type == AlertSpend && a.GroupKey() != "" {
		return a.groupSpend(ks, now), true
	}
	var total money.Amount
	found := false
	for _, k := range ks {
		v, ok := a.contractValue(k, cat, now)
		switch {
		case !ok:
			continue
		case a.Type == AlertUsage && found:
			// Usage several contracts rate is counted once: the most
			// any of them recorded.
			if v.Cmp(total) > 0 {
				total = v
			}
		default:
			total = total.Add(v)
		}
		found = true
	}
	if len(c.Balances()) > 0 && lowBalanceAlert(a.Type) {
		v, ok := a.sharedValue(c, ks, now)
		total, found = total.Add(v), found || ok
	}
	return total, found
}

// lowBalanceAlert reports whether an alert of type typ watches the sum of
// balances (low_remaining_*_balance_reached).
func lowBalanceAlert(typ string) bool {
	return typ == AlertLowCommit || typ == AlertLowCredit || typ == AlertLowCreditAndCommit
}

// sharedValue is the customer-level balances' part of a low-balance
// alert's input: those in force that apply to a contract in force ks.
func (a *Alert) sharedValue(c *Customer, ks []*Contract, now Nanos) (money.Amount, bool) {
	var total money.Amount
	found := false
	for _, b := range c.Balances() {
		cm := b.Commit
		if cm.CreditTypeID != a.CreditTypeID || !a.watches(cm) || cm.segmentAt(now) == nil {
			continue
		}
		for _, k := range ks {
			if b.appliesTo(k) {
				found = true
				total = total.Add(cm.BalanceAt(now))
				break
			}
		}
	}
	return total, found
}

// contractValue is one contract's part of the alert's input (value adds
// them up over the contracts in force); false when it has none.
func (a *Alert) contractValue(k *Contract, cat *Catalog, now Nanos) (money.Amount, bool) {
	switch a.Type {
	case AlertUsage:
		inv := k.findInvoice(now)
		if inv == nil {
			return money.Amount{}, true
		}
		return a.metricQuantity(cat, inv), true
	case AlertSpend:
		inv := k.findInvoice(now)
		if inv == nil {
			return money.Amount{}, true
		}
		var total money.Amount
		for _, l := range inv.Lines {
			if l.Type == LineUsage && l.CreditTypeID == a.CreditTypeID {
				total = total.Add(l.Total)
			}
		}
		return total, true
	case AlertInvoiceTotal:
		inv := k.findInvoice(now)
		if inv == nil || (inv.CreditTypeID != "" && inv.CreditTypeID != a.CreditTypeID) {
			return money.Amount{}, true
		}
		return inv.Total, true
	case AlertLowCommit, AlertLowCredit, AlertLowCreditAndCommit:
		var total money.Amount
		found := false
		for _, cm := range k.Balances {
			if cm.CreditTypeID != a.CreditTypeID || cm.ArchivedAt() != 0 || !a.watches(cm) || cm.segmentAt(now) == nil {
				continue
			}
			found = true
			total = total.Add(cm.BalanceAt(now))
		}
		return total, found
	}
	return money.Amount{}, false
}

// metricQuantity is a usage alert's value on the invoice of the period in
// force: the largest, over the products the metric feeds, of the metric's
// aggregate as rating keeps it for that product (restricted to the alert's
// group value when it has one).
func (a *Alert) metricQuantity(cat *Catalog, inv *Invoice) money.Amount {
	m := cat.Metrics[a.BillableMetricID]
	if m == nil {
		return money.Amount{}
	}
	var best money.Amount
	for _, p := range cat.productsByMetric[m.ID] {
		idx := -1
		if a.GroupKey() != "" {
			if idx = p.groupKeyIndex(a.GroupKey()); idx < 0 {
				continue
			}
		}
		if q := inv.metricQuantity(p, m, idx, a.GroupValue()); q.Cmp(best) > 0 {
			best = q
		}
	}
	return best
}

// groupKeyIndex is the place of key among the product's pricing then
// presentation group keys (the layout of a usage group's values), or -1.
func (p *Product) groupKeyIndex(key string) int {
	if i := indexOfString(p.PricingGroupKey, key); i >= 0 {
		return i
	}
	if i := indexOfString(p.PresentationGroupKey, key); i >= 0 {
		return len(p.PricingGroupKey) + i
	}
	return -1
}

// metricGroupKey reports whether key is a group key of a product the
// metric feeds.
func metricGroupKey(cat *Catalog, metricID, key string) bool {
	for _, p := range cat.productsByMetric[metricID] {
		if p.groupKeyIndex(key) >= 0 {
			return true
		}
	}
	return false
}

// metricQuantity is the period quantity of metric m rating recorded for
// product p on the invoice, over its usage groups whose value at idx is
// value (every group when idx < 0): from the period aggregates when rating
// keeps them (MAX, UNIQUE, LATEST, converting or rounding products), else
// from the usage lines, whose quantities are then the metric's sum.
func (inv *Invoice) metricQuantity(p *Product, m *Metric, idx int, value string) money.Amount {
	match := func(g []string) bool { return idx < 0 || (idx < len(g) && g[idx] == value) }
	var q money.Amount
	if !p.needsAgg(m) {
		for _, l := range inv.Lines {
			if l.Type == LineUsage && l.ProductID == p.ID && match(l.GroupValues()) {
				q = q.Add(l.Quantity)
			}
		}
		return q
	}
	var latest *UsageAgg
	var seenMax bool
	var uniques map[[16]byte]struct{}
	for _, ag := range inv.Aggs() {
		if ag.ProductID != p.ID || !match(ag.GroupValues) {
			continue
		}
		switch m.Aggregation {
		case AggMax:
			if ag.Seen && (!seenMax || ag.Quantity.Cmp(q) > 0) {
				q, seenMax = ag.Quantity, true
			}
		case AggLatest:
			if ag.Seen && (latest == nil || ag.LatestAt > latest.LatestAt || (ag.LatestAt == latest.LatestAt && ag.LatestTx > latest.LatestTx)) {
				latest = ag
			}
		case AggUnique:
			if uniques == nil {
				uniques = map[[16]byte]struct{}{}
			}
			for i := 0; i+16 <= len(ag.Uniques); i += 16 {
				uniques[[16]byte(ag.Uniques[i:i+16])] = struct{}{}
			}
		default:
			q = q.Add(ag.Quantity)
		}
	}
	switch {
	case latest != nil:
		return latest.Quantity
	case uniques != nil:
		return money.FromInt(int64(len(uniques)))
	}
	return q
}

// watches reports whether a balance alert counts the commit or credit.
func (a *Alert) watches(cm *Commit) bool {
	credit := cm.Type == CommitCredit
	switch a.Type {
	case AlertLowCommit, AlertLowCommitPercent, AlertCommitDays:
		return !credit
	case AlertLowCredit, AlertLowCreditPercent, AlertCreditDays:
		return credit
	}
	return cm.Type == CommitPrepaid || credit
}

// trackGroupSpend adds the spend of an event matching a scoped alert.
func (a *Alert) trackGroupSpend(k *Contract, inv *Invoice, creditTypeID string, spend money.Amount) {
	if creditTypeID != a.CreditTypeID {
		return
	}
	if a.Extra == nil {
		a.Extra = &AlertExtra{}
	}
	x := a.Extra
	if x.GroupInvoiceID != inv.ID && !a.samePeriod(k, inv) {
		// A later period starts the count again; usage backdated into an
		// earlier period no longer counts toward the current one.
		if x.GroupInvoiceID != "" && x.GroupInvoiceStart > inv.Start {
			return
		}
		x.GroupInvoiceID, x.GroupSpend = inv.ID, money.Amount{}
	}
	x.GroupSpend = x.GroupSpend.Add(spend)
	x.GroupInvoiceStart = inv.Start
}

// scopedAlertsFor returns the customer's active scoped spend alerts the
// event's properties match, into buf.
func (c *Customer) scopedAlertsFor(ev *Event, buf []*Alert) []*Alert {
	buf = buf[:0]
	for _, a := range c.Alerts {
		if a.GroupKey() != "" && a.Active() && a.Type == AlertSpend {
			if v, ok := ev.Properties[a.GroupKey()]; ok && v == a.GroupValue() {
				buf = append(buf, a)
			}
		}
	}
	return buf
}

// alertDue is the earliest time an alert's status may change with time
// alone: the end of the period in force when a spend, invoice or usage
// alert is in alarm (the next period returns it to ok), and the times
// kindDue gives (days alerts, monthly invoice totals).
func (c *Customer) alertDue(now Nanos) Nanos {
	var due Nanos
	for _, a := range c.Alerts {
		if at := a.kindDue(c, now); at > now && (due == 0 || at < due) {
			due = at
		}
	}
	if at := c.periodAlertDue(now); at > now && (due == 0 || at < due) {
		due = at
	}
	return due
}

// periodAlertDue is the end of the period in force when a spend, invoice
// or usage alert is in alarm (0: none is): the first to end among the
// contracts in force.
func (c *Customer) periodAlertDue(now Nanos) Nanos {
	for _, a := range c.Alerts {
		if a.Active() && a.Status == AlertInAlarm && (a.Type == AlertSpend || a.Type == AlertInvoiceTotal || a.Type == AlertUsage) {
			return periodsEnd(c.contractsAt(now, nil), now)
		}
	}
	return 0
}

// blocks adds the customer's blocking alerts in alarm to a view.
func (c *Customer) blocks(v *EntitlementView) *EntitlementView {
	var all bool
	var groups map[string]map[string]bool
	for _, a := range c.Alerts {
		if !a.Active() || !a.BlockOnAlarm || a.Status != AlertInAlarm {
			continue
		}
		if a.GroupKey() == "" {
			all = true
			continue
		}
		if groups == nil {
			groups = map[string]map[string]bool{}
		}
		groups[a.GroupKey()+"\x00"+a.GroupValue()] = map[string]bool{"": true}
	}
	if !all && groups == nil {
		return v
	}
	out := &EntitlementView{AsOf: v.AsOf, Default: v.Default, GroupBlocks: groups}
	out.Products = make([]ProductAnswer, len(v.Products))
	copy(out.Products, v.Products)
	if all {
		for i := range out.Products {
			if out.Products[i].Entitled {
				out.Products[i].setAnswer(false, ReasonLimitReached)
			}
		}
	}
	return out
}

// pendingNote is a notification queued by a shard, before the entry gives
// it an id.
type pendingNote struct {
	customerID string
	typ        string
	// props are the notification's properties: alertProps, or
	// paymentProps (payments.go).
	props any
}

// alertProps are the properties of an alert notification, in Metronome's
// names; the fields a type does not use are omitted.
type alertProps struct {
	CustomerID       string            `json:"customer_id"`
	AlertID          string            `json:"alert_id"`
	AlertName        string            `json:"alert_name"`
	Timestamp        string            `json:"timestamp"`
	Threshold        json.Number       `json:"threshold"`
	TriggeredBy      string            `json:"triggered_by"`
	CreditTypeID     string            `json:"credit_type_id,omitempty"`
	CurrentSpend     *json.Number      `json:"current_spend,omitempty"`
	GroupValues      []groupValueProps `json:"group_values,omitempty"`
	RemainingBalance *json.Number      `json:"remaining_balance,omitempty"`
	InvoiceID        string            `json:"invoice_id,omitempty"`
	InvoiceTotal     *json.Number      `json:"invoice_total,omitempty"`
	BillableMetricID string            `json:"billable_metric_id,omitempty"`
	CurrentUsage     *json.Number      `json:"current_usage,omitempty"`
	// Percentage and days alerts (alert_kinds.go).
	RemainingPercentage *json.Number `json:"remaining_percentage,omitempty"`
	RemainingDays       *json.Number `json:"remaining_days,omitempty"`
	CommitID            string       `json:"commit_id,omitempty"`
	SegmentID           string       `json:"segment_id,omitempty"`
	SegmentEnd          string       `json:"segment_ending_before,omitempty"`
}

type groupValueProps struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func num(a money.Amount) *json.Number {
	n := json.Number(a.String())
	return &n
}

// notifyAlert queues the notification of an alert's transition.
func (s *shard) notifyAlert(c *Customer, a *Alert, cat *Catalog, now Nanos, resolved bool) {
	typ := notificationTypeAlertsPref + a.Type
	if resolved {
		typ += alertResolvedSuffix
	}
	p := alertProps{
		CustomerID: c.ID, AlertID: a.ID, AlertName: a.Name, Timestamp: fmtTime(now),
		Threshold: json.Number(a.Threshold.String()), TriggeredBy: "usage", CreditTypeID: a.CreditTypeID,
	}
	v, _ := a.value(c, cat, now)
	switch a.Type {
	case AlertUsage:
		p.BillableMetricID, p.CurrentUsage = a.BillableMetricID, num(v)
		if a.GroupKey() != "" {
			p.GroupValues = []groupValueProps{{Key: a.GroupKey(), Value: a.GroupValue()}}
		}
	case AlertSpend:
		p.CurrentSpend = num(v)
		if a.GroupKey() != "" {
			p.GroupValues = []groupValueProps{{Key: a.GroupKey(), Value: a.GroupValue()}}
		}
	case AlertInvoiceTotal:
		p.InvoiceTotal = num(v)
		for _, k := range c.contractsAt(now, nil) {
			if inv := k.findInvoice(now); inv != nil {
				p.InvoiceID = inv.ID // the first contract's
				break
			}
		}
	case AlertMonthlyInvoiceTotal:
		p.InvoiceTotal = num(v)
	case AlertLowCommitPercent, AlertLowCreditPercent:
		p.RemainingPercentage = num(v)
		rem, _, _ := a.percentInput(c, c.contractsAt(now, nil), now)
		p.RemainingBalance = num(rem)
	case AlertCommitDays, AlertCreditDays:
		p.RemainingDays = num(v)
		if cm, s := a.firstEnding(c, c.contractsAt(now, nil), now); s != nil {
			p.CommitID, p.SegmentID, p.SegmentEnd = cm.ID, cm.SegmentID(s), fmtTime(s.EndingBefore)
		}
	default:
		p.RemainingBalance = num(v)
	}
	s.notes = append(s.notes, pendingNote{customerID: c.ID, typ: typ, props: p})
}

// Notification is a side effect the log asks for: a webhook payload with a
// stable id, derived from the entry that caused it and its place among the
// entry's notifications.
type Notification struct {
	ID   string
	Type string
	// CustomerID is the customer it is about.
	CustomerID string
	// Payload is the webhook body: {"id","type","properties"}.
	Payload []byte
	// Index is the log index of the entry that caused it, At its stamped time.
	Index uint64
	At    Nanos
}

// finishNotes gives the entry's queued notifications their ids, in an order
// that does not depend on the shard count: by customer id, then in the order
// the customer's shard queued them.
func (b *batch) finishNotes() {
	if len(b.notes) == 0 {
		return
	}
	sort.SliceStable(b.notes, func(i, j int) bool { return b.notes[i].customerID < b.notes[j].customerID })
	out := make([]Notification, 0, len(b.notes))
	for n, pn := range b.notes {
		id := DeriveID("notification", strconv.FormatUint(b.index, 10), strconv.Itoa(n))
		body, err := json.Marshal(struct {
			ID         string `json:"id"`
			Type       string `json:"type"`
			Properties any    `json:"properties"`
		}{id, pn.typ, pn.props})
		if err != nil {
			panic("engine: notification payload: " + err.Error()) // plain strings and numbers: cannot fail
		}
		out = append(out, Notification{ID: id, Type: pn.typ, CustomerID: pn.customerID, Payload: body, Index: b.index, At: b.now})
	}
	b.notes = nil
	b.e.notesMu.Lock()
	b.e.notes = append(b.e.notes, out...)
	b.e.notesMu.Unlock()
}

// collectNotes moves the notifications the shards queued in the run that
// just ended into the batch, in shard order (finishNotes sorts them).
func (b *batch) collectNotes() {
	for _, s := range b.e.shards {
		if len(s.notes) > 0 {
			b.notes = append(b.notes, s.notes...)
			s.notes = s.notes[:0]
		}
	}
}

// TakeNotifications returns the notifications applied entries produced since
// the last call, in log order, and forgets them. The cluster layer moves
// them into its replicated outbox after every Apply.
func (e *Engine) TakeNotifications() []Notification {
	e.notesMu.Lock()
	defer e.notesMu.Unlock()
	out := e.notes
	e.notes = nil
	return out
}
