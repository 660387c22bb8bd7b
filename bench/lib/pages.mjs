// The bench pages' own origin: a blank page, the hand-written vanilla launcher, and the script-tag embed of Frontdesk,
// each with a timing probe in <head>.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const CONTENT = `
<header><h1>Acme Hardware</h1><nav><a href="#tools">Tools</a> · <a href="#garden">Garden</a> · <a href="#help">Help</a></nav></header>
<main>
<h2 id="tools">Tools for every job</h2>
<p>From a single screwdriver to a full workshop, our catalogue has what you need. Every tool ships with a two-year
warranty, and our team answers questions seven days a week.</p>
<ul><li>Hand tools</li><li>Power tools</li><li>Measuring and layout</li><li>Storage</li></ul>
<h2 id="garden">Garden</h2>
<p>Seeds, soil and the tools to work it. Order before noon and it leaves the warehouse the same day.</p>
<table><thead><tr><th>Item</th><th>Price</th></tr></thead>
<tbody><tr><td>Spade</td><td>€24</td></tr><tr><td>Rake</td><td>€18</td></tr><tr><td>Hose, 25 m</td><td>€39</td></tr></tbody></table>
<h2 id="help">Help</h2>
<p>Questions about an order? Open the chat in the corner and a person answers.</p>
</main>
<footer><p>© Acme Hardware</p></footer>`;

// Timing probe, inline in <head> before anything else: long tasks (buffered), the launcher's first frame, when init()
// resolves, and with `?click` in the URL a click on the launcher at that first frame and the first frame of the panel.
const PROBE = `<script>
(function () {
  var b = (window.__bench = { longtasks: [], marks: {}, click: /[?&]click/.test(location.search) });
  try {
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) { b.longtasks.push([e.startTime, e.duration]); });
    }).observe({ type: "longtask", buffered: true });
  } catch (e) { b.noLongtask = String(e); }
  // Once every mark the page waits for is in: long tasks that start before the last of them + 250 ms.
  b.check = function () {
    var m = b.marks;
    if (b.finishing || m.ready === undefined || (b.hasInit && m.init === undefined) || (b.click && m.panel === undefined)) return;
    b.finishing = true;
    var end = Math.max(m.ready, m.init || 0, m.panel || 0) + 250;
    setTimeout(function () {
      var nav = performance.getEntriesByType("navigation")[0];
      m.loadEventStart = nav ? nav.loadEventStart : m.load;
      var tasks = b.longtasks.filter(function (t) { return t[0] < end; });
      b.blocking = tasks.reduce(function (s, t) { return s + Math.max(0, t[1] - 50); }, 0);
      b.longtaskCount = tasks.length;
      b.longestTask = tasks.reduce(function (s, t) { return Math.max(s, t[1]); }, 0);
      // The same for the tasks that start after the load event's (the asynchronous part of a start-up, such as
      // Frontdesk's wasm starting, apart from the task that parses the page's end and dispatches load).
      var after = tasks.filter(function (t) { return t[0] > m.load; });
      b.longtasksAfterLoad = after.length;
      b.longestAfterLoad = after.reduce(function (s, t) { return Math.max(s, t[1]); }, 0);
      b.resources = performance.getEntriesByType("resource").map(function (e) {
        return { name: e.name.split("?")[0].split("/").pop(), start: e.startTime, end: e.responseEnd };
      });
      b.done = true;
    }, Math.max(0, end - performance.now()) + 50);
  };
  // The launcher is ready (visible and clickable) at the first animation frame where it has a box: each launcher
  // measured attaches its click listener in the task that puts it on the page, so a box means a click is taken.
  // (Frontdesk's script tag draws it before the wasm has arrived, and acts on a click once the wasm is ready: the
  // click runs say how long that takes.) The host is found by its attribute, the button in its open shadow root.
  b.watch = function (hostSelector) {
    b.hasInit = true;
    requestAnimationFrame(function poll() {
      var host = document.querySelector(hostSelector);
      var button = host && host.shadowRoot && host.shadowRoot.querySelector("button.launcher");
      var box = button && button.getBoundingClientRect();
      if (box && box.width > 0 && box.height > 0) {
        b.marks.ready = performance.now();
        if (b.click) {
          button.click();
          b.marks.click = performance.now();
          (function panel() {
            var p = host.shadowRoot.querySelector(".panel");
            var r = p && p.getBoundingClientRect();
            if (r && r.width > 0 && r.height > 0) {
              b.marks.panel = performance.now();
              b.check();
            } else if (!b.error) requestAnimationFrame(panel);
          })();
        }
        b.check();
      } else if (!b.error) requestAnimationFrame(poll);
    });
  };
  b.inited = function () { b.marks.init = performance.now(); b.check(); };
  b.noWidget = function () { b.marks.ready = b.marks.load; b.check(); };
})();
</script>`;

function page(title, head) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${PROBE}
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}table{border-collapse:collapse}td,th{padding:.2rem .8rem;border-bottom:1px solid #ddd}</style>
${head}
</head><body>${CONTENT}</body></html>`;
}

