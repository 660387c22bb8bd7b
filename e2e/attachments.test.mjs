// 15. Attachments: a screenshot pasted and a PDF picked in the widget → both in the console, the PDF
// downloaded byte-identical → the agent attaches an image in the console → it shows in the widget; a second verified
// device sees the files, another device of a non-verified visitor does not; a file over the org's limit shows the
// reason; an HTML file (on an org that allows it) is served back as a download in a sandbox, never run. With
// SCREENSHOTS_DIR set (docs/), the README's screenshot of a conversation with an image and a PDF is written there.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Suite } from "./suite.mjs";
import { widgetApi, authenticateUser } from "../testkit/api.mjs";
import { uniq, eventually } from "../testkit/util.mjs";
import { widget } from "../testkit/widget.mjs";

const suite = new Suite();
const shots = process.env.SCREENSHOTS_DIR || null;

// A real 1×1 PNG and a minimal PDF.
const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
  "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5f1b7d70000000049454e44ae426082", "hex");
const PDF = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");

const fileInput = (page) => page.locator("[data-frontdesk] input[type=file]");

/** Pastes `bytes` as an image file into the widget's composer, as a browser's clipboard would. */
function pasteImage(page, name, bytes) {
  return page.evaluate(([name, bytes]) => {
    const root = document.querySelector("[data-frontdesk]").shadowRoot;
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], name, { type: "image/png" }));
    root.querySelector("textarea").dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, composed: true }));
  }, [name, [...bytes]]);
}

