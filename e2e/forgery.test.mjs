// 4. Forgery: a page (or anyone with the widget's headers) cannot read chats its identity does not see.
//   - a tampered, an expired and another org's user.token get no chat list, a console error for the
//     site owner and a calm notice for the visitor;
//   - another device's session id is a 404 at the HTTP level;
//   - non-verified user.data claiming a verified user's email reveals none of that user's chats.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Suite } from "./suite.mjs";
import { widgetApi, authenticateUser } from "../testkit/api.mjs";
import { frontdeskErrors } from "../testkit/browser.mjs";
import { uniq, eventually } from "../testkit/util.mjs";
import { widget } from "../testkit/widget.mjs";

const suite = new Suite();
const CALM = "Chat is unavailable right now. Please try again later.";

const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString("base64url");
const claims = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());

/** A victim with a verified chat in `ws`, made through the widget API with the victim's token. */
async function verifiedVictim(s, ws, secret) {
  const email = `${uniq("victim")}@example.com`;
  const { token } = await s.authenticate({ email, name: "Victim", custom_data: { tier: "basic" } });
  const api = widgetApi(s.api, { widgetToken: s.org.widget_token, userToken: token, externalId: ws, origin: s.site.origin });
  const started = await api.start();
  assert.equal(started.status, 201, started.text);
  const sent = await api.send(started.json.session.id, secret, "c_victim_0001");
  assert.equal(sent.status, 201, sent.text);
  return { email, token, sessionId: started.json.session.id };
}

/** Opens a page with `userToken`, and checks the refusal a visitor and a site owner see. */
async function expectRefused(s, { url, code, secret }) {
  const device = await s.device();
  const page = await s.open(device, url);
  await widget.open(page);
  await widget.notice(page).waitFor({ state: "visible" });
  assert.equal((await widget.notice(page).textContent()).trim(), CALM, "a calm notice, no jargon");
  await eventually(() => frontdeskErrors(page).length > 0, "a Frontdesk console error");
  const errors = frontdeskErrors(page).map((e) => e.text);
  assert.ok(errors.some((t) => t.includes(code)), `the console error names ${code}: ${JSON.stringify(errors)}`);
  assert.deepEqual(await widget.rows(page), [], "no chat list");
  assert.equal(await widget.count(page, ".msg"), 0, "no messages");
  const text = await page.evaluate(() => document.querySelector("[data-frontdesk]").shadowRoot.textContent);
  assert.ok(!text.includes(secret), "the victim's chat never reaches the page");
  await device.close();
}

suite.test("4a. a tampered user.token (claims another contact) gets nothing: console error and calm notice", async (s) => {
  const ws = uniq("ws");
  const secret = `victim secret ${uniq("s")}`;
  const victim = await verifiedVictim(s, ws, secret);
  // The attacker holds a valid token of their own and rewrites its payload to name the victim.
  const { token: own } = await s.authenticate({ email: `${uniq("mallory")}@example.com` });
  const [prefix, , signature] = own.split(".");
  const forged = [prefix, b64({ ...claims(own), sub: claims(victim.token).sub, exp: claims(own).exp + 3600 }), signature].join(".");
  const direct = await widgetApi(s.api, { widgetToken: s.org.widget_token, userToken: forged, externalId: ws }).sessions();
  assert.equal(direct.status, 401, direct.text);
  assert.equal(direct.json.error.code, "invalid_user_token");
  await expectRefused(s, { url: s.pageUrl({ options: { user: { token: forged, externalId: ws } } }), code: "invalid_user_token", secret });

  // A flipped signature character is refused as well.
  const chars = signature.split("");
  chars[10] = chars[10] === "A" ? "B" : "A";
  const flipped = [prefix, own.split(".")[1], chars.join("")].join(".");
  const r = await widgetApi(s.api, { widgetToken: s.org.widget_token, userToken: flipped, externalId: ws }).sessions();
  assert.equal(r.status, 401, r.text);
});

suite.test("4b. an expired user.token gets nothing, while a token function keeps a long-open tab working", async (s) => {
  const second = await s.extraServer({ tokenTtlSecs: 3 }); // short, yet long enough that a fresh token outlives one retry
  s.site.backends.set("short", { api: second.api, secretKey: second.org.secret_key });
  const ws = uniq("ws");
  const email = `${uniq("erin")}@example.com`;
  const { token } = await authenticateUser(second.api, second.org.secret_key, { email });
  const api = widgetApi(second.api, { widgetToken: second.org.widget_token, userToken: token, externalId: ws });
  const started = await api.start();
  assert.equal(started.status, 201, "the token works while fresh: " + started.text);
  const secret = `erin's chat ${uniq("s")}`;
  assert.equal((await api.send(started.json.session.id, secret)).status, 201);
  // Wait (a condition, not a guess) until the server says the token has expired.
  await eventually(async () => (await api.sessions()).json?.error?.code === "user_token_expired", "the token to expire", 10_000);

  await expectRefused(s, {
    url: s.pageUrl({ server: second.api, widgetToken: second.org.widget_token, options: { user: { token, externalId: ws } } }),
    code: "user_token_expired",
    secret,
  });

  // The same user with a token *function*: the widget asks for a fresh token when the server says
  // the old one expired, and goes on without a reload.
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({
    server: second.api,
    widgetToken: second.org.widget_token,
    options: { user: { token: { $tokenFunction: { backend: "short", email } }, externalId: ws } },
  }));
  await widget.open(page);
  await eventually(async () => (await widget.rows(page)).length > 0, "the verified chat list");
  assert.deepEqual(await widget.rows(page), [secret]);
  await page.locator("[data-frontdesk] [data-session]").first().click();
  await widget.send(page, "before the token expires");
  const calls = await page.evaluate(() => window.__tokenCalls);
  // Let the page's current token expire: the server refuses every token minted before now + ttl.
  const { token: probe } = await authenticateUser(second.api, second.org.secret_key, { email });
  const probeApi = widgetApi(second.api, { widgetToken: second.org.widget_token, userToken: probe, externalId: ws });
  await eventually(async () => (await probeApi.sessions()).json?.error?.code === "user_token_expired", "the page's token to expire", 10_000);
  await widget.send(page, "after the token expired");
  assert.ok((await page.evaluate(() => window.__tokenCalls)) > calls, "the token function was called again");
  assert.deepEqual(frontdeskErrors(page), [], "no error for an expiry the widget handled");
  assert.equal(await widget.notice(page).isVisible(), false);
});

