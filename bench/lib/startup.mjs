// Start-up: page `load` → launcher visible and clickable, `load` → init() resolved (for Frontdesk: the wasm ready),
// main-thread long tasks until both (+250 ms), and in separate loads a click at the launcher's first frame → the
// panel's first frame; at 4× CPU throttling, for the page with no widget, with the hand-written vanilla launcher
// (the floor), and with Frontdesk.
import { freshPage } from "./browser.mjs";
import { median, quantile, round, log } from "./util.mjs";

const VARIANTS = ["blank", "vanilla", "frontdesk"];

// Only for the attribution loads (not in the medians above them): stamps when the wasm's compile starts (the loader's
// `compileStreaming`, or the glue's `instantiateStreaming` where the loader could not stream) and when the module is
// instantiated, relative to the page's clock.
const INSTANTIATE_HOOK = {
  fn: () => {
    const stamp = (name, key) => {
      const original = WebAssembly[name];
      if (!original) return;
      WebAssembly[name] = function (...a) {
        if (key === "start" && window.__instantiateStart === undefined) window.__instantiateStart = performance.now();
        return original.apply(this, a).then((r) => {
          if (key === "end" || name === "instantiateStreaming") window.__instantiateEnd = performance.now();
          return r;
        });
      };
    };
    stamp("compileStreaming", "start");
    stamp("instantiateStreaming", "start");
    stamp("instantiate", "end");
  },
  arg: undefined,
};

/** Polls the page from Node. Not `page.waitForFunction`: that injects Playwright's own script into the page, which
 * ran for up to ~420 ms on the main thread right after `load` at 4× CPU — while only Frontdesk was still starting. */
async function waitForBench(page) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await page.evaluate(() => !!(window.__bench && (window.__bench.done || window.__bench.error)))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the page never reported its start-up marks");
}

async function loadOnce(browser, url, initScripts = []) {
  const { context, page } = await freshPage(browser, { cpuRate: 4, initScripts });
  try {
    await page.goto(url, { waitUntil: "load", timeout: 60_000 });
    await waitForBench(page);
    const b = await page.evaluate(() => ({ ...window.__bench, instantiateStart: window.__instantiateStart, instantiateEnd: window.__instantiateEnd }));
    if (b.error) throw new Error(`${url}: ${b.error}`);
    const res = (name) => b.resources.find((r) => r.name === name);
    return {
      instantiateStart: b.instantiateStart !== undefined ? b.instantiateStart - b.marks.load : null,
      instantiateEnd: b.instantiateEnd !== undefined ? b.instantiateEnd - b.marks.load : null,
      glueDone: res("frontdesk.js") ? res("frontdesk.js").end - b.marks.load : null,
      wasmStart: res("frontdesk_bg.wasm") ? res("frontdesk_bg.wasm").start - b.marks.load : null,
      wasmDone: res("frontdesk_bg.wasm") ? res("frontdesk_bg.wasm").end - b.marks.load : null,
      loadEvent: b.marks.loadEventStart,
      loadToReady: b.marks.ready - b.marks.load,
      loadToInit: b.marks.init !== undefined ? b.marks.init - b.marks.load : null,
      navToReady: b.marks.ready,
      loadToPanel: b.marks.panel !== undefined ? b.marks.panel - b.marks.load : null,
      clickToPanel: b.marks.panel !== undefined ? b.marks.panel - b.marks.click : null,
      blocking: b.blocking,
      longtasks: b.longtaskCount,
      longestTask: b.longestTask,
      longtasksAfterLoad: b.longtasksAfterLoad,
      longestAfterLoad: b.longestAfterLoad,
      longtaskSupported: !b.noLongtask,
    };
  } finally {
    await context.close();
  }
}

/** The longest long task of each load (median and worst) and how many loads had one: all of them until the last mark
 * + 250 ms, and those that start after the task that dispatched `load` (for Frontdesk, the wasm's start). */