/** The agent console signed in, on the chat whose preview has `text`. */
async function consoleOn(s, ws, text) {
  const desk = await s.device({ acceptDownloads: true, viewport: { width: 1100, height: 800 } });
  const page = await s.open(desk, `${s.api}/console`);
  await page.getByLabel("Agent key").fill(s.org.agent_key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Workspace").fill(ws);
  await page.getByRole("button", { name: "Show" }).click();
  await page.locator("#sessions button").filter({ hasText: text }).first().click();
  return page;
}

suite.test("15a. a pasted screenshot and a picked PDF reach the console, the PDF downloads byte-identical, the agent's image reaches the widget", async (s) => {
  const ws = uniq("ws");
  const device = await s.device({ acceptDownloads: true });
  const page = await s.open(device, s.pageUrl({ options: { user: { data: { name: "Noa" }, externalId: ws } } }));
  await widget.ready(page);
  // A real screenshot to paste: of the page itself, as a visitor would take one.
  const screenshot = await page.screenshot({ clip: { x: 0, y: 0, width: 480, height: 270 } });
  await widget.open(page);
  await widget.send(page, "My order page shows an error");

  await pasteImage(page, "screenshot.png", screenshot);
  await fileInput(page).setInputFiles([{ name: "invoice.pdf", mimeType: "application/pdf", buffer: PDF }]);
  const chips = page.locator("[data-frontdesk] li.chip");
  await eventually(async () => (await chips.count()) === 2, "two chips above the composer");
  await widget.composer(page).fill("Here is what I see");
  await widget.composer(page).press("Enter");
  await widget.sent(page, "Here is what I see");
  const mine = page.locator("[data-frontdesk] .msg.visitor").filter({ hasText: "Here is what I see" });
  await mine.locator(".thumb img[alt='screenshot.png'][src^='blob:']").waitFor();
  await mine.getByRole("button", { name: /invoice\.pdf/ }).waitFor();
  assert.equal(await chips.count(), 0, "the chips went with the message");

  // The console shows both; the agent downloads the PDF, byte for byte.
  const desk = await consoleOn(s, ws, "Here is what I see");
  const inConsole = desk.locator("#messages li.msg").filter({ hasText: "Here is what I see" });
  await inConsole.locator("button.att-thumb img[src^='blob:']").waitFor();
  const [download] = await Promise.all([desk.waitForEvent("download"), inConsole.locator("button.att-file").click()]);
  assert.equal(download.suggestedFilename(), "invoice.pdf");
  assert.deepEqual(readFileSync(await download.path()), PDF);

  // The agent attaches an image with the console.
  const steps = await desk.screenshot({ clip: { x: 0, y: 0, width: 320, height: 200 } });
  await desk.locator("#attach-input").setInputFiles([{ name: "steps.png", mimeType: "image/png", buffer: steps }]);
  await desk.locator("#attach-list li.pending").filter({ hasText: "steps.png" }).waitFor();
  await desk.getByLabel("Reply", { exact: true }).fill("Follow these steps");
  await desk.getByLabel("Reply", { exact: true }).press("Enter");
  const theirs = page.locator("[data-frontdesk] .msg.agent").filter({ hasText: "Follow these steps" });
  await theirs.locator(".thumb img[alt='steps.png'][src^='blob:']").waitFor();
  // The thumbnail is the real image (decoded by the browser), not a broken icon.
  await eventually(async () => (await theirs.locator(".thumb img").evaluate((img) => img.naturalWidth)) === 320, "the agent's image decoded");
  if (shots) await page.screenshot({ path: join(shots, "screenshot-attachments.png") });

  const [session] = await s.agent.sessions(ws);
  const stored = (await s.agent.messages(session.id)).filter((m) => m.attachments.length);
  assert.deepEqual(stored.map((m) => m.attachments.map((a) => [a.name, a.type])),
    [[["screenshot.png", "image/png"], ["invoice.pdf", "application/pdf"]], [["steps.png", "image/png"]]]);
});

suite.test("15b. a verified visitor's files show on a second device; a non-verified visitor's other device sees none of them", async (s) => {
  const ws = uniq("ws");
  const email = `${uniq("vi")}@example.com`;
  const token = async () => (await s.authenticate({ email, name: "Vi" })).token;
  const laptop = await s.open(await s.device(), s.pageUrl({ options: { user: { token: await token(), externalId: ws } } }));
  await widget.open(laptop);
  await widget.send(laptop, "verified with a file");
  await fileInput(laptop).setInputFiles([{ name: "receipt.pdf", mimeType: "application/pdf", buffer: PDF }]);
  await widget.sendButton(laptop).click();
  await laptop.locator("[data-frontdesk] .msg.visitor").getByRole("button", { name: /receipt\.pdf/ }).waitFor();

  const phone = await s.open(await s.device(), s.pageUrl({ options: { user: { token: await token(), externalId: ws } } }));
  await widget.open(phone);
  await phone.locator("[data-frontdesk] .sessions [data-session]").first().click();
  await phone.locator("[data-frontdesk] .msg.visitor").getByRole("button", { name: /receipt\.pdf/ }).waitFor();

  // A non-verified visitor: the file is theirs on this device only.
  const wsU = uniq("ws");
  const here = await s.open(await s.device(), s.pageUrl({ options: { user: { data: { name: "Uma" }, externalId: wsU } } }));
  await widget.open(here);
  await widget.send(here, "unverified with a file");
  await pasteImage(here, "mine.png", PNG);
  await widget.sendButton(here).click();
  await here.locator("[data-frontdesk] .msg.visitor .thumb img[src^='blob:']").waitFor();
  const [session] = await s.agent.sessions(wsU);
  const attachment = (await s.agent.messages(session.id)).flatMap((m) => m.attachments)[0];
  const elsewhere = await s.open(await s.device(), s.pageUrl({ options: { user: { data: { name: "Uma" }, externalId: wsU } } }));
  await widget.open(elsewhere);
  assert.deepEqual(await widget.rows(elsewhere), [], "the other device lists no chat");
  // Its own device id, presented to the server, gets nothing either.
  const device = await elsewhere.evaluate(() => Object.entries(localStorage).find(([k]) => k.endsWith(":device"))?.[1] ?? null);
  const stranger = widgetApi(s.api, { widgetToken: s.org.widget_token, device: device ?? "0".repeat(32), externalId: wsU, origin: s.site.origin });
  const answer = await fetch(`${s.api}/widget/v1/attachments/${attachment.id}`, { headers: stranger.headers });
  assert.equal(answer.status, 404);
  assert.equal((await answer.json()).error.code, "attachment_not_found");
});

suite.test("15c. a file over the org's limit is refused with the reason on it, and can be removed", async (s) => {
  const ws = uniq("ws");
  const extra = await s.extraServer();
  await extra.server.updateOrg(extra.org.widget_token, ["--max-attachment-mib", "1"]);
  const page = await s.open(await s.device(), s.pageUrl({ server: extra.api, widgetToken: extra.org.widget_token, options: { user: { externalId: ws } } }));
  await widget.open(page);
  await widget.send(page, "a big one");
  const big = Buffer.concat([PDF, Buffer.alloc(1024 * 1024 + 10, 32)]);
  await fileInput(page).setInputFiles([{ name: "huge.pdf", mimeType: "application/pdf", buffer: big }]);
  const chip = page.locator("[data-frontdesk] li.chip").filter({ hasText: "huge.pdf" });
  await chip.waitFor();
  // Refused before the upload once the widget has the org's rules, else by the server on Send: either way the
  // reason is on the file.
  await widget.sendButton(page).click();
  const reason = chip.locator(".reason[role=alert]");
  await reason.waitFor();
  assert.match(await reason.textContent(), /limit of 1 MB|larger than/i);
  await page.getByRole("button", { name: "Remove huge.pdf" }).click();
  await chip.waitFor({ state: "detached" });
  // The server refuses it too, naming the limit, if a client skips the widget's check.
  const visitor = widgetApi(extra.api, { widgetToken: extra.org.widget_token, device: "a".repeat(32), origin: s.site.origin });
  const session = (await visitor.start()).json.session.id;
  const form = new FormData();
  form.append("file", new Blob([big], { type: "application/pdf" }), "huge.pdf");
  const refused = await fetch(`${extra.api}/widget/v1/sessions/${session}/attachments`, { method: "POST", headers: visitor.headers, body: form });
  assert.equal(refused.status, 413);
  assert.match((await refused.json()).error.message, /larger than 1 MiB/);
});

suite.test("15d. an HTML file, on an org that allows it, comes back as a sandboxed download and never runs", async (s) => {
  const extra = await s.extraServer();
  await extra.server.updateOrg(extra.org.widget_token, ["--attachment-types", "text/html,image/png"]);
  const visitor = widgetApi(extra.api, { widgetToken: extra.org.widget_token, device: "b".repeat(32), origin: s.site.origin });
  const session = (await visitor.start()).json.session.id;
  const html = "<!doctype html><script>top.__ran = true; document.title = 'ran'</script><p>hi</p>";
  const form = new FormData();
  form.append("file", new Blob([html], { type: "text/html" }), "page.html");
  const up = await fetch(`${extra.api}/widget/v1/sessions/${session}/attachments`, { method: "POST", headers: visitor.headers, body: form });
  assert.equal(up.status, 201);
  const { attachment } = await up.json();

  const served = await fetch(`${extra.api}/widget/v1/attachments/${attachment.id}`, { headers: visitor.headers });
  assert.equal(served.headers.get("content-type"), "text/html");
  assert.match(served.headers.get("content-disposition"), /^attachment; filename\*=UTF-8''page\.html$/);
  assert.equal(served.headers.get("content-security-policy"), "sandbox; default-src 'none'");
  assert.equal(served.headers.get("x-content-type-options"), "nosniff");

  // Opened in a browser tab with the visitor's headers: a download, not a page, and no script runs.
  const context = await s.device({ acceptDownloads: true });
  await context.setExtraHTTPHeaders(visitor.headers);
  const tab = await s.open(context);
  const downloading = tab.waitForEvent("download");
  await tab.goto(`${extra.api}/widget/v1/attachments/${attachment.id}`).catch(() => {});
  const download = await downloading;
  assert.equal(download.suggestedFilename(), "page.html");
  assert.equal(await tab.evaluate(() => window.__ran ?? false), false);
  assert.notEqual(await tab.title(), "ran");
});

suite.test("15e. a 5 MB file's chip shows its upload progress rising before the message is stored", async (s) => {
  const ws = uniq("ws");
  const page = await s.open(await s.device(), s.pageUrl({ options: { user: { externalId: ws } } }));
  await widget.open(page);
  await widget.send(page, "a slow one");
  // Uploads throttled to 4 MB/s (Chromium's network emulation), so that the bytes take a while to go.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 });
  // Every value the chip's progress bar takes, as it takes it.
  await page.evaluate(() => {
    window.__progress = [];
    const root = document.querySelector("[data-frontdesk]").shadowRoot;
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.target.getAttribute("role") === "progressbar") window.__progress.push(Number(r.target.getAttribute("aria-valuenow")));
      }
    }).observe(root, { subtree: true, attributes: true, attributeFilter: ["aria-valuenow"] });
  });
  const big = Buffer.concat([PDF, Buffer.alloc(5 * 1024 * 1024, 32)]);
  await fileInput(page).setInputFiles([{ name: "big.pdf", mimeType: "application/pdf", buffer: big }]);
  await widget.composer(page).fill("five megabytes");
  await widget.composer(page).press("Enter");
  const bar = page.locator("[data-frontdesk] li.chip [role=progressbar][aria-valuemin='0'][aria-valuemax='100']");
  await bar.waitFor();
  await widget.sent(page, "five megabytes");
  const values = await page.evaluate(() => window.__progress);
  assert.ok(values.some((v) => v > 0 && v < 100), `a value between 0 and 100 was shown: ${values}`);
  assert.deepEqual(values, [...values].sort((a, b) => a - b), "it only rises");
});

