// 8. XSS: markup in messages, names and custom data is text, in the widget and in the agent console
// (/console), and no script runs.
import assert from "node:assert/strict";
import { Suite } from "./suite.mjs";
import { widgetApi } from "../testkit/api.mjs";
import { uniq, eventually } from "../testkit/util.mjs";
import { widget } from "../testkit/widget.mjs";

const suite = new Suite();

const payload = (tag) => `<img src=x onerror="window.__xss='${tag}'"><script>window.__xss='${tag}-script'</script>`;

/** Elements a successful injection would have created, and the flag its script would have set. */
const injected = (page, scope) =>
  page.evaluate((scope) => {
    const roots = scope === "widget" ? [document.querySelector("[data-frontdesk]").shadowRoot] : [document.querySelector("main")];
    // The widget's own elements are left out: the launcher's icon, and the header's avatar of the answering agent
    // (an <img> the widget builds, whose src only ever comes from an agent's --avatar-url).
    const found = roots.flatMap((r) => [...r.querySelectorAll("img:not(.header > img), script, iframe, b, svg:not(.launcher svg)")].map((e) => e.outerHTML));
    return { found, flag: window.__xss };
  }, scope);

suite.test("8. markup in messages, names and custom data renders as text in the widget and the console; no script runs", async (s) => {
  const ws = uniq("ws");
  const name = `<img src=x onerror="window.__xss='name'">`;
  const customData = { note: payload("custom"), "<b>key</b>": "<svg onload=\"window.__xss='svg'\"></svg>" };
  const message = payload("message");

  // The visitor's side.
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ options: { user: { data: { name, email: "xss@example.com", customData }, externalId: ws } } }));
  await widget.open(page);
  await widget.composer(page).fill(message);
  await widget.composer(page).press("Enter");
  await page.locator("[data-frontdesk] .msg.visitor:not(.pending)").waitFor();
  assert.deepEqual(await injected(page, "widget"), { found: [], flag: undefined }, "the visitor's own message is text");
  await widget.sent(page, message);

  // A verified contact whose trusted name and custom_data (from the site's backend) carry markup too.
  const { token } = await s.authenticate({ email: `${uniq("v")}@example.com`, name: `<script>window.__xss='vname'</script>`, custom_data: { bio: payload("trusted") } });
  const verified = widgetApi(s.api, { widgetToken: s.org.widget_token, userToken: token, externalId: ws, origin: s.site.origin });
  const started = await verified.start();
  assert.equal((await verified.send(started.json.session.id, payload("verified-message"))).status, 201);

  // The agent console: sign in with the agent key, open the visitor's session.
  const desk = await s.device();
  const consolePage = await s.open(desk, `${s.api}/console`);
  await consolePage.getByLabel("Agent key").fill(s.org.agent_key);
  await consolePage.getByRole("button", { name: "Sign in" }).click();
  await consolePage.getByLabel("Workspace").fill(ws);
  await consolePage.getByRole("button", { name: "Show" }).click();
  const visitorRow = consolePage.locator("#sessions button").filter({ hasText: name });
  await visitorRow.waitFor();
  await consolePage.locator("#sessions button").filter({ hasText: "<script>window.__xss='vname'</script>" }).waitFor();
  await visitorRow.click();
  await consolePage.locator("#messages li").filter({ hasText: message }).waitFor();
  assert.equal(await consolePage.locator("#view-h").textContent(), `${name} <xss@example.com>`);
  const untrusted = JSON.parse(await consolePage.locator("#c-untrusted").textContent());
  assert.deepEqual(untrusted, customData, "unverified custom data shown as text, intact");

  // The agent answers with markup from the console.
  const reply = payload("reply") + " <b>bold?</b>";
  await consolePage.getByLabel("Reply", { exact: true }).fill(reply);
  await consolePage.getByLabel("Reply", { exact: true }).press("Enter");
  await consolePage.locator("#messages li.agent").filter({ hasText: reply }).waitFor();

  // Open the verified contact's session too: its trusted data is text as well.
  await consolePage.locator("#sessions button").filter({ hasText: "<script>window.__xss='vname'</script>" }).click();
  await consolePage.locator("#messages li").filter({ hasText: payload("verified-message") }).waitFor();
  assert.deepEqual(JSON.parse(await consolePage.locator("#c-trusted").textContent()), { bio: payload("trusted") });

  // The widget shows the reply, as text.
  await page.locator("[data-frontdesk] .msg.agent").filter({ hasText: reply }).waitFor();
  const texts = (await widget.items(page)).map((i) => i.text);
  assert.ok(texts.some((t) => t.includes(message)), JSON.stringify(texts));

  for (const [who, p, scope] of [["widget", page, "widget"], ["console", consolePage, "console"]]) {
    const { found, flag } = await injected(p, scope);
    assert.deepEqual(found, [], `no injected element in the ${who}`);
    assert.equal(flag, undefined, `no injected script ran in the ${who}`);
  }
  // The stored content is exactly what was typed (nothing escaped twice, nothing stripped).
  const stored = await s.agent.allMessages(ws);
  assert.ok(stored.some((m) => m.content === message));
  assert.ok(stored.some((m) => m.content === reply && m.author === "agent"));
  await eventually(async () => (await consolePage.locator("#live-status").textContent()) === "Live", "the console's live status");
});
