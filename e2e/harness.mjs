// End-to-end harness: the real Frontdesk server, a small "customer site" and headless Chromium.
//
// It builds nothing: `scripts/test.sh` runs `scripts/build.sh` (dist/web, dist/npm) and builds
// target/debug/frontdesk-server first. Each test file gets its own stack (see `Suite`):
//   - `frontdesk-server serve` on a free loopback port, a fresh SQLite file in a temp folder, and
//     `--public-dir dist/web` (the script-tag embed);
//   - two orgs (the site's, and an "other org" for cross-org cases) and an agent key, made with the CLI;
//   - a node http server acting as the customer's site: pages that embed `<server>/widget.js` with the
//     script tag of CONTRACT.md §1 (no inline scripts, so they also run under a strict CSP), and a
//     backend route that mints verified-user tokens with the secret key, as a site's backend would.
// On a failed test every open page is screenshotted into os.tmpdir()/frontdesk-e2e-<timestamp>/.
import { spawn, execFile } from "node:child_process";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { existsSync, mkdtempSync, readFileSync, rmSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test, before, after, afterEach } from "node:test";
import { chromium } from "playwright-core";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
// Overridable to run the suite against another build (e.g. a deliberately broken one, to prove a test bites).
export const SERVER_BIN = process.env.FRONTDESK_E2E_SERVER_BIN || join(ROOT, "target", "debug", "frontdesk-server");
export const PUBLIC_DIR = process.env.FRONTDESK_E2E_PUBLIC_DIR || join(ROOT, "dist", "web");
const execFileAsync = promisify(execFile);

for (const [what, path] of [["the server (cargo build -p frontdesk-server)", SERVER_BIN], ["the widget (bash scripts/build.sh)", join(PUBLIC_DIR, "widget.js")]]) {
  if (!existsSync(path)) throw new Error(`e2e: ${path} is missing: build ${what} first, or run npm test`);
}

// ---------------------------------------------------------------------------------------------
// small utilities

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const uniq = (() => {
  let n = 0;
  const run = Date.now().toString(36);
  return (prefix = "u") => `${prefix}-${run}-${process.pid}-${++n}`;
})();

/** Polls `check` (sync or async) until it returns a truthy value, which it returns; throws the last
 *  failure after `timeout` ms. A condition, not a timing: the timeout is only a safety net. */
