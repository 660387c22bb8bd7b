// 13. The launcher at once: the script tag's loader draws the closed launcher before the wasm has arrived (held
// back here by intercepting its response), a click made then opens the panel once it arrives, and the wasm adopts
// that very launcher, pixel for pixel the one it draws itself.
import assert from "node:assert/strict";
import { Suite } from "./suite.mjs";
import { cspProblems } from "../testkit/browser.mjs";
import { uniq, sleep } from "../testkit/util.mjs";
import { widget } from "../testkit/widget.mjs";

const suite = new Suite();

/** A page of `url` whose wasm response is held back until `release()`; `requested()` says whether it was asked for. */
async function pageWithWasmHeld(s, device, url) {
  const page = await s.open(device);
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  let requested = false;
  await page.route(/\/frontdesk_bg\.wasm(\?|$)/, async (route) => {
    requested = true;
    await gate;
    await route.continue();
  });
  await page.goto(url);
  return { page, release, requested: () => requested };
}

/** The launcher's button in the page (the one inside the widget's shadow root), kept for comparing identities. */
const keepLauncher = (page) =>
  page.evaluate(() => {
    const hosts = document.querySelectorAll("[data-frontdesk]");
    window.__launcher = hosts[0]?.shadowRoot?.querySelector("button.launcher");
    return { hosts: hosts.length, launchers: hosts[0]?.shadowRoot?.querySelectorAll("button.launcher").length ?? 0 };
  });

/** What the page holds of the widget: hosts, launchers, and whether the launcher is still the one kept before. */
const widgetParts = (page) =>
  page.evaluate(() => {
    const hosts = document.querySelectorAll("[data-frontdesk]");
    const launchers = hosts[0]?.shadowRoot?.querySelectorAll("button.launcher") ?? [];
    return { hosts: hosts.length, launchers: launchers.length, same: launchers[0] === window.__launcher };
  });

/** A screenshot of the launcher's corner (its box and its shadow), and the launcher's box. */
async function launcherShot(page) {
  const box = await page.locator("[data-frontdesk] button.launcher").boundingBox();
  const clip = { x: box.x - 24, y: box.y - 24, width: box.width + 48, height: box.height + 48 };
  return { box, png: await page.screenshot({ clip, animations: "disabled", caret: "hide" }) };
}

suite.test("13a. the launcher shows before the wasm has arrived (strict CSP), and a click made then opens the panel once it has", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const url = s.pageUrl({ csp: true, options: { user: { data: { name: "Early" }, externalId: ws } } });
  const { page, release, requested } = await pageWithWasmHeld(s, device, url);

  await widget.launcher(page).waitFor({ state: "visible" });
  assert.equal(requested(), true, "the wasm was requested");
  assert.equal(await page.locator("#status").textContent(), "Loading the widget", "init has not resolved: the wasm is held back");
  assert.deepEqual(await keepLauncher(page), { hosts: 1, launchers: 1 });
  assert.equal(await widget.launcher(page).getAttribute("aria-expanded"), "false");

  // A click now: kept, and shown as busy.
  await widget.launcher(page).click();
  assert.equal(await widget.launcher(page).getAttribute("aria-busy"), "true");
  assert.equal(await widget.launcher(page).evaluate((b) => getComputedStyle(b).cursor), "progress");
  await sleep(300);
  assert.equal(await widget.panel(page).count(), 0, "no panel before the wasm");

  release();
  await widget.panel(page).waitFor({ state: "visible" });
  await widget.ready(page);
  assert.deepEqual(await widgetParts(page), { hosts: 1, launchers: 1, same: true }, "the wasm adopted the loader's launcher");
  assert.equal(await widget.launcher(page).getAttribute("aria-busy"), null);
  assert.equal(await widget.launcher(page).getAttribute("aria-expanded"), "true");
  const focused = await page.evaluate(() => document.querySelector("[data-frontdesk]").shadowRoot.activeElement?.tagName);
  assert.equal(focused, "TEXTAREA", "focus went to the composer, as after a click on a ready widget");

  // It works: a message reaches the agent.
  await widget.send(page, "clicked before the wasm arrived");
  assert.equal((await s.agent.sessions(ws))[0].last_message.content, "clicked before the wasm arrived");
  assert.deepEqual(await cspProblems(page), []);
});

