// The node's JSON API, called with the token as a bearer credential. The
// token lives in sessionStorage (this tab only, gone when it closes): never
// in a URL, never in localStorage.

const tokenKey = "burndown.console.token";

export function token() {
  return sessionStorage.getItem(tokenKey);
}

export function setToken(t) {
  sessionStorage.setItem(tokenKey, t);
}

export function forgetToken() {
  sessionStorage.removeItem(tokenKey);
}

// APIError is an answer other than 2xx, with the server's message.
export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(method, path, body) {
  const headers = { Authorization: "Bearer " + token() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
    referrerPolicy: "no-referrer",
  });
  const raw = await resp.text();
  if (!resp.ok) {
    let msg = raw;
    try {
      msg = JSON.parse(raw).message || raw;
    } catch (_) { /* not JSON: keep the text */ }
    throw new APIError(resp.status, msg || resp.statusText);
  }
  return raw;
}

// get returns the decoded JSON of a GET.
export async function get(path) {
  return JSON.parse(await call("GET", path));
}

// post returns the decoded JSON of a POST of body.
export async function post(path, body) {
  return JSON.parse(await call("POST", path, body));
}

// metricsText returns /metrics as text.
export function metricsText() {
  return call("GET", "/metrics");
}
