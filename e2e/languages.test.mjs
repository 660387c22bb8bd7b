// Languages: the right-to-left ones laid out right to left without overflow on a 360 px phone, plural forms
// chosen by the browser's plural rules, dates and times in the visitor's locale, English for a language the
// widget does not have, and English again when a language's file cannot be fetched.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Suite, ROOT } from "./suite.mjs";
import { logsOf } from "../testkit/browser.mjs";
import { uniq, eventually } from "../testkit/util.mjs";
import { widget } from "../testkit/widget.mjs";

const suite = new Suite();

/** The words a translator wrote for `code` (src/locales/<code>.json). */
const words = (code) => JSON.parse(readFileSync(join(ROOT, "src", "locales", `${code}.json`), "utf8"));

const host = (page) => page.locator("[data-frontdesk]");

/** The launcher, by its name in `code` (with or without an unread count after it). */
const launcher = (page, code) => page.getByRole("button", { name: new RegExp(`^${words(code).open_chat}`) });

/** Horizontal overflow of the page and of the widget's panel and its regions: `[what, scrollWidth, clientWidth]`. */
function overflows(page) {
  return page.evaluate(() => {
    const root = document.querySelector("[data-frontdesk]").shadowRoot;
    const boxes = [["page", document.documentElement], ["panel", root.querySelector(".panel")]];
    for (const region of root.querySelectorAll(".panel > *, .panel .body > *")) boxes.push([region.className || region.tagName, region]);
    return boxes.filter(([, e]) => e.scrollWidth > e.clientWidth).map(([what, e]) => [what, e.scrollWidth, e.clientWidth]);
  });
}

suite.test("17a. Arabic, Hebrew and Persian lay out right to left with no horizontal overflow at 360 px", async (s) => {
  for (const code of ["ar", "he", "fa"]) {
    const ws = uniq(code);
    const device = await s.device({ viewport: { width: 360, height: 740 }, isMobile: true });
    // Hebrew opens at start: its words arrive while the panel is already built, which is then built again.
    const openOnStart = code === "he";
    const page = await s.open(device, s.pageUrl({ options: { language: code, openOnStart, user: { externalId: ws } } }));
    await widget.ready(page);
    const w = words(code);
    await eventually(async () => (await host(page).getAttribute("lang")) === code, `${code}: the words to arrive`);
    assert.equal(await host(page).getAttribute("dir"), "rtl", code);
    if (!openOnStart) await launcher(page, code).click();
    await widget.panel(page).waitFor({ state: "visible" });
    const composer = page.getByRole("textbox", { name: w.message, exact: true });
    await composer.fill(`${code}: سلام שלום hello`);
    await composer.press("Enter");
    await widget.sent(page, `${code}: سلام`);
    const [session] = await s.agent.sessions(ws);
    await s.agent.reply(session.id, `${code}: a reply from Ada`);
    await page.locator("[data-frontdesk] .msg.agent").filter({ hasText: "a reply from Ada" }).waitFor();
    assert.ok(await page.getByRole("button", { name: w.close_chat, exact: true }).isVisible(), `${code}: the header is in ${code}`);
    assert.ok(await page.getByRole("button", { name: w.send, exact: true }).isVisible(), `${code}: Send is in ${code}`);

    const layout = await page.evaluate(() => {
      const root = document.querySelector("[data-frontdesk]").shadowRoot;
      const panel = root.querySelector(".panel").getBoundingClientRect();
      const box = (selector) => root.querySelector(selector).getBoundingClientRect();
      const style = (selector) => getComputedStyle(root.querySelector(selector));
      return {
        panel: { left: panel.left, right: panel.right },
        visitor: box(".msg.visitor"),
        agent: box(".msg.agent"),
        composerDirection: style("textarea").direction,
        messageDirection: style(".msg.agent").direction,
      };
    });
    // Mirrored: the visitor's own bubbles on the left, the agent's on the right, text running right to left.
    assert.ok(layout.visitor.left - layout.panel.left < layout.panel.right - layout.visitor.right, `${code}: the visitor's bubble on the left ${JSON.stringify(layout)}`);
    assert.ok(layout.panel.right - layout.agent.right < layout.agent.left - layout.panel.left, `${code}: the agent's bubble on the right ${JSON.stringify(layout)}`);
    assert.equal(layout.composerDirection, "rtl", code);
    assert.equal(layout.messageDirection, "rtl", code);
    assert.deepEqual(await overflows(page), [], `${code}: nothing wider than its box at 360 px`);

    // The list of conversations too (the longest words: "New conversation", "Your conversations").
    await page.getByRole("button", { name: w.back, exact: true }).click();
    await page.getByRole("button", { name: w.new_conversation, exact: true }).waitFor();
    assert.deepEqual(await overflows(page), [], `${code}: the list, nothing wider than its box at 360 px`);
    assert.deepEqual(logsOf(page).filter((l) => l.type === "error" || l.type === "warning"), [], `${code}: a quiet console`);
  }
});

