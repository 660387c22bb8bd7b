// 9. Isolation and access: hostile page CSS does not break the widget; axe finds no serious or critical
// violation in the widget or the console; the whole chat works with the keyboard alone.
// 10. A strict-CSP page and a 360 px phone both work, with no CSP violation.
import assert from "node:assert/strict";
import { AxeBuilder } from "@axe-core/playwright";
import { Suite } from "./suite.mjs";
import { cspProblems } from "../testkit/browser.mjs";
import { uniq, eventually } from "../testkit/util.mjs";
import { widget } from "../testkit/widget.mjs";

const suite = new Suite();

/** axe's serious and critical violations, readable. */
async function seriousViolations(page, include) {
  let builder = new AxeBuilder({ page });
  if (include) builder = builder.include(include);
  const { violations } = await builder.analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Which element of the widget has focus ("launcher", "textarea", …), or null when focus is outside. */
const widgetFocus = (page) =>
  page.evaluate(() => {
    const host = document.querySelector("[data-frontdesk]");
    if (document.activeElement !== host) return null;
    const el = host.shadowRoot.activeElement;
    return el ? (el.classList.contains("launcher") ? "launcher" : el.tagName.toLowerCase()) : null;
  });

suite.test("9a. hostile page CSS (* { all: unset }, button { display: none }) does not break the widget, and the widget's CSS stays inside", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ css: "* { all: unset } button { display: none }", options: { user: { data: { name: "Css" }, externalId: ws } } }));
  await widget.ready(page);
  assert.equal(await page.locator("#page-button").isVisible(), false, "the page's CSS did apply to the page");

  const launcher = widget.launcher(page);
  await launcher.waitFor({ state: "visible" });
  const box = await launcher.boundingBox();
  const viewport = page.viewportSize();
  assert.ok(box.width >= 44 && box.height >= 44, `the launcher keeps its size: ${JSON.stringify(box)}`);
  assert.ok(box.x + box.width <= viewport.width && box.y + box.height <= viewport.height && box.x > viewport.width / 2, `in the bottom-right corner: ${JSON.stringify(box)}`);
  await launcher.click();
  await widget.panel(page).waitFor({ state: "visible" });
  const panel = await widget.panel(page).boundingBox();
  assert.ok(panel.width >= 300 && panel.height >= 300, `the panel keeps its layout: ${JSON.stringify(panel)}`);
  await widget.sendButton(page).waitFor({ state: "visible" });
  await widget.composer(page).fill("styled page, working widget");
  await widget.sendButton(page).click();
  await widget.sent(page, "styled page, working widget");
  assert.equal((await s.agent.sessions(ws))[0].last_message.content, "styled page, working widget");

  // Nothing of the widget's CSS reached the page: no stylesheet added to the document.
  const sheets = await page.evaluate(() => ({ sheets: document.styleSheets.length, adopted: document.adoptedStyleSheets.length, styles: document.querySelectorAll("style").length }));
  assert.deepEqual(sheets, { sheets: 1, adopted: 0, styles: 0 });
});

suite.test("9b. axe: no serious or critical violation in the open widget (conversation and list) and in the agent console", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const url = s.pageUrl({ options: { user: { data: { name: "Axel" }, externalId: ws } } });
  const page = await s.open(device, url);
  await widget.ready(page);
  assert.deepEqual(await seriousViolations(page, "[data-frontdesk]"), [], "the closed widget");
  await widget.open(page);
  assert.deepEqual(await seriousViolations(page, "[data-frontdesk]"), [], "the empty conversation");
  await widget.send(page, "an accessible hello");
  const [session] = await s.agent.sessions(ws);
  await s.agent.reply(session.id, "an accessible answer, with a link https://example.com/help");
  await page.locator("[data-frontdesk] .msg.agent").waitFor();
  assert.deepEqual(await seriousViolations(page, "[data-frontdesk]"), [], "a conversation with messages");
  await page.getByRole("button", { name: "Back" }).click();
  await page.locator("[data-frontdesk] .sessions [data-session]").first().waitFor();
  assert.deepEqual(await seriousViolations(page, "[data-frontdesk]"), [], "the conversation list");

  const desk = await s.device();
  const consolePage = await s.open(desk, `${s.api}/console`);
  assert.deepEqual(await seriousViolations(consolePage), [], "the console's sign-in");
  await consolePage.getByLabel("Agent key").fill(s.org.agent_key);
  await consolePage.getByRole("button", { name: "Sign in" }).click();
  await consolePage.getByLabel("Workspace").fill(ws);
  await consolePage.getByRole("button", { name: "Show" }).click();
  await consolePage.locator("#sessions button").first().click();
  await consolePage.locator("#messages li").filter({ hasText: "an accessible answer" }).waitFor();
  assert.deepEqual(await seriousViolations(consolePage), [], "the console with a session open");
});

