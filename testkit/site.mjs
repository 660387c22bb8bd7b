// The stand-in customer site: a node http server whose pages embed `<server>/widget.js` with the script tag of
// README.md#script-tag (no inline scripts, so they also run under a strict CSP), which can serve a build folder (e.g. a
// Vite app), and whose backend route mints verified-user tokens with the secret key, as a site's backend would.
import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { extname, join, normalize, sep } from "node:path";
import { freePort } from "./util.mjs";

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
