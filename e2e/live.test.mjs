// 5. Live agent replies and the unread badge. 6. Nothing lost: offline sends, a closed page, a server
// restart (same port, same database): every message arrives exactly once.
import assert from "node:assert/strict";
import { Suite } from "./suite.mjs";
import { uniq, eventually } from "../testkit/util.mjs";
import { widget } from "../testkit/widget.mjs";

const suite = new Suite();

/** The contents stored in `ws` (all its sessions), counted. */
async function storedCounts(s, ws) {
  const counts = new Map();
  for (const m of await s.agent.allMessages(ws)) counts.set(m.content, (counts.get(m.content) || 0) + 1);
  return counts;
}

suite.test("5. an agent reply appears in the open widget without a reload; the badge counts replies while closed", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ options: { user: { data: { name: "Liv" }, externalId: ws } } }));
  await widget.open(page);
  await widget.send(page, "I need help");
  const [session] = await s.agent.sessions(ws);

  await s.agent.reply(session.id, "Hi Liv, Ada here");
  await page.locator("[data-frontdesk] .msg.agent").filter({ hasText: "Hi Liv, Ada here" }).waitFor();
  await eventually(async () => (await page.locator("[data-frontdesk] [aria-live]").textContent()).includes("Hi Liv, Ada here"), "the reply announced to screen readers");
  assert.equal(await widget.badge(page).isVisible(), false, "no badge for a reply read in the open panel");

  // Closed panel: replies count on the launcher.
  await page.getByRole("button", { name: "Close chat" }).click();
  await widget.panel(page).waitFor({ state: "hidden" });
  await s.agent.reply(session.id, "one more thing");
  await s.agent.reply(session.id, "and another");
  await eventually(async () => (await widget.badge(page).isVisible()) && (await widget.badge(page).textContent()) === "2", "the badge to show 2");
  assert.equal(await widget.launcher(page).getAttribute("aria-label"), "Open chat (2 unread)");

  await widget.launcher(page).click();
  await page.locator("[data-frontdesk] .msg.agent").filter({ hasText: "and another" }).waitFor();
  await widget.badge(page).waitFor({ state: "hidden" });
  assert.equal(await widget.launcher(page).getAttribute("aria-label"), "Open chat");
  const agentItems = (await widget.items(page)).filter((i) => i.cls.includes("agent"));
  assert.equal(agentItems.length, 3, JSON.stringify(agentItems));
});

suite.test("6a. a message sent offline shows as pending, then is delivered once when the network is back", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ options: { user: { data: { name: "Otto" }, externalId: ws } } }));
  await widget.open(page);

  await device.setOffline(true);
  await widget.composer(page).fill("written while offline");
  await widget.composer(page).press("Enter");
  await page.locator("[data-frontdesk] .msg.pending").filter({ hasText: "written while offline" }).waitFor();
  const outbox = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.endsWith(":outbox")).map((k) => localStorage.getItem(k)).join(""));
  assert.ok(outbox.includes("written while offline"), "kept in localStorage while pending");
  assert.equal((await storedCounts(s, ws)).size, 0, "nothing reached the server");

  await device.setOffline(false);
  await widget.sent(page, "written while offline");
  await widget.send(page, "and one more online");
  const counts = await storedCounts(s, ws);
  assert.deepEqual([...counts], [["written while offline", 1], ["and one more online", 1]]);
  assert.equal(await widget.count(page, ".msg.pending"), 0);
  const texts = (await widget.items(page)).map((i) => i.text);
  assert.equal(texts.filter((t) => t.includes("written while offline")).length, 1, JSON.stringify(texts));
});

