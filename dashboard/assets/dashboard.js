// The embeddable dashboard: it reads its data from <this page's path>/data
// (the same signed link) and draws it. Every value from the data is put in
// the page with textContent or an attribute, never as HTML.
(function () {
  'use strict';
  var app = document.getElementById('app');
  var dataURL = location.pathname.replace(/\/+$/, '') + '/data';
  var SVG = 'http://www.w3.org/2000/svg';
  // commits_and_credits polls twice a second, so a drop in a balance shows
  // within a second of the usage that caused it; the others every 5 s.
  var POLL = { commits_and_credits: 500, usage: 5000, invoices: 5000 };
  var stopped = false;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]);
    return parent;
  }
  function money(value, ct) {
    var v = Number(value);
    var name = (ct && ct.name) || '';
    if (name === 'USD (cents)') return (v / 100).toLocaleString('en-US', { style: 'currency', currency: 'USD' });
    return v.toLocaleString('en-US', { maximumFractionDigits: 4 }) + (name ? ' ' + name : '');
  }
  function qty(v) { return Number(v).toLocaleString('en-US', { maximumFractionDigits: 4 }); }
  function day(ts) {
    if (!ts) return '';
    var d = new Date(ts);
    return isNaN(d) ? String(ts) : d.toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
  }
  function applyColors(colors) {
    Object.keys(colors || {}).forEach(function (name) {
      document.documentElement.style.setProperty('--' + name, colors[name]);
    });
  }
  function header(d, title) {
    var h = el('div', 'header');
    var left = add(el('div'), el('h1', null, title), el('div', 'muted customer-name', d.customer.name));
    add(h, left, el('span', 'live', 'Updated ' + new Date().toLocaleTimeString('en-US')));
    return h;
  }
  function showError(message) {
    stopped = true;
    app.replaceChildren();
    var box = el('div', 'error');
    box.id = 'error';
    box.setAttribute('role', 'alert');
    add(app, add(box, el('h1', null, 'This link is not valid'), el('p', null, message)));
  }

  // commits_and_credits: each commit and credit with what remains of it and
  // when it expires, the totals, and the spend alerts as limits.
  function drawCommits(d) {
    var out = [header(d, 'Commits and credits')];
    var totals = add(el('div', 'totals'));
    (d.totals || []).forEach(function (t) {
      var box = el('div', 'total');
      var v = el('div', 'value total-balance', money(t.balance, t.credit_type));
      v.setAttribute('data-value', t.balance);
      add(totals, add(box, el('div', 'muted', 'Remaining (' + (t.credit_type.name || t.credit_type.id) + ')'), v));
    });
    out.push(totals, el('h2', null, 'Balances'));
    var cards = el('div', 'cards');
    if (!d.commits.length) add(cards, el('div', 'empty', 'No commits or credits.'));
    d.commits.forEach(function (c) {
      var card = el('div', 'card commit');
      card.setAttribute('data-id', c.id);
      var name = add(el('div', 'name', c.name || c.product_name || c.id), el('span', 'badge', c.kind));
      var bal = el('div', 'balance', money(c.balance, c.credit_type));
      bal.setAttribute('data-value', c.balance);
      var granted = Number(c.granted) || 0;
      var pct = granted > 0 ? Math.max(0, Math.min(100, 100 * Number(c.balance) / granted)) : 0;
      var fill = el('div');
      fill.style.width = pct.toFixed(1) + '%';
      var bar = add(el('div', 'bar'), fill);
      bar.setAttribute('role', 'progressbar');
      bar.setAttribute('aria-valuenow', pct.toFixed(0));
      var of = el('div', 'muted', 'of ' + money(c.granted, c.credit_type) + ' granted');
      var exp = el('div', 'muted expiry', c.expired ? 'Expired ' + day(c.ending_before) : 'Expires ' + day(c.ending_before));
      exp.setAttribute('data-ending-before', c.ending_before || '');
      add(cards, add(card, name, bal, bar, of, exp, c.payment_gate_status ? el('div', 'muted', 'Payment ' + c.payment_gate_status) : null));
    });
    out.push(cards, el('h2', null, 'Spend limits'));
    if (!d.alerts.length) {
      out.push(el('div', 'empty', 'No spend limits.'));
    } else {
      var t = el('table', 'alerts');
      add(t, add(el('tr'), el('th', null, 'Limit'), el('th', null, 'Kind'), el('th', 'num', 'Threshold'), el('th', null, 'State')));
      d.alerts.forEach(function (a) {
        var tr = el('tr', 'alert');
        tr.setAttribute('data-id', a.id);
        tr.setAttribute('data-in-alarm', a.in_alarm ? 'true' : 'false');
        var state = el('span', 'badge ' + (a.in_alarm ? 'alarm' : 'ok'), a.in_alarm ? 'In alarm' : (a.status === 'evaluating' ? 'Evaluating' : 'OK'));
        add(t, add(tr, el('td', null, a.name),
          add(el('td'), el('span', 'badge' + (a.hard ? ' hard' : ''), a.hard ? 'Hard limit: usage is refused' : 'Soft limit: notifies')),
          el('td', 'num', a.credit_type ? money(a.threshold, a.credit_type) : qty(a.threshold)), add(el('td'), state)));
      });
      out.push(t);
    }
    return out;
  }

  // usage: spend per product over the current billing period, as bars
  // split by group value, and a table.
  function drawUsage(d) {
    var out = [header(d, 'Usage')];
    out.push(el('div', 'muted period', d.period ? 'Billing period ' + day(d.period.start) + ' – ' + day(d.period.end) : 'No billing period in progress'));
    var products = d.products || [];
    if (!products.length) { out.push(el('div', 'empty', 'No usage this period.')); return out; }
    var max = 0;
    products.forEach(function (p) { max = Math.max(max, Number(p.total), 0); });
    var rowH = 34, labelW = 180, chartW = 620, pad = 8;
    var chart = svg('svg', { 'class': 'chart', viewBox: '0 0 ' + (labelW + chartW + 120) + ' ' + (products.length * rowH + pad * 2), role: 'img' });
    var colorOf = {}, legend = [];
    products.forEach(function (p, i) {
      var y = pad + i * rowH;
      var label = svg('text', { x: 0, y: y + rowH / 2 + 4, 'font-size': 13 });
      label.textContent = p.name;
      chart.appendChild(label);
      var x = labelW;
      var parts = p.groups && p.groups.length ? p.groups : [{ label: '', total: p.total }];
      parts.forEach(function (g) {
        var w = max > 0 ? chartW * Number(g.total) / max : 0;
        if (!(g.label in colorOf)) { colorOf[g.label] = Object.keys(colorOf).length % 10; if (g.label) legend.push(g.label); }
        var r = svg('rect', { x: x.toFixed(2), y: y + 6, width: Math.max(0, w).toFixed(2), height: rowH - 12, rx: 3 });
        r.style.fill = 'var(--UsageLine_' + colorOf[g.label] + ')';
        var tip = svg('title');
        tip.textContent = (g.label ? g.label + ': ' : '') + money(g.total, p.credit_type);
        r.appendChild(tip);
        chart.appendChild(r);
        x += w;
      });
      var v = svg('text', { x: x + 6, y: y + rowH / 2 + 4, 'font-size': 12, 'class': 'bar-value' });
      v.textContent = money(p.total, p.credit_type);
      chart.appendChild(v);
    });
    out.push(chart);
    if (legend.length) {
      var lg = el('div', 'legend');
      legend.forEach(function (l) {
        var s = el('span', 'swatch');
        s.style.background = 'var(--UsageLine_' + colorOf[l] + ')';
        add(lg, add(el('span'), s, document.createTextNode(l)));
      });
      out.push(lg);
    }
    var t = el('table', 'usage');
    add(t, add(el('tr'), el('th', null, 'Product'), el('th', null, 'Group'), el('th', 'num', 'Quantity'), el('th', 'num', 'Spend')));
    products.forEach(function (p) {
      var tr = el('tr', 'product');
      tr.setAttribute('data-id', p.id);
      add(t, add(tr, el('td', null, p.name), el('td'), el('td', 'num', qty(p.quantity)), el('td', 'num', money(p.total, p.credit_type))));
      (p.groups || []).forEach(function (g) {
        if (!g.label) return;
        add(t, add(el('tr', 'group'), el('td'), el('td', null, g.label), el('td', 'num', qty(g.quantity)), el('td', 'num', money(g.total, p.credit_type))));
      });
    });
    out.push(t);
    return out;
  }

  // invoices: drafts and finalized invoices with their lines.
  function drawInvoices(d) {
    var out = [header(d, 'Invoices')];
    if (!d.invoices.length) out.push(el('div', 'empty', 'No invoices.'));
    d.invoices.forEach(function (inv) {
      var box = el('div', 'invoice');
      box.setAttribute('data-id', inv.id);
      box.setAttribute('data-status', inv.status);
      var head = add(el('div', 'head'),
        add(el('div'), el('strong', null, day(inv.start_timestamp) + ' – ' + day(inv.end_timestamp)), el('span', 'badge', inv.status === 'DRAFT' ? 'Draft' : inv.status === 'FINALIZED' ? 'Finalized' : inv.status)),
        el('strong', 'invoice-total', money(inv.total, inv.credit_type)));
      var t = el('table');
      add(t, add(el('tr'), el('th', null, 'Line'), el('th', 'num', 'Quantity'), el('th', 'num', 'Amount')));
      (inv.line_items || []).forEach(function (l, i) {
        var group = (inv.line_groups || [])[i];
        add(t, add(el('tr', 'line'), el('td', null, (l.name || l.type) + (group ? ' · ' + group : '')), el('td', 'num', l.quantity !== undefined ? qty(l.quantity) : ''), el('td', 'num', money(l.total, l.credit_type))));
      });
      out.push(add(box, head, t));
    });
    return out;
  }

  var draw = { commits_and_credits: drawCommits, usage: drawUsage, invoices: drawInvoices };

  function load() {
    if (stopped) return;
    fetch(dataURL, { cache: 'no-store', credentials: 'omit' }).then(function (resp) {
      return resp.json().then(function (body) { return { status: resp.status, body: body }; });
    }).then(function (r) {
      if (r.status === 403 || r.status === 404) { showError(r.body && r.body.message ? r.body.message : 'Access denied.'); return; }
      if (r.status !== 200) { schedule(2000); return; }
      var d = r.body.data;
      applyColors(d.colors);
      var nodes = draw[d.dashboard](d);
      app.replaceChildren.apply(app, nodes);
      app.setAttribute('data-dashboard', d.dashboard);
      app.setAttribute('data-loaded', 'true');
      schedule(POLL[d.dashboard] || 5000);
    }).catch(function () { schedule(2000); });
  }
  function schedule(ms) { if (!stopped) setTimeout(load, ms); }
  load();
})();
