/* Frontdesk script-tag loader.
 * Defines `window.Frontdesk` at once, so `Frontdesk.init(…)` can be called before the wasm has loaded:
 * such calls wait on the load (they are queued, not lost). The wasm and its glue are fetched from
 * the folder this script came from, and that folder is the default `apiUrl`.
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
  var loading = null;

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
          return glue;
        });
      });
      loading.catch(function (err) {
        console.error("Frontdesk: could not load the widget from " + base.href + ": " + err);
      });
    }
    return loading;
  }

  window.Frontdesk = {
    init: function (options) {
      return load().then(function (glue) {
        return glue.initFromScript(options, apiUrl);
      });
    },
  };
  load();
})();
