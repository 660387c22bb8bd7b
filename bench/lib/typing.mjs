// Typing latency: a keystroke in the agent console's reply box → "… is typing…" shown in the visitor's
// open widget, against a baseline measured in the same run: the same signal without either UI, a node client's
// `POST /api/sessions/{id}/typing` → a node long-poll of the visitor receiving it.
//
// Each round types one character into the empty reply box (the console sends `typing: true` at once, since the
// box was cleared before, which also sent `typing: false`), waits for the widget's line, clears the box and waits
// for the line to go. Rounds are paced at 2.2 s so that the 4 signals of a round pair stay inside the server's
// limit (10 per 10 s per sender, chat and kind: docs/api.md "Limits").
import { agentApi, newVisitor } from "../../testkit/api.mjs";
import { freshPage, seedDevice } from "./browser.mjs";
import { clockSkew, openConversation } from "./latency.mjs";
import { now, median, quantile, round, log } from "./util.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function typingLatency(browser, { url, pagesOrigin, org, rounds = 100, warmup = 5 }) {
  const widgetVisitor = await newVisitor(url, org.widget_token);
  const rawVisitor = await newVisitor(url, org.widget_token);
  const agent = agentApi(url, org.agent_key);
  // A first message, so that the console lists the chat with a preview to click.
  const marker = `bench-typing-${Date.now()}`;
  await widgetVisitor.api.send(widgetVisitor.session, marker, `c_${Date.now()}`);

  // The widget, open on its chat; a MutationObserver stamps when the typing line shows and when it goes.
  const visitorPage = await freshPage(browser, { initScripts: [seedDevice(org, widgetVisitor.device)] });
  const changes = [];
  await visitorPage.page.exposeFunction("__benchTyping", (shown, t) => changes.push({ shown, t }));
  await visitorPage.page.goto(`${pagesOrigin}/frontdesk.html`, { waitUntil: "load" });
  await openConversation(visitorPage.page);
  await visitorPage.page.evaluate(() => {
    const root = document.querySelector("[data-frontdesk]").shadowRoot;
    let shown = false;
    new MutationObserver(() => {
      const line = root.querySelector(".typing[role='status']");
      const now = !!line && !line.hidden && line.textContent.includes("typing");
      if (now !== shown) {
        shown = now;
        window.__benchTyping(now, performance.timeOrigin + performance.now());
      }
    }).observe(root, { childList: true, subtree: true, attributes: true, characterData: true });
  });
  const skew = (await clockSkew(visitorPage.page)).skewMs;

  // The console, signed in with the agent key, on the same chat.
  const deskPage = await freshPage(browser);
  const desk = deskPage.page;
  await desk.goto(`${url}/console`, { waitUntil: "load" });
  await desk.getByLabel("Agent key").fill(org.agent_key);
  await desk.getByRole("button", { name: "Sign in" }).click();
  await desk.locator("#sessions button").filter({ hasText: marker }).first().click();
  await desk.locator("#messages li").filter({ hasText: marker }).first().waitFor();
  const reply = desk.getByLabel("Reply", { exact: true });

  const waitFor = async (shown, since) => {
    const deadline = now() + 10_000;
    for (;;) {
      const change = changes.find((c) => c.shown === shown && c.t - skew >= since);
      if (change) return change.t - skew;
      if (now() > deadline) throw new Error(`the widget's typing line never ${shown ? "showed" : "went"}`);
      await sleep(2);
    }
  };

  // The baseline's long-poll: the visitor's updates, signals only, in node.
  const stop = new AbortController();
  const rawArrivals = [];
  const rawLoop = (async () => {
    let cursor = 0;
    let signalsAfter = Date.now();
    while (!stop.signal.aborted) {
      try {
        const res = await rawVisitor.api.updates(cursor, 25, { signal: stop.signal, signalsAfter });
        const t = now();
        if (res.status !== 200) throw new Error(`long-poll: ${res.status} ${res.text}`);
        for (const s of res.json.signals) if (s.kind === "typing" && s.typing) rawArrivals.push(t);
        cursor = res.json.cursor;
        signalsAfter = res.json.signals_at;
      } catch (e) {
        if (!stop.signal.aborted) throw e;
      }
    }
  })();
  await sleep(300);

  const console_ = [];
  const raw = [];
  for (let n = 0; n < warmup + rounds; n++) {
    const started = now();
    // The product: a keystroke in the console → the line in the widget.
    const typed = now();
    await reply.press("x");
    const shownAt = await waitFor(true, typed);
    await reply.fill("");
    await waitFor(false, shownAt);
    // The baseline: the same signal from node to node.
    const count = rawArrivals.length;
    const posted = now();
    await agent.typing(rawVisitor.session, true);
    while (rawArrivals.length === count) {
      if (now() - posted > 10_000) throw new Error("the raw long-poll never heard the typing signal");
      await sleep(1);
    }
    const rawAt = rawArrivals[count];
    await agent.typing(rawVisitor.session, false);
    if (n >= warmup) {
      console_.push(shownAt - typed);
      raw.push(rawAt - posted);
    }
    if ((n + 1) % 20 === 0) log(`typing: ${n + 1}/${warmup + rounds}`);
    await sleep(Math.max(0, 2_200 - (now() - started)));
  }
  stop.abort();
  await rawLoop.catch(() => {});
  await visitorPage.context.close();
  await deskPage.context.close();

  const summary = (xs) => ({ median: round(median(xs), 2), p90: round(quantile(xs, 0.9), 2), max: round(Math.max(...xs), 2) });
  return {
    rounds,
    warmup,
    console: summary(console_),
    raw: summary(raw),
    ratio: round(median(console_) / median(raw), 2),
  };
}
