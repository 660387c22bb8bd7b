// The demo page's own script: reads its config from the demo backend, adds the Frontdesk script tag
// the way the README tells site owners to, and starts the widget.
(async function () {
  "use strict";
  const status = document.getElementById("status");
  const config = await (await fetch("/demo-config.json")).json();
  const tag = document.createElement("script");
  tag.src = config.frontdeskUrl + "/widget.js";
  tag.defer = true;
  tag.addEventListener("load", async () => {
    try {
      window.frontdeskHandle = await window.Frontdesk.init({ token: config.widgetToken });
      status.textContent = "Widget running (anonymous visitor).";
    } catch (err) {
      status.textContent = "Widget error: " + err.message;
      console.error(err);
    }
  });
  document.head.appendChild(tag);
})();
