// One stack per e2e test file: the real Frontdesk server, the stand-in customer site and headless Chromium, from
// the shared toolkit (testkit/), wired together for node:test.
//
// It builds nothing: `scripts/test.sh` runs `scripts/build.sh` (dist/web, dist/npm) and builds
// target/debug/frontdesk-server first. Each test file gets (see `Suite`):
//   - `frontdesk-server serve` on a free loopback port, a fresh SQLite file in a temp folder, and
//     `--public-dir dist/web` (the script-tag embed);
//   - two orgs (the site's, and an "other org" for cross-org cases) and an agent key, made with the CLI;
//   - the stand-in customer site (testkit/site.mjs), with a backend that mints tokens for both orgs.
// On a failed test every open page is screenshotted into os.tmpdir()/frontdesk-e2e-<timestamp>/.
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, before, after, afterEach } from "node:test";
import { FrontdeskServer, ROOT, serverBinary, WIDGET_DIR } from "../testkit/server.mjs";
import { Site } from "../testkit/site.mjs";
import { agentApi, authenticateUser } from "../testkit/api.mjs";
import { launchChromium, watchPage, logsOf } from "../testkit/browser.mjs";

export { ROOT };
// Overridable to run the suite against another build (e.g. a deliberately broken one, to prove a test bites).
export const SERVER_BIN = process.env.FRONTDESK_E2E_SERVER_BIN || serverBinary("debug");
export const PUBLIC_DIR = process.env.FRONTDESK_E2E_PUBLIC_DIR || WIDGET_DIR;

for (const [what, path] of [["the server (cargo build -p frontdesk-server)", SERVER_BIN], ["the widget (bash scripts/build.sh)", join(PUBLIC_DIR, "widget.js")]]) {
  if (!existsSync(path)) throw new Error(`e2e: ${path} is missing: build ${what} first, or run npm test`);
}

/** A server of the build under test, in its own temp folder (not started). */
const newServer = ({ tokenTtlSecs } = {}) => FrontdeskServer.create({ binary: SERVER_BIN, publicDir: PUBLIC_DIR, tokenTtlSecs });

let shotDir = null;
function screenshotDir() {
  // Created by the first screenshot (Playwright makes the folder), so a failure with no page open leaves none.
  shotDir ??= join(tmpdir(), `frontdesk-e2e-${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}`);
  return shotDir;
}

/**
 * A test file's stack: `const suite = new Suite(); suite.test("…", async (s) => { … })`.
 * Starts the server, the site, the orgs and Chromium once for the file, gives each test fresh browser
 * contexts (closed after it), and screenshots every open page when a test fails.
 */
export class Suite {
  constructor({ tokenTtlSecs } = {}) {
    this.contexts = new Set();
    this.extraServers = [];
    before(async () => {
      this.site = await new Site().start();
      this.server = await newServer({ tokenTtlSecs });
      this.org = await this.server.createOrg("E2E site", [this.site.origin]);
      this.org.agent_key = await this.server.createAgent(this.org.widget_token, "Ada (agent)");
      this.otherOrg = await this.server.createOrg("Other site", [this.site.origin]);
      await this.server.start();
      this.api = this.server.url;
      this.site.backends.set("main", { api: this.api, secretKey: this.org.secret_key });
      this.site.backends.set("other", { api: this.api, secretKey: this.otherOrg.secret_key });
      this.agent = agentApi(this.api, this.org.agent_key);
      this.browser = await launchChromium();
    });
    afterEach(async () => {
      for (const context of this.contexts) await context.close().catch(() => {});
      this.contexts.clear();
    });
    after(async () => {
      await this.browser?.close().catch(() => {});
      for (const s of [this.server, ...this.extraServers]) {
        if (!s) continue;
        await s.stop().catch(() => {});
        s.cleanup();
      }
      await this.site?.stop();
    });
  }

  /** A test; on failure, screenshots of every open page and the server log's tail are printed. */
  test(name, fn, { timeout = 60_000 } = {}) {
    test(name, { timeout }, async (t) => {
      try {
        await fn(this, t);
      } catch (err) {
        await this.saveScreenshots(name);
        console.error(`--- ${name}: server log (tail) ---\n${this.server?.logTail(25)}`);
        throw err;
      }
    });
  }

  async saveScreenshots(name) {
    const slug = name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
    let n = 0;
    const saved = [];
    for (const context of this.browser?.contexts() || []) {
      for (const page of context.pages()) {
        const file = join(screenshotDir(), `${slug}-${++n}.png`);
        try {
          await page.screenshot({ path: file, fullPage: true, timeout: 5_000 });
          saved.push(file);
        } catch {
          /* a closed page */
        }
        const logs = logsOf(page);
        if (logs.length) console.error(`console of ${page.url()}:\n` + logs.map((l) => `  [${l.type}] ${l.text}`).join("\n"));
      }
    }
    if (saved.length) console.error(`screenshots of the open pages (${name}):\n  ${saved.join("\n  ")}`);
  }

  /** A fresh browser context: one "device" (its own localStorage). */
  async device(options = {}) {
    const context = await this.browser.newContext({ locale: "en-US", ...options });
    this.contexts.add(context);
    return context;
  }

  /** A new page of `context` with console capture, at `url`. */
  async open(context, url) {
    const page = await context.newPage();
    watchPage(page);
    if (url) await page.goto(url);
    return page;
  }

  /** A site page embedding the widget from this file's server with `options` (token filled in). */
  pageUrl({ options = {}, server = this.api, widgetToken = this.org.widget_token, ...rest } = {}) {
    return this.site.page({ server, options: { token: widgetToken, language: "en", ...options }, ...rest });
  }

  /** A second server (its own database and org), e.g. with a 1 s token lifetime. */
  async extraServer({ tokenTtlSecs } = {}) {
    const server = await newServer({ tokenTtlSecs });
    this.extraServers.push(server);
    const org = await server.createOrg("E2E site (second server)", [this.site.origin]);
    await server.start();
    return { server, org, api: server.url };
  }

  authenticate(body, org = this.org) {
    return authenticateUser(this.api, org.secret_key, body);
  }
}
