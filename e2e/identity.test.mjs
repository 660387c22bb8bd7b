// Who sees which chats (docs/api.md#who-sees-which-chats), on real devices: one browser context is one device.
//   1. non-verified visitors are told apart by their device, not by what the page says;
//   2. a verified user sees their verified chats on every device, and can continue them;
//   3. externalId scopes both.
import assert from "node:assert/strict";
import { Suite } from "./suite.mjs";
import { uniq, eventually } from "../testkit/util.mjs";
import { widget } from "../testkit/widget.mjs";

const suite = new Suite();

suite.test("1. non-verified: two devices with the same user.data do not share chats; a reload keeps this device's", async (s) => {
  const ws = uniq("ws");
  const alice = { name: "Alice", email: "alice@example.com", customData: { plan: "free", claimed_vip: true } };
  const url = s.pageUrl({ options: { user: { data: alice, externalId: ws } } });

  const deviceA = await s.device();
  const a = await s.open(deviceA, url);
  await widget.open(a);
  await widget.send(a, "hello from device A");

  // Device B: same page, same user.data (same name and email), same workspace.
  const deviceB = await s.device();
  const b = await s.open(deviceB, url);
  await widget.open(b);
  assert.deepEqual(await widget.rows(b), [], "device B lists no chat before it has started one");
  assert.equal(await widget.count(b, ".msg"), 0, "device B shows none of A's messages");
  await widget.send(b, "hello from device B");
  await b.reload();
  await widget.open(b);
  await eventually(async () => (await widget.rows(b)).length > 0, "device B's chat list");
  assert.deepEqual(await widget.rows(b), ["hello from device B"], "device B sees only its own chat");

  // Device A after a reload: its history is back, and only its own.
  await a.reload();
  await widget.open(a);
  await eventually(async () => (await widget.rows(a)).length > 0, "device A's chat list");
  assert.deepEqual(await widget.rows(a), ["hello from device A"]);
  await a.locator("[data-frontdesk] .sessions [data-session]").first().click();
  await widget.sent(a, "hello from device A");
  const items = await widget.items(a);
  assert.equal(items.length, 1, JSON.stringify(items));
  assert.ok(!items.some((i) => i.text.includes("device B")));

  // The agent API: two separate unverified sessions; the page's customData is unverified only.
  const sessions = await s.agent.sessions(ws);
  assert.equal(sessions.length, 2, JSON.stringify(sessions));
  const sessionA = sessions.find((x) => x.last_message?.content === "hello from device A");
  assert.ok(sessionA, JSON.stringify(sessions));
  assert.equal(sessionA.verified, false);
  assert.equal(sessionA.external_id, ws);
  assert.deepEqual(sessionA.contact.non_verified_custom_data, alice.customData);
  assert.equal(sessionA.contact.custom_data, null, "nothing page-supplied under the trusted custom_data");
  assert.equal(sessionA.contact.email, "alice@example.com");
});

suite.test("2. verified: a second device with a fresh token sees the chat and continues it", async (s) => {
  const ws = uniq("ws");
  const email = "bob@example.com";
  const trusted = { org_id: "org_185938572649", vip: true };
  const first = await s.authenticate({ email, name: "Bob", custom_data: trusted });

  const deviceA = await s.device();
  const a = await s.open(deviceA, s.pageUrl({ options: { user: { token: first.token, externalId: ws } } }));
  await widget.open(a);
  await widget.send(a, "verified hello from A");

  // Device B: the site's backend mints a fresh token for the same email (here: through the page's
  // token function, as a site would).
  const deviceB = await s.device();
  const b = await s.open(deviceB, s.pageUrl({ options: { user: { token: { $tokenFunction: { email, name: "Bob" } }, externalId: ws } } }));
  await widget.open(b);
  await eventually(async () => (await widget.rows(b)).length > 0, "device B's chat list");
  assert.deepEqual(await widget.rows(b), ["verified hello from A"]);
  await b.locator("[data-frontdesk] .sessions [data-session]").first().click();
  await widget.sent(b, "verified hello from A");
  await widget.send(b, "continued from B");
  assert.ok((await b.evaluate(() => window.__tokenCalls)) >= 1, "the token function was used");

  // Device A sees B's message arrive in the same conversation, without a reload.
  await widget.sent(a, "continued from B");

  const sessions = await s.agent.sessions(ws);
  assert.equal(sessions.length, 1, "one conversation, continued: " + JSON.stringify(sessions));
  const [session] = sessions;
  assert.equal(session.verified, true);
  assert.equal(session.contact.email, email);
  assert.deepEqual(session.contact.custom_data, trusted, "trusted custom_data from the backend");
  assert.equal(session.contact.non_verified_custom_data, null);
  const contents = (await s.agent.messages(session.id)).map((m) => `${m.author}:${m.content}`);
  assert.deepEqual(contents, ["visitor:verified hello from A", "visitor:continued from B"]);
});

suite.test("3. workspaces: externalId ws-1 and ws-2 give disjoint chat lists, on one device and across devices", async (s) => {
  const email = `${uniq("carol")}@example.com`;
  const token = async () => (await s.authenticate({ email, name: "Carol" })).token;
  const pageFor = async (externalId) => s.pageUrl({ options: { user: { token: await token(), externalId } } });

  // One device: a chat in ws-1, then the same user in ws-2 sees nothing of it.
  const device = await s.device();
  const p = await s.open(device, await pageFor("ws-1"));
  await widget.open(p);
  await widget.send(p, `in ws-1 (${email})`);

  const sessionsLoaded = p.waitForResponse((r) => r.url().endsWith("/widget/v1/sessions") && r.request().method() === "GET");
  await p.goto(await pageFor("ws-2"));
  const listed = await (await sessionsLoaded).json();
  assert.deepEqual(listed.sessions, [], "the server lists no chat in ws-2");
  await widget.open(p);
  assert.deepEqual(await widget.rows(p), [], "ws-2 lists none of ws-1's chats");
  assert.equal(await widget.count(p, ".msg"), 0);
  await widget.send(p, `in ws-2 (${email})`);

  await p.goto(await pageFor("ws-1"));
  await widget.open(p);
  await eventually(async () => (await widget.rows(p)).length > 0, "ws-1's list");
  assert.deepEqual(await widget.rows(p), [`in ws-1 (${email})`]);

  // Another device, fresh tokens: the same two disjoint lists.
  const other = await s.device();
  for (const ws of ["ws-1", "ws-2"]) {
    const q = await s.open(other, await pageFor(ws));
    await widget.open(q);
    await eventually(async () => (await widget.rows(q)).length > 0, `${ws}'s list on the second device`);
    assert.deepEqual(await widget.rows(q), [`in ${ws} (${email})`]);
    await q.close();
  }

  // And the agent API agrees: each scope holds exactly its own chat of this user.
  for (const ws of ["ws-1", "ws-2"]) {
    const mine = (await s.agent.sessions(ws)).filter((x) => x.contact.email === email);
    assert.deepEqual(mine.map((x) => [x.external_id, x.last_message.content]), [[ws, `in ${ws} (${email})`]]);
  }
});
