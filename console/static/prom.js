// Prometheus text format, read in the browser: parse /metrics, then turn two
// scrapes into rates and histogram quantiles, as Prometheus's rate() and
// histogram_quantile() would over that interval.

// parse reads the exposition text into a Map from metric name to its
// samples, each {labels: {name: value}, value: number}.
export function parse(text) {
  const out = new Map();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const s = parseSample(line);
    if (!s) continue;
    if (!out.has(s.name)) out.set(s.name, []);
    out.get(s.name).push({ labels: s.labels, value: s.value });
  }
  return out;
}

// parseSample reads `name{a="x",b="y"} value [timestamp]`; null when the line
// is not a sample.
function parseSample(line) {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!m) return null;
  let i = m[1].length;
  const labels = {};
  if (line[i] === "{") {
    i++;
    for (;;) {
      while (line[i] === " " || line[i] === ",") i++;
      if (line[i] === "}") { i++; break; }
      const ln = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
      if (!ln) return null;
      i += ln[0].length;
      if (line[i] !== "=" || line[i + 1] !== '"') return null;
      i += 2;
      let v = "";
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === "\\" && i + 1 < line.length) {
          i++;
          v += line[i] === "n" ? "\n" : line[i];
        } else {
          v += line[i];
        }
      }
      if (line[i] !== '"') return null;
      i++;
      labels[ln[0]] = v;
    }
  }
  const value = parseValue(line.slice(i).trim().split(/\s+/)[0]);
  if (Number.isNaN(value) && line.slice(i).trim().split(/\s+/)[0] !== "NaN") return null;
  return { name: m[1], labels, value };
}

function parseValue(s) {
  if (s === "+Inf" || s === "Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  return Number(s);
}

// key is a stable identity of a label set (sorted), optionally leaving some
// labels out.
function key(labels, without = []) {
  return Object.keys(labels).filter((k) => !without.includes(k)).sort()
    .map((k) => k + "=" + JSON.stringify(labels[k])).join(",");
}

// delta is how much each sample of name grew from prev to cur (both parsed
// scrapes), summed by the labels `by` picks: a Map from the joined `by`
// values to {labels, delta, total}. A series that went down (the node
// restarted) counts from zero; one absent before counts from zero too.
// Returns null when cur has no such series at all.
export function deltas(prev, cur, name, by) {
  const now = cur.get(name);
  if (!now) return null;
  const before = new Map((prev && prev.get(name) || []).map((s) => [key(s.labels), s.value]));
  const out = new Map();
  for (const s of now) {
    const was = before.get(key(s.labels));
    let d = s.value - (was === undefined ? 0 : was);
    if (d < 0) d = s.value;
    const groupLabels = {};
    for (const b of by) groupLabels[b] = s.labels[b] === undefined ? "" : s.labels[b];
    const k = by.map((b) => groupLabels[b]).join("\u0000");
    if (!out.has(k)) out.set(k, { labels: groupLabels, delta: 0, total: 0 });
    const g = out.get(k);
    g.delta += prev ? d : 0;
    g.total += s.value;
  }
  return out;
}

// bucketDeltas groups the `name_bucket` series of a histogram by the labels
// `by`, summing the growth of each `le` bucket between two scrapes: a Map
// from the joined `by` values to [{le, count}] sorted by le (cumulative, as
// Prometheus's buckets are). null when the histogram is absent.
export function bucketDeltas(prev, cur, name, by) {
  const d = deltas(prev, cur, name + "_bucket", [...by, "le"]);
  if (!d) return null;
  const out = new Map();
  for (const g of d.values()) {
    const k = by.map((b) => g.labels[b]).join("\u0000");
    if (!out.has(k)) out.set(k, { labels: Object.fromEntries(by.map((b) => [b, g.labels[b]])), buckets: [] });
    out.get(k).buckets.push({ le: parseValue(g.labels.le), count: g.delta });
  }
  for (const g of out.values()) g.buckets.sort((a, b) => a.le - b.le);
  return out;
}

// quantile is histogram_quantile(q) over cumulative buckets: the bucket
// holding rank q·total, interpolated linearly within it; the upper bound
// of the last finite bucket when the rank falls in +Inf. NaN without
// observations.
export function quantile(q, buckets) {
  if (buckets.length === 0) return NaN;
  const total = buckets[buckets.length - 1].count;
  if (!(total > 0)) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      const inBucket = b.count - prevCount;
      if (inBucket <= 0) return b.le;
      return prevLe + (b.le - prevLe) * ((rank - prevCount) / inBucket);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

// gauge is the value of a gauge with the given labels (every sample summed
// when labels is omitted); undefined when absent.
export function gauge(scrape, name, labels) {
  const ss = scrape.get(name);
  if (!ss) return undefined;
  let sum = 0;
  let found = false;
  for (const s of ss) {
    if (labels && !Object.entries(labels).every(([k, v]) => s.labels[k] === v)) continue;
    sum += s.value;
    found = true;
  }
  return found ? sum : undefined;
}