/**
 * The bench site: /blank.html (no widget), /vanilla.html (the hand-written launcher floor, bench/vanilla-launcher.js,
 * from this origin), /frontdesk.html (the script-tag embed exactly as the README shows it, from the Frontdesk server).
 * `config()` is read per request, so the pages can be served before the org exists.
 */
export async function startPages({ benchDir, config }) {
  const vanillaJs = readFileSync(join(benchDir, "vanilla-launcher.js"));
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url, "http://x");
    const cfg = config();
    let body;
    let type = "text/html; charset=utf-8";
    if (pathname === "/blank.html") {
      body = page("No widget", `<script>window.addEventListener("load", function () {
  __bench.marks.load = performance.now(); __bench.noWidget(); });</script>`);
    } else if (pathname === "/vanilla.html") {
      body = page("Vanilla launcher", `<script src="/vanilla-launcher.js" defer></script>
<script>window.addEventListener("load", function () {
  var b = __bench; b.marks.load = performance.now();
  VanillaLauncher.init({ color: "#2251d1" }).then(function (h) { window.__handle = h; b.inited(); },
    function (e) { b.error = String(e); });
  b.watch("[data-vanilla-launcher]");
});</script>`);
    } else if (pathname === "/frontdesk.html") {
      const options = { token: cfg.widgetToken, language: "en" };
      body = page("Frontdesk", `<script src="${cfg.frontdeskUrl}/widget.js" defer></script>
<script>window.addEventListener("load", function () {
  var b = __bench; b.marks.load = performance.now();
  Frontdesk.init(${JSON.stringify(options)}).then(function (h) { window.__handle = h; b.inited(); },
    function (e) { b.error = String(e); });
  b.watch("[data-frontdesk]");
});</script>`);
    } else if (pathname === "/frontdesk-open.html") {
      // Opened at start (`openOnStart`): the load → the panel showing what comes before the first message, the
      // org's greeting bubbles with `?greeting` (its org has a greeting and questions), else the widget's own line.
      const greeting = new URL(req.url, "http://x").searchParams.has("greeting");
      const options = { token: greeting ? cfg.greetingToken : cfg.widgetToken, language: "en", openOnStart: true };
      const selector = greeting ? ".welcome .msg.agent" : ".screen > .notice:not(.availability)";
      body = page("Frontdesk, open", `<script src="${cfg.frontdeskUrl}/widget.js" defer></script>
<script>window.addEventListener("load", function () {
  var b = __bench; b.marks.load = performance.now();
  Frontdesk.init(${JSON.stringify(options)}).then(function (h) { window.__handle = h; }, function (e) { b.error = String(e); });
  requestAnimationFrame(function poll() {
    var host = document.querySelector("[data-frontdesk]");
    // Every match: the list screen has a hidden line of the same kind.
    var found = host && host.shadowRoot ? host.shadowRoot.querySelectorAll(${JSON.stringify(selector)}) : [];
    var shown = Array.prototype.some.call(found, function (e) { var r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
    if (shown) { b.marks.shown = performance.now(); b.done = true; }
    else if (!b.error) requestAnimationFrame(poll);
  });
});</script>`);
    } else if (pathname === "/vanilla-launcher.js") {
      body = vanillaJs;
      type = "text/javascript";
    } else {
      res.writeHead(404);
      return res.end("not found");
    }
    res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, close: () => new Promise((r) => server.close(r)) };
}
