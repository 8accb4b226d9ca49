// DOM building that never parses data as HTML: every value the API returns
// goes into the page as a text node.

// el makes an element: attrs sets properties and attributes (className,
// href, dataset, onclick...), children are nodes or values turned to text.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "className" || k === "hidden" || k === "disabled" || k === "type") e[k] = v;
    else e.setAttribute(k, String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// fill replaces the children of the element with id.
export function fill(id, ...children) {
  const e = document.getElementById(id);
  e.replaceChildren();
  append(e, children);
  return e;
}

// rows fills the tbody of the table with id; empty says what to show when
// there are no rows.
export function rows(id, trs, empty = "none") {
  const table = document.getElementById(id);
  const body = table.tBodies[0];
  body.replaceChildren(...trs);
  if (trs.length === 0) {
    body.append(el("tr", { className: "empty" }, el("td", { colspan: table.tHead.rows[0].cells.length }, empty)));
  }
}

// dl fills a definition list from [term, value] pairs.
export function dl(id, pairs) {
  fill(id, pairs.map(([t, v]) => [el("dt", {}, t), el("dd", {}, v)]));
}

// show makes the section with id the one visible one of main's sections.
export function show(id) {
  for (const s of document.querySelectorAll("main > section")) s.hidden = s.id !== id;
}

// text sets the text of the element with id.
export function text(id, s) {
  document.getElementById(id).textContent = s;
}
