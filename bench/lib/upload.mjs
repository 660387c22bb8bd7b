// Upload throughput: a 10 MB PDF sent through the widget (chosen in its file input, Send clicked, until
// the message shows the file as stored: the upload, then the message that names it) against a plain `curl -F` upload
// of the same file to the same route of the same server, in the same run, rounds alternating.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { newVisitor } from "../../testkit/api.mjs";
import { freshPage, seedDevice } from "./browser.mjs";
import { openConversation } from "./latency.mjs";
import { now, median, round, log } from "./util.mjs";

const execFileAsync = promisify(execFile);
const SIZE = 10_000_000;

export async function uploadThroughput(browser, { url, pagesOrigin, org, tmp, rounds = 5 }) {
  // A PDF by its signature, then filler: what the server checks is the start.
  const file = Buffer.alloc(SIZE, 0x20);
  file.write("%PDF-1.4\n", 0, "latin1");
  const path = join(tmp, "upload-10mb.pdf");
  writeFileSync(path, file);

  const widgetVisitor = await newVisitor(url, org.widget_token);
  await widgetVisitor.api.send(widgetVisitor.session, "bench-upload", `c_${Date.now()}`);
  const curlVisitor = await newVisitor(url, org.widget_token);
  const { context, page } = await freshPage(browser, { initScripts: [seedDevice(org, widgetVisitor.device)] });
  await page.goto(`${pagesOrigin}/frontdesk.html`, { waitUntil: "load" });
  await openConversation(page);
  const input = page.locator("[data-frontdesk] input[type=file]");
  const send = page.getByRole("button", { name: "Send", exact: true });

  // A second baseline in the same browser: the page's own fetch of the same bytes to the same route, without the
  // widget (what the browser's upload path costs by itself).
  await page.evaluate((size) => {
    const bytes = new Uint8Array(size).fill(0x20);
    bytes.set(new TextEncoder().encode("%PDF-1.4\n"));
    window.__benchFile = new File([bytes], "page.pdf", { type: "application/pdf" });
  }, SIZE);
  const pageUpload = () => page.evaluate(async ({ url, headers, session }) => {
    const form = new FormData();
    form.append("file", window.__benchFile);
    const started = performance.now();
    const answer = await fetch(`${url}/widget/v1/sessions/${session}/attachments`, { method: "POST", headers, body: form, cache: "no-store" });
    if (answer.status !== 201) throw new Error(`page upload: HTTP ${answer.status}`);
    return performance.now() - started;
  }, { url, headers: curlVisitor.api.headers, session: curlVisitor.session });

  const widget = [];
  const curl = [];
  const browserFetch = [];
  for (let n = 0; n < rounds + 1; n++) {
    const name = `bench-${n}.pdf`;
    await input.setInputFiles([{ name, mimeType: "application/pdf", buffer: file }]);
    const started = now();
    await send.click();
    await page.locator(`[data-frontdesk] .msg.visitor:not(.pending) button.file[data-name='${name}']`)
      .waitFor({ timeout: 120_000 });
    const widgetMs = now() - started;
    const { stdout } = await execFileAsync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
      ...Object.entries(curlVisitor.api.headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
      "-F", `file=@${path};type=application/pdf`, `${url}/widget/v1/sessions/${curlVisitor.session}/attachments`]);
    const [status, seconds] = stdout.trim().split(" ");
    if (status !== "201") throw new Error(`curl upload: HTTP ${status}`);
    const fetchMs = await pageUpload();
    // The first round warms both up (the page's first upload, the server's first large body).
    if (n > 0) {
      widget.push(widgetMs);
      curl.push(Number(seconds) * 1000);
      browserFetch.push(fetchMs);
    }
    log(`upload: round ${n}: widget ${round(widgetMs, 0)} ms, curl ${round(Number(seconds) * 1000, 0)} ms, page fetch ${round(fetchMs, 0)} ms`);
  }
  await context.close();
  const mbps = (ms) => round(SIZE / 1e6 / (ms / 1000), 1);
  return {
    bytes: SIZE,
    rounds,
    widget: { medianMs: round(median(widget), 1), mbPerSecond: mbps(median(widget)) },
    curl: { medianMs: round(median(curl), 1), mbPerSecond: mbps(median(curl)) },
    browserFetch: { medianMs: round(median(browserFetch), 1), mbPerSecond: mbps(median(browserFetch)) },
    ratio: round(median(curl) / median(widget), 2),
  };
}
