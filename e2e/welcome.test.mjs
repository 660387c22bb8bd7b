// What a visitor sees before writing, set per org on the server (`org update`): the greeting bubbles and the
// suggested questions (a click sends one; the greeting is stored with it, labelled in the console); office hours
// ("Usually replies in a few minutes" inside them; outside them when the team is back, and an email left for the
// reply that the console and the agent API show).
import assert from "node:assert/strict";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { Suite } from "./suite.mjs";
import { uniq } from "../testkit/util.mjs";
import { widget } from "../testkit/widget.mjs";
import { agentApi } from "../testkit/api.mjs";

const suite = new Suite();
const shots = process.env.SCREENSHOTS_DIR || null;

const GREETING = ["Hi! I'm the Example Shop's assistant.", "Ask us anything: we read every message."];
const QUESTIONS = ["Where is my order?", "Can I change my plan?"];

/** The agent console of `api`, signed in with `agentKey`, showing workspace `ws`. */
async function openConsole(s, api, agentKey, ws) {
  const desk = await s.device({ viewport: { width: 1100, height: 800 } });
  const page = await s.open(desk, `${api}/console`);
  await page.getByLabel("Agent key").fill(agentKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Workspace").fill(ws);
  await page.getByRole("button", { name: "Show" }).click();
  return page;
}

/** A server of its own (the org's settings change), with an agent. */
async function withAgent(s) {
  const extra = await s.extraServer();
  extra.org.agent_key = await extra.server.createAgent(extra.org.widget_token, "Ada");
  return extra;
}

/** A weekly minute that is never now: three days ahead of this moment, in UTC. */
function hoursNotNow() {
  const later = new Date(Date.now() + 3 * 24 * 3600 * 1000);
  const day = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][later.getUTCDay()];
  const hh = String(later.getUTCHours()).padStart(2, "0");
  return { range: `${day} ${hh}:00-${hh}:01`, opensAt: later };
}

suite.test("16a. the org's greeting and suggested questions show before the first message (dark, under axe); a question sends itself, stored after the greeting, which the console labels", async (s) => {
  const extra = await withAgent(s);
  await extra.server.updateOrg(extra.org.widget_token, [
    ...GREETING.flatMap((g) => ["--greeting", g]),
    ...QUESTIONS.flatMap((q) => ["--suggested-question", q]),
  ]);
  const ws = uniq("ws");
  const page = await s.open(await s.device(), s.pageUrl({ server: extra.api, widgetToken: extra.org.widget_token, options: { colorScheme: "dark", user: { data: { name: "Noor" }, externalId: ws } } }));
  await widget.open(page);
  const root = page.locator("[data-frontdesk]");
  // No earlier chat: the conversation screen, with the org's bubbles and questions and nothing stored yet.
  const bubbles = root.locator(".welcome .msg.agent");
  await bubbles.first().waitFor();
  const said = await bubbles.allTextContents();
  assert.equal(said.length, GREETING.length);
  GREETING.forEach((g, i) => assert.ok(said[i].includes(g), `${said[i]} has ${g}`));
  const group = page.getByRole("group", { name: "Suggested questions" });
  assert.deepEqual(await group.getByRole("button").allTextContents(), QUESTIONS);
  const { violations } = await new AxeBuilder({ page }).include("[data-frontdesk]").analyze();
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), []);
  if (shots) await page.screenshot({ path: join(shots, "screenshot-greeting-dark.png") });
  const agent = agentApi(extra.api, extra.org.agent_key);
  assert.equal((await agent.sessions(ws)).length, 0);

  await group.getByRole("button", { name: QUESTIONS[0] }).click();
  await widget.sent(page, QUESTIONS[0]);
  // Stored: the greeting ahead of the question, as kind `greeting`, for the agent as for the visitor.
  const [session] = await agent.sessions(ws);
  const messages = await agent.messages(session.id);
  assert.deepEqual(messages.map((m) => [m.kind, m.content]), [
    ["greeting", GREETING[0]], ["greeting", GREETING[1]], ["text", QUESTIONS[0]],
  ]);
  // The widget shows the chat with the greeting as bubbles (after a reload too), and no longer the questions.
  await page.reload();
  await widget.open(page);
  await root.locator(".sessions [data-session]").first().click();
  await root.locator(".screen > ul.messages .msg.agent").filter({ hasText: GREETING[1] }).waitFor();
  assert.equal(await group.isVisible(), false);

  const desk = await openConsole(s, extra.api, extra.org.agent_key, ws);
  await desk.locator("#sessions button").first().click();
  const labelled = desk.locator("#messages li.msg.greeting").filter({ hasText: GREETING[0] });
  await labelled.waitFor();
  assert.match(await labelled.textContent(), /Greeting \(shown by the widget\)/);
  await desk.locator("#messages li.msg.visitor").filter({ hasText: QUESTIONS[0] }).waitFor();
});

