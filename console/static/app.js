// The operator console: a token form, the cluster view (members, raft
// positions, lag, requests, webhooks, rejects, failed deliveries) and the
// customer pages, routed by the URL's fragment (#/, #/customers,
// #/customer/<id>). Views poll the API while they are shown.
import * as api from "./api.js";
import * as prom from "./prom.js";
import { el, fill, rows, dl, show, text } from "./dom.js";

const pollMs = 2000;
let timer = null;
let generation = 0; // bumps on every route change; stale polls stop
let lastScrape = null; // {at, metrics} of the previous /metrics poll

function banner(msg) {
  const b = document.getElementById("banner");
  b.textContent = msg || "";
  b.hidden = !msg;
}

// failed handles an API error: a refused token goes back to the form.
function failed(err) {
  if (err instanceof api.APIError && err.status === 401) {
    api.forgetToken();
    route();
    text("login-error", "The token was refused: " + err.message);
    return;
  }
  banner(err instanceof api.APIError ? `${err.status}: ${err.message}` : "The node did not answer: " + err.message);
}

function login() {
  document.getElementById("nav").hidden = true;
  document.getElementById("forget").hidden = true;
  show("login");
  document.getElementById("token").focus();
}

document.getElementById("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = document.getElementById("token");
  const t = input.value.trim();
  input.value = "";
  if (!t) return;
  api.setToken(t);
  text("login-error", "");
  route();
});

document.getElementById("forget").addEventListener("click", () => {
  api.forgetToken();
  lastScrape = null;
  route();
});

// poll runs f now and every pollMs while the route stays the same.
function poll(f) {
  const mine = generation;
  const tick = async () => {
    if (mine !== generation) return;
    try {
      await f();
      if (mine === generation) banner("");
    } catch (err) {
      if (mine === generation) failed(err);
    }
    if (mine === generation) timer = setTimeout(tick, pollMs);
  };
  tick();
}