suite.test("15f. an upload whose user token expired gets a fresh token from the token function and goes", async (s) => {
  const short = await s.extraServer({ tokenTtlSecs: 3 });
  s.site.backends.set("short-upload", { api: short.api, secretKey: short.org.secret_key });
  const ws = uniq("ws");
  const email = `${uniq("up")}@example.com`;
  const page = await s.open(await s.device(), s.pageUrl({
    server: short.api,
    widgetToken: short.org.widget_token,
    options: { user: { token: { $tokenFunction: { backend: "short-upload", email } }, externalId: ws } },
  }));
  await widget.open(page);
  await widget.send(page, "before the token expires");
  const calls = await page.evaluate(() => window.__tokenCalls);
  // Let the page's current token expire: the server refuses every token minted before now + ttl.
  const { token: probe } = await authenticateUser(short.api, short.org.secret_key, { email });
  const probeApi = widgetApi(short.api, { widgetToken: short.org.widget_token, userToken: probe, externalId: ws });
  await eventually(async () => (await probeApi.sessions()).json?.error?.code === "user_token_expired", "the page's token to expire", 10_000);
  // No caption typed (a typing signal would refresh the token first): the upload is the first request to meet
  // the expiry (the long-poll in flight was let in before it).
  const uploads = [];
  page.on("response", (r) => { if (r.url().endsWith("/attachments")) uploads.push(r.status()); });
  await fileInput(page).setInputFiles([{ name: "late.pdf", mimeType: "application/pdf", buffer: PDF }]);
  await widget.sendButton(page).click();
  await page.locator("[data-frontdesk] .msg.visitor").getByRole("button", { name: /late\.pdf/ }).waitFor();
  assert.ok((await page.evaluate(() => window.__tokenCalls)) > calls, "the token function was called again");
  assert.deepEqual(uploads, [401, 201], "refused with the old token, then sent once with the fresh one");
});

