package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"
)

// obj is a JSON object in a request body.
type obj = map[string]any

// player plays the guides: it narrates, calls the API and checks what it
// reads back. Its first error sticks: every later call is skipped, so a
// guide reads as a list of steps and its caller looks at err once.
type player struct {
	ctx context.Context
	c   *client
	out io.Writer
	rcv *receiver
	tl  timeline
	// tag makes aliases unique on a node that already has customers.
	tag string
	// customers are the demo customers, in the order made, for the dashboards.
	customers []customer

	guide, guides int
	title         string
	step, steps   int
	err           error
}

// customer is a demo customer: its id and name.
type customer struct{ id, name string }

// beginGuide prints a guide's heading.
func (p *player) beginGuide(title, source string, steps int) {
	if p.err != nil {
		return
	}
	p.guide++
	p.title, p.step, p.steps = title, 0, steps
	fmt.Fprintf(p.out, "\n== Guide %d/%d: %s (%s)\n", p.guide, p.guides, title, source)
}

// beginStep prints the next step's narrative; false once an error stuck.
func (p *player) beginStep(format string, args ...any) bool {
	if p.err != nil {
		return false
	}
	p.step++
	fmt.Fprintf(p.out, "[guide %d/%d · step %d/%d] %s\n", p.guide, p.guides, p.step, p.steps, fmt.Sprintf(format, args...))
	return true
}

// where names the current step in errors.
func (p *player) where() string {
	return fmt.Sprintf("guide %d/%d (%s), step %d/%d", p.guide, p.guides, p.title, p.step, p.steps)
}

func (p *player) fail(err error) {
	if p.err == nil && err != nil {
		p.err = fmt.Errorf("%s: %w", p.where(), err)
	}
}

// say prints a detail line under the step.
func (p *player) say(format string, args ...any) {
	if p.err == nil {
		fmt.Fprintf(p.out, "    %s\n", fmt.Sprintf(format, args...))
	}
}

// expect checks a value read back from the API against SCENARIOS.md's and
// prints it.
func (p *player) expect(what, got, want string) {
	if p.err != nil {
		return
	}
	if err := Check(p.where(), what, got, want); err != nil {
		p.err = err
		return
	}
	fmt.Fprintf(p.out, "    %-44s %s  ok\n", what+":", got)
}

// call sends a request unless an error stuck.
func (p *player) call(method, path string, body, out any) {
	if p.err == nil {
		p.fail(p.c.call(p.ctx, method, path, body, out))
	}
}

func (p *player) post(path string, body, out any) { p.call("POST", path, body, out) }

// create posts body and returns the data.id of the answer.
func (p *player) create(path string, body any) string {
	var out struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	p.post(path, body, &out)
	return out.Data.ID
}

// newCustomer creates a customer whose aliases get the run's tag.
func (p *player) newCustomer(name, alias string, extra obj) (id, taggedAlias string) {
	taggedAlias = alias + p.tag
	body := obj{"name": name, "ingest_aliases": []string{taggedAlias}}
	for k, v := range extra {
		body[k] = v
	}
	id = p.create("/v1/customers", body)
	if p.err == nil {
		p.customers = append(p.customers, customer{id: id, name: name})
	}
	return id, taggedAlias
}

// at is the shifted date of SCENARIOS.md ts.
func (p *player) at(ts string) string { return p.tl.at(ts) }

// setClock moves the test clock to SCENARIOS.md's ts (shifted).
func (p *player) setClock(ts string) {
	var out struct {
		Now string `json:"now"`
	}
	p.post("/v1/admin/clock", obj{"now": p.at(ts)}, &out)
	p.say("test clock moved to %s", out.Now)
}

// checkResult is the entitlement check's answer.
type checkResult struct {
	Entitled bool   `json:"entitled"`
	Reason   string `json:"reason"`
	Balance  string `json:"balance"`
}

// check asks GET /v1/entitlements/check, with a group key and value when
// given.
func (p *player) check(customerID, productID string, group ...string) checkResult {
	q := url.Values{"customer_id": {customerID}, "product_id": {productID}}
	if len(group) == 2 {
		q.Set("group_key", group[0])
		q.Set("group_value", group[1])
	}
	var c checkResult
	p.call("GET", "/v1/entitlements/check?"+q.Encode(), nil, &c)
	return c
}

// expectCheck checks an entitlement answer: entitled and reason, and the
// balance when want.balance is not "".
func (p *player) expectCheck(label, customerID, productID string, want checkResult, group ...string) {
	c := p.check(customerID, productID, group...)
	p.expect(label+" entitled", fmt.Sprintf("%t (%s)", c.Entitled, c.Reason), fmt.Sprintf("%t (%s)", want.Entitled, want.Reason))
	if want.Balance != "" {
		p.expect(label+" balance", c.Balance, want.Balance)
	}
}

// webhook waits for the next event of typ about customerID and prints it.
func (p *player) webhook(customerID, typ string) *event {
	if p.err != nil {
		return &event{}
	}
	ev, err := p.rcv.take(p.ctx, customerID, typ)
	if err != nil {
		p.fail(err)
		return &event{}
	}
	p.say("webhook received, signature verified: %s", ev.Type)
	return ev
}

// printEvent prints an event's JSON as it arrived, compacted.
func (p *player) printEvent(ev *event) {
	var b bytes.Buffer
	if err := json.Compact(&b, ev.raw); err == nil {
		p.say("%s", b.String())
	}
}

// settle is how long exactlyOne waits for a duplicate to show up: the
// leader delivers in milliseconds, so a second delivery of one crossing
// would be here by then.
const settle = 200 * time.Millisecond

// webhooksSoFar checks that exactly n webhooks of typ about customerID
// arrived until now: one per crossing, never two.
func (p *player) webhooksSoFar(customerID, typ string, n int) {
	if p.err != nil {
		return
	}
	time.Sleep(settle)
	p.expect(typ+" webhooks so far", strconv.Itoa(p.rcv.count(customerID, typ)), strconv.Itoa(n))
}
