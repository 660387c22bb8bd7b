// Reply latency: an agent reply posted through the agent API → rendered in the widget (an `li.msg.agent` holding it
// appears in the shadow root), against a raw long-poll client that receives the same kind of reply.
import { agentApi, newVisitor } from "../../testkit/api.mjs";
import { freshPage, profileTopFunctions, seedDevice } from "./browser.mjs";
import { now, median, quantile, round, log } from "./util.mjs";

/** Opens the widget on `page` (already at frontdesk.html with a seeded device) on the device's one conversation. */
export async function openConversation(page) {
  await page.waitForFunction(() => window.__handle, null, { timeout: 30_000 });
  await page.evaluate(() => window.__handle.open());
  const row = page.locator("[data-frontdesk] button[data-session]");
  await row.first().waitFor({ timeout: 30_000 });
  await row.first().click();
  await page.locator("[data-frontdesk] textarea").waitFor({ state: "visible", timeout: 30_000 });
}

/** Page clock minus node clock (both epoch ms from timeOrigin + now), from the round trip with the smallest delay. */
export async function clockSkew(page) {
  let best = null;
  for (let i = 0; i < 15; i++) {
    const before = now();
    const pageNow = await page.evaluate(() => performance.timeOrigin + performance.now());
    const after = now();
    if (!best || after - before < best.rtt) best = { rtt: after - before, skew: pageNow - (before + after) / 2 };
  }
  return { skewMs: round(best.skew, 2), rttMs: round(best.rtt, 2) };
}

export async function replyLatency(browser, { url, pagesOrigin, org, messages = 500, warmup = 10 }) {
  const widgetVisitor = await newVisitor(url, org.widget_token);
  const rawVisitor = await newVisitor(url, org.widget_token);
  const agent = agentApi(url, org.agent_key);
  const waiting = new Map(); // "w123" / "r123" → resolve(arrival epoch ms)
  const arrived = (key, t) => {
    const resolve = waiting.get(key);
    if (resolve) {
      waiting.delete(key);
      resolve(t);
    }
  };

  const { context, page, cdp } = await freshPage(browser, { initScripts: [seedDevice(org, widgetVisitor.device)] });
  await page.exposeFunction("__benchSeen", (n, t) => arrived(`w${n}`, t));
  await page.goto(`${pagesOrigin}/frontdesk.html`, { waitUntil: "load" });
  await openConversation(page);
  await page.evaluate(() => {
    const root = document.querySelector("[data-frontdesk]").shadowRoot;
    const seen = new Set();
    new MutationObserver((mutations) => {
      const t = performance.timeOrigin + performance.now();
      for (const m of mutations) {
        for (const node of m.addedNodes) {
          if (node.nodeType !== 1) continue;
          const items = node.matches("li.msg.agent") ? [node] : node.querySelectorAll("li.msg.agent");
          for (const li of items) {
            const match = /bench-reply-(\d+)/.exec(li.textContent);
            if (match && !seen.has(match[1])) {
              seen.add(match[1]);
              window.__benchSeen(Number(match[1]), t);
            }
          }
        }
      }
    }).observe(root, { childList: true, subtree: true });
  });

  // The raw client: the widget's long-poll without the widget, in node.
  const stop = new AbortController();
  const rawLoop = (async () => {
    let cursor = 0;
    while (!stop.signal.aborted) {
      try {
        const res = await rawVisitor.api.updates(cursor, 25, { signal: stop.signal });
        if (res.status !== 200) throw new Error(`long-poll: ${res.status} ${res.text}`);
        const body = res.json;
        const t = now();
        for (const m of body.messages) {
          const match = /bench-reply-(\d+)/.exec(m.content);
          if (match) arrived(`r${match[1]}`, t);
        }
        cursor = body.cursor;
      } catch (e) {
        if (!stop.signal.aborted) throw e;
      }
    }
  })();

  const skewBefore = await clockSkew(page);
  const one = async (kind, session, n) => {
    const seen = new Promise((resolve, reject) => {
      waiting.set(`${kind}${n}`, resolve);
      setTimeout(() => reject(new Error(`reply ${n} never reached the ${kind === "w" ? "widget" : "raw client"}`)), 15_000);
    });
    const posted = now();
    await agent.reply(session, `bench-reply-${n}: thanks for waiting, here is what I found.`);
    return (await seen) - posted;
  };
  const widget = [];
  const raw = [];
  for (let n = 0; n < warmup + messages; n++) {
    // Interleaved, one at a time: a burst of load from elsewhere on the machine hits both alike.
    const w = await one("w", widgetVisitor.session, n);
    const r = await one("r", rawVisitor.session, n);
    if (n >= warmup) {
      widget.push(w - skewBefore.skewMs);
      raw.push(r);
    }
    if ((n + 1) % 100 === 0) log(`latency: ${n + 1}/${warmup + messages}`);
  }
  const skewAfter = await clockSkew(page);
  // Where the page's main thread spends its time per reply once the conversation is long: 50 more replies, profiled.
  const profiled = 50;
  const profile = await profileTopFunctions(cdp, async () => {
    for (let n = warmup + messages; n < warmup + messages + profiled; n++) await one("w", widgetVisitor.session, n);
  });
  profile.replies = profiled;
  profile.conversationLength = warmup + messages;
  stop.abort();
  await rawLoop.catch(() => {});
  const rendered = await page.evaluate(() =>
    document.querySelector("[data-frontdesk]").shadowRoot.querySelectorAll("li.msg.agent").length);
  await context.close();

  const summary = (xs) => ({ median: round(median(xs), 2), p99: round(quantile(xs, 0.99), 2), max: round(Math.max(...xs), 2) });
  const firstLast = (xs) => ({ first100: round(median(xs.slice(0, 100)), 2), last100: round(median(xs.slice(-100)), 2) });
  return {
    messages,
    warmup,
    widget: { ...summary(widget), ...firstLast(widget) },
    raw: { ...summary(raw), ...firstLast(raw) },
    overhead: { median: round(median(widget) - median(raw), 2), p99: round(quantile(widget, 0.99) - quantile(raw, 0.99), 2) },
    clock: { before: skewBefore, after: skewAfter },
    renderedAgentMessages: rendered,
    profile,
  };
}