suite.test("6b. a message left pending in a closed page is delivered once by the next page of the site", async (s) => {
  const ws = uniq("ws");
  const url = s.pageUrl({ options: { user: { data: { name: "Pia" }, externalId: ws } } });
  const device = await s.device();
  const page = await s.open(device, url);
  await widget.open(page);
  await widget.send(page, "hello while online");

  await device.setOffline(true);
  await widget.composer(page).fill("left pending when the tab closed");
  await widget.composer(page).press("Enter");
  await page.locator("[data-frontdesk] .msg.pending").filter({ hasText: "left pending when the tab closed" }).waitFor();
  await page.close();
  await device.setOffline(false);
  assert.deepEqual([...(await storedCounts(s, ws))], [["hello while online", 1]]);

  // The visitor comes back later: a new page of the site, online. The widget sends the outbox.
  const next = await s.open(device, url);
  await widget.ready(next);
  await eventually(async () => (await storedCounts(s, ws)).has("left pending when the tab closed"), "the pending message to be delivered");
  await eventually(() => next.evaluate(() => !Object.keys(localStorage).some((k) => k.endsWith(":outbox"))), "the outbox to be emptied");
  await widget.open(next);
  await next.locator("[data-frontdesk] .sessions [data-session]").first().click();
  await widget.sent(next, "left pending when the tab closed");
  assert.deepEqual([...(await storedCounts(s, ws))], [["hello while online", 1], ["left pending when the tab closed", 1]]);
  assert.equal((await s.agent.sessions(ws)).length, 1, "in the same conversation");
});

suite.test("6c. a server restart mid-conversation (same port and database) loses and doubles nothing", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ options: { user: { data: { name: "Rex" }, externalId: ws } } }));
  await widget.open(page);
  await widget.send(page, "m1 before the restart");
  const [session] = await s.agent.sessions(ws);

  const stopped = await s.server.stop();
  assert.equal(stopped.code, 0, `the server stops cleanly on SIGTERM: ${JSON.stringify(stopped)}`);
  await widget.composer(page).fill("m2 while the server is down");
  await widget.composer(page).press("Enter");
  await page.locator("[data-frontdesk] .msg.pending").filter({ hasText: "m2 while the server is down" }).waitFor();

  await s.server.start();
  await widget.sent(page, "m2 while the server is down", 30_000);
  await s.agent.reply(session.id, "a1 after the restart");
  await page.locator("[data-frontdesk] .msg.agent").filter({ hasText: "a1 after the restart" }).waitFor({ timeout: 30_000 });
  await widget.send(page, "m3 after the restart");

  const stored = (await s.agent.messages(session.id)).map((m) => m.content);
  assert.deepEqual(stored, ["m1 before the restart", "m2 while the server is down", "a1 after the restart", "m3 after the restart"]);
  assert.equal((await s.agent.sessions(ws)).length, 1);
  const texts = (await widget.items(page)).map((i) => i.text);
  for (const content of stored) {
    assert.equal(texts.filter((t) => t.includes(content)).length, 1, `${content} shows once: ${JSON.stringify(texts)}`);
  }
});

suite.test("6d. an answer lost on the way back (the server stored the message) is retried and stored once", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ options: { user: { data: { name: "Lou" }, externalId: ws } } }));
  await widget.open(page);
  await widget.send(page, "first, answered normally");

  // The next send reaches the real server, which stores it; its answer is then dropped, as a
  // connection reset would. The widget must retry with the same client id: stored once.
  let dropped = 0;
  await page.route(/\/widget\/v1\/sessions\/[0-9a-f]{32}\/messages$/, async (route) => {
    if (route.request().method() !== "POST" || dropped > 0) return route.continue();
    dropped++;
    await route.fetch();
    await route.abort("connectionreset");
  });
  await widget.composer(page).fill("second, answer lost");
  await widget.composer(page).press("Enter");
  await widget.sent(page, "second, answer lost");
  assert.equal(dropped, 1, "one answer was dropped");
  const [session] = await s.agent.sessions(ws);
  assert.deepEqual((await s.agent.messages(session.id)).map((m) => m.content), ["first, answered normally", "second, answer lost"]);
  const texts = (await widget.items(page)).map((i) => i.text);
  assert.equal(texts.filter((t) => t.includes("second, answer lost")).length, 1, JSON.stringify(texts));
});