suite.test("9c. the whole chat with the keyboard alone: Tab, Enter, type, Enter, Escape", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ options: { user: { data: { name: "Kim" }, externalId: ws } } }));
  await widget.ready(page);

  // Tab from the top of the page: past the page's own button, to the launcher.
  const stops = [];
  for (let i = 0; i < 5 && (await widgetFocus(page)) !== "launcher"; i++) {
    await page.keyboard.press("Tab");
    stops.push((await widgetFocus(page)) ?? (await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName)));
  }
  assert.equal(await widgetFocus(page), "launcher", `Tab reaches the launcher: ${stops}`);

  await page.keyboard.press("Enter");
  await widget.panel(page).waitFor({ state: "visible" });
  assert.equal(await widgetFocus(page), "textarea", "focus moves to the composer");
  await page.keyboard.type("typed with the keyboard");
  await page.keyboard.press("Enter");
  await widget.sent(page, "typed with the keyboard");
  assert.equal(await widgetFocus(page), "textarea", "focus stays in the composer after sending");
  assert.equal(await widget.composer(page).inputValue(), "", "the composer is cleared");

  await page.keyboard.press("Escape");
  await widget.panel(page).waitFor({ state: "hidden" });
  assert.equal(await widgetFocus(page), "launcher", "Escape closes and focus returns to the launcher");
  assert.equal(await widget.launcher(page).getAttribute("aria-expanded"), "false");

  // And back in: Enter reopens on the conversation list (a chat exists now), Shift+Tab/Tab move within.
  await page.keyboard.press("Enter");
  await widget.panel(page).waitFor({ state: "visible" });
  await page.keyboard.press("Escape");
  await widget.panel(page).waitFor({ state: "hidden" });
  assert.equal(await widgetFocus(page), "launcher");
  assert.equal((await s.agent.sessions(ws))[0].last_message.content, "typed with the keyboard");
});

for (const [label, contextOptions] of [
  ["10a. a strict-CSP page (as a header) works with no CSP violation", {}],
  ["10b. a 360 px phone on the strict-CSP page works: full-screen panel, message stored", { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true }],
]) {
  suite.test(label, async (s) => {
    const ws = uniq("ws");
    const email = `${uniq("csp")}@example.com`;
    const device = await s.device(contextOptions);
    // Verified through the site's backend (the token function's fetch is connect-src 'self').
    const page = await s.open(device, s.pageUrl({ csp: true, options: { user: { token: { $tokenFunction: { email } }, externalId: ws } } }));
    const response = await page.reload();
    assert.match(response.headers()["content-security-policy"], /script-src 'self' http:\/\/127\.0\.0\.1:\d+ 'wasm-unsafe-eval'/);
    await widget.ready(page);
    if (contextOptions.hasTouch) await widget.launcher(page).tap();
    else await widget.launcher(page).click();
    await widget.panel(page).waitFor({ state: "visible" });
    const text = `hello under a strict CSP (${label.slice(0, 3)})`;
    await widget.composer(page).fill(text);
    if (contextOptions.hasTouch) await widget.sendButton(page).tap();
    else await widget.sendButton(page).click();
    await widget.sent(page, text);
    const [session] = await s.agent.sessions(ws);
    assert.equal(session.last_message.content, text);
    assert.equal(session.verified, true);
    assert.equal(session.contact.email, email);

    // The widget is styled (the constructable stylesheet applied under style-src 'self').
    const launcherStyle = await page.evaluate(() => {
      const root = document.querySelector("[data-frontdesk]").shadowRoot;
      const cs = getComputedStyle(root.querySelector(".root"));
      return { position: cs.position, zIndex: cs.zIndex };
    });
    assert.deepEqual(launcherStyle, { position: "fixed", zIndex: "2147483000" });

    if (contextOptions.viewport) {
      const panel = await widget.panel(page).boundingBox();
      assert.ok(panel.x >= 0 && panel.x + panel.width <= 360 + 0.5, `the panel fits the phone: ${JSON.stringify(panel)}`);
      const composer = await widget.composer(page).boundingBox();
      const send = await widget.sendButton(page).boundingBox();
      assert.ok(composer.x + composer.width <= 360 && send.x + send.width <= 360, "composer and Send on screen");
      assert.ok(send.y + send.height <= 740, "Send above the bottom edge");
      // Close with its own button, the launcher comes back.
      await page.getByRole("button", { name: "Close chat" }).tap();
      await widget.launcher(page).waitFor({ state: "visible" });
    }
    assert.deepEqual(await cspProblems(page), [], "no CSP violation");
  });
}