function route() {
  generation++;
  clearTimeout(timer);
  banner("");
  if (!api.token()) {
    login();
    return;
  }
  document.getElementById("nav").hidden = false;
  document.getElementById("forget").hidden = false;
  const h = location.hash.replace(/^#/, "");
  if (h.startsWith("/customer/")) {
    const id = decodeURIComponent(h.slice("/customer/".length));
    show("customer-view");
    poll(() => customerView(id));
  } else if (h === "/customers") {
    show("customers-view");
    customersView().catch(failed);
  } else {
    show("cluster-view");
    poll(clusterView);
  }
}

window.addEventListener("hashchange", route);

// ---- cluster view ----

const fmt = {
  rate: (v) => (v === undefined || Number.isNaN(v) ? "no data" : v < 10 ? v.toFixed(2) : v.toFixed(0)),
  secs: (v) => {
    if (v === undefined || Number.isNaN(v)) return "no data";
    if (v < 1e-3) return (v * 1e6).toFixed(0) + " µs";
    if (v < 1) return (v * 1e3).toFixed(1) + " ms";
    return v.toFixed(2) + " s";
  },
  num: (v) => (v === undefined ? "no data" : String(v)),
};

async function clusterView() {
  const [status, metricsText, deliveries] = await Promise.all([
    api.get("/v1/cluster/status"),
    api.metricsText(),
    api.get("/v1/webhooks/deliveries?status=failed"),
  ]);
  const now = Date.now();
  const cur = prom.parse(metricsText);
  const prev = lastScrape && lastScrape.node === status.node_id ? lastScrape : null;
  const dt = prev ? (now - prev.at) / 1000 : 0;
  lastScrape = { at: now, metrics: cur, node: status.node_id };

  text("node-name", "node " + status.node_id);
  showNode(status);
  showMembers(status, cur);
  showRoutes(prev && prev.metrics, cur, dt);
  showCheck(prev && prev.metrics, cur);
  showWebhooks(prev && prev.metrics, cur, dt);
  showRejects(prev && prev.metrics, cur, dt);
  showFailed(deliveries.data || []);
  text("updated", "Updated " + new Date(now).toLocaleTimeString() + (prev ? "" : " (rates and latencies need a second poll)"));
}

function showNode(st) {
  const leader = (st.nodes || []).find((n) => n.id === st.leader_id);
  dl("node", [
    ["Node", st.node_id],
    ["State", st.state],
    ["Leader", st.leader_id ? st.leader_id + (leader ? " (" + leader.http_addr + ")" : "") : "none elected"],
    ["Term", st.term],
    ["Commit index", st.commit_index],
    ["Applied index", st.applied_index],
    ["State index", st.state_index === undefined ? "not reported" : st.state_index],
    ["Serving reads", st.serving_reads === undefined ? "not reported" : st.serving_reads ? "yes" : "no, catching up"],
    ["Data format", st.data_format],
  ]);
}

function consoleURL(httpAddr) {
  return location.protocol + "//" + httpAddr + "/ui/";
}

function showMembers(st, cur) {
  const lag = cur.get("burndown_follower_lag_entries");
  const lagOf = (n) => {
    if (!lag) return undefined;
    // peer is the follower's raft server id, which is its node id.
    const s = lag.find((x) => x.labels.peer === n.id);
    return s ? s.value : undefined;
  };
  const trs = (st.nodes || []).map((n) => {
    const isLeader = n.id === st.leader_id;
    const l = isLeader ? "—" : lagOf(n);
    return el("tr", { className: isLeader ? "leader" : "", dataset: { nodeId: n.id } },
      el("td", {}, n.id, n.id === st.node_id ? el("span", { className: "tag" }, "this node") : null),
      el("td", { className: "role-" + n.state }, isLeader ? "leader" : n.state),
      el("td", {}, n.http_addr ? el("a", { href: consoleURL(n.http_addr), rel: "noreferrer" }, n.http_addr) : "unknown"),
      el("td", {}, n.raft_addr),
      el("td", {}, n.suffrage),
      el("td", {}, l === undefined ? "no data" : String(l)));
  });
  rows("members", trs, "no members");
  const note = document.getElementById("lag-note");
  note.replaceChildren();
  if (st.state !== "leader") {
    const leader = (st.nodes || []).find((n) => n.id === st.leader_id);
    note.append("Lag is measured by the leader (burndown_follower_lag_entries on its /metrics). ");
    if (leader && leader.http_addr) {
      note.append(el("a", { href: consoleURL(leader.http_addr), rel: "noreferrer" }, "Open the leader's console"),
        " (it asks for the token again: each node's page keeps its own).");
    }
  } else if (!lag) {
    note.append("This node's /metrics has no burndown_follower_lag_entries: lag shows no data.");
  }
}

function showRoutes(prev, cur, dt) {
  const counts = prom.deltas(prev, cur, "burndown_http_requests_total", ["route", "code"]);
  const hist = prom.bucketDeltas(prev, cur, "burndown_http_request_duration_seconds", ["route"]);
  if (!counts) {
    rows("routes", [], "no data: this node's /metrics has no burndown_http_requests_total");
    return;
  }
  const byRoute = new Map();
  for (const g of counts.values()) {
    const r = g.labels.route;
    if (!byRoute.has(r)) byRoute.set(r, { total: 0, d: 0, d4: 0, d5: 0 });
    const x = byRoute.get(r);
    x.total += g.total;
    x.d += g.delta;
    if (g.labels.code.startsWith("4")) x.d4 += g.delta;
    if (g.labels.code.startsWith("5")) x.d5 += g.delta;
  }
  const per = (d) => (prev && dt > 0 ? d / dt : undefined);
  const trs = [...byRoute.entries()].sort((a, b) => b[1].total - a[1].total).map(([r, x]) => {
    const h = hist && hist.get(r);
    const b = h ? h.buckets : [];
    return el("tr", {},
      el("td", {}, r),
      el("td", { className: "n" }, fmt.rate(per(x.d))),
      el("td", { className: "n" }, fmt.rate(per(x.d4))),
      el("td", { className: "n" }, fmt.rate(per(x.d5))),
      el("td", { className: "n" }, prev ? fmt.secs(prom.quantile(0.5, b)) : "no data"),
      el("td", { className: "n" }, prev ? fmt.secs(prom.quantile(0.99, b)) : "no data"),
      el("td", { className: "n" }, x.total));
  });
  rows("routes", trs, "no requests yet");
  text("routes-note", hist ? "Latency percentiles are over the last poll interval; \"no data\" when a route had no request in it."
    : "This node's /metrics has no burndown_http_request_duration_seconds histogram: latency shows no data.");
}

function showCheck(prev, cur) {
  const h = prom.bucketDeltas(prev, cur, "burndown_check_duration_seconds", []);
  if (!h) {
    dl("check-latency", [["p50", "no data"], ["p99", "no data"]]);
    return;
  }
  const b = (h.values().next().value || { buckets: [] }).buckets;
  dl("check-latency", [
    ["p50", prev ? fmt.secs(prom.quantile(0.5, b)) : "no data"],
    ["p99", prev ? fmt.secs(prom.quantile(0.99, b)) : "no data"],
    ["Checks in interval", prev ? (b.length ? b[b.length - 1].count : 0) : "no data"],
  ]);
}

function counterTable(id, prev, cur, dt, name, label) {
  const d = prom.deltas(prev, cur, name, [label]);
  if (!d) {
    rows(id, [], "no data: /metrics has no " + name);
    return;
  }
  const trs = [...d.values()].sort((a, b) => b.total - a.total).map((g) => el("tr", {},
    el("td", {}, g.labels[label]),
    el("td", { className: "n" }, g.total),
    el("td", { className: "n" }, fmt.rate(prev && dt > 0 ? g.delta / dt : undefined))));
  rows(id, trs);
}

function showWebhooks(prev, cur, dt) {
  dl("webhooks", [
    ["Backlog", fmt.num(prom.gauge(cur, "burndown_webhook_backlog"))],
    ["Outbox notifications", fmt.num(prom.gauge(cur, "burndown_outbox_notifications"))],
    ["Dropped by the outbox bound", fmt.num(prom.gauge(cur, "burndown_outbox_dropped_total"))],
  ]);
  counterTable("delivery-outcomes", prev, cur, dt, "burndown_webhook_deliveries_total", "outcome");
}

function showRejects(prev, cur, dt) {
  counterTable("rejects", prev, cur, dt, "burndown_rejected_events_total", "reason");
}

function showFailed(list) {
  rows("failed", list.map((d) => el("tr", {},
    el("td", {}, d.id),
    el("td", {}, d.type),
    el("td", {}, d.customer_id ? el("a", { href: "#/customer/" + encodeURIComponent(d.customer_id) }, d.customer_id) : ""),
    el("td", {}, d.destination_id),
    el("td", { className: "n" }, d.attempts),
    el("td", {}, d.failed_at),
    el("td", {}, el("button", { type: "button", onclick: () => replay({ id: d.id }) }, "Replay")))), "no failed deliveries");
}

async function replay(body) {
  const out = document.getElementById("replay-result");
  out.className = "";
  out.textContent = "Replaying…";
  try {
    const r = await api.post("/v1/webhooks/deliveries/replay", body);
    out.textContent = "Replayed " + r.data.replayed + " deliver" + (r.data.replayed === 1 ? "y" : "ies") + ".";
  } catch (err) {
    if (err instanceof api.APIError && err.status === 401) return failed(err);
    out.className = "error";
    out.textContent = err instanceof api.APIError && err.status === 403
      ? "Not allowed: " + err.message + "."
      : "Replay failed: " + err.message;
  }
}

document.getElementById("replay-all").addEventListener("click", () => replay({ since: "1970-01-01T00:00:00Z" }));

// ---- customers ----

let customers = [];

async function customersView() {
  const all = [];
  let next = null;
  for (let page = 0; page < 10; page++) { // at most 1000 listed; search finds the rest
    const r = await api.get("/v1/customers?limit=100" + (next ? "&next_page=" + encodeURIComponent(next) : ""));
    all.push(...(r.data || []));
    next = r.next_page;
    if (!next) break;
  }
  customers = all;
  text("customers-note", next ? "The first 1000 customers are listed; search looks up an exact id or ingest alias beyond them." : "");
  showCustomers(document.getElementById("search").value);
}

function matches(c, q) {
  q = q.toLowerCase();
  return !q || (c.name || "").toLowerCase().includes(q) || c.id.toLowerCase().includes(q) ||
    (c.ingest_aliases || []).some((a) => a.toLowerCase().includes(q));
}

function showCustomers(q) {
  const found = customers.filter((c) => matches(c, q));
  rows("customers", found.map((c) => el("tr", {},
    el("td", {}, el("a", { href: "#/customer/" + encodeURIComponent(c.id) }, c.name || "(no name)")),
    el("td", {}, c.id),
    el("td", {}, (c.ingest_aliases || []).join(", ")))), q ? "no customer matches" : "no customers");
}

document.getElementById("search").addEventListener("input", (e) => showCustomers(e.target.value));
document.getElementById("search-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const q = document.getElementById("search").value.trim();
  if (!q) return;
  try { // an exact id or ingest alias, beyond the listed pages
    const [byAlias, byID] = await Promise.all([
      api.get("/v1/customers?ingest_alias=" + encodeURIComponent(q)),
      api.get("/v1/customers?customer_ids=" + encodeURIComponent(q)),
    ]);
    for (const c of [...byAlias.data, ...byID.data]) {
      if (!customers.some((x) => x.id === c.id)) customers.push(c);
    }
    showCustomers(q);
  } catch (err) {
    failed(err);
  }
});