suite.test("4c. another org's user.token gets nothing", async (s) => {
  const ws = uniq("ws");
  const secret = `victim secret ${uniq("s")}`;
  const victim = await verifiedVictim(s, ws, secret);
  // A token for the very same email, minted with the other org's secret key.
  const { token } = await s.authenticate({ email: victim.email }, s.otherOrg);
  await expectRefused(s, { url: s.pageUrl({ options: { user: { token, externalId: ws } } }), code: "invalid_user_token", secret });
});

suite.test("4d. a device that sends another device's session id gets 404 (HTTP, with the widget's headers)", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ options: { user: { data: { name: "Owner" }, externalId: ws } } }));
  await widget.open(page);
  await widget.send(page, "only for my device");
  const [session] = await s.agent.sessions(ws);
  const deviceKey = `frontdesk:v1:${s.org.widget_token}:${ws}:device`;
  const ownerDevice = await page.evaluate((k) => localStorage.getItem(k), deviceKey);
  assert.match(ownerDevice, /^[0-9a-f]{32}$/, "the widget keeps a 128-bit device id");

  const as = (extra) => widgetApi(s.api, { widgetToken: s.org.widget_token, externalId: ws, origin: s.site.origin, ...extra });
  // The owner's own device reads it: the headers are right.
  const own = await as({ device: ownerDevice }).messages(session.id);
  assert.equal(own.status, 200, own.text);
  assert.deepEqual(own.json.messages.map((m) => m.content), ["only for my device"]);

  const thief = as({ device: randomBytes(16).toString("hex") });
  const read = await thief.messages(session.id);
  assert.equal(read.status, 404, read.text);
  assert.equal(read.json.error.code, "session_not_found");
  const write = await thief.send(session.id, "injected by a thief");
  assert.equal(write.status, 404, write.text);
  const list = await thief.sessions();
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.sessions, []);
  // Nor with the right device in another workspace, nor with a verified token of someone else,
  // nor through the other org's widget token.
  const otherScope = await as({ device: ownerDevice, externalId: `${ws}-x` }).messages(session.id);
  assert.equal(otherScope.status, 404, otherScope.text);
  const { token } = await s.authenticate({ email: `${uniq("thief")}@example.com` });
  assert.equal((await as({ userToken: token }).messages(session.id)).status, 404);
  assert.equal((await as({ device: ownerDevice, widgetToken: s.otherOrg.widget_token }).messages(session.id)).status, 404);
  assert.equal((await as({ device: randomBytes(16).toString("hex") }).messages("0".repeat(32))).status, 404, "a guessed id is a 404 too");

  // Nothing was injected.
  assert.deepEqual((await s.agent.messages(session.id)).map((m) => m.content), ["only for my device"]);
});

suite.test("4e. non-verified user.data claiming a verified user's email does not reveal that user's chats", async (s) => {
  const ws = uniq("ws");
  const secret = `verified-only secret ${uniq("s")}`;
  const victim = await verifiedVictim(s, ws, secret);

  const device = await s.device();
  const url = s.pageUrl({ options: { user: { data: { name: "Victim", email: victim.email, customData: { vip: true, role: "admin" } }, externalId: ws } } });
  const page = await s.open(device, url);
  await widget.open(page);
  assert.deepEqual(await widget.rows(page), []);
  await widget.send(page, "it's me, honest");
  await page.reload();
  await widget.open(page);
  await eventually(async () => (await widget.rows(page)).length > 0, "the chat list");
  assert.deepEqual(await widget.rows(page), ["it's me, honest"], "only the chat this device started");
  const text = await page.evaluate(() => document.querySelector("[data-frontdesk]").shadowRoot.textContent);
  assert.ok(!text.includes(secret));

  // The same at the HTTP level, with this device's own headers.
  const deviceId = await page.evaluate((k) => localStorage.getItem(k), `frontdesk:v1:${s.org.widget_token}:${ws}:device`);
  const api = widgetApi(s.api, { widgetToken: s.org.widget_token, device: deviceId, externalId: ws, origin: s.site.origin });
  const listed = await api.sessions();
  assert.deepEqual(listed.json.sessions.map((x) => x.verified), [false]);
  assert.equal((await api.messages(victim.sessionId)).status, 404);

  // And the claim changed nothing on the verified contact: its trusted data stays the backend's.
  const sessions = await s.agent.sessions(ws);
  const verified = sessions.find((x) => x.id === victim.sessionId);
  assert.deepEqual(verified.contact.custom_data, { tier: "basic" });
  assert.equal(verified.contact.non_verified_custom_data, null);
  const claimed = sessions.find((x) => !x.verified);
  assert.equal(claimed.contact.custom_data, null);
  assert.deepEqual(claimed.contact.non_verified_custom_data, { vip: true, role: "admin" });
});