function longTasks(s) {
  const pick = (k) => s.map((x) => x[k]);
  return {
    longestTask: round(median(pick("longestTask"))),
    longestTaskMax: round(Math.max(...pick("longestTask"))),
    runsWithLongTask: s.filter((x) => x.longtasks > 0).length,
    longestAfterLoad: round(median(pick("longestAfterLoad"))),
    longestAfterLoadMax: round(Math.max(...pick("longestAfterLoad"))),
    runsWithLongTaskAfterLoad: s.filter((x) => x.longtasksAfterLoad > 0).length,
  };
}

export async function startup(browser, pagesOrigin, { runs = 30 } = {}) {
  const samples = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  // One discarded warm-up round (browser process start-up, first connections), then rounds that interleave the
  // three pages, so a burst of load from elsewhere on the machine hits all three alike.
  for (const v of VARIANTS) await loadOnce(browser, `${pagesOrigin}/${v}.html`);
  for (let i = 0; i < runs; i++) {
    for (const v of VARIANTS) samples[v].push(await loadOnce(browser, `${pagesOrigin}/${v}.html`));
    if ((i + 1) % 10 === 0) log(`startup: ${i + 1}/${runs} rounds`);
  }
  const stats = {};
  for (const v of VARIANTS) {
    const s = samples[v];
    const pick = (k) => s.map((x) => x[k]);
    stats[v] = {
      runs: s.length,
      loadEvent: round(median(pick("loadEvent"))),
      loadToReady: round(median(pick("loadToReady"))),
      loadToReadyP90: round(quantile(pick("loadToReady"), 0.9)),
      loadToInit: round(median(pick("loadToInit").filter((x) => x !== null))),
      navToReady: round(median(pick("navToReady"))),
      glueDone: round(median(pick("glueDone").filter((x) => x !== null))),
      wasmStart: round(median(pick("wasmStart").filter((x) => x !== null))),
      wasmDone: round(median(pick("wasmDone").filter((x) => x !== null))),
      blocking: round(median(pick("blocking"))),
      blockingP90: round(quantile(pick("blocking"), 0.9)),
      longtasks: median(pick("longtasks")),
      ...longTasks(s),
      longtaskSupported: s.every((x) => x.longtaskSupported),
    };
  }
  // Click: more loads of the two launchers (not in the medians above), interleaved, each clicking its launcher at the
  // first frame it shows (`?click`); the time until the panel's first frame, and the long tasks until then + 250 ms.
  const clickRuns = Math.max(5, Math.round(runs / 3));
  const clicks = { vanilla: [], frontdesk: [] };
  for (let i = 0; i < clickRuns; i++) {
    for (const v of Object.keys(clicks)) clicks[v].push(await loadOnce(browser, `${pagesOrigin}/${v}.html?click`));
  }
  const click = {};
  for (const [v, s] of Object.entries(clicks)) {
    const pick = (k) => s.map((x) => x[k]);
    click[v] = {
      runs: s.length,
      loadToReady: round(median(pick("loadToReady"))),
      clickToPanel: round(median(pick("clickToPanel"))),
      clickToPanelP90: round(quantile(pick("clickToPanel"), 0.9)),
      loadToPanel: round(median(pick("loadToPanel"))),
      loadToInit: round(median(pick("loadToInit").filter((x) => x !== null))),
      blocking: round(median(pick("blocking"))),
      longtasks: median(pick("longtasks")),
      ...longTasks(s),
    };
  }
  // Attribution: 10 more Frontdesk loads with instantiateStreaming wrapped, to split load → ready into its steps.
  const hooked = [];
  for (let i = 0; i < 10; i++) hooked.push(await loadOnce(browser, `${pagesOrigin}/frontdesk.html`, [INSTANTIATE_HOOK]));
  const m = (k) => round(median(hooked.map((x) => x[k]).filter((x) => x !== null)));
  const attribution = { runs: hooked.length, glueDone: m("glueDone"), wasmDone: m("wasmDone"), instantiateStart: m("instantiateStart"),
    instantiateEnd: m("instantiateEnd"), initResolved: m("loadToInit"), ready: m("loadToReady") };
  return { cpuThrottling: 4, runs, stats, click, attribution };
}