// ---- one customer ----

function amount(v, creditType) {
  if (v === undefined || v === null) return "—";
  return String(v) + (creditType && creditType.name ? " " + creditType.name : "");
}

async function customerView(id) {
  const body = { customer_id: id };
  const [cust, contracts, balances, alerts, invoices] = await Promise.all([
    api.get("/v1/customers/" + encodeURIComponent(id)),
    api.post("/v1/contracts/list", body),
    api.post("/v1/contracts/customerBalances/list", { customer_id: id, include_balance: true, include_ledgers: true, include_contract_balances: true }),
    api.post("/v1/customer-alerts/list", body),
    api.get("/v1/customers/" + encodeURIComponent(id) + "/invoices"),
  ]);
  const c = cust.data || cust;
  text("customer-name", c.name || "(no name)");
  text("customer-id", "id " + c.id + ((c.ingest_aliases || []).length ? " · aliases " + c.ingest_aliases.join(", ") : ""));
  showBalances(balances.data || []);
  showAlerts(alerts.data || []);
  showContracts(contracts.data || []);
  showInvoices(invoices.data || []);
  text("customer-updated", "Updated " + new Date().toLocaleTimeString());
}

function showBalances(list) {
  if (list.length === 0) {
    fill("balances", el("p", { className: "muted" }, "No commits or credits."));
    return;
  }
  fill("balances", list.map((b) => {
    const ct = b.access_schedule && b.access_schedule.credit_type;
    const items = (b.access_schedule && b.access_schedule.schedule_items) || [];
    const ends = items.length ? items[items.length - 1].ending_before : "";
    return el("div", { className: "balance", dataset: { commitId: b.id } },
      el("h4", {}, (b.name || b.product && b.product.name || b.id) + " · " + b.type),
      el("p", {},
        el("strong", { className: "balance-amount" }, amount(b.balance, ct)),
        el("span", { className: "muted" }, " left" + (ends ? " · access ends " + ends : "") +
          (b.contract ? " · contract " + b.contract.id : " · customer-level"))),
      el("table", { className: "ledger" },
        el("thead", {}, el("tr", {}, el("th", {}, "Ledger entry"), el("th", {}, "At"), el("th", {}, "Amount"), el("th", {}, "Invoice"))),
        el("tbody", {}, (b.ledger || []).map((l) => el("tr", {},
          el("td", {}, l.type), el("td", {}, l.timestamp), el("td", { className: "n" }, l.amount), el("td", {}, l.invoice_id || ""))))));
  }));
}