export async function eventually(check, what = "condition", timeout = 20_000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = new Error(`got ${JSON.stringify(value)}`);
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for: ${what} (last: ${last?.message ?? last})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// the Frontdesk server

export class FrontdeskServer {
  constructor({ dir, port, tokenTtlSecs }) {
    this.dir = dir;
    this.port = port;
    this.tokenTtlSecs = tokenTtlSecs;
    this.database = `sqlite://${join(dir, "frontdesk.db")}`;
    this.url = `http://127.0.0.1:${port}`;
    this.logPath = join(dir, "server.log");
    this.child = null;
  }

  static async create({ tokenTtlSecs } = {}) {
    const dir = mkdtempSync(join(tmpdir(), "frontdesk-e2e-server-"));
    return new FrontdeskServer({ dir, port: await freePort(), tokenTtlSecs });
  }

  async cli(args) {
    const { stdout } = await execFileAsync(SERVER_BIN, [...args, "--json", "--database", this.database]);
    return JSON.parse(stdout);
  }

  createOrg(name, allowedOrigins = []) {
    return this.cli(["org", "create", "--name", name, ...allowedOrigins.flatMap((o) => ["--allowed-origin", o])]);
  }

  async createAgent(widgetToken, name) {
    return (await this.cli(["agent", "create", "--org", widgetToken, "--name", name])).agent_key;
  }

  async start() {
    const args = ["serve", "--addr", `127.0.0.1:${this.port}`, "--database", this.database, "--public-dir", PUBLIC_DIR];
    if (this.tokenTtlSecs) args.push("--token-ttl-secs", String(this.tokenTtlSecs));
    const log = createWriteStream(this.logPath, { flags: "a" });
    const child = spawn(SERVER_BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: "info" } });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${this.logTail()}`);
      const res = await fetch(`${this.url}/healthz`);
      return res.ok;
    }, `${this.url}/healthz`, 15_000);
  }

  /** SIGTERM, and wait until the process is gone. */
  async stop() {
    if (!this.child) return;
    const child = this.child;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const { code, signal } = await this.exited;
    return { code, signal };
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  logTail(lines = 40) {
    try {
      return readFileSync(this.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no server log)";
    }
  }

  cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP clients: the agent API, the site's backend, the widget API (for forgery checks)

async function call(url, { method = "GET", headers = {}, body } = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}

/** The agent API (CONTRACT §4) with a secret key or an agent key, called from node. */
export function agentApi(apiUrl, key) {
  const auth = { authorization: `Bearer ${key}` };
  return {
    async sessions(externalId) {
      const r = await call(`${apiUrl}/api/sessions${externalId ? `?external_id=${encodeURIComponent(externalId)}` : ""}`, { headers: auth });
      if (r.status !== 200) throw new Error(`GET /api/sessions → ${r.status} ${r.text}`);
      return r.json.sessions;
    },
    async messages(sessionId) {
      const r = await call(`${apiUrl}/api/sessions/${sessionId}/messages`, { headers: auth });
      if (r.status !== 200) throw new Error(`GET messages → ${r.status} ${r.text}`);
      return r.json.messages;
    },
    async reply(sessionId, content) {
      const r = await call(`${apiUrl}/api/sessions/${sessionId}/messages`, { method: "POST", headers: auth, body: { content } });
      if (r.status !== 201) throw new Error(`POST reply → ${r.status} ${r.text}`);
      return r.json.message;
    },
    /** Every message of every session in the scope, flattened (for "exactly once" checks). */
    async allMessages(externalId) {
      const sessions = await this.sessions(externalId);
      const all = [];
      for (const s of sessions) for (const m of await this.messages(s.id)) all.push({ ...m, session: s });
      return all;
    },
  };
}

/** What the site's backend does: POST /widget/authenticate-user with the secret key (CONTRACT §2). */
export async function authenticateUser(apiUrl, secretKey, body) {
  const r = await call(`${apiUrl}/widget/authenticate-user`, { method: "POST", headers: { authorization: `Bearer ${secretKey}` }, body });
  if (r.status !== 200) throw new Error(`authenticate-user → ${r.status} ${r.text}`);
  return r.json;
}

/** The widget-facing API with the widget's own headers (docs/api.md), as a forger would call it. */
export function widgetApi(apiUrl, { widgetToken, device, userToken, externalId, origin }) {
  const headers = { "x-frontdesk-widget-token": widgetToken };
  if (device) headers["x-frontdesk-device"] = device;
  if (userToken) headers.authorization = `Bearer ${userToken}`;
  if (externalId) headers["x-frontdesk-external-id"] = externalId;
  if (origin) headers.origin = origin;
  return {
    sessions: () => call(`${apiUrl}/widget/v1/sessions`, { headers }),
    messages: (id) => call(`${apiUrl}/widget/v1/sessions/${id}/messages`, { headers }),
    send: (id, content, clientId) =>
      call(`${apiUrl}/widget/v1/sessions/${id}/messages`, { method: "POST", headers, body: { content, ...(clientId ? { client_id: clientId } : {}) } }),
    start: (visitor) => call(`${apiUrl}/widget/v1/sessions`, { method: "POST", headers, body: visitor ? { visitor } : {} }),
  };
}

// ---------------------------------------------------------------------------------------------
// the customer's site

const STRICT_CSP = (server) =>
  [
    "default-src 'self'",
    `script-src 'self' ${server} 'wasm-unsafe-eval'`,
    `connect-src 'self' ${server}`,
    "style-src 'self'",
  ].join("; ");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
};

// Loaded first on every page (before widget.js): records CSP violations for the tests to read.
const WATCH_JS = `"use strict";
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sourceFile || ""));
});
`;

export class Site {
  constructor() {
    this.pages = new Map();
    this.tokenSpecs = new Map();
    this.mounts = new Map();
    this.backends = new Map(); // name → { api, secretKey }
    this.next = 0;
  }

  async start() {
    this.port = await freePort();
    this.origin = `http://127.0.0.1:${this.port}`;
    this.server = createServer((req, res) => this.handle(req, res).catch((err) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err?.stack || err));
    }));
    await new Promise((resolve) => this.server.listen(this.port, "127.0.0.1", resolve));
    return this;
  }

  stop() {
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Registers a page and returns its URL. `options` is what the page passes to `Frontdesk.init` (JSON);
   * `{ $tokenFunction: { backend, email, name, custom_data } }` in place of `user.token` becomes an async
   * function that asks this site's backend for a fresh token. `init: false` leaves the call to the test.
   */
  page({ server, options, init = true, csp = false, css = null, title = "Test site" }) {
    const id = String(++this.next);
    this.pages.set(id, { server, options, init, csp, css, title });
    return `${this.origin}/p/${id}`;
  }

  /** Serves the files of `dir` under `prefix` (e.g. a Vite build). */
  mount(prefix, dir, { csp = null } = {}) {
    this.mounts.set(prefix, { dir, csp });
    return `${this.origin}${prefix}`;
  }

  async handle(req, res) {
    const url = new URL(req.url, this.origin);
    const path = url.pathname;
    if (path === "/watch.js") return this.send(res, 200, TYPES[".js"], WATCH_JS);
    if (path === "/favicon.ico") return this.send(res, 204, "text/plain", "");
    if (path === "/backend/token" && req.method === "POST") return this.mintToken(url, res);
    const m = path.match(/^\/p\/(\d+)(\/embed\.js|\/page\.css)?$/);
    if (m && this.pages.has(m[1])) {
      const page = this.pages.get(m[1]);
      if (m[2] === "/embed.js") return this.send(res, 200, TYPES[".js"], this.embedJs(page));
      if (m[2] === "/page.css") return this.send(res, 200, TYPES[".css"], page.css || "");
      const headers = page.csp ? { "content-security-policy": STRICT_CSP(page.server) } : {};
      return this.send(res, 200, TYPES[".html"], this.html(m[1], page), headers);
    }
    for (const [prefix, { dir, csp }] of this.mounts) {
      if (!path.startsWith(prefix)) continue;
      const rel = path.slice(prefix.length) || "index.html";
      const file = normalize(join(dir, decodeURIComponent(rel)));
      if (!file.startsWith(dir + sep) || !existsSync(file)) break;
      const headers = csp && file.endsWith(".html") ? { "content-security-policy": csp } : {};
      return this.send(res, 200, TYPES[extname(file)] || "application/octet-stream", readFileSync(file), headers);
    }
    return this.send(res, 404, "text/plain", "not found");
  }

  send(res, status, type, body, headers = {}) {
    res.writeHead(status, { "content-type": type, "cache-control": "no-store", ...headers });
    res.end(body);
  }

  html(id, page) {
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title>
<script src="/watch.js"></script>
${page.css ? `<link rel="stylesheet" href="/p/${id}/page.css">` : ""}
<script src="${page.server}/widget.js" defer></script>
${page.init ? `<script src="/p/${id}/embed.js" defer></script>` : ""}
</head>
<body>
<main>
<h1>${page.title}</h1>
<p>A page of the customer's site. The chat launcher is in the corner.</p>
<p id="status" role="status">Loading the widget</p>
<button id="page-button" type="button">A button of the page</button>
</main>
</body>
</html>
`;
  }

  // The page's own script (an external file: no inline code, so strict CSP pages work).
  embedJs(page) {
    const options = structuredClone(page.options);
    let tokenSpec = null;
    const spec = options?.user?.token?.$tokenFunction;
    if (spec) {
      tokenSpec = String(++this.next);
      this.tokenSpecs.set(tokenSpec, spec);
      delete options.user.token;
    }
    return `"use strict";
(function () {
  var options = ${JSON.stringify(options)};
  var tokenSpec = ${JSON.stringify(tokenSpec)};
  window.__tokenCalls = 0;
  if (tokenSpec) {
    options.user.token = async function () {
      window.__tokenCalls++;
      var answer = await fetch("/backend/token?spec=" + tokenSpec, { method: "POST" });
      if (!answer.ok) throw new Error("the site's backend could not mint a token: " + answer.status);
      return (await answer.json()).token;
    };
  }
  var status = document.getElementById("status");
  window.addEventListener("load", function () {
    Frontdesk.init(options).then(function (handle) {
      window.frontdeskHandle = handle;
      status.textContent = "Widget ready";
    }, function (err) {
      window.frontdeskError = err;
      status.textContent = "Widget error: " + err.message;
    });
  });
})();
`;
  }

  async mintToken(url, res) {
    const spec = this.tokenSpecs.get(url.searchParams.get("spec") || "");
    if (!spec) return this.send(res, 404, "text/plain", "no such token spec");
    const backend = this.backends.get(spec.backend || "main");
    const { backend: _, ...body } = spec;
    const answer = await fetch(`${backend.api}/widget/authenticate-user`, {
      method: "POST",
      headers: { authorization: `Bearer ${backend.secretKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return this.send(res, answer.status, "application/json", await answer.text());
  }
}

// ---------------------------------------------------------------------------------------------
// Chromium

export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"];

export function launchChromium() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

const consoleLogs = new WeakMap();

/** Console messages (and page errors) seen by `page` so far: `{ type, text }`. */
export const logsOf = (page) => consoleLogs.get(page) || [];

function watchPage(page) {
  const logs = [];
  consoleLogs.set(page, logs);
  page.on("console", (msg) => logs.push({ type: msg.type(), text: msg.text() }));
  page.on("pageerror", (err) => logs.push({ type: "pageerror", text: String(err?.message || err) }));
}

// ---------------------------------------------------------------------------------------------
// one stack per test file

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
      this.server = await FrontdeskServer.create({ tokenTtlSecs });
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
    const server = await FrontdeskServer.create({ tokenTtlSecs });
    this.extraServers.push(server);
    const org = await server.createOrg("E2E site (second server)", [this.site.origin]);
    await server.start();
    return { server, org, api: server.url };
  }

  authenticate(body, org = this.org) {
    return authenticateUser(this.api, org.secret_key, body);
  }
}

