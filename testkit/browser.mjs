// Headless Chromium through playwright-core: the system browser (/usr/bin/chromium, or $CHROMIUM; no download),
// launched with one set of flags, and console capture per page.
import { chromium } from "playwright-core";

/** Flags for a container without a GPU or a sandbox, and no background traffic of the browser's own. */
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"];

/** Added for measurements: no timer throttling or deprioritising of pages Chromium thinks are in the background. */
export const TIMING_ARGS = ["--disable-extensions", "--disable-background-timer-throttling", "--disable-renderer-backgrounding"];

export function launchChromium({ args = [] } = {}) {
  return chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: [...CHROMIUM_ARGS, ...args] });
}

const consoleLogs = new WeakMap();

/** Starts recording `page`'s console messages and page errors (read them with `logsOf`). */
export function watchPage(page) {
  const logs = [];
  consoleLogs.set(page, logs);
  page.on("console", (msg) => logs.push({ type: msg.type(), text: msg.text() }));
  page.on("pageerror", (err) => logs.push({ type: "pageerror", text: String(err?.message || err) }));
}

/** Console messages (and page errors) seen by `page` so far: `{ type, text }`. */
export const logsOf = (page) => consoleLogs.get(page) || [];

/** Console errors the widget logged (`Frontdesk: …`). */
export const frontdeskErrors = (page) => logsOf(page).filter((l) => l.type === "error" && l.text.startsWith("Frontdesk:"));

/** Every CSP complaint the page saw: `securitypolicyviolation` events (see the site's watch.js) and Chromium's console errors. */
export async function cspProblems(page) {
  const events = await page.evaluate(() => window.__cspViolations || ["(the watcher did not run)"]);
  const console = logsOf(page).filter((l) => /Content Security Policy|Refused to/i.test(l.text)).map((l) => l.text);
  return [...events, ...console];
}