function showAlerts(list) {
  rows("alerts", list.map((a) => {
    const al = a.alert || {};
    const state = a.customer_status || "evaluating";
    return el("tr", { className: state === "in_alarm" ? "alarm" : "" },
      el("td", {}, al.name || al.id),
      el("td", {}, al.type),
      el("td", { className: "n" }, amount(al.threshold, al.credit_type)),
      el("td", { className: "state-" + state }, state + (al.status && al.status !== "enabled" ? " (" + al.status + ")" : "")),
      el("td", {}, al.block_on_alarm ? "yes" : "no"));
  }), "no alerts");
}

function showContracts(list) {
  rows("contracts", list.map((k) => {
    const cur = k.current || k.initial || {};
    return el("tr", {},
      el("td", {}, k.id),
      el("td", {}, cur.starting_at || ""),
      el("td", {}, cur.ending_before || "open-ended"),
      el("td", {}, cur.rate_card_id || ""),
      el("td", { className: "n" }, (cur.commits || []).length),
      el("td", { className: "n" }, (cur.credits || []).length));
  }), "no contracts");
}

function showInvoices(list) {
  if (list.length === 0) {
    fill("invoices", el("p", { className: "muted" }, "No invoices."));
    return;
  }
  fill("invoices", list.map((inv) => el("div", { className: "invoice" },
    el("h4", {}, inv.status + " · " + (inv.start_timestamp || "") + " → " + (inv.end_timestamp || "") + " · total " + amount(inv.total, inv.credit_type)),
    el("p", { className: "muted" }, "invoice " + inv.id + " · " + inv.type + (inv.contract_id ? " · contract " + inv.contract_id : "")),
    el("table", {},
      el("thead", {}, el("tr", {}, el("th", {}, "Line"), el("th", {}, "Type"), el("th", {}, "Quantity"), el("th", {}, "Total"))),
      el("tbody", {}, (inv.line_items || []).map((li) => el("tr", {},
        el("td", {}, li.name), el("td", {}, li.type), el("td", { className: "n" }, li.quantity === undefined ? "" : li.quantity),
        el("td", { className: "n" }, li.total))))))));
}

route();
