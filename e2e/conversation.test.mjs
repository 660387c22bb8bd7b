// 14. The conversation as support teams run it: resolve in the console → resolved in the widget and a
// rating prompt → the rating in the console and GET /api/csat; the visitor ends a chat (confirming); typing both
// ways; seen only once the visitor opened the conversation; a second tab and a second verified device in step;
// the new controls by keyboard alone and under axe. With SCREENSHOTS_DIR set (docs/), the two screenshots of
// the README are written there.
import assert from "node:assert/strict";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { Suite } from "./suite.mjs";
import { uniq, eventually } from "../testkit/util.mjs";
import { widget } from "../testkit/widget.mjs";

const suite = new Suite();
const shots = process.env.SCREENSHOTS_DIR || null;

/** The agent console signed in with the agent key, showing workspace `ws`. */
async function openConsole(s, ws) {
  const desk = await s.device({ viewport: { width: 1100, height: 800 } });
  const page = await s.open(desk, `${s.api}/console`);
  await page.getByLabel("Agent key").fill(s.org.agent_key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Workspace").fill(ws);
  await page.getByRole("button", { name: "Show" }).click();
  return page;
}

/** Opens the session whose preview has `text` in the console. */
async function openSessionIn(consolePage, text) {
  await consolePage.locator("#sessions button").filter({ hasText: text }).first().click();
  await consolePage.locator("#messages li").filter({ hasText: text }).first().waitFor();
}

/** A visitor page (non-verified unless `user` says otherwise) with the panel open and one message sent. */
async function visitorWith(s, ws, text, user = { data: { name: "Mia" } }) {
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ options: { user: { ...user, externalId: ws } } }));
  await widget.open(page);
  await widget.send(page, text);
  return { device, page };
}

const divider = (page, text) => page.locator("[data-frontdesk] .messages li.event").filter({ hasText: text });
const scoreButton = (page, n) => page.getByRole("button", { name: `${n} of 5`, exact: true });

