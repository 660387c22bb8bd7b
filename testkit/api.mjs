// HTTP clients of the server's three APIs (docs/api.md), called from node: the widget API with the widget's own
// headers (as the widget, a forger or a load generator sends them), the agent API (secret key or agent key), and
// authenticate-user as a site's backend calls it.
import { randomHex } from "./util.mjs";

/** One request; resolves to `{ status, json, text }` whatever the status (`json` is null when the body is not JSON). */
export async function request(url, { method = "GET", headers = {}, body, signal } = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal,
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}

/** An error for an answer the caller did not expect, carrying its `status` (so a load test can tell 429 from 5xx). */
function unexpected(what, r) {
  return Object.assign(new Error(`${what} → ${r.status} ${r.text}`), { status: r.status });
}

/** The widget's headers for one visitor: the org's widget token, and a device id, user token or scope when given. */
export function widgetHeaders({ widgetToken, device, userToken, externalId, origin, headers = {} }) {
  const h = { "x-frontdesk-widget-token": widgetToken, ...headers };
  if (device) h["x-frontdesk-device"] = device;
  if (userToken) h.authorization = `Bearer ${userToken}`;
  if (externalId) h["x-frontdesk-external-id"] = externalId;
  if (origin) h.origin = origin;
  return h;
}

/** The widget-facing API as one visitor (see `widgetHeaders`). Every call resolves to `{ status, json, text }`. */
export function widgetApi(apiUrl, identity) {
  const headers = widgetHeaders(identity);
  return {
    headers,
    sessions: () => request(`${apiUrl}/widget/v1/sessions`, { headers }),
    messages: (id) => request(`${apiUrl}/widget/v1/sessions/${id}/messages`, { headers }),
    send: (id, content, clientId) =>
      request(`${apiUrl}/widget/v1/sessions/${id}/messages`, { method: "POST", headers, body: { content, ...(clientId ? { client_id: clientId } : {}) } }),
    start: (visitor) => request(`${apiUrl}/widget/v1/sessions`, { method: "POST", headers, body: visitor ? { visitor } : {} }),
    /**
     * The long-poll: `{ messages, cursor, signals, signals_at }` once something after `after` (or a signal after
     * `signalsAfter`, when given) exists, or after `wait` seconds.
     */
    updates: (after, wait, { signal, signalsAfter } = {}) =>
      request(`${apiUrl}/widget/v1/updates?after=${after}&wait=${wait}${signalsAfter === undefined ? "" : `&signals_after=${signalsAfter}`}`, { headers, signal }),
  };
}

/**
 * A new non-verified visitor, as the widget creates one: a fresh device id (32 hex) and one chat session.
 * Resolves to `{ device, session, api }` (`api`: its `widgetApi`).
 */
export async function newVisitor(apiUrl, widgetToken, { headers } = {}) {
  const device = randomHex(16);
  const api = widgetApi(apiUrl, { widgetToken, device, headers });
  const r = await api.start();
  if (r.status !== 201) throw unexpected("start session", r);
  return { device, session: r.json.session.id, api };
}

/** The agent API with a secret key or an agent key. Throws on an unexpected status (the error's `status`). */
export function agentApi(apiUrl, key) {
  const auth = { authorization: `Bearer ${key}` };
  return {
    async sessions(externalId) {
      const r = await request(`${apiUrl}/api/sessions${externalId ? `?external_id=${encodeURIComponent(externalId)}` : ""}`, { headers: auth });
      if (r.status !== 200) throw unexpected("GET /api/sessions", r);
      return r.json.sessions;
    },
    async messages(sessionId) {
      const r = await request(`${apiUrl}/api/sessions/${sessionId}/messages`, { headers: auth });
      if (r.status !== 200) throw unexpected("GET messages", r);
      return r.json.messages;
    },
    async reply(sessionId, content, clientId) {
      const body = { content, ...(clientId ? { client_id: clientId } : {}) };
      const r = await request(`${apiUrl}/api/sessions/${sessionId}/messages`, { method: "POST", headers: auth, body });
      if (r.status !== 201) throw unexpected("POST reply", r);
      return r.json.message;
    },
    /** The org-wide long-poll: `{ messages, cursor }` (the raw answer, whatever its status, for load tests to count). */
    updates: (after, wait, { signal } = {}) =>
      request(`${apiUrl}/api/updates?after=${after}&wait=${wait}`, { headers: auth, signal }),
    /** `POST /api/sessions/{id}/resolve` or `…/reopen`: the session as it is after. */
    async setStatus(sessionId, action) {
      const r = await request(`${apiUrl}/api/sessions/${sessionId}/${action}`, { method: "POST", headers: auth, body: {} });
      if (r.status !== 200) throw unexpected(`POST ${action}`, r);
      return r.json.session;
    },
    resolve(sessionId) {
      return this.setStatus(sessionId, "resolve");
    },
    reopen(sessionId) {
      return this.setStatus(sessionId, "reopen");
    },
    /** `POST /api/sessions/{id}/typing` (a bot's "is typing…"). */
    async typing(sessionId, typing) {
      const r = await request(`${apiUrl}/api/sessions/${sessionId}/typing`, { method: "POST", headers: auth, body: { typing } });
      if (r.status !== 204) throw unexpected("POST typing", r);
    },
    /** `GET /api/csat?…`: `{ count, average, distribution }`. */
    async csat(query = "") {
      const r = await request(`${apiUrl}/api/csat${query ? `?${query}` : ""}`, { headers: auth });
      if (r.status !== 200) throw unexpected("GET /api/csat", r);
      return r.json;
    },
    /** Every message of every session in the scope, flattened (for "exactly once" checks). */
    async allMessages(externalId) {
      const sessions = await this.sessions(externalId);
      const all = [];
      for (const s of sessions) for (const m of await this.messages(s.id)) all.push({ ...m, session: s });
      return all;
    },
  };
}

/** What the site's backend does: POST /widget/authenticate-user with the secret key. Resolves to `{ token, … }`. */
export async function authenticateUser(apiUrl, secretKey, body) {
  const r = await request(`${apiUrl}/widget/authenticate-user`, { method: "POST", headers: { authorization: `Bearer ${secretKey}` }, body });
  if (r.status !== 200) throw unexpected("authenticate-user", r);
  return r.json;
}