suite.test("17b. an unread count takes the plural form of the language's rules (Polish 1, 3, 5)", async (s) => {
  const ws = uniq("pl");
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ options: { language: "pl", user: { externalId: ws } } }));
  await widget.ready(page);
  const w = words("pl");
  await launcher(page, "pl").click();
  const composer = page.getByRole("textbox", { name: w.message, exact: true });
  await composer.fill("dzień dobry");
  await composer.press("Enter");
  await widget.sent(page, "dzień dobry");
  await page.getByRole("button", { name: w.close_chat, exact: true }).click();
  await widget.panel(page).waitFor({ state: "hidden" });
  const [session] = await s.agent.sessions(ws);

  const forms = new Set();
  let sent = 0;
  for (const [count, category] of [[1, "one"], [3, "few"], [5, "many"]]) {
    while (sent < count) await s.agent.reply(session.id, `odpowiedź ${++sent}`);
    const expected = `${w.open_chat} (${w.unread[category].replace("{n}", count)})`;
    await eventually(async () => (await launcher(page, "pl").getAttribute("aria-label")) === expected, `the launcher named "${expected}"`);
    forms.add(w.unread[category]);
  }
  assert.equal(forms.size, 3, "three different forms were shown");
});

suite.test("17c. times are written in the visitor's locale: the browser's region, or the chosen language", async (s) => {
  for (const [locale, language] of [["en-GB", undefined], ["en-US", "ar"]]) {
    const ws = uniq("time");
    const device = await s.device({ locale });
    const page = await s.open(device, s.pageUrl({ options: { language, user: { externalId: ws } } }));
    await widget.ready(page);
    const code = language ?? "en";
    await eventually(async () => (await host(page).getAttribute("lang")) === code, `${code}: the words to arrive`);
    await launcher(page, code).click();
    const composer = page.getByRole("textbox", { name: words(code).message, exact: true });
    await composer.fill("what time is it?");
    await composer.press("Enter");
    await widget.sent(page, "what time is it?");
    const [message] = await s.agent.allMessages(ws);
    const dateLocale = language ?? locale;
    const [expected, other] = await page.evaluate(
      ([at, locales]) => locales.map((l) => new Intl.DateTimeFormat(l, { hour: "2-digit", minute: "2-digit" }).format(new Date(at))),
      [message.created_at, [dateLocale, "en-US"]],
    );
    assert.notEqual(expected, other, `${dateLocale} writes a time unlike en-US (${expected})`);
    const [item] = await widget.items(page);
    assert.ok(item.text.endsWith(expected), `${dateLocale}: "${item.text}" ends with ${expected}`);
  }
});

suite.test("17d. a language the widget lacks: the option is refused with its path, a browser's falls back to English", async (s) => {
  const device = await s.device({ locale: "sw-KE" });
  const page = await s.open(device, s.pageUrl({ init: false }));
  await page.waitForFunction(() => typeof window.Frontdesk?.init === "function");
  const refused = await page.evaluate((token) => window.Frontdesk.init({ token, language: "xx" }).then(() => "resolved", (e) => e.message), s.org.widget_token);
  assert.equal(refused, "options.language: unsupported language; supported: en, fr, de, es, pt, it, nl, pl, tr, ru, uk, ja, zh, ar, he, fa");
  assert.equal(await host(page).count(), 0, "nothing left on the page");

  const fetched = [];
  page.on("request", (r) => r.url().includes("/locales/") && fetched.push(r.url()));
  const languages = await page.evaluate(async (token) => {
    const handle = await window.Frontdesk.init({ token });
    window.frontdeskHandle = handle;
    return navigator.language;
  }, s.org.widget_token);
  assert.equal(languages, "sw-KE");
  await widget.launcher(page).click();
  await widget.panel(page).waitFor({ state: "visible" });
  assert.equal(await host(page).getAttribute("lang"), "en");
  assert.equal(await host(page).getAttribute("dir"), "ltr");
  await widget.send(page, "habari");
  assert.deepEqual(fetched, [], "English needs no file");
});

suite.test("17e. a language file that cannot be fetched leaves a working widget in English, with one warning", async (s) => {
  const ws = uniq("fr");
  const device = await s.device();
  const page = await s.open(device);
  await page.route("**/locales/fr.json", (route) => route.fulfill({ status: 503, body: "down" }));
  await page.goto(s.pageUrl({ options: { language: "fr", user: { externalId: ws } } }));
  await widget.ready(page);
  await eventually(() => logsOf(page).some((l) => l.type === "warning" && l.text.includes("fr")), "the console to say why");
  await widget.launcher(page).click();
  await widget.panel(page).waitFor({ state: "visible" });
  await widget.send(page, "bonjour quand même");
  assert.equal(await host(page).getAttribute("lang"), "en");
  const warnings = logsOf(page).filter((l) => l.type === "warning");
  assert.equal(warnings.length, 1, JSON.stringify(warnings));
  assert.match(warnings[0].text, /^Frontdesk: could not load the words for "fr" \(HTTP 503 from .*\/locales\/fr\.json\); showing English$/);
  // Chromium's own line for the refused request is the only error.
  assert.deepEqual(logsOf(page).filter((l) => l.type === "error" && !/^Failed to load resource: .* 503/.test(l.text)), []);
  assert.equal((await s.agent.sessions(ws))[0].last_message.content, "bonjour quand même");
});
