// Headless Chromium through playwright-core (the system browser: no download).
import { chromium } from "playwright-core";
import { round } from "./util.mjs";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
      "--disable-background-timer-throttling", "--disable-renderer-backgrounding"],
  });
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