suite.test("15g. a PDF and its caption sent offline survive a reload in localStorage and are stored once when online, even with two tabs", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ options: { user: { data: { name: "Ida" }, externalId: ws } } }));
  await widget.open(page);
  await widget.send(page, "before going offline");
  const [session] = await s.agent.sessions(ws);

  await device.setOffline(true);
  await fileInput(page).setInputFiles([{ name: "offline.pdf", mimeType: "application/pdf", buffer: PDF }]);
  await widget.composer(page).fill("sent while offline");
  await widget.composer(page).press("Enter");
  const kept = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.endsWith(":files")).map((k) => localStorage.getItem(k)).join(""));
  await eventually(async () => (await kept()).includes("sent while offline") && (await kept()).includes("offline.pdf"), "the file and its caption kept in localStorage");

  // A reload while the API is still unreachable (the page itself must load, so only the widget's API is cut).
  const cut = (route) => route.abort("internetdisconnected");
  await device.route("**/widget/v1/**", cut);
  await device.setOffline(false);
  await page.reload();
  await widget.ready(page);
  await widget.open(page);
  await page.locator("[data-frontdesk] li.chip").filter({ hasText: "offline.pdf" }).waitFor({ state: "attached" });
  assert.ok((await kept()).includes("offline.pdf"), "still kept after the reload");
  // A second tab of the site restores the same kept file: both will send it, as one message (one client id).
  const second = await s.open(device, s.pageUrl({ options: { user: { data: { name: "Ida" }, externalId: ws } } }));
  await widget.open(second);
  await second.locator("[data-frontdesk] li.chip").filter({ hasText: "offline.pdf" }).waitFor({ state: "attached" });

  // Online again: the file is uploaded and its message stored exactly once, and localStorage lets it go.
  await device.unroute("**/widget/v1/**", cut);
  for (const tab of [page, second]) await tab.evaluate(() => window.dispatchEvent(new Event("online")));
  await eventually(async () => (await s.agent.messages(session.id)).some((m) => m.content === "sent while offline"), "the message with the file to be stored", 15_000);
  await eventually(async () => (await kept()) === "", "the kept file to leave localStorage");
  await new Promise((r) => setTimeout(r, 1000));
  const stored = (await s.agent.messages(session.id)).filter((m) => m.content === "sent while offline");
  assert.equal(stored.length, 1, JSON.stringify(stored));
  assert.deepEqual(stored[0].attachments.map((a) => [a.name, a.type, a.size]), [["offline.pdf", "application/pdf", PDF.length]]);
});
