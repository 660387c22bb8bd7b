// Memory: the widget's JS heap and wasm linear memory after opening a chat of 1,000 agent messages, against the
// same page with the widget closed and no chat, and the page with no widget. Beside it, at 4× CPU throttling, the
// time from the click on that chat to its (latest) messages in the DOM, and the time one new message takes to render.
import { agentApi, newVisitor } from "../../testkit/api.mjs";
import { sleep } from "../../testkit/util.mjs";
import { freshPage, profileTopFunctions, seedDevice } from "./browser.mjs";
import { openConversation } from "./latency.mjs";
import { median, round, log } from "./util.mjs";

// Installed before any page script: keeps every wasm instance's exported memory, so its size can be read later
// (the loader does not expose the module). Costs one `.then` per instantiation.
const WASM_HOOK = {
  fn: () => {
    const keep = (result) => {
      const instance = result && (result.instance || result);
      // Found by type: scripts/minify-wasm-names.mjs renames the `memory` export.
      const memory = instance && instance.exports && Object.values(instance.exports).find((x) => x instanceof WebAssembly.Memory);
      if (memory instanceof WebAssembly.Memory) (window.__wasmMemories ||= []).push(memory);
      return result;
    };
    const streaming = WebAssembly.instantiateStreaming;
    if (streaming) WebAssembly.instantiateStreaming = function (...a) { return streaming.apply(this, a).then(keep); };
    const plain = WebAssembly.instantiate;
    WebAssembly.instantiate = function (...a) { return plain.apply(this, a).then(keep); };
  },
  arg: undefined,
};

// Installed before any page script: stamps when the body of each long-poll answer has arrived (the widget reads it
// with `response.text()`), and when the widget next reads an element's `scrollHeight` — which it does right after
// drawing new lines, to scroll to the newest (dom/mod.rs), so that read returns once they are drawn and laid out.
const BODY_HOOK = {
  fn: () => {
    const text = Response.prototype.text;
    Response.prototype.text = function () {
      const url = this.url;
      return text.call(this).then((body) => {
        if (url.includes("/updates")) {
          window.__bodyAt = performance.now();
          window.__laidOutAt = null;
        }
        return body;
      });
    };
    const height = Object.getOwnPropertyDescriptor(Element.prototype, "scrollHeight");
    Object.defineProperty(Element.prototype, "scrollHeight", {
      configurable: true,
      get() {
        const value = height.get.call(this);
        if (window.__laidOutAt === null) window.__laidOutAt = performance.now();
        return value;
      },
    });
  },
  arg: undefined,
};

/** The content of the chat's newest message (replies are posted 8 at a time, so not necessarily the last numbered). */
const lastContent = async (agent, session) => (await agent.messages(session)).at(-1).content;

/**
 * Clicks the chat's row in the open list and resolves to the ms until its last message is in the DOM (a mutation
 * observer sees it, i.e. right after the task that rendered it, layout of the scroll included).
 */
function timeOpen(page, lastText) {
  return page.evaluate((lastText) => new Promise((resolve, reject) => {
    const root = document.querySelector("[data-frontdesk]").shadowRoot;
    const shown = () => root.querySelector("ul.messages")?.lastElementChild?.textContent.includes(lastText);
    const observer = new MutationObserver(() => {
      if (!shown()) return;
      const ms = performance.now() - started;
      observer.disconnect();
      resolve({ ms, lines: root.querySelectorAll("ul.messages li.msg").length });
    });
    observer.observe(root, { childList: true, subtree: true });
    setTimeout(() => reject(new Error("the conversation did not render within 60 s")), 60_000);
    const started = performance.now();
    root.querySelector("button[data-session]").click();
  }), lastText);
}

/**
 * Posts one agent reply and resolves to `{ drawn, task }`: the ms from its long-poll body's arrival to its line drawn
 * and laid out, and to the end of that task (a mutation observer's callback: the task also starts the next long-poll).
 */
async function timeNewMessage(page, agent, session, n) {
  // The observer is in place before the reply is posted (at 4× CPU the page may take a while to run the script).
  await page.evaluate((text) => {
    window.__rendered = new Promise((resolve, reject) => {
      const root = document.querySelector("[data-frontdesk]").shadowRoot;
      const observer = new MutationObserver(() => {
        if (!root.querySelector("ul.messages")?.lastElementChild?.textContent.includes(text)) return;
        const at = performance.now();
        observer.disconnect();
        resolve({ drawn: (window.__laidOutAt ?? at) - window.__bodyAt, task: at - window.__bodyAt });
      });
      observer.observe(root, { childList: true, subtree: true });
      setTimeout(() => reject(new Error("the new message did not render within 15 s")), 15_000);
    });
  }, `bench-new-${n}:`);
  await agent.reply(session, `bench-new-${n}: one more answer, in a long chat.`);
  return page.evaluate(() => window.__rendered);
}

async function measure(page, cdp) {
  await sleep(500);
  await cdp.send("HeapProfiler.enable");
  await cdp.send("HeapProfiler.collectGarbage");
  await cdp.send("HeapProfiler.collectGarbage");
  const heap = await cdp.send("Runtime.getHeapUsage");
  const dom = await cdp.send("Memory.getDOMCounters");
  const wasm = await page.evaluate(() => (window.__wasmMemories || []).reduce((s, m) => s + m.buffer.byteLength, 0));
  return { jsHeapUsed: heap.usedSize, jsHeapTotal: heap.totalSize, wasmMemory: wasm, domNodes: dom.nodes,
    jsEventListeners: dom.jsEventListeners };
}

