// Measuring pages in Chromium (launched by testkit/browser.mjs): fresh contexts over CDP with the cache off and CPU
// throttling, the widget's device id seeded, and the sampling profiler.
import { round } from "./util.mjs";

/** Seeds the widget's device id into the bench origin's localStorage before any page script runs. */
export function seedDevice(org, device) {
  return {
    fn: ({ key, device }) => {
      try { localStorage.setItem(key, device); } catch {}
    },
    arg: { key: `frontdesk:v1:${org.widget_token}:-:device`, device },
  };
}

/** A fresh context (empty cache and storage) and page, with the HTTP cache disabled and optional CPU throttling. */
export async function freshPage(browser, { cpuRate = 1, initScripts = [] } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  for (const s of initScripts) await context.addInitScript(s.fn, s.arg);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  if (cpuRate !== 1) await cdp.send("Emulation.setCPUThrottlingRate", { rate: cpuRate });
  return { context, page, cdp };
}

/** Runs `action` under the CDP sampling profiler (100 µs); self time by function, idle excluded, top 12. */
export async function profileTopFunctions(cdp, action) {
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  await cdp.send("Profiler.start");
  await action();
  const { profile } = await cdp.send("Profiler.stop");
  const dt = [];
  for (let i = 0; i < profile.timeDeltas.length; i++) dt.push(profile.timeDeltas[i]);
  const selfUs = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    const f = n.callFrame;
    const where = f.url ? f.url.replace(/^.*\//, "").replace(/\?.*$/, "") : "";
    const key = `${f.functionName || "(anonymous)"}${where ? ` (${where})` : ""}`;
    selfUs.set(key, (selfUs.get(key) || 0) + (dt[i] || 0));
  });
  selfUs.delete("(idle)"); // waiting for the network: not work
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  return { totalMs: round(total / 1000, 1), top: [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12)
    .map(([name, us]) => ({ name, ms: round(us / 1000, 1), share: round((100 * us) / total, 1) })) };
}