suite.test("13b. the loader's launcher is pixel for pixel the wasm's, is adopted as it is (focus kept), and destroy/init work after", async (s) => {
  for (const [options, contextOptions] of [
    [{}, {}],
    [{ position: "left", color: "#0A7", language: "ar" }, {}],
    [{ position: "left" }, { viewport: { width: 360, height: 740 }, isMobile: true }],
  ]) {
    const device = await s.device(contextOptions);
    const { page, release } = await pageWithWasmHeld(s, device, s.pageUrl({ options }));
    const launcher = page.locator("[data-frontdesk] button.launcher");
    // Named in English by the loader, whatever the language: the wasm renames it once the words arrive.
    await page.getByRole("button", { name: "Open chat", exact: true }).waitFor({ state: "visible" });
    const before = await launcherShot(page);
    await keepLauncher(page);
    // Focus on the loader's launcher (from the keyboard) before the wasm arrives.
    await page.evaluate(() => window.__launcher.focus());
    release();
    await widget.ready(page);

    const what = JSON.stringify([options, contextOptions]);
    assert.deepEqual(await widgetParts(page), { hosts: 1, launchers: 1, same: true }, `${what}: one launcher, the loader's`);
    const focused = await page.evaluate(() => document.querySelector("[data-frontdesk]").shadowRoot.activeElement === window.__launcher);
    assert.equal(focused, true, `${what}: focus stayed on the launcher`);
    await page.evaluate(() => window.__launcher.blur());
    const adopted = await launcherShot(page);
    assert.deepEqual(adopted.box, before.box, `${what}: the launcher did not move`);
    assert.ok(adopted.png.equals(before.png), `${what}: the adopted launcher looks the same`);
    if (options.language === "ar") {
      assert.equal(await page.locator("[data-frontdesk]").getAttribute("dir"), "rtl");
      await page.getByRole("button", { name: "افتح الدردشة", exact: true }).waitFor();
    }

    // The wasm's own launcher (the npm package's path: the glue's entry called with no launcher drawn) looks the same.
    await page.evaluate(() => window.frontdeskHandle.destroy());
    assert.equal(await page.locator("[data-frontdesk]").count(), 0);
    const drawnByWasm = await page.evaluate(async (options) => {
      const glueUrl = performance.getEntriesByType("resource").map((e) => e.name).find((n) => /\/frontdesk\.js\?v=/.test(n));
      const glue = await import(glueUrl);
      window.frontdeskHandle = glue.initFromScript(options, new URL(".", glueUrl).href.replace(/\/$/, ""));
      return document.querySelectorAll("[data-frontdesk]").length;
    }, { token: s.org.widget_token, ...options });
    assert.equal(drawnByWasm, 1);
    const wasmOwn = await launcherShot(page);
    assert.deepEqual(wasmOwn.box, before.box, `${what}: the wasm's launcher is where the loader's was`);
    assert.ok(wasmOwn.png.equals(before.png), `${what}: the wasm's own launcher looks like the loader's`);

    // destroy(), then Frontdesk.init again (the wasm loaded now): one launcher, working.
    await page.evaluate(() => window.frontdeskHandle.destroy());
    await page.evaluate((options) => Frontdesk.init(options).then((h) => (window.frontdeskHandle = h)), { token: s.org.widget_token, ...options });
    assert.equal(await page.locator("[data-frontdesk]").count(), 1);
    await launcher.click();
    await widget.panel(page).waitFor({ state: "visible" });
  }
});

suite.test("13c. options init will refuse: the launcher the loader drew goes when the wasm says why, and none is drawn for a launcher option it cannot show", async (s) => {
  const device = await s.device();
  const { page, release } = await pageWithWasmHeld(s, device, s.pageUrl({ init: false }));
  await page.waitForFunction(() => typeof window.Frontdesk?.init === "function");
  const outcome = (expression) =>
    page.evaluate(
      ({ expression, token }) => {
        const options = new Function("T", `return (${expression});`)(token);
        window.__outcome = Frontdesk.init(options).then(
          () => "resolved",
          (err) => ({ message: err.message, hosts: document.querySelectorAll("[data-frontdesk]").length }),
        );
        return document.querySelectorAll("[data-frontdesk]").length;
      },
      { expression, token: s.org.widget_token },
    );
  // An option the launcher does not show: drawn at once, removed when the wasm refuses it.
  assert.equal(await outcome(`{ token: T, user: { data: { email: "john" } } }`), 1, "a launcher at once");
  release();
  assert.deepEqual(await page.evaluate(() => window.__outcome), { message: "options.user.data.email: not an email address", hosts: 0 });
  // A colour it cannot draw: nothing drawn, and the same refusal as ever.
  assert.equal(await outcome(`{ token: T, color: "red" }`), 0, "nothing drawn");
  const refused = await page.evaluate(() => window.__outcome);
  assert.equal(refused.hosts, 0);
  assert.match(refused.message, /^options\.color: /);
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), []);
});
