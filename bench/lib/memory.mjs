// Memory: the widget's JS heap and wasm linear memory after opening a chat of 1,000 agent messages, against the
// same page with the widget closed and no chat, and the page with no widget.
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
      const memory = instance && instance.exports && instance.exports.memory;
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
      const open = async () => {
        const started = Date.now();
        await openConversation(page);
        await page.waitForFunction((n) => document.querySelector("[data-frontdesk]").shadowRoot
          .querySelectorAll("li.msg.agent").length >= n, messages, { timeout: 60_000, polling: 20 });
        return Date.now() - started;
      };
      if (profile) return { context, profile: await profileTopFunctions(cdp, open) };
      const openMs = await open();
      return { context, m: { ...(await measure(page, cdp)), openMs } };
    },
  };
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
  return { messages, reps, stats, openProfile: profile };
}
