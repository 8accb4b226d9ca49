package transport

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/option"
)

// dashClock is a wall clock a test moves forward.
type dashClock struct{ offset atomic.Int64 }

func (c *dashClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// newDashEnv is newEnv with a wall clock the test controls.
func newDashEnv(t *testing.T, start string) (*testEnv, *dashClock) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	clock := &dashClock{}
	node := openClusterNode(t, start, ln.Addr().String())
	return startServerOn(t, ln, node, func(c *Config) { c.WallClock = clock.now }), clock
}

// dashFixture is a customer with a prepaid commit of $20.00, a credit, a
// soft and a hard spend limit and usage priced at 1 cent a call grouped
// by region; and another customer whose data must never show.
type dashFixture struct {
	cust, other, contract, commit, otherCommit, soft, hard string
}

func setupDashboards(e *testEnv) dashFixture {
	var f dashFixture
	start, end := e.at("2026-01-01T00:00:00Z"), e.at("2027-01-01T00:00:00Z")
	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "calls", "event_type_filter": map[string]any{"in_values": []string{"api_call"}},
		"group_keys": [][]string{{"region"}}})
	api := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "API calls", "type": "USAGE", "billable_metric_id": metric,
		"presentation_group_key": []string{"region"}})
	fixed := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Prepaid credits", "type": "FIXED"})
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "std"})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": api, "starting_at": start, "entitled": true, "rate_type": "FLAT", "price": 1}, nil)
	schedule := func(amount int) map[string]any {
		return map[string]any{"schedule_items": []any{map[string]any{"amount": amount, "starting_at": start, "ending_before": end}}}
	}
	f.cust = e.create("/v1/customers", map[string]any{"name": "Acme <b>Corp</b>", "ingest_aliases": []string{"acme"}})
	f.contract = e.create("/v1/contracts/create", map[string]any{"customer_id": f.cust, "rate_card_id": rc, "starting_at": start,
		"commits": []any{map[string]any{"type": "PREPAID", "product_id": fixed, "name": "Annual prepaid", "priority": 1, "access_schedule": schedule(2000)}},
		"credits": []any{map[string]any{"product_id": fixed, "name": "Promo credit", "access_schedule": schedule(500)}}})
	f.other = e.create("/v1/customers", map[string]any{"name": "Other Inc", "ingest_aliases": []string{"other"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": f.other, "rate_card_id": rc, "starting_at": start,
		"commits": []any{map[string]any{"type": "PREPAID", "product_id": fixed, "name": "Other prepaid", "access_schedule": schedule(9999)}}})
	f.soft = e.create("/v1/alerts/create", map[string]any{"alert_type": "spend_threshold_reached", "name": "Spend over $0.05", "threshold": 5, "customer_id": f.cust})
	f.hard = e.create("/v1/alerts/create", map[string]any{"alert_type": "spend_threshold_reached", "name": "Spend over $100", "threshold": 10000, "customer_id": f.cust, "block_on_alarm": true})
	var bal struct {
		Data []struct {
			ID, Name string
		} `json:"data"`
	}
	e.ok("POST", "/v1/contracts/customerBalances/list", map[string]any{"customer_id": f.cust, "include_contract_balances": true}, &bal)
	for _, b := range bal.Data {
		if b.Name == "Annual prepaid" {
			f.commit = b.ID
		}
	}
	e.ok("POST", "/v1/contracts/customerBalances/list", map[string]any{"customer_id": f.other, "include_contract_balances": true}, &bal)
	f.otherCommit = bal.Data[0].ID
	return f
}

// ingestCalls meters n calls of region for the customer at the test clock.
func (e *testEnv) ingestCalls(alias, region string, n int, tag string) {
	e.t.Helper()
	var events []any
	for i := 0; i < n; i++ {
		events = append(events, map[string]any{"transaction_id": fmt.Sprintf("%s-%d", tag, i), "customer_id": alias, "event_type": "api_call",
			"timestamp": e.at("2026-02-09T12:00:00Z"), "properties": map[string]any{"region": region}})
	}
	e.ok("POST", "/v1/ingest", events, nil)
}

