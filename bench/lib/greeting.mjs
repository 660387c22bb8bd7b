// Start-up with the greeting shown: a page that opens the widget at start (`openOnStart`), from its `load` to the
// panel showing the org's greeting bubbles (fetched with the org's settings, `GET /widget/v1/settings`), against a
// baseline measured in the same run: the same page on an org with no greeting, to the panel showing the widget's
// own line. Rounds interleave the two pages at 4× CPU throttling, so a burst of load elsewhere hits both alike.
import { freshPage } from "./browser.mjs";
import { median, quantile, round, log } from "./util.mjs";

async function loadOnce(browser, url) {
  const { context, page } = await freshPage(browser, { cpuRate: 4 });
  try {
    await page.goto(url, { waitUntil: "load", timeout: 60_000 });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const b = await page.evaluate(() => window.__bench && { done: window.__bench.done, error: window.__bench.error, marks: window.__bench.marks });
      if (b?.error) throw new Error(`${url}: ${b.error}`);
      if (b?.done) return b.marks.shown - b.marks.load;
      if (Date.now() > deadline) throw new Error(`${url}: the panel never showed what comes before the first message`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await context.close();
  }
}

export async function greetingStartup(browser, pagesOrigin, { runs = 30 } = {}) {
  const variants = { plain: `${pagesOrigin}/frontdesk-open.html`, greeting: `${pagesOrigin}/frontdesk-open.html?greeting` };
  const samples = { plain: [], greeting: [] };
  for (const url of Object.values(variants)) await loadOnce(browser, url); // warm-up
  for (let i = 0; i < runs; i++) {
    for (const [name, url] of Object.entries(variants)) samples[name].push(await loadOnce(browser, url));
    if ((i + 1) % 10 === 0) log(`greeting: ${i + 1}/${runs} rounds`);
  }
  const stat = (xs) => ({ median: round(median(xs)), p90: round(quantile(xs, 0.9)) });
  const plain = stat(samples.plain);
  const greeting = stat(samples.greeting);
  return { runs, cpuThrottling: 4, plain, greeting, ratio: round(greeting.median / plain.median, 2) };
}
