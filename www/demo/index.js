// The demo's front page: points the three frames at /site.html with a mode and a workspace.
(async function () {
  "use strict";
  const config = await (await fetch("/demo-config.json")).json();
  document.getElementById("console-link").href = config.frontdeskUrl + "/console";
  const workspace = document.getElementById("workspace");
  const email = document.getElementById("email");
  const params = new URLSearchParams(location.search);
  workspace.value = params.get("ws") || "";
  email.value = params.get("email") || email.value;
  function load() {
    for (const frame of document.querySelectorAll("iframe[data-mode]")) {
      const q = new URLSearchParams({ mode: frame.dataset.mode, ws: workspace.value, email: email.value });
      frame.src = "/site.html?" + q;
    }
  }
  document.getElementById("workspace-form").addEventListener("submit", (e) => {
    e.preventDefault();
    history.replaceState(null, "", "?" + new URLSearchParams({ ws: workspace.value, email: email.value }));
    load();
  });
  load();
})();
