// One page of the example site: adds the Frontdesk script tag as the README tells site owners to,
// then calls Frontdesk.init in the mode given in the URL. For the verified mode the token comes from
// this site's own backend (/demo/token), which holds the secret key; the browser never sees it.
(async function () {
  "use strict";
  const status = document.getElementById("status");
  const params = new URLSearchParams(location.search);
  const mode = params.get("mode") || "anonymous";
  const externalId = params.get("ws") || undefined;
  const email = params.get("email") || "bob@example.com";
  const config = await (await fetch("/demo-config.json")).json();

  const user = { externalId };
  if (mode === "data") {
    user.data = { name: "Alice (unverified)", email: "alice@example.com", customData: { plan: "free", claimed_vip: true } };
  } else if (mode === "verified") {
    // A function: the widget calls it again when the server says the token expired.
    user.token = async () => {
      const answer = await fetch("/demo/token?email=" + encodeURIComponent(email), { method: "POST" });
      if (!answer.ok) throw new Error("the demo backend could not mint a token: " + (await answer.text()));
      return (await answer.json()).token;
    };
  }
  const options = { token: config.widgetToken, color: "#1f6f5c" };
  if (mode !== "anonymous" || externalId) options.user = user;

  const tag = document.createElement("script");
  tag.src = config.frontdeskUrl + "/widget.js";
  tag.defer = true;
  tag.addEventListener("load", async () => {
    try {
      const handle = await window.Frontdesk.init(options);
      window.frontdeskHandle = handle;
      status.textContent = "Widget running: " + mode + (externalId ? ", workspace " + externalId : "") +
        (mode === "verified" ? ", as " + email : "") + ".";
      document.getElementById("logout").addEventListener("click", () => {
        handle.logout();
        status.textContent = "logout(): this device's non-verified session is forgotten.";
      });
    } catch (err) {
      status.textContent = "Widget error: " + err.message;
      console.error(err);
    }
  });
  document.head.appendChild(tag);
})();
