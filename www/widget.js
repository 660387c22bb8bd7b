/* Frontdesk script-tag loader.
 * Defines `window.Frontdesk` at once, so `Frontdesk.init(…)` can be called before the wasm has loaded:
 * such calls wait on the load (they are queued, not lost). The wasm and its glue are fetched from
 * the folder this script came from, and that folder is the default `apiUrl`.
 *
 * `init` also draws the closed launcher here, at once, while the wasm is still arriving: the same host,
 * shadow root, stylesheet, button and accessible name as the wasm's own, which adopts them when it
 * starts (the same element: no flash, no second launcher, focus kept). A click before then is kept and
 * opens the panel as soon as the wasm is ready; if the options are refused, the launcher goes again.
 *
 * The handle's methods are on `Frontdesk` too (`Frontdesk.on("message", f)`, `Frontdesk.open()`…): called
 * before the wasm has arrived they are queued, and run in order on the handle once `init` has started it
 * (`on` then returns an unsubscribe function at once). `initOpenScript` is `init`, under OpenCX's name.
 */
(function () {
  "use strict";
  if (window.Frontdesk && window.Frontdesk.init) return;
  var script = document.currentScript;
  var base = new URL(".", (script && script.src) || location.href);
  var apiUrl = base.href.replace(/\/$/, "");
  // Replaced by scripts/build.sh with a hash of the glue and the wasm: their URLs change with their
  // content, so the server lets browsers cache them for good while widget.js itself is revalidated.
  var version = "__FRONTDESK_VERSION__";
  // Replaced by scripts/build.sh with the closed launcher's rules of src/style.css (the part above its
  // end marker), compacted: the launcher drawn here and the wasm's are styled by the same text. Then the
  // busy state, which only this launcher has.
  var css =
    "__FRONTDESK_LAUNCHER_CSS__" +
    ".launcher[aria-busy=true]{cursor:progress}.launcher[aria-busy=true] svg{animation:b .6s .15s infinite alternate}@keyframes b{to{opacity:.4}}";
  // src/config.rs's language codes (in `Language::ALL`'s order: the right-to-left ones last) and
  // src/dom/launcher.rs's icon and English name (a test there checks that they agree). The launcher is
  // named in English until the wasm has the language's words (src/locales/).
  var languages = "en fr de es pt it nl pl tr ru uk ja zh ar he fa".split(" ");
  var icon = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
  var loading = null;
  // The started widget's handle, and the calls made on `Frontdesk` before there was one.
  var handle = null;
  var queue = [];

  function load() {
    if (!loading) {
      // The glue first: it is small, but it must be parsed and run on the page's main thread before
      // anything else can happen. The wasm is compiled while it streams in, from here, at once (before
      // the page's `load`, when `init` is usually called), so `init` finds it compiled; the glue then
      // only instantiates it. When streaming compilation is missing (Safari before 15) or refused (a
      // server that does not send the wasm as application/wasm), the glue gets the plain response and
      // compiles it the slow way.
      var glue = import(new URL("frontdesk.js?v=" + version, base).href);
      var wasmUrl = new URL("frontdesk_bg.wasm?v=" + version, base).href;
      var wasm = WebAssembly.compileStreaming
        ? WebAssembly.compileStreaming(fetch(wasmUrl)).catch(function () {
            return fetch(wasmUrl);
          })
        : fetch(wasmUrl);
      loading = glue.then(function (glue) {
        return glue.default({ module_or_path: wasm }).then(function () {
          // Every language but English (built in) is a file beside the wasm, fetched when it is spoken.
          glue.setLocaleLoader(function (code) {
            return fetch(new URL("locales/" + code + ".json", base)).then(function (r) {
              if (!r.ok) throw Error("HTTP " + r.status + " from " + r.url);
              return r.json();
            });
          });
          // The widget starts in a task of its own, not in the one that instantiated the wasm, and after
          // one that only opens this origin's localStorage: Chromium loads it with a synchronous call to
          // the browser process at the first access, which took 20-60 ms at start-up in traces, inside
          // the widget's start. Three short tasks rather than one long one (BENCHMARKS.md, start-up).
          return new Promise(function (resolve) {
            setTimeout(function () {
              try {
                localStorage.length;
              } catch (e) {}
              setTimeout(resolve, 0, glue);
            });
          });
        });
      });
      loading.catch(function (err) {
        console.error("Frontdesk: could not load the widget from " + base.href + ": " + err);
      });
    }
    return loading;
  }

  function element(tag, className) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    return e;
  }

  function svg(tag, attributes) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (var name in attributes) e.setAttribute(name, attributes[name]);
    return e;
  }

  // The closed launcher for `options`, as src/dom draws it, on the page: [host, shadow root, button]; or
  // nothing when the wasm would not draw it either (no <body> yet, a widget already there, or an option
  // the launcher shows that init will refuse: a flash of a launcher that then goes would be worse).
  function draw(o) {
    var body = document.body;
    if (!o || typeof o.token != "string" || !body || document.querySelector("[data-frontdesk]")) return;
    var i = languages.indexOf(String(o.language || navigator.language).split(/[-_]/)[0].toLowerCase());
    if (i < 0) {
      if (o.language) return;
      i = 0;
    }
    if (o.color != null && !/^#([\da-f]{3}){1,2}$/i.test(o.color)) return;
    if (o.position != null && o.position != "left" && o.position != "right") return;
    try {
      var host = element("div", "");
      host.setAttribute("data-frontdesk", "");
      host.lang = "en";
      host.dir = i > 12 ? "rtl" : "ltr";
      // Attaching a shadow root or building a stylesheet throws in a browser without them: then the wasm's
      // init rejects with the reason, as it does without this launcher.
      var root = host.attachShadow({ mode: "open" });
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
      var container = element("div", o.position == "left" ? "root left" : "root");
      container.style.setProperty("--fd-color", o.color || "#2251d1");
      var button = element("button", "launcher");
      button.type = "button";
      button.setAttribute("aria-label", "Open chat");
      button.setAttribute("aria-expanded", "false");
      var image = svg("svg", { viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false" });
      image.append(svg("path", { d: icon }));
      button.append(image);
      container.append(button);
      root.append(container);
      body.append(host);
      return [host, root, button];
    } catch (e) {}
  }

  var frontdesk = (window.Frontdesk = {
    init: function (options) {
      // Calls made from now on wait for this widget (a destroyed one's handle only ignores them).
      handle = null;
      var drawn = draw(options);
      var clicked = false;
      function click() {
        clicked = true;
        drawn[2].setAttribute("aria-busy", "true");
      }
      if (drawn) drawn[2].addEventListener("click", click);
      return load()
        .then(function (glue) {
          // Adopted only while it is still on the page: if a page script removed it, the wasm draws its own.
          return glue.initFromScript(options, apiUrl, drawn && drawn[0].isConnected ? drawn : undefined);
        })
        .then(
          function (h) {
            handle = h;
            if (drawn) {
              drawn[2].removeEventListener("click", click);
              drawn[2].removeAttribute("aria-busy");
              if (clicked) h.open();
            }
            // One queued call that throws (an unknown event name) must not stop the others or init.
            queue.splice(0).forEach(function (call) {
              try {
                h[call[0]].apply(h, call[1]);
              } catch (e) {
                console.error(e);
              }
            });
            return h;
          },
          function (err) {
            if (drawn) drawn[0].remove();
            throw err;
          },
        );
    },
  });
  frontdesk.initOpenScript = frontdesk.init;
  "open close toggle destroy logout on off setLanguage showNewMessage updateUser isOpen unreadCount"
    .split(" ")
    .forEach(function (name) {
      frontdesk[name] = function () {
        var args = arguments;
        if (handle) return handle[name].apply(handle, args);
        queue.push([name, args]);
        return name == "on"
          ? function () {
              frontdesk.off(args[0], args[1]);
            }
          : { isOpen: false, unreadCount: 0 }[name];
      };
    });
  load();
})();