/** axe's serious and critical violations inside the widget, readable. */
async function seriousViolations(page) {
  const { violations } = await new AxeBuilder({ page }).include("[data-frontdesk]").analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

suite.test("14a. the agent resolves in the console; the widget (two tabs) shows it resolved and asks once for a rating; the rating reaches the console and GET /api/csat", async (s) => {
  const ws = uniq("ws");
  const { device, page } = await visitorWith(s, ws, "Where is my parcel?");
  const secondTab = await s.open(device, s.pageUrl({ options: { user: { data: { name: "Mia" }, externalId: ws } } }));
  await widget.open(secondTab);
  await secondTab.locator("[data-frontdesk] .sessions [data-session]").first().click();
  await secondTab.locator("[data-frontdesk] .msg.visitor").filter({ hasText: "Where is my parcel?" }).waitFor();

  const desk = await openConsole(s, ws);
  await openSessionIn(desk, "Where is my parcel?");
  await desk.getByLabel("Reply", { exact: true }).fill("It arrives tomorrow.");
  await desk.getByLabel("Reply", { exact: true }).press("Enter");
  await page.locator("[data-frontdesk] .msg.agent").filter({ hasText: "It arrives tomorrow." }).waitFor();
  await desk.getByRole("button", { name: "Resolve" }).click();
  await desk.locator("#messages li.event[data-kind='resolved']").waitFor();

  // Live in both tabs: a divider naming who resolved it, and the rating prompt in the open one.
  for (const tab of [page, secondTab]) await divider(tab, "Resolved by Ada (agent)").waitFor();
  const prompt = page.getByRole("group", { name: "How was this conversation?" });
  await prompt.waitFor();
  if (shots) await page.screenshot({ path: join(shots, "screenshot-resolved-rating.png") });
  await scoreButton(page, 4).click();
  assert.equal(await scoreButton(page, 4).getAttribute("aria-pressed"), "true");
  await page.getByRole("textbox", { name: "Comment (optional)" }).fill("Quick and friendly");
  await page.getByRole("button", { name: "Send rating" }).click();
  await page.getByText("Thank you for your feedback!").waitFor();
  await divider(page, "You rated 4 of 5").waitFor();
  // Once per resolution: the other tab stops asking too.
  await divider(secondTab, "You rated 4 of 5").waitFor();
  await eventually(async () => !(await secondTab.getByRole("button", { name: "Send rating" }).isVisible()), "the second tab to stop asking");

  // The console: the event live, the rating in the list and in the summary; the API agrees.
  await desk.locator("#messages li.event[data-kind='rated']").filter({ hasText: "Rated 4/5: Quick and friendly" }).waitFor();
  await desk.locator("#sessions button .rating").filter({ hasText: "★4" }).waitFor();
  await eventually(async () => (await desk.locator("#csat-summary").textContent()).includes("average 4.00"), "the console's CSAT panel to show the rating");
  const [session] = await s.agent.sessions(ws);
  assert.equal(session.status, "resolved");
  assert.deepEqual(session.rating, { score: 4, comment: "Quick and friendly" });
  const summary = await s.agent.csat(`external_id=${ws}`);
  assert.deepEqual(summary, { count: 1, average: 4, distribution: { 1: 0, 2: 0, 3: 0, 4: 1, 5: 0 } });

  // Writing again reopens the chat, in the console too.
  await widget.send(page, "One more question");
  await desk.locator("#messages li.event[data-kind='reopened']").waitFor();
  await eventually(async () => (await s.agent.sessions(ws))[0].status === "open", "the chat to be open again");
});

suite.test("14b. the visitor ends a chat from the widget after confirming; a second verified device sees it live", async (s) => {
  const ws = uniq("ws");
  const email = `${uniq("ann")}@example.com`;
  const token = async () => (await s.authenticate({ email, name: "Ann" })).token;
  const { page } = await visitorWith(s, ws, "That solved it", { token: await token() });
  const phoneDevice = await s.device();
  const phone = await s.open(phoneDevice, s.pageUrl({ options: { user: { token: await token(), externalId: ws } } }));
  await widget.open(phone);
  await phone.locator("[data-frontdesk] .sessions [data-session]").first().click();
  await phone.locator("[data-frontdesk] .msg.visitor").filter({ hasText: "That solved it" }).waitFor();

  // Cancel first: nothing changes.
  await page.getByRole("button", { name: "End chat" }).click();
  const confirm = page.getByRole("group", { name: "End this chat?" });
  await confirm.waitFor();
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await confirm.waitFor({ state: "hidden" });
  assert.equal((await s.agent.sessions(ws))[0].status, "open");

  await page.getByRole("button", { name: "End chat" }).click();
  await confirm.getByRole("button", { name: "End", exact: true }).click();
  await divider(page, "You ended the chat").waitFor();
  await divider(phone, "You ended the chat").waitFor();
  await phone.getByRole("group", { name: "How was this conversation?" }).waitFor();
  const [session] = await s.agent.sessions(ws);
  assert.equal(session.status, "resolved");
  const events = (await s.agent.messages(session.id)).filter((m) => m.kind !== "text");
  assert.deepEqual(events.map((m) => [m.kind, m.author]), [["resolved", "visitor"]]);

  // The list shows the chat as resolved, and a new conversation can still be started.
  await page.getByRole("button", { name: "Back" }).click();
  await page.locator("[data-frontdesk] .sessions [data-session] .status").filter({ hasText: "Resolved" }).waitFor();
  await page.getByRole("button", { name: /New conversation/ }).waitFor();
});

suite.test("14c. typing shows both ways, announced politely, and goes away", async (s) => {
  const ws = uniq("ws");
  const { page } = await visitorWith(s, ws, "Can you help with billing?");
  const desk = await openConsole(s, ws);
  await openSessionIn(desk, "Can you help with billing?");

  // The agent types in the console: the widget says who, in a polite live region.
  await desk.getByLabel("Reply", { exact: true }).pressSequentially("Let me check", { delay: 30 });
  // role=status: a polite live region.
  const typing = page.locator("[data-frontdesk] .typing[role='status']").filter({ hasText: "Ada (agent) is typing…" });
  await typing.waitFor();
  if (shots) await page.screenshot({ path: join(shots, "screenshot-typing.png") });
  // Cleared: "stopped" is sent and the line goes at once (well before the 6 s expiry).
  const clearedAt = Date.now();
  await desk.getByLabel("Reply", { exact: true }).fill("");
  await typing.waitFor({ state: "hidden", timeout: 5_000 });
  assert.ok(Date.now() - clearedAt < 5_000);

  // A bot's typing through the API, never refreshed, expires after 6 s.
  const [session] = await s.agent.sessions(ws);
  await s.agent.typing(session.id, true);
  await typing.waitFor();
  await typing.waitFor({ state: "hidden", timeout: 12_000 });

  // The visitor types: the console shows it; focus alone sends nothing; clearing hides it.
  await widget.composer(page).focus();
  await desk.waitForTimeout(1_000);
  assert.equal(await desk.getByText("Visitor is typing…").isVisible(), false, "focus alone is not typing");
  await widget.composer(page).pressSequentially("I was charged twice", { delay: 30 });
  await desk.getByText("Visitor is typing…").waitFor();
  await widget.composer(page).fill("");
  await desk.getByText("Visitor is typing…").waitFor({ state: "hidden", timeout: 5_000 });

  // Never stored.
  const kinds = (await s.agent.messages(session.id)).map((m) => m.kind);
  assert.deepEqual(kinds, ["text"]);
});

suite.test("14d. seen: the console shows it only after the visitor opened the conversation; the widget shows the agents read it", async (s) => {
  const ws = uniq("ws");
  const { page } = await visitorWith(s, ws, "Is the shop open on Sunday?");
  await page.getByRole("button", { name: "Close chat" }).click();
  await widget.panel(page).waitFor({ state: "hidden" });

  const desk = await openConsole(s, ws);
  await openSessionIn(desk, "Is the shop open on Sunday?");
  // The console read the visitor's message: the widget will say "Seen" under it.
  await desk.getByLabel("Reply", { exact: true }).fill("Yes, 10 to 4.");
  await desk.getByLabel("Reply", { exact: true }).press("Enter");
  await desk.locator("#messages li.msg.agent").filter({ hasText: "Yes, 10 to 4." }).waitFor();
  await widget.badge(page).waitFor();
  await desk.waitForTimeout(1_500);
  assert.equal(await desk.locator("#seen-line").isVisible(), false, "not seen while the panel is closed");

  await widget.launcher(page).click();
  await page.locator("[data-frontdesk] .msg.agent").filter({ hasText: "Yes, 10 to 4." }).waitFor();
  await desk.locator("#seen-line").filter({ hasText: "Seen" }).waitFor();
  const [session] = await s.agent.sessions(ws);
  const agentMessage = (await s.agent.messages(session.id)).find((m) => m.author === "agent");
  assert.equal(session.seen_by_visitor, agentMessage.id);
  await page.locator("[data-frontdesk] .msg.visitor .seen").filter({ hasText: "Seen" }).waitFor();
  assert.equal(await widget.count(page, ".seen"), 1, "one Seen line, not one per message");
});

suite.test("14e. the new controls by keyboard alone, and no serious axe violation with them shown", async (s) => {
  const ws = uniq("ws");
  const { page } = await visitorWith(s, ws, "keyboard please");
  const [session] = await s.agent.sessions(ws);
  await s.agent.reply(session.id, "Anything else?");
  await page.locator("[data-frontdesk] .msg.agent").filter({ hasText: "Anything else?" }).waitFor();

  // End chat: Tab to it, Enter, then Tab to End and Enter.
  const focusedName = () => page.evaluate(() => {
    const el = document.querySelector("[data-frontdesk]").shadowRoot.activeElement;
    return el ? el.getAttribute("aria-label") || el.textContent : null;
  });
  const tabTo = async (name) => {
    for (let i = 0; i < 30; i++) {
      if ((await focusedName()) === name) return;
      await page.keyboard.press("Tab");
    }
    throw new Error(`Tab never reached ${name} (at ${await focusedName()})`);
  };
  await tabTo("End chat");
  await page.keyboard.press("Enter");
  assert.deepEqual(await seriousViolations(page), [], "the confirmation");
  await tabTo("End");
  await page.keyboard.press("Enter");
  await divider(page, "You ended the chat").waitFor();
  await page.getByRole("group", { name: "How was this conversation?" }).waitFor();
  assert.deepEqual(await seriousViolations(page), [], "the rating prompt");

  await tabTo("5 of 5");
  await page.keyboard.press("Enter");
  await tabTo("Comment (optional)");
  await page.keyboard.type("all by keyboard");
  await tabTo("Send rating");
  await page.keyboard.press("Enter");
  await page.getByText("Thank you for your feedback!").waitFor();
  await eventually(async () => (await s.agent.sessions(ws))[0].rating?.score === 5, "the rating to be stored");
  assert.deepEqual((await s.agent.sessions(ws))[0].rating, { score: 5, comment: "all by keyboard" });
});