// ---------------------------------------------------------------------------------------------
// the widget as a visitor sees it (Playwright's selectors pierce the open shadow root)

export const widget = {
  launcher: (page) => page.getByRole("button", { name: /^Open chat/ }),
  composer: (page) => page.getByRole("textbox", { name: "Message" }),
  sendButton: (page) => page.getByRole("button", { name: "Send", exact: true }),
  panel: (page) => page.locator("[data-frontdesk] .panel"),
  notice: (page) => page.locator("[data-frontdesk] .notice.error"),
  badge: (page) => page.locator("[data-frontdesk] .badge"),

  /** Waits for the page's init to resolve (the page's status line says so). */
  async ready(page) {
    await page.locator("#status").filter({ hasText: /Widget (ready|error)/ }).waitFor({ timeout: 20_000 });
    const status = await page.locator("#status").textContent();
    if (!status.startsWith("Widget ready")) throw new Error(`init failed: ${status}`);
  },

  async open(page) {
    await widget.ready(page);
    await widget.launcher(page).click();
    await widget.panel(page).waitFor({ state: "visible" });
  },

  /** Types `text` in the composer, presses Enter, and waits until the server has stored it. */
  async send(page, text) {
    await widget.composer(page).fill(text);
    await widget.composer(page).press("Enter");
    await widget.sent(page, text);
  },

  /** Waits until a visitor message with `text` shows as stored (not pending). */
  sent(page, text, timeout = 20_000) {
    return page.locator("[data-frontdesk] .msg.visitor:not(.pending):not(.failed)").filter({ hasText: text }).first().waitFor({ timeout });
  },

  /** The items of the open conversation: `[{ cls, text }]`, read straight from the shadow root. */
  items(page) {
    return page.evaluate(() => {
      const root = document.querySelector("[data-frontdesk]")?.shadowRoot;
      return [...(root?.querySelectorAll(".messages li") || [])].map((li) => ({ cls: li.className, text: li.textContent }));
    });
  },

  /** The previews of the session list: `[text]`. */
  rows(page) {
    return page.evaluate(() => {
      const root = document.querySelector("[data-frontdesk]")?.shadowRoot;
      return [...(root?.querySelectorAll(".sessions [data-session]") || [])].map((b) => b.querySelector(".preview")?.textContent ?? "");
    });
  },

  /** Elements matching `selector` inside the shadow root (a count). */
  count(page, selector) {
    return page.evaluate((selector) => document.querySelector("[data-frontdesk]")?.shadowRoot?.querySelectorAll(selector).length ?? -1, selector);
  },
};

/** Console errors the widget logged (`Frontdesk: …`). */
export const frontdeskErrors = (page) => logsOf(page).filter((l) => l.type === "error" && l.text.startsWith("Frontdesk:"));

/** Every CSP complaint the page saw: `securitypolicyviolation` events and Chromium's console errors. */
export async function cspProblems(page) {
  const events = await page.evaluate(() => window.__cspViolations || ["(the watcher did not run)"]);
  const console = logsOf(page).filter((l) => /Content Security Policy|Refused to/i.test(l.text)).map((l) => l.text);
  return [...events, ...console];
}