export async function memory(browser, { url, pagesOrigin, org, messages = 1000, reps = 5 }) {
  const visitor = await newVisitor(url, org.widget_token);
  const agent = agentApi(url, org.agent_key);
  let next = 0;
  const worker = async () => {
    while (next < messages) {
      const n = next++;
      await agent.reply(visitor.session, `history-${n}: an answer from support, kept to show a long chat.`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  log(`memory: ${messages} agent replies posted`);

  const variants = {
    blank: async () => {
      const { context, page, cdp } = await freshPage(browser, { initScripts: [WASM_HOOK] });
      await page.goto(`${pagesOrigin}/blank.html`, { waitUntil: "load" });
      return { context, m: await measure(page, cdp) };
    },
    closed: async () => {
      const { context, page, cdp } = await freshPage(browser, { initScripts: [WASM_HOOK] });
      await page.goto(`${pagesOrigin}/frontdesk.html`, { waitUntil: "load" });
      await page.waitForFunction(() => window.__bench.done, null, { timeout: 30_000, polling: 100 });
      return { context, m: await measure(page, cdp) };
    },
    chat: async (profile = false) => {
      const { context, page, cdp } = await freshPage(browser, { initScripts: [WASM_HOOK, seedDevice(org, visitor.device)] });
      await page.goto(`${pagesOrigin}/frontdesk.html`, { waitUntil: "load" });
      await page.waitForFunction(() => window.__handle, null, { timeout: 30_000 });
      const last = await lastContent(agent, visitor.session);
      const open = async () => {
        const started = Date.now();
        await openConversation(page);
        // The chat is open when its newest message is in the DOM (the widget shows the latest page of a long chat).
        await page.waitForFunction((text) => document.querySelector("[data-frontdesk]").shadowRoot
          .querySelector("ul.messages")?.lastElementChild?.textContent.includes(text), last,
        { timeout: 60_000, polling: 20 });
        return Date.now() - started;
      };
      if (profile) return { context, profile: await profileTopFunctions(cdp, open) };
      const openMs = await open();
      return { context, m: { ...(await measure(page, cdp)), openMs } };
    },
  };
  // Fresh contexts at 4× CPU (and, for comparison, none): the open click → the last message in the DOM; then one
  // new message at a time.
  const timed = async (cpuRate, newMessages) => {
    const { context, page } = await freshPage(browser, { cpuRate, initScripts: [BODY_HOOK, seedDevice(org, visitor.device)] });
    await page.goto(`${pagesOrigin}/frontdesk.html`, { waitUntil: "load" });
    await page.waitForFunction(() => window.__handle, null, { timeout: 30_000 });
    await page.evaluate(() => window.__handle.open());
    await page.locator("[data-frontdesk] button[data-session]").first().waitFor({ timeout: 30_000 });
    await sleep(300); // the list's own render and the panel's first layout are not part of opening the chat
    const open = await timeOpen(page, await lastContent(agent, visitor.session));
    const renders = [];
    for (let i = 0; i < newMessages; i++) renders.push(await timeNewMessage(page, agent, visitor.session, newMessageCount++));
    await context.close();
    return { open, renders };
  };
  let newMessageCount = 0;
  const timing = {};
  for (const cpuRate of [4, 1]) {
    const opens = [];
    const renders = [];
    for (let i = 0; i < Math.max(reps, 5); i++) {
      const t = await timed(cpuRate, i === 0 ? 20 : 0);
      opens.push(t.open);
      renders.push(...t.renders);
    }
    timing[`at${cpuRate}x`] = {
      openMs: round(median(opens.map((o) => o.ms)), 1),
      openSamplesMs: opens.map((o) => round(o.ms, 1)),
      linesRendered: opens[0].lines,
      newMessageMs: round(median(renders.map((r) => r.drawn)), 2),
      newMessageMaxMs: round(Math.max(...renders.map((r) => r.drawn)), 2),
      newMessageTaskMs: round(median(renders.map((r) => r.task)), 2),
      newMessageSamplesMs: renders.map((r) => round(r.drawn, 2)),
    };
    const t = timing[`at${cpuRate}x`];
    log(`memory: at ${cpuRate}× CPU, open ${t.openMs} ms (${t.linesRendered} lines), a new message ${t.newMessageMs} ms drawn, ${t.newMessageTaskMs} ms its task`);
  }

  const samples = { blank: [], closed: [], chat: [] };
  for (let i = 0; i < reps; i++) {
    for (const [name, fn] of Object.entries(variants)) {
      const { context, m } = await fn();
      samples[name].push(m);
      await context.close();
    }
  }
  const { context, profile } = await variants.chat(true);
  await context.close();
  const med = (list, k) => median(list.map((x) => x[k]));
  const stats = {};
  for (const [name, list] of Object.entries(samples)) {
    stats[name] = Object.fromEntries(Object.keys(list[0]).map((k) => [k, med(list, k)]));
  }
  return { messages, reps, stats, openProfile: profile, ...timing };
}
