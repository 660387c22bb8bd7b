/*! The floor for the start-up benchmark: a minimal hand-written chat launcher of equal function to
 * Frontdesk's first screen — a host element with an open shadow root, a constructable stylesheet, a round
 * launcher button with an icon that opens and closes a panel (header, close button, message list, composer).
 * No network, no storage, no framework. Same embed shape as Frontdesk: `VanillaLauncher.init(options)`
 * returns a Promise of a handle with open/close/destroy.
 */
(function () {
  "use strict";
  var CSS =
    ":host{all:initial}*{box-sizing:border-box}" +
    ".root{position:fixed;bottom:20px;right:20px;z-index:2147483000;font:15px/1.4 system-ui,sans-serif;color:#1d2330}" +
    ".launcher{all:unset;box-sizing:border-box;display:flex;align-items:center;justify-content:center;width:56px;height:56px;border-radius:50%;background:var(--c);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".launcher svg{width:28px;height:28px;fill:currentColor}" +
    "[hidden]{display:none!important}" +
    ".panel{position:absolute;bottom:72px;right:0;width:370px;max-width:calc(100vw - 40px);height:560px;max-height:calc(100vh - 110px);background:#fff;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}" +
    ".header{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--c);color:#fff}.header h2{flex:1;margin:0;font-size:17px}" +
    ".header button{all:unset;cursor:pointer;width:32px;height:32px;text-align:center;font-size:20px}" +
    ".body{flex:1;overflow-y:auto;padding:12px 14px}ul{list-style:none;margin:0;padding:0}" +
    ".composer{display:flex;gap:8px;padding:10px;border-top:1px solid #e4e7ec}.composer textarea{flex:1;resize:none;font:inherit}";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  var running = null;
  window.VanillaLauncher = {
    init: function (options) {
      return new Promise(function (resolve) {
        var host = el("div");
        host.setAttribute("data-vanilla-launcher", "");
        var root = host.attachShadow({ mode: "open" });
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
        var container = el("div", "root");
        container.style.setProperty("--c", (options && options.color) || "#2251d1");

        var panel = el("section", "panel");
        panel.hidden = true;
        panel.setAttribute("role", "dialog");
        panel.setAttribute("aria-label", "Chat");
        var header = el("div", "header");
        var close = el("button", "", "×");
        close.type = "button";
        close.setAttribute("aria-label", "Close chat");
        header.append(el("h2", "", "Chat"), close);
        var body = el("div", "body");
        body.append(el("p", "", "Hello! How can we help?"), el("ul", "messages"));
        var composer = el("div", "composer");
        var area = el("textarea");
        area.rows = 1;
        area.setAttribute("aria-label", "Message");
        var send = el("button", "", "Send");
        send.type = "button";
        composer.append(area, send);
        panel.append(header, body, composer);

        var launcher = el("button", "launcher");
        launcher.type = "button";
        launcher.setAttribute("aria-label", "Open chat");
        launcher.setAttribute("aria-expanded", "false");
        var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        svg.setAttribute("viewBox", "0 0 24 24");
        svg.setAttribute("aria-hidden", "true");
        var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
        path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z");
        svg.append(path);
        launcher.append(svg);

        function setOpen(open) {
          panel.hidden = !open;
          launcher.setAttribute("aria-expanded", String(open));
          if (open) area.focus();
        }
        launcher.addEventListener("click", function () { setOpen(panel.hidden); });
        close.addEventListener("click", function () { setOpen(false); });
        container.append(panel, launcher);
        root.append(container);
        document.body.append(host);
        running = host;
        resolve({
          open: function () { setOpen(true); },
          close: function () { setOpen(false); },
          destroy: function () { host.remove(); running = null; },
        });
      });
    },
  };
})();