suite.test("16b. outside office hours the widget says when the team is back and takes an email for the reply, which the console and the agent API show; inside them it says replies come soon", async (s) => {
  const extra = await withAgent(s);
  const { range, opensAt } = hoursNotNow();
  await extra.server.updateOrg(extra.org.widget_token, ["--office-hours", range, "--time-zone", "UTC"]);
  const ws = uniq("ws");
  const page = await s.open(await s.device(), s.pageUrl({ server: extra.api, widgetToken: extra.org.widget_token, options: { user: { externalId: ws } } }));
  await widget.open(page);
  const root = page.locator("[data-frontdesk]");
  const availability = root.locator(".availability");
  await availability.waitFor();
  const said = await availability.textContent();
  assert.match(said, /^We're away\. Back /);
  // The time is the opening's, in the visitor's time zone and language (the browser's Intl).
  const expected = await page.evaluate((iso) => new Intl.DateTimeFormat("en", { hour: "2-digit", minute: "2-digit", month: "short", day: "numeric" }).format(new Date(iso)), new Date(Math.floor(opensAt.getTime() / 3600000) * 3600000).toISOString());
  assert.ok(said.includes(expected), `${said} should name ${expected}`);

  await widget.send(page, "Is anyone there?");
  const form = root.locator("form.leave-email");
  await form.waitFor();
  const field = page.getByRole("textbox", { name: "Your email" });
  await field.fill("not an email");
  await field.evaluate((input) => input.setAttribute("type", "text")); // past the browser's own check, to ours
  await page.getByRole("button", { name: "Save" }).click();
  await form.locator(".error").filter({ hasText: "valid email" }).waitFor();
  await field.fill("noor@example.com");
  await page.getByRole("button", { name: "Save" }).click();
  await root.getByText("We'll reply to noor@example.com").waitFor();

  const agent = agentApi(extra.api, extra.org.agent_key);
  const [session] = await agent.sessions(ws);
  assert.equal(session.contact.email, "noor@example.com");
  assert.equal(session.verified, false);
  const desk = await openConsole(s, extra.api, extra.org.agent_key, ws);
  await desk.locator("#sessions button").first().click();
  await desk.locator("#c-email").filter({ hasText: "noor@example.com" }).waitFor();

  // Inside office hours (all week): the line changes at the next page load, and no email is asked for.
  await extra.server.updateOrg(extra.org.widget_token, ["--office-hours", "mon-sun 00:00-24:00", "--time-zone", "Europe/Paris"]);
  await page.reload();
  await widget.open(page);
  await root.locator(".sessions [data-session]").first().click();
  await root.locator(".msg.visitor").filter({ hasText: "Is anyone there?" }).waitFor();
  await availability.filter({ hasText: "Usually replies in a few minutes" }).waitFor();
  assert.equal(await form.isVisible(), false);
});

suite.test("16c. the page's initialMessages and initialQuestions replace the org's; hideOutsideOfficeHours hides the launcher while the team is away", async (s) => {
  const extra = await withAgent(s);
  const { range } = hoursNotNow();
  await extra.server.updateOrg(extra.org.widget_token, [
    "--greeting", "The org's own greeting", "--suggested-question", "The org's own question",
    "--office-hours", range, "--time-zone", "UTC",
  ]);
  const page = await s.open(await s.device(), s.pageUrl({ server: extra.api, widgetToken: extra.org.widget_token, options: {
    initialMessages: ["Hello from the page"], initialQuestions: ["A page question"], user: { externalId: uniq("ws") },
  } }));
  await widget.open(page);
  const root = page.locator("[data-frontdesk]");
  await root.locator(".welcome .msg.agent").filter({ hasText: "Hello from the page" }).waitFor();
  assert.equal(await root.getByText("The org's own greeting").count(), 0);
  assert.deepEqual(await page.getByRole("group", { name: "Suggested questions" }).getByRole("button").allTextContents(), ["A page question"]);

  // Away, with hideOutsideOfficeHours: the launcher the loader drew goes once the widget knows.
  const hidden = await s.open(await s.device(), s.pageUrl({ server: extra.api, widgetToken: extra.org.widget_token, options: { hideOutsideOfficeHours: true } }));
  await widget.ready(hidden);
  await widget.launcher(hidden).waitFor({ state: "hidden" });
  assert.equal(await widget.launcher(hidden).isVisible(), false);
  // In office hours it stays.
  await extra.server.updateOrg(extra.org.widget_token, ["--no-office-hours"]);
  const answered = hidden.waitForResponse((r) => r.url().endsWith("/widget/v1/settings"));
  await hidden.reload();
  await answered;
  await widget.ready(hidden);
  await hidden.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  assert.equal(await widget.launcher(hidden).isVisible(), true);
});