suite.test("6e. an answer lost on the way back when a chat starts does not leave a phantom conversation", async (s) => {
  // The first message of a new chat first creates the session (POST /widget/v1/sessions). If that
  // request reaches the server but its answer is lost (a connection reset), the widget retries:
  // the visitor must still end up with one conversation, not one per attempt.
  const ws = uniq("ws");
  const url = s.pageUrl({ options: { user: { data: { name: "Nia" }, externalId: ws } } });
  const device = await s.device();
  const page = await s.open(device, url);
  await widget.open(page);
  let dropped = 0;
  await page.route(/\/widget\/v1\/sessions$/, async (route) => {
    if (route.request().method() !== "POST" || dropped > 0) return route.continue();
    dropped++;
    await route.fetch();
    await route.abort("connectionreset");
  });
  await widget.composer(page).fill("opening message, answer lost");
  await widget.composer(page).press("Enter");
  await widget.sent(page, "opening message, answer lost");
  assert.equal(dropped, 1);
  assert.deepEqual([...(await storedCounts(s, ws))], [["opening message, answer lost", 1]], "the message is stored once");

  await page.reload();
  await widget.open(page);
  await eventually(async () => (await widget.rows(page)).length > 0, "the visitor's chat list");
  const rows = await widget.rows(page);
  const sessions = await s.agent.sessions(ws);
  assert.deepEqual(
    { visitorSees: rows, agentsSee: sessions.map((x) => x.last_message?.content ?? "(empty session)") },
    { visitorSees: ["opening message, answer lost"], agentsSee: ["opening message, answer lost"] },
    "one conversation, not one per attempt to start it",
  );
});

suite.test("6f. two tabs of one device show the same conversation and stay in step; each message is stored once", async (s) => {
  const ws = uniq("ws");
  const url = s.pageUrl({ options: { user: { data: { name: "Tam" }, externalId: ws } } });
  const device = await s.device();
  const tabA = await s.open(device, url);
  await widget.open(tabA);
  await widget.send(tabA, "first, from tab A");

  const tabB = await s.open(device, url);
  await widget.open(tabB);
  await tabB.locator("[data-frontdesk] .sessions [data-session]").first().click();
  await widget.sent(tabB, "first, from tab A");

  await widget.send(tabA, "second, from tab A");
  await widget.sent(tabB, "second, from tab A");
  await widget.send(tabB, "third, from tab B");
  await widget.sent(tabA, "third, from tab B");

  const [session] = await s.agent.sessions(ws);
  await s.agent.reply(session.id, "agent answer to both tabs");
  for (const tab of [tabA, tabB]) {
    await tab.locator("[data-frontdesk] .msg.agent").filter({ hasText: "agent answer to both tabs" }).waitFor();
  }
  assert.deepEqual(
    [...(await storedCounts(s, ws))],
    [["first, from tab A", 1], ["second, from tab A", 1], ["third, from tab B", 1], ["agent answer to both tabs", 1]],
    "one conversation, every message once",
  );
  assert.equal((await s.agent.sessions(ws)).length, 1);
  for (const tab of [tabA, tabB]) {
    assert.deepEqual((await widget.items(tab)).map((i) => i.cls), ["msg visitor", "msg visitor", "msg visitor", "msg agent"]);
  }
});

suite.test("6g. a send the server refuses is shown as failed with the server's reason, and Retry sends it again", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ options: { user: { data: { name: "Rey" }, externalId: ws } } }));
  await widget.open(page);
  await widget.send(page, "opening message");
  // The composer cuts typing and pasting at the server's limit; a value set by script is not cut,
  // and the real server refuses it (413 message_too_large): a refusal, not a network failure.
  const tooLong = "x".repeat(4001);
  let sends = 0;
  page.on("request", (r) => { if (r.method() === "POST" && /\/messages$/.test(r.url())) sends++; });
  await widget.composer(page).evaluate((el, text) => { el.value = text; }, tooLong);
  await widget.composer(page).press("Enter");
  const failed = page.locator("[data-frontdesk] .msg.failed");
  await failed.waitFor();
  assert.ok((await failed.textContent()).includes("content: longer than 4000 characters"), "the server's reason is shown");
  assert.equal(sends, 1);
  const retry = failed.getByRole("button", { name: /Retry/ });
  await retry.click();
  await eventually(async () => sends === 2, "Retry to send it again");
  await failed.waitFor();
  assert.equal([...(await storedCounts(s, ws)).keys()].includes(tooLong), false, "nothing half-stored");
  assert.deepEqual([...(await storedCounts(s, ws))], [["opening message", 1]]);
});