// embedURL asks for a link and returns it.
func (e *testEnv) embedURL(body map[string]any) string {
	e.t.Helper()
	var out struct {
		Data struct {
			URL string `json:"url"`
		} `json:"data"`
	}
	e.ok("POST", "/v1/dashboards/getEmbeddableUrl", body, &out)
	if !strings.HasPrefix(out.Data.URL, e.base+"/embed/v1.") {
		e.t.Fatalf("url %q", out.Data.URL)
	}
	return out.Data.URL
}

// get fetches u without any token.
func get(t *testing.T, u string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// tamper swaps the token's payload for another link's, keeping its MAC.
func tamper(t *testing.T, u, other string) string {
	t.Helper()
	a, b := strings.Split(u[strings.LastIndex(u, "/")+1:], "."), strings.Split(other[strings.LastIndex(other, "/")+1:], ".")
	return u[:strings.LastIndex(u, "/")+1] + a[0] + "." + b[1] + "." + a[2]
}

// A link made with the official SDK shows that customer's commits, credits
// and limits, and nothing of another customer; an altered or expired link
// shows the error page and its data answers 403 with a message.
func TestEmbeddableDashboardLinks(t *testing.T) {
	e, clock := newDashEnv(t, "2026-02-10T00:00:00Z")
	f := setupDashboards(e)
	client := metronome.NewClient(option.WithBaseURL(e.base+"/"), option.WithBearerToken(testToken), option.WithMaxRetries(0))
	res, err := client.V1.Dashboards.GetEmbeddableURL(context.Background(), metronome.V1DashboardGetEmbeddableURLParams{
		CustomerID: f.cust, Dashboard: metronome.V1DashboardGetEmbeddableURLParamsDashboardCommitsAndCredits,
		ColorOverrides: []metronome.V1DashboardGetEmbeddableURLParamsColorOverride{{Name: "Primary_medium", Value: metronome.String("#ff0000")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	link := res.Data.URL
	if strings.Contains(link, testToken) {
		t.Fatal("the link holds the API token")
	}
	status, h, body := get(t, link)
	if status != 200 || !strings.Contains(string(body), "dashboard.js") || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors *") ||
		h.Get("X-Frame-Options") != "" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("page: %d %v %s", status, h, body)
	}
	var data struct {
		Data struct {
			Dashboard string            `json:"dashboard"`
			Customer  idRef             `json:"customer"`
			Colors    map[string]string `json:"colors"`
			Commits   []struct {
				ID      string      `json:"id"`
				Balance json.Number `json:"balance"`
			} `json:"commits"`
			Alerts []struct {
				ID      string `json:"id"`
				Hard    bool   `json:"hard"`
				InAlarm bool   `json:"in_alarm"`
			} `json:"alerts"`
		} `json:"data"`
	}
	readData := func(u string) []byte {
		status, _, body := get(t, u+"/data")
		if status != 200 {
			t.Fatalf("data: %d %s", status, body)
		}
		if err := json.Unmarshal(body, &data); err != nil {
			t.Fatal(err)
		}
		return body
	}
	raw := readData(link)
	d := data.Data
	if d.Dashboard != "commits_and_credits" || d.Customer.ID != f.cust || d.Colors["Primary_medium"] != "#ff0000" || len(d.Commits) != 2 || len(d.Alerts) != 2 {
		t.Fatalf("data %s", raw)
	}
	if strings.Contains(string(raw), f.other) || strings.Contains(string(raw), f.otherCommit) || strings.Contains(string(raw), "Other") {
		t.Fatalf("another customer's data: %s", raw)
	}
	for _, a := range d.Alerts {
		if (a.ID == f.hard) != a.Hard || a.InAlarm {
			t.Fatalf("alert %+v", a)
		}
	}
	e.ingestCalls("acme", "eu", 10, "t1")
	readData(link)
	for _, c := range data.Data.Commits {
		if c.ID == f.commit && c.Balance != "1990" {
			t.Fatalf("after 10 calls: %+v", c)
		}
	}
	for _, a := range data.Data.Alerts {
		if a.ID == f.soft && !a.InAlarm {
			t.Fatalf("the soft limit of 5 cents is not in alarm after 10: %+v", a)
		}
	}

	other := e.embedURL(map[string]any{"customer_id": f.other, "dashboard": "commits_and_credits"})
	for name, bad := range map[string]string{
		"another customer's payload": tamper(t, link, other),
		"a changed MAC":              link[:len(link)-3] + "AAA",
		"malformed":                  e.base + "/embed/v1.nonsense",
	} {
		status, h, body := get(t, bad)
		if status != 403 || !strings.Contains(string(body), "not valid") || strings.Contains(string(body), "Acme") || h.Get("Content-Security-Policy") == "" {
			t.Errorf("%s page: %d %s", name, status, body)
		}
		status, _, body = get(t, bad+"/data")
		var msg struct{ Message string }
		if status != 403 || json.Unmarshal(body, &msg) != nil || !strings.HasPrefix(msg.Message, "link: ") || strings.Contains(string(body), "Acme") {
			t.Errorf("%s data: %d %s", name, status, body)
		}
	}
	if status, _, body := get(t, e.base+"/embed/"); status != 403 || !strings.Contains(string(body), "not valid") {
		t.Errorf("no token: %d %s", status, body)
	}
	clock.offset.Store(int64(24*time.Hour + time.Second))
	status, _, body = get(t, link+"/data")
	if status != 403 || !strings.Contains(string(body), "expired") {
		t.Fatalf("expired: %d %s", status, body)
	}
	if status, _, body := get(t, link); status != 403 || strings.Contains(string(body), "Acme") {
		t.Fatalf("expired page: %d %s", status, body)
	}
	if status, _, _ := get(t, e.base+"/embed/assets/dashboard.js"); status != 200 {
		t.Fatalf("script: %d", status)
	}
	if status, _, _ := get(t, e.base+"/embed/assets/page.html"); status != 404 {
		t.Fatalf("the page as an asset: %d", status)
	}
	resp, err := http.Post(link+"/data", "application/json", nil)
	if err != nil || resp.StatusCode != 405 {
		t.Fatalf("POST: %v %v", resp, err)
	}
	resp.Body.Close()
}

// The usage dashboard sums the current period's usage by product and
// group, named by the link's bm_group_key_overrides; the invoices one lists
// the invoices its options select.
func TestEmbeddableDashboardUsageAndInvoices(t *testing.T) {
	e, _ := newDashEnv(t, "2026-02-10T00:00:00Z")
	f := setupDashboards(e)
	e.ingestCalls("acme", "eu", 3, "eu")
	e.ingestCalls("acme", "us", 2, "us")
	e.ingestCalls("other", "eu", 7, "o")
	link := e.embedURL(map[string]any{"customer_id": f.cust, "dashboard": "usage",
		"bm_group_key_overrides": []any{map[string]any{"group_key_name": "region", "display_name": "Region", "value_display_names": map[string]any{"eu": "Europe"}}}})
	_, _, body := get(t, link+"/data")
	var usage struct {
		Data struct {
			Period   *embedPeriod `json:"period"`
			Products []struct {
				Quantity json.Number `json:"quantity"`
				Groups   []struct {
					Label string `json:"label"`
				} `json:"groups"`
			} `json:"products"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &usage); err != nil {
		t.Fatal(err)
	}
	p := usage.Data.Products
	if usage.Data.Period == nil || len(p) != 1 || p[0].Quantity != "5" || len(p[0].Groups) != 2 ||
		p[0].Groups[0].Label != "Region: Europe" || p[0].Groups[1].Label != "Region: us" {
		t.Fatalf("usage %s", body)
	}

	link = e.embedURL(map[string]any{"customer_id": f.cust, "dashboard": "invoices",
		"dashboard_options": []any{map[string]any{"key": "invoice_status_filter", "value": "DRAFT"}, map[string]any{"key": "contract_id", "value": f.contract}}})
	_, _, body = get(t, link+"/data")
	var inv struct {
		Data struct {
			Invoices []struct {
				Status     string            `json:"status"`
				CustomerID string            `json:"customer_id"`
				LineItems  []json.RawMessage `json:"line_items"`
				LineGroups []string          `json:"line_groups"`
			} `json:"invoices"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &inv); err != nil {
		t.Fatal(err)
	}
	if len(inv.Data.Invoices) == 0 || strings.Contains(string(body), f.other) {
		t.Fatalf("invoices %s", body)
	}
	for _, i := range inv.Data.Invoices {
		if i.Status != "DRAFT" || i.CustomerID != f.cust || len(i.LineGroups) != len(i.LineItems) {
			t.Fatalf("invoice %+v", i)
		}
	}
	link = e.embedURL(map[string]any{"customer_id": f.cust, "dashboard": "invoices",
		"dashboard_options": []any{map[string]any{"key": "invoice_type", "value": "SCHEDULED"}}})
	if _, _, body = get(t, link+"/data"); !strings.Contains(string(body), `"invoices":[]`) {
		t.Fatalf("SCHEDULED shows usage invoices: %s", body)
	}
}

// Every bad request is a 4xx naming its field.
func TestEmbeddableURLErrors(t *testing.T) {
	e, _ := newDashEnv(t, "2026-02-10T00:00:00Z")
	f := setupDashboards(e)
	for _, c := range []struct {
		body   map[string]any
		status int
		want   string
	}{
		{map[string]any{"dashboard": "usage"}, 400, "customer_id: is required"},
		{map[string]any{"customer_id": "nope", "dashboard": "usage"}, 404, "customer_id: customer nope not found"},
		{map[string]any{"customer_id": f.cust}, 400, "dashboard: is required"},
		{map[string]any{"customer_id": f.cust, "dashboard": "graphs"}, 400, "dashboard: must be one of"},
		{map[string]any{"customer_id": f.cust, "dashboard": "credits"}, 400, "dashboard: credits"},
		{map[string]any{"customer_id": f.cust, "dashboard": "usage", "color_overrides": []any{map[string]any{"name": "Pink", "value": "#fff"}}}, 400, "color_overrides[0].name: must be one of"},
		{map[string]any{"customer_id": f.cust, "dashboard": "usage", "color_overrides": []any{map[string]any{"name": "White", "value": "red;x"}}}, 400, "color_overrides[0].value: must be a hex color"},
		{map[string]any{"customer_id": f.cust, "dashboard": "usage", "color_overrides": []any{map[string]any{"name": "White"}}}, 400, "color_overrides[0].value: is required"},
		{map[string]any{"customer_id": f.cust, "dashboard": "usage", "dashboard_options": []any{map[string]any{"key": "hide_voided_invoices", "value": "true"}}}, 400, "dashboard_options[0].key: \"hide_voided_invoices\" is an option of the invoices dashboard"},
		{map[string]any{"customer_id": f.cust, "dashboard": "invoices", "dashboard_options": []any{map[string]any{"key": "theme", "value": "dark"}}}, 400, "dashboard_options[0].key: \"theme\" is not a dashboard option"},
		{map[string]any{"customer_id": f.cust, "dashboard": "invoices", "dashboard_options": []any{map[string]any{"key": "invoice_type", "value": "ALL"}}}, 400, "dashboard_options[0].value: must be one of USAGE, SCHEDULED"},
		{map[string]any{"customer_id": f.cust, "dashboard": "invoices", "dashboard_options": []any{map[string]any{"key": "contract_id", "value": "k-of-someone"}}}, 400, "dashboard_options: contract_id k-of-someone is not a contract of customer"},
		{map[string]any{"customer_id": f.cust, "dashboard": "usage", "bm_group_key_overrides": []any{map[string]any{"group_key_name": "tenant"}}}, 400, "bm_group_key_overrides[0].group_key_name: no billable metric has the group key \"tenant\""},
		{map[string]any{"customer_id": f.cust, "dashboard": "commits_and_credits", "bm_group_key_overrides": []any{map[string]any{"group_key_name": "region"}}}, 400, "bm_group_key_overrides: applies to the usage and invoices dashboards"},
		{map[string]any{"customer_id": f.cust, "dashboard": "usage", "theme": "dark"}, 400, "theme: is not supported by this server yet"},
	} {
		status, body := e.do("POST", "/v1/dashboards/getEmbeddableUrl", c.body)
		var msg struct{ Message string }
		json.Unmarshal(body, &msg) //nolint:errcheck
		if status != c.status || !strings.HasPrefix(msg.Message, c.want) {
			t.Errorf("%v: %d %s, want %d %q", c.body, status, body, c.status, c.want)
		}
	}
	// Without a token: 401; a read token may ask.
	if status, _ := e.doToken("POST", "/v1/dashboards/getEmbeddableUrl", map[string]any{"customer_id": f.cust, "dashboard": "usage"}, ""); status != 401 {
		t.Fatalf("no token: %d", status)
	}
	if _, err := url.Parse(e.embedURL(map[string]any{"customer_id": f.cust, "dashboard": "usage"})); err != nil {
		t.Fatal(err)
	}
}
