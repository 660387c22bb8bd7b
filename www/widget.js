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
      // The wasm (the big file) is requested at once, in parallel with the glue, not after it: the glue
      // then compiles it while it streams in.
      var wasm = fetch(new URL("frontdesk_bg.wasm?v=" + version, base).href);
      loading = import(new URL("frontdesk.js?v=" + version, base).href).then(function (glue) {
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
