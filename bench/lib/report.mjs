// Writes BENCHMARKS.md from the results of one run: every figure beside its baseline, as a ratio (Frontdesk ÷ baseline).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { soakSectionOf, sectionOf, withSection, SOAK_HEADING, WRITTEN_BY } from "./sections.mjs";
import { kb, ratio, round } from "./util.mjs";

const ms = (x) => (Number.isFinite(x) ? `${round(x, x < 10 ? 2 : 1)} ms` : "not measured");
const mb = (b) => (Number.isFinite(b) ? `${(b / 1024 / 1024).toFixed(2)} MiB` : "not measured");
const bytes = (b) => (Number.isFinite(b) ? `${Math.round(b).toLocaleString("en-US")} B` : "not measured");
const num = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "not measured");
const failed = (s) => (!s ? "not run" : s.error ? `not measured: ${s.error}` : null);

function table(head, rows) {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

function sizesSection(r) {
  const s = r.sizes;
  const out = ["## 1. Transfer size of the embed"];
  if (failed(s)) return [...out, failed(s)].join("\n\n");
  const f = s.frontdesk;
  out.push(`What a page downloads before the launcher shows, with the script-tag embed: \`widget.js\` (loader), \`frontdesk.js\`
(wasm-bindgen glue) and \`frontdesk_bg.wasm\` (the widget, styles included; there is no CSS file). Compressed here with node's
zlib at the strongest settings (gzip -9, brotli quality 11), file by file, as a server or CDN with pre-compressed files would send them.`);
  out.push(table(["file", "raw", "gzip -9", "brotli 11"], [
    ...f.files.map((x) => [`\`${x.file}\``, bytes(x.raw), bytes(x.gzip), bytes(x.brotli)]),
    ["**total**", `**${bytes(f.total.raw)}**`, `**${bytes(f.total.gzip)}**`, `**${bytes(f.total.brotli)}**`],
  ]));
  const target = 60_000;
  out.push(`**Target: under 60 KB gzipped. Measured: ${kb(f.total.gzip)} gzip (${f.total.gzip <= target ? "within" : `${kb(f.total.gzip - target)} over`} the target), ${kb(f.total.brotli)} brotli.**`);
  const share = (name) => round((100 * (f.files.find((x) => x.file === name)?.gzip ?? NaN)) / f.total.gzip, 0);
  out.push(`Of the gzipped total, the wasm is ${share("frontdesk_bg.wasm")} %, the JS glue ${share("frontdesk.js")} %, the loader ${share("widget.js")} %.`);

  const p = s.peers;
  const rows = [];
  if (p.error) out.push(`Peers: **not measured** (${p.error}).`);
  for (const peer of p.peers || []) {
    if (!peer.measured) {
      rows.push([peer.name, "not measured", "not measured", "", ""]);
      continue;
    }
    rows.push([`${peer.name}: JS only`, bytes(peer.js.gzip), bytes(peer.js.brotli), ratio(f.total.gzip, peer.js.gzip), ratio(f.total.brotli, peer.js.brotli)]);
    rows.push([`${peer.name}: JS + CSS${peer.total.raw !== peer.js.raw + peer.css.raw ? " + HTML" : ""}`, bytes(peer.total.gzip), bytes(peer.total.brotli),
      ratio(f.total.gzip, peer.total.gzip), ratio(f.total.brotli, peer.total.brotli)]);
    if (peer.everything) rows.push([`${peer.name}: every chunk it ships (upper bound)`, bytes(peer.everything.gzip), bytes(peer.everything.brotli),
      ratio(f.total.gzip, peer.everything.gzip), ratio(f.total.brotli, peer.everything.brotli)]);
  }
  const botpress = (p.peers || []).find((x) => x.measured && /Botpress/.test(x.name));
  if (botpress && p.react && !p.react.error) {
    const g = botpress.total.gzip + p.react.total.gzip;
    const b = botpress.total.brotli + p.react.total.brotli;
    rows.push([`Botpress webchat + React (${p.react.versions})`, bytes(g), bytes(b), ratio(f.total.gzip, g), ratio(f.total.brotli, b)]);
  }
  out.push(`### Beside the peers, fetched with \`npm pack\` in this run\n\nRatio = Frontdesk's total ÷ the peer's (below 1: Frontdesk is smaller).`);
  out.push(table(["peer", "gzip -9", "brotli 11", "Frontdesk ÷ peer (gzip)", "Frontdesk ÷ peer (brotli)"], rows));
  const notes = (p.peers || []).filter((x) => x.measured).map((x) => `- ${x.name}: ${x.note}. Files: ${x.files.map((y) => `\`${y.file}\` ${bytes(y.gzip)}`).join(", ")}.`);
  if (p.react?.files) notes.push(`- React for Botpress: ${p.react.files.map((y) => `\`${y.file}\` ${bytes(y.gzip)}`).join(", ")} (production CommonJS builds, each gzipped alone; a bundler would shave a little).`);
  out.push(notes.join("\n"));

  if (r.served && !r.served.error) {
    out.push(`### What the Frontdesk server actually sends\n\n\`frontdesk-server serve --public-dir\` compresses on the fly when no pre-compressed \`.br\`/\`.gz\` sits beside a file (bytes on the wire, first request):`);
    out.push(table(["file", "sent with Accept-Encoding: br", "sent with gzip", "best offline (brotli 11)", "sent br ÷ best"],
      r.served.map((x) => {
        const best = f.files.find((y) => y.file === x.file)?.brotli;
        return [`\`${x.file}\``, `${bytes(x.br)} (${x.brEncoding})`, `${bytes(x.gzip)} (${x.gzipEncoding})`, bytes(best), ratio(x.br, best)];
      })));
    const sent = r.served.reduce((t, x) => t + x.br, 0);
    out.push(`Total sent with br: ${bytes(sent)}, vs ${bytes(f.total.brotli)} if \`scripts/build.sh\` wrote \`.br\` files at quality 11 (${ratio(sent, f.total.brotli)}).`);
  }

  const w = s.wasm;
  out.push("### What is inside the wasm");
  if (w.error) {
    out.push(`Not measured: ${w.error}`);
    return out.join("\n\n");
  }
  if (w.optimized) {
    const o = w.optimized;
    out.push(`A copy with names kept: \`wasm-bindgen --keep-debug --target web\` on \`${w.source}\` (the newer of the nightly and stable builds)
(${bytes(w.keepDebug.bytes)}, before wasm-opt), then the shipped build's wasm-opt flags plus \`-g\` (keep names):
${bytes(o.bytes)}, of which ${bytes(o.bytes - o.bytesWithoutNames)} is the name section, so **${bytes(o.bytesWithoutNames)} of code and data**
(shipped: ${bytes(f.files.find((x) => x.file === "frontdesk_bg.wasm")?.raw)}). Twiggy's rows summed by owner (a name-based heuristic, bench/lib/sizes.mjs):`);
    const code = o.bytesWithoutNames;
    out.push(table(["owner", "bytes", "share of code+data"], o.buckets.filter((b) => !b.name.startsWith("name section"))
      .map((b) => [b.name, bytes(b.bytes), `${round((100 * b.bytes) / code, 1)} %`])));
    const top = o.buckets.filter((b) => !b.name.startsWith("name section")).slice(0, 3);
    const biggest = o.top.find((x) => !/names|data segment/.test(x.name));
    out.push(`Largest owners: ${top.map((b) => `${b.name} ${round((100 * b.bytes) / code, 0)} %`).join("; ")}. The largest single function is
\`${biggest?.name}\` (${bytes(biggest?.shallow_size)})${/::start$/.test(biggest?.name || "") ? ": wasm-opt inlined the one-off start-up code into it (options parsing and checking, `View::mount` building the DOM)" : ""}.`);
    out.push(`Strings in the shipped wasm (scan for printable runs ≥ 6 bytes; raw bytes, before compression):`);
    out.push(table(["kind", "bytes"], Object.entries(w.strings).map(([k, v]) => [k, bytes(v)])));
    out.push(`\`twiggy top -n 20\` of the optimized copy with names (the closest named picture of what ships):`);
    out.push(table(["shallow bytes", "%", "item"], o.top.slice(0, 21).map((x) => [bytes(x.shallow_size), round(x.shallow_size_percent, 2), `\`${x.name.replace(/\|/g, "\\|").slice(0, 120)}\``])));
  }
  out.push(`\`twiggy top -n 20\` of the \`--keep-debug\` copy itself (before wasm-opt: generic code not yet inlined, so functions are smaller and more numerous):`);
  out.push(table(["shallow bytes", "%", "item"], w.keepDebug.top.map((x) => [bytes(x.shallow_size), round(x.shallow_size_percent, 2), `\`${x.name.replace(/\|/g, "\\|").slice(0, 120)}\``])));
  if (w.glue) out.push(`The JS glue \`frontdesk.js\`: ${bytes(w.glue.raw)} raw, ${bytes(w.glue.gzip)} gzip, for ${w.glue.imports} imported browser functions (one JS shim each).`);
  return out.join("\n\n");
}

function startupSection(r) {
  const s = r.startup;
  const out = ["## 2. Start-up"];
  if (failed(s)) return [...out, failed(s)].join("\n\n");
  const { blank, vanilla, frontdesk } = s.stats;
  out.push(`Headless Chromium (Playwright, system browser), CPU throttled ${s.cpuThrottling}× (CDP \`Emulation.setCPUThrottlingRate\`), a fresh
browser context per load (empty cache and storage) with the HTTP cache disabled (CDP \`Network.setCacheDisabled\`); ${s.runs} loads of each
page, interleaved (blank, vanilla, Frontdesk, blank, …) after one discarded warm-up round; medians. The same page (a small shop page,
~2 KB of HTML, served by a node server on its own loopback port) with: no widget; the hand-written vanilla launcher
(\`bench/vanilla-launcher.js\`: a button in a shadow root with a constructable stylesheet that opens a panel, ~4 KB, no network — the floor);
Frontdesk's script tag exactly as the README shows it (\`<script src="<server>/widget.js" defer>\` + \`Frontdesk.init\` on \`load\`), from the
real server on another port, for a first-time anonymous visitor (no device id yet, so no API call before the launcher).

- **load → launcher ready**: from the page's \`load\` event to the first animation frame at which the shadow root's \`button.launcher\` has a
  non-empty box *and* \`init()\` has resolved (its listeners are attached), polled in-page with \`requestAnimationFrame\`.
- **blocking time**: long tasks (\`PerformanceObserver\` type \`longtask\`, buffered from navigation start) that start before launcher ready + 250 ms,
  summed as Σ(duration − 50 ms). For the page without a widget the window ends 250 ms after \`load\`.`);
  const d = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? `${a - b >= 0 ? "+" : ""}${ms(a - b)}` : "");
  out.push(table(["median of " + s.runs, "no widget", "vanilla launcher (floor)", "Frontdesk", "Frontdesk ÷ floor", "Frontdesk − floor"], [
    ["navigation → `load` event", ms(blank.loadEvent), ms(vanilla.loadEvent), ms(frontdesk.loadEvent), ratio(frontdesk.loadEvent, vanilla.loadEvent), d(frontdesk.loadEvent, vanilla.loadEvent)],
    ["**`load` → launcher ready**", "—", ms(vanilla.loadToReady), `**${ms(frontdesk.loadToReady)}**`, `**${ratio(frontdesk.loadToReady, vanilla.loadToReady)}**`, d(frontdesk.loadToReady, vanilla.loadToReady)],
    ["`load` → launcher ready, p90", "—", ms(vanilla.loadToReadyP90), ms(frontdesk.loadToReadyP90), ratio(frontdesk.loadToReadyP90, vanilla.loadToReadyP90), d(frontdesk.loadToReadyP90, vanilla.loadToReadyP90)],
    ["`load` → `init()` resolved", "—", ms(vanilla.loadToInit), ms(frontdesk.loadToInit), ratio(frontdesk.loadToInit, vanilla.loadToInit), d(frontdesk.loadToInit, vanilla.loadToInit)],
    ["navigation → launcher ready", ms(blank.navToReady) + " (load)", ms(vanilla.navToReady), ms(frontdesk.navToReady), ratio(frontdesk.navToReady, vanilla.navToReady), d(frontdesk.navToReady, vanilla.navToReady)],
    ["**blocking time** (Σ long task − 50 ms)", ms(blank.blocking), ms(vanilla.blocking), `**${ms(frontdesk.blocking)}**`, ratio(frontdesk.blocking, vanilla.blocking), d(frontdesk.blocking, vanilla.blocking)],
    ["blocking time, p90", ms(blank.blockingP90), ms(vanilla.blockingP90), ms(frontdesk.blockingP90), ratio(frontdesk.blockingP90, vanilla.blockingP90), d(frontdesk.blockingP90, vanilla.blockingP90)],
    ["long tasks (count)", blank.longtasks, vanilla.longtasks, frontdesk.longtasks, "", ""],
  ]));
  const a = s.attribution;
  if (a && Number.isFinite(a.instantiateEnd)) {
    out.push(`Where Frontdesk's \`load\` → ready goes: ${a.runs} more loads (not in the medians above) with \`WebAssembly.instantiateStreaming\` wrapped
to stamp its call and its result; medians, ms after \`load\` (negative = before it), 4× CPU:`);
    out.push(table(["step", "at", "took"], [
      ["`frontdesk.js` (glue) downloaded (Resource Timing)", ms(a.glueDone), ""],
      ["`frontdesk_bg.wasm` downloaded (Resource Timing; requested by `widget.js` in parallel with the glue)", ms(a.wasmDone), ""],
      ["glue calls `instantiateStreaming` (the glue module parsed and evaluated, `default()` called)", ms(a.instantiateStart), ms(a.instantiateStart - Math.max(a.glueDone, a.wasmDone, 0))],
      ["wasm compiled and instantiated", ms(a.instantiateEnd), ms(a.instantiateEnd - a.instantiateStart)],
      ["`init()` resolved (start function, options, DOM, stylesheet)", ms(a.initResolved), ms(a.initResolved - a.instantiateEnd)],
      ["launcher ready (next animation frame)", ms(a.ready), ms(a.ready - a.initResolved)],
    ]));
  }
  return out.join("\n\n");
}

function latencySection(r) {
  const s = r.latency;
  const out = ["## 3. Reply latency: agent reply → on the visitor's screen"];
  if (failed(s)) return [...out, failed(s)].join("\n\n");
  out.push(`${s.messages} agent replies (after ${s.warmup} warm-up ones), posted one at a time with the agent API (\`POST /api/sessions/{id}/messages\`,
agent key) on loopback, each waited for before the next. **Widget**: a page with Frontdesk opened on the visitor's conversation (the device id
was seeded in localStorage, its session created through the widget API); a \`MutationObserver\` in the page stamps the moment an
\`li.msg.agent\` holding the reply's text is added to the shadow root, with \`performance.timeOrigin + performance.now()\`; node stamps the post
the same way. The two clocks were compared by round trips before and after (page − node: ${s.clock.before.skewMs} ms and ${s.clock.after.skewMs} ms,
round trip ${s.clock.before.rttMs} ms); the first figure is subtracted. **Baseline**: a raw client in node (a \`fetch\` loop on
\`GET /widget/v1/updates?after=&wait=25\` with its own device id), stamped once the answer's JSON is parsed. Widget and raw replies alternate,
so both see the same server and machine. No CPU throttling here.`);
  out.push(table(["", "widget", "raw long-poll client", "widget ÷ raw", "widget − raw (overhead)"], [
    ["**median**", `**${ms(s.widget.median)}**`, ms(s.raw.median), ratio(s.widget.median, s.raw.median), ms(s.overhead.median)],
    ["**p99**", `**${ms(s.widget.p99)}**`, ms(s.raw.p99), ratio(s.widget.p99, s.raw.p99), ms(s.overhead.p99)],
    ["max", ms(s.widget.max), ms(s.raw.max), ratio(s.widget.max, s.raw.max), ""],
    ["median of the first 100", ms(s.widget.first100), ms(s.raw.first100), ratio(s.widget.first100, s.raw.first100), ""],
    ["median of the last 100 (conversation ≈ 400–500 messages long)", ms(s.widget.last100), ms(s.raw.last100), ratio(s.widget.last100, s.raw.last100), ""],
  ]));
  const p = s.profile;
  if (p?.top) {
    out.push(`Main-thread work per reply once the conversation is ${p.conversationLength} messages long: ${p.replies} more replies under the CDP sampling
profiler (100 µs, self time, idle excluded): ${ms(p.totalMs)} in all, **${ms(p.totalMs / p.replies)} per reply**.`);
    out.push(table(["function (self time)", "ms", "%"], p.top.map((x) => [`\`${x.name}\``, x.ms, x.share])));
  }
  const lr = r.throughput?.inProcess?.reply_to_long_poll_latency;
  if (lr) out.push(`For reference, \`load.rs\`'s own figure (Rust client and server in one process, rate limit lifted, ${lr.replies} replies): median ${ms(lr.median_ms)}, p99 ${ms(lr.p99_ms)}.`);
  return out.join("\n\n");
}

export const TYPING_HEADING = "## 3b. Typing latency: a keystroke in the console → \"… is typing…\" in the widget";

function typingSection(r) {
  const s = r.typing;
  if (!s) return "";
  const out = [TYPING_HEADING];
  if (failed(s)) return [...out, failed(s)].join("\n\n");
  out.push(`${s.rounds} rounds (after ${s.warmup} warm-up ones), one at a time on loopback, paced at 2.2 s (the server allows 10 typing signals per
10 s per sender and chat). **Console → widget**: the agent console (\`/console\`, signed in with an agent key, the visitor's chat open) gets one
key press in its empty reply box through Playwright, which makes it send \`POST /api/sessions/{id}/typing\` \`{"typing":true}\`; a
\`MutationObserver\` in the visitor's page (Frontdesk open on that chat) stamps when its typing line shows. The box is then cleared (the console
sends \`typing: false\`) and the line waited for to go. **Baseline**: the same signal without either UI: node posts
\`POST /api/sessions/{id}/typing\` and a node long-poll of another visitor (\`GET /widget/v1/updates?signals_after=…\`) receives it. Both
alternate, so both see the same server and machine. No CPU throttling.`);
  out.push(table(["", "console keystroke → widget", "API post → raw long-poll (baseline)", "ratio"], [
    ["**median**", `**${ms(s.console.median)}**`, ms(s.raw.median), ratio(s.console.median, s.raw.median)],
    ["p90", ms(s.console.p90), ms(s.raw.p90), ratio(s.console.p90, s.raw.p90)],
    ["max", ms(s.console.max), ms(s.raw.max), ratio(s.console.max, s.raw.max)],
  ]));
  return out.join("\n\n");
}

export const GREETING_HEADING = "## 2b. Start-up with the greeting shown";

function greetingSection(r) {
  const s = r.greeting;
  if (!s) return "";
  const out = [GREETING_HEADING];
  if (failed(s)) return [...out, failed(s)].join("\n\n");
  out.push(`A page that opens the widget at start (\`openOnStart\`), loaded ${s.runs} times after one warm-up each, at ${s.cpuThrottling}× CPU
throttling, from its \`load\` to the first animation frame where the panel shows what comes before a chat's first message.
**With the greeting**: an org with two greeting bubbles and two suggested questions (\`org update --greeting … --suggested-question …\`):
the widget asks \`GET /widget/v1/settings\` when the panel opens and draws the bubbles from its answer. **Baseline**: the same page on an
org with none, to the widget's own line (drawn with the panel, no request waited for). Rounds interleave the two pages.`);
  out.push(table(["", "load → shown, median", "p90", "ratio"], [
    ["**org's greeting bubbles**", `**${ms(s.greeting.median)}**`, ms(s.greeting.p90), ratio(s.greeting.median, s.plain.median)],
    ["the widget's own line (baseline)", ms(s.plain.median), ms(s.plain.p90), "×1.00"],
  ]));
  return out.join("\n\n");
}

function greetingSummaryRows(r) {
  const s = r.greeting;
  if (!s || s.error) return [];
  return [[`Start-up with the greeting shown, load → bubbles at 4× CPU (median of ${s.runs})`, ms(s.greeting.median), `${ms(s.plain.median)} (the widget's own line)`, ratio(s.greeting.median, s.plain.median)]];
}

export const WEBHOOKS_HEADING = "## 3d. Webhooks: delivery latency and messages/s with endpoints";

function webhooksSection(r) {
  const s = r.webhooks;
  if (!s) return "";
  const out = [WEBHOOKS_HEADING];
  if (failed(s)) return [...out, failed(s)].join("\n\n");
  const t = s.throughput;
  out.push(`The release server on its own SQLite file with \`--allow-private-webhooks\`, its receivers node HTTP servers on 127.0.0.1 (the latency one in
the bench's process, the three of the throughput rounds in a process of their own), each checking every delivery's \`Frontdesk-Signature\` with the recipe of docs/api.md (bad signatures seen: ${s.badSignatures}).
**Delivery latency**: ${s.messages} agent replies (after ${s.warmup} warm-up ones), one at a time, each \`POST /api/sessions/{id}/messages\`
timed from the moment it is sent (the message is stored during that request) to the moment the receiver is called with its
\`message.created\`; beside it, the send's own round trip. ${s.arrivedBeforeTheAnswer} of ${s.messages} deliveries reached the receiver before
the send's answer reached the client. **Messages/s**: ${t.concurrency} concurrent agent senders over 50 chats for ${t.seconds} s, rounds
alternating between no endpoint and three endpoints subscribed to \`message.created\` (${t.rounds} of each; medians); after each
three-endpoint round the bench waits until every delivery arrived (${num(t.deliveredInThreeEndpointRounds)} of ${num(t.expectedDeliveries)}),
so the receivers' work is part of the run. Everything shares the machine's cores: server, senders and receivers.`);
  out.push(table(["", "Frontdesk", "baseline (same run)", "ratio"], [
    ["**delivery latency, median**", `**${ms(s.delivery.median)}**`, `${ms(s.sendRoundTrip.median)} (the send's round trip)`, ratio(s.delivery.median, s.sendRoundTrip.median)],
    ["delivery latency, p99", ms(s.delivery.p99), `${ms(s.sendRoundTrip.p99)} (the send's round trip)`, ratio(s.delivery.p99, s.sendRoundTrip.p99)],
    ["**messages/s, 3 endpoints**", `**${num(t.threeEndpoints.medianPerSecond)}**`, `${num(t.none.medianPerSecond)} (no endpoint)`, ratio(t.threeEndpoints.medianPerSecond, t.none.medianPerSecond)],
  ]));
  const c3 = t.threeEndpoints.cpuSecondsPerThousand;
  const c0 = t.none.cpuSecondsPerThousand;
  if (c3 && c0) {
    out.push(`Where the CPU went (seconds per 1,000 messages, from /proc/<pid>/stat and \`process.cpuUsage\`; the three-endpoint rounds include
delivering their backlog): the server ${c3.server} with three endpoints against ${c0.server} with none (${ratio(c3.server, c0.server)}: each message is
also 3 outgoing requests and their recorded outcomes), the receivers' process ${c3.receivers} (3 signed requests received and verified per message),
the senders ${c3.senders} against ${c0.senders}. On a machine of ${r.machine?.cores ?? "?"} cores, everything together is what bounds the rate.`);
  }
  return out.join("\n\n");
}

function webhooksSummaryRows(r) {
  const s = r.webhooks;
  if (!s || s.error) return [];
  const t = s.throughput;
  return [
    [`Webhook delivery latency, reply sent → receiver called, median / p99 (${s.messages})`, `${ms(s.delivery.median)} / ${ms(s.delivery.p99)}`, `${ms(s.sendRoundTrip.median)} / ${ms(s.sendRoundTrip.p99)} (the send's round trip)`, ratio(s.delivery.median, s.sendRoundTrip.median)],
    [`Webhook endpoints: messages/s with 3 registered`, num(t.threeEndpoints.medianPerSecond), `${num(t.none.medianPerSecond)} (none)`, ratio(t.threeEndpoints.medianPerSecond, t.none.medianPerSecond)],
  ];
}

export const UPLOAD_HEADING = "## 3c. Upload throughput: a 10 MB file through the widget";

function uploadSection(r) {
  const s = r.upload;
  if (!s) return "";
  const out = [UPLOAD_HEADING];
  if (failed(s)) return [...out, failed(s)].join("\n\n");
  out.push(`A ${num(s.bytes)}-byte PDF, ${s.rounds} rounds after one warm-up, on loopback. **Widget**: chosen in the widget's file input
(Playwright's \`setInputFiles\`), Send clicked, timed until the message shows the file as stored — the upload
(\`POST /widget/v1/sessions/{id}/attachments\`, multipart) and then the message naming it. **Baseline**: \`curl -F file=@…\` of the
same file to the same route with another visitor's headers (curl's \`time_total\`); and, to tell the browser's own upload
path from the widget's work, the same page's plain \`fetch\` of the same bytes in a \`FormData\` to that route (timed in the page).
Rounds alternate. No CPU throttling.`);
  out.push(table(["", "median time", "MB/s", "÷ curl"], [
    ["**widget** (upload, then the message, until shown)", ms(s.widget.medianMs), `**${s.widget.mbPerSecond}**`, ratio(s.widget.medianMs, s.curl.medianMs)],
    ["the page's own \`fetch\` (no widget)", ms(s.browserFetch?.medianMs), s.browserFetch?.mbPerSecond ?? "—", ratio(s.browserFetch?.medianMs, s.curl.medianMs)],
    ["curl (baseline)", ms(s.curl.medianMs), s.curl.mbPerSecond, "×1.00"],
  ]));
  return out.join("\n\n");
}

function uploadSummaryRows(r) {
  const s = r.upload;
  if (!s || s.error) return [];
  return [[`Upload throughput, ${num(s.bytes)} B through the widget (median of ${s.rounds})`, `${s.widget.mbPerSecond} MB/s`, `${s.curl.mbPerSecond} MB/s (curl -F, same route)`, ratio(s.curl.medianMs, s.widget.medianMs)]];
}

function typingSummaryRows(r) {
  const s = r.typing;
  if (!s || s.error) return [];
  return [[`Typing latency, console keystroke → widget, median (${s.rounds} rounds)`, ms(s.console.median), `${ms(s.raw.median)} (API post → raw long-poll)`, ratio(s.console.median, s.raw.median)]];
}

function memorySection(r) {
  const s = r.memory;
  const out = ["## 4. Memory with a long chat open"];
  if (failed(s)) return [...out, failed(s)].join("\n\n");
  const { blank, closed, chat } = s.stats;
  out.push(`${s.messages} agent replies were posted into one visitor session (agent API), then a page with Frontdesk (that visitor's device id
seeded) opened the widget and the conversation, and waited until its newest message was the last line in the shadow root (the widget
draws a long chat's latest page and loads older ones on scroll). Then two forced
garbage collections (CDP \`HeapProfiler.collectGarbage\`) and: **JS heap** = CDP \`Runtime.getHeapUsage\` \`usedSize\`; **wasm memory** =
\`memory.buffer.byteLength\` of the module's exported \`WebAssembly.Memory\` — the loader does not expose the module, so a script added before
any page script (\`addInitScript\`) wraps \`WebAssembly.instantiateStreaming\`/\`instantiate\` and keeps each instance's exported memory;
**DOM nodes** = CDP \`Memory.getDOMCounters\`. **Baselines**: the same page with the widget loaded but closed, for a new visitor (no chat), and
the page with no widget. Median of ${s.reps} fresh contexts each, no throttling.`);
  out.push(table(["", "no widget", "widget closed, no chat (baseline)", `chat of ${s.messages} open`, "chat ÷ closed", "chat − closed"], [
    ["**JS heap used**", mb(blank.jsHeapUsed), mb(closed.jsHeapUsed), `**${mb(chat.jsHeapUsed)}**`, ratio(chat.jsHeapUsed, closed.jsHeapUsed), mb(chat.jsHeapUsed - closed.jsHeapUsed)],
    ["JS heap total", mb(blank.jsHeapTotal), mb(closed.jsHeapTotal), mb(chat.jsHeapTotal), ratio(chat.jsHeapTotal, closed.jsHeapTotal), mb(chat.jsHeapTotal - closed.jsHeapTotal)],
    ["**wasm linear memory**", mb(blank.wasmMemory), mb(closed.wasmMemory), `**${mb(chat.wasmMemory)}**`, ratio(chat.wasmMemory, closed.wasmMemory), mb(chat.wasmMemory - closed.wasmMemory)],
    ["DOM nodes (document)", num(blank.domNodes), num(closed.domNodes), num(chat.domNodes), ratio(chat.domNodes, closed.domNodes), num(chat.domNodes - closed.domNodes)],
    ["JS event listeners", num(blank.jsEventListeners), num(closed.jsEventListeners), num(chat.jsEventListeners), "", ""],
  ]));
  const t4 = s.at4x;
  const t1 = s.at1x;
  if (t4 && t1) {
    out.push(`**Opening it and a new message, timed in the page.** Fresh contexts with the device seeded, the panel open on the list
(the list's own first render, which builds the first \`Intl\` formatter, is done before the clock starts). *Open* = the click on the
chat's row → the mutation that puts its newest message in the DOM, read by a \`MutationObserver\` (so right after the task that drew
it, including the layout the widget forces to scroll to the end; the request and its CORS preflight are included), median of
${t4.openSamplesMs.length}. *New message* = then, one agent reply at a time (${t4.newMessageSamplesMs.length} of them), from the moment the long-poll's body has
arrived (\`Response.prototype.text\` wrapped by an init script): *drawn* = until the widget's next \`scrollHeight\` read returns
(it reads it right after drawing, to scroll to the newest line, so this is JSON parsing, decoding, the state, the read
marker in localStorage, the render and the layout); *task* = until the same observer sees the line, after the rest of that
task, which also starts the next long-poll request (\`fetch\`, about half a millisecond of it in a Chromium trace).`);
    out.push(table(["", "4× CPU throttling", "no throttling"], [
      [`open the ${s.messages}-message chat (lines drawn)`, `**${ms(t4.openMs)}** (${t4.linesRendered} lines)`, `${ms(t1.openMs)} (${t1.linesRendered} lines)`],
      ["a new message in it, drawn, median", `**${ms(t4.newMessageMs)}**`, `**${ms(t1.newMessageMs)}**`],
      ["a new message in it, drawn, max", ms(t4.newMessageMaxMs), ms(t1.newMessageMaxMs)],
      ["a new message in it, its whole task, median", ms(t4.newMessageTaskMs), ms(t1.newMessageTaskMs)],
    ]));
  }
  out.push(`Opening that conversation (click on it in the list → its newest message in the DOM, no throttling, the panel's first open included) took **${ms(chat.openMs)}** (median, includes fetching
\`GET /widget/v1/sessions/{id}/messages\`). Where that time went, from one CPU profile of the same action (CDP \`Profiler\`, 100 µs sampling,
self time; idle excluded; total ${ms(s.openProfile?.totalMs)}):`);
  if (s.openProfile?.top) out.push(table(["function (self time)", "ms", "%"], s.openProfile.top.map((x) => [`\`${x.name}\``, x.ms, x.share])));
  return out.join("\n\n");
}

function throughputSection(r) {
  const s = r.throughput;
  const out = ["## 5. Server throughput"];
  if (failed(s)) return [...out, failed(s)].join("\n\n");
  out.push(`\`server/examples/load.rs\` (Rust, reqwest): N concurrent visitors, each on its own device with its own session, send messages back to back
for ${s.seconds} s (\`POST /widget/v1/sessions/{id}/messages\`); accepted = 201. Two servers: **the real one** (\`frontdesk-server serve\` started by the
CLI, its rate limit of 30 messages / 10 s per identity in force, request logging at the default \`info\` level to a file) and **in-process** (load.rs
starts the server in its own process on a temporary SQLite file with the rate limit lifted, so the one-visitor figure is the server's and not
the limit's). **Baseline** (\`--floor\`, added to load.rs for this): the same N clients on \`GET /healthz\`, which goes through the same HTTP stack,
middleware and one SQLite pool round trip (\`SELECT 1\`) — the floor a request that touches the database can reach. Client and server share
the machine's ${r.machine.cores} cores.`);
  const row = (label, t, h, note = "") => [label, t ? `${num(t.messages_per_second)}/s` : "—", t ? `${ms(t.send_median_ms)} / ${ms(t.send_p99_ms)}` : "—",
    t ? num(t.rate_limited) : "—", h ? `${num(h.requests_per_second)}/s (p99 ${ms(h.p99_ms)})` : "—",
    t && h ? ratio(t.messages_per_second, h.requests_per_second) : "n/a", note];
  const rows = [];
  for (const [i, c] of s.concurrency.entries()) {
    const t = s.real.visitor_send_throughput[i];
    const h = s.real.healthz_throughput[i];
    const bound = t.rate_limited > 0 ? "**rate limit binds** (figure = the limit, not the server)" : "limit not reached";
    rows.push(row(`real server, ${c} visitor${c > 1 ? "s" : ""}`, t, h, bound));
  }
  for (const [i, c] of s.concurrency.entries()) {
    rows.push(row(`in-process, limit lifted, ${c} visitor${c > 1 ? "s" : ""}`, s.inProcess.visitor_send_throughput[i], s.inProcess.healthz_throughput[i], ""));
  }
  out.push(table(["", "messages accepted", "send median / p99", "refused (429)", "floor: GET /healthz", "messages ÷ floor", ""], rows));
  return out.join("\n\n");
}

function longPollSection(r) {
  const s = r.longpolls;
  const out = ["## 6. Held long-poll connections"];
  if (failed(s)) return [...out, failed(s)].join("\n\n");
  out.push(`N waiting \`GET /widget/v1/updates?after=0&wait=30\` requests, each from its own device id (its own audience in the server's notifier),
opened from node over raw sockets, 50 at a time, each batch once the server has accepted the previous ones (its open files), so the
listen backlog described below never overflows. The server (release binary, \`serve\`, open-file limit raised in the child to the hard limit:
${num(s.openFileLimit)}) is a **fresh process for every measurement**, warmed up with 50 quick polls, so the allocator's memory from earlier work
does not blur the difference. RSS = \`VmRSS\` of \`/proc/<pid>/status\` (median of three readings); per connection = (RSS with N held − RSS
before) ÷ N. Held = the server holds N sockets (\`/proc/<pid>/fd\`) and none has been answered. **Baseline**: N idle keep-alive TCP
connections (accepted, nothing sent) on another fresh process: what a connection costs before any request.`);
  out.push(table(["N", "sockets held by the server", "answered early", "RSS before → with N", "**RSS per held long-poll**", "RSS per idle TCP connection (baseline)", "long-poll ÷ idle", "time to open N", "`/healthz` while held"],
    s.results.map((x) => [num(x.connections), num(x.longPoll.serverSockets), num(x.longPoll.answeredEarly),
      `${mb(x.longPoll.rssBefore)} → ${mb(x.longPoll.rssWith)}`, `**${bytes(x.longPoll.perConnection)}**`, bytes(x.idleTcp.perConnection),
      ratio(x.longPoll.perConnection, x.idleTcp.perConnection), ms(x.longPoll.openedMs), ms(x.longPoll.healthzWhileHeldMs)])));
  const last = s.results[s.results.length - 1];
  if (last) {
    const at = last.longPoll.rssAfterCloseAt;
    const marks = at ? Object.entries(at).map(([sec, rss]) => `${mb(rss)} after ${sec} s (×${last.longPoll.rssAfterCloseRatio?.[sec]} of idle)`).join(", ") : null;
    out.push(`After the ${num(last.connections)} were closed the server released the sockets within ${ms(last.longPoll.releaseMs)}; its RSS was ${marks ?? mb(last.longPoll.rssAfterClose)}. The allocator is jemalloc without thread caches and with background purging (\`.cargo/config.toml\`, \`server/src/main.rs\`); the target is ×1.2 of idle a minute later.`);
  }
  if (s.storm) out.push(`Reconnect storm: ${num(s.storm.simultaneous)} simultaneous connection attempts on a fresh server took ${ms(s.storm.allConnectedMs)} to all connect; the listening socket's backlog is **${s.storm.backlog ?? "unknown"}** (\`ss -ltn\` Send-Q). Attempts beyond the backlog are dropped and retried by the client's TCP after 1 s (then 3 s, …).`);
  return out.join("\n\n");
}

function longPollSummaryRows(r) {
  const lp = r.longpolls;
  if (!lp || lp.error) return [];
  return lp.results.map((x) => [`Server RSS per held long-poll, ${num(x.connections)} held`, bytes(x.longPoll.perConnection), `${bytes(x.idleTcp.perConnection)} (idle TCP connection)`, ratio(x.longPoll.perConnection, x.idleTcp.perConnection)]);
}

export const SCALEOUT_HEADING = "## 7. Scale-out: Postgres, one and two instances";

const pct = (x) => (Number.isFinite(x) ? `${round(100 * x, 0)} %` : "—");
const cores = (x) => (Number.isFinite(x) ? x.toFixed(2) : "—");
/** The run of a throughput set-up that the report quotes: its median round. */
const quoted = (t) => t.runs.find((x) => x.round === t.median.round);

/** The cores used by the processes of a CPU window whose labels pass `test`. */
const sumCores = (c, test) => Object.entries(c).filter(([k]) => test(k)).reduce((a, [, v]) => a + v, 0);

/** "Lock:advisory 93 %, IO:WALSync 4 %, …": what Postgres's active connections were seen doing. */
function waits(activity, top = 4) {
  if (!activity || activity.error) return activity?.error ? `not sampled: ${activity.error}` : "—";
  return activity.activeBy.slice(0, top).map((w) => `${w.wait} ${pct(w.share)}`).join(", ") || "none active";
}

function scaleoutSection(r) {
  const s = r.scaleout;
  const out = [SCALEOUT_HEADING];
  if (failed(s)) return [...out, failed(s)].join("\n\n");
  const pg = s.postgres;
  const T = s.throughput;
  const sqlite = T.sqlite;
  const p1 = T.postgres1;
  const p2 = T.postgres2;
  const pAsync = T.postgres2Async;
  const pOrgs = T.postgres2Orgs;
  const L = s.latency;
  const C = s.connections;
  const cores_ = r.machine?.cores ?? 2;
  out.push(`Measured ${s.startedAt.replace("T", " ").slice(0, 16)} UTC${r.quick ? " (**BENCH_QUICK=1**: fewer rounds and replies; do not compare)" : ""}, on the machine above
(${cores_} cores), load average ${s.loadavgAtStart.join(" / ")} at the section's start and ${s.loadavgAtEnd?.join(" / ")} at its end. Every server is the release
binary (\`frontdesk-server serve\`, a process of its own, request logging at \`info\` to a file) with the bench's per-address and per-org limits
lifted (every bench visitor is 127.0.0.1) and \`--database-max-connections ${s.poolSize}\` (the default pool). **SQLite**: its own file. **Postgres**:
${pg.server_version?.split(" ")[0]} at \`${s.postgresUrl}\`${s.postgresOnThisMachine ? ", on this same machine" : ""}, a fresh database per installation
(\`frontdesk_bench_…\`, made by \`testkit/postgres.mjs\` and dropped at the end), its settings as found: \`synchronous_commit = ${pg.synchronous_commit}\`,
\`fsync = ${pg.fsync}\`, \`wal_sync_method = ${pg.wal_sync_method}\`, \`shared_buffers = ${pg.shared_buffers}\`, \`commit_delay = ${pg.commit_delay}\`.
"2 instances" are two processes on one database; they hear of each other's messages through \`LISTEN\`/\`NOTIFY\`.
**The load generator, the servers and Postgres all share the ${cores_} cores**: the CPU table below says who used them.`);

  // Throughput.
  out.push(`### Messages accepted with ${num(s.visitors)} visitors

\`server/examples/load.rs\`: ${num(s.visitors)} visitors, each on its own device with its own chat, send messages back to back for ${s.seconds} s
(\`POST /widget/v1/sessions/{id}/messages\`, accepted = 201). Against several instances, **one** load.rs process takes them all
(\`--url A,B\`) and gives visitor *i* to instance *i* mod 2 for its chat and every message, as a round-robin load balancer would: one
generator costs the same CPU whatever it talks to, so the set-ups differ only by their servers, and its latency quantiles cover all
messages without merging two processes' figures. The set-ups take turns, ${s.rounds} round${s.rounds > 1 ? "s" : ""} of each; the table quotes the
median round by messages/s and lists every round, each with the CPU that other work took on the machine meanwhile (cores, as
in the CPU table below: what neither this bench's servers, Postgres nor load.rs used). The rows in italics are diagnostics (below), not
set-ups to deploy.`);
  const all = [sqlite, p1, p2, pAsync, pOrgs].filter(Boolean);
  const rows = [];
  for (const t of all) {
    const q = quoted(t);
    rows.push([t.diagnostic ? `*${t.label}*` : `**${t.label}**`, `**${num(t.median.messages_per_second)}/s**`,
      t.runs.map((x) => `${num(x.messages_per_second)}${x.cpu ? ` (${cores(x.cpu.cores.everythingElse)})` : ""}`).join(", "), `${ms(q.send_median_ms)} / ${ms(q.send_p99_ms)}`,
      q.accepted_per_instance.map(num).join(" + "), t === sqlite ? "—" : ratio(t.median.messages_per_second, sqlite.median.messages_per_second),
      `${num(t.median.rate_limited)} / ${num(t.median.failed)}`]);
  }
  out.push(table(["set-up", "messages accepted (median round)", "each round (other work on the machine, cores)", "send median / p99", "accepted per instance", "÷ SQLite, 1 instance", "429 / failed (all rounds)"], rows));
  const met2 = p2.median.messages_per_second >= sqlite.median.messages_per_second;
  out.push(`**Target: Postgres with 2 instances at least as many messages/s as SQLite with 1 — ${met2 ? "met" : "not met"}**
(${num(p2.median.messages_per_second)}/s against ${num(sqlite.median.messages_per_second)}/s, ${ratio(p2.median.messages_per_second, sqlite.median.messages_per_second)}).`);

  // Where the CPU went, and what Postgres was doing.
  const sum = sumCores;
  const serverCores = (c) => sum(c, (k) => k.startsWith("server"));
  const workCores = (c) => serverCores(c) + (c.postgresThisDatabase ?? 0);
  const cpuMsPerMessage = (t) => {
    const c = quoted(t).cpu?.cores;
    return c ? (1000 * workCores(c)) / quoted(t).messages_per_second : NaN;
  };
  const cpuRows = [];
  for (const t of all) {
    const c = quoted(t).cpu?.cores;
    if (!c) continue;
    const servers = Object.entries(c).filter(([k]) => k.startsWith("server")).map(([, v]) => v);
    cpuRows.push([t.label, `${cores(serverCores(c))}${servers.length > 1 ? ` (${servers.map(cores).join(" + ")})` : ""}`,
      cores(c.postgresThisDatabase), cores(c.postgresBackground), cores(sum(c, (k) => k.startsWith("load"))), cores(c.everythingElse),
      `${cores(c.machineBusy)} of ${cores_}`, ms(cpuMsPerMessage(t)), waits(quoted(t).activity)]);
  }
  out.push(`Where the time went in the quoted round, over the sending window only (load.rs marks it on stderr): **CPU** in cores (CPU seconds ÷
wall seconds, \`/proc/<pid>/stat\`), for the server processes, the Postgres backends serving that database, Postgres's own background
processes (WAL writer, checkpointer, …), the load generator, and the rest of the machine (other work, and the bench's node process);
**CPU per message** = (servers + that database's backends) ÷ messages/s; **Postgres's active connections** (that database's, sampled every
50 ms from \`pg_stat_activity\` by one backend on another database): what they were seen waiting on, as shares of all observations of an
active connection ("on CPU": active with no wait event). \`pg_stat_statements\` is not loaded on this Postgres (loading it needs a restart
of a server others use); wait events need nothing.`);
  out.push(table(["set-up", "servers", "Postgres: this database", "Postgres: background", "load generator", "everything else", "machine busy",
    "CPU per message", "Postgres's active connections were"], cpuRows));

  const q2 = quoted(p2);
  const a2 = q2.activity;
  const advisory = a2?.activeBy?.find((w) => w.wait === "Lock:advisory")?.share;
  const costs = s.commitCost || [];
  const cost = costs.find((x) => x.round === q2.round);
  /** What the connection holding the org's lock was seen doing, as "flushing the WAL (IO:WALSync) 40 %, …". */
  const holderOf = (activity) => {
    // A sample reads pg_stat_activity, then pg_locks: when the lock changed hands in between, its new holder is still
    // seen waiting for it. Those observations say nothing about the turn; they are counted apart.
    const all = activity?.holderBy || [];
    const skewed = all.filter((h) => h.wait === "Lock:advisory").reduce((a, h) => a + h.seen, 0);
    const seen = all.reduce((a, h) => a + h.seen, 0) - skewed;
    const parts = all.filter((h) => h.wait !== "Lock:advisory").map((h) => ({
      share: h.seen / seen,
      what: h.state === "idle in transaction" ? "waiting for the server's next statement (idle in transaction)"
        : h.state === "active" && h.wait === "on CPU" ? "executing (on CPU)"
        : h.state === "active" && h.wait === "IO:WALSync" ? "flushing the WAL (IO:WALSync)"
        : h.state === "active" && h.wait === "Lock:object" ? "queued for the NOTIFY commit lock (Lock:object)"
        : null,
    }));
    const merged = new Map();
    for (const h of parts) merged.set(h.what ?? "other states", (merged.get(h.what ?? "other states") ?? 0) + h.share);
    const other = merged.get("other states");
    merged.delete("other states");
    const list = [...[...merged].sort((a, b) => b[1] - a[1]).map(([what, share]) => `${what} ${pct(share)}`),
      ...(other > 0 ? [`other states ${pct(other)}`] : [])].join(", ");
    return list ? `${list}${skewed ? ` (leaving out the ${pct(skewed / (seen + skewed))} of its observations where the lock changed hands between the two reads of a sample)` : ""}` : "not sampled";
  };
  const waitingFor = (activity) => {
    const w = activity?.waitingFor || [];
    const all = w.reduce((a, x) => a + x.seen, 0);
    return w.slice(0, 3).map((x) => `\`${x.lock}\` ${pct(x.seen / all)}`).join(", ") || "none";
  };
  const objectShare = (t) => t ? (quoted(t).activity?.holderBy || []).filter((h) => h.wait === "Lock:object").reduce((a, h) => a + h.share, 0) : NaN;
  if (!met2 && Number.isFinite(advisory) && advisory > 0.5) {
    const perMessage = 1000 / p2.median.messages_per_second;
    const cpuRatio = ratio(cpuMsPerMessage(p2), cpuMsPerMessage(sqlite));
    const notes = [`**What dominates: Postgres stores the messages one at a time, and each one costs ${cpuRatio} the CPU it costs on SQLite.**
Two locks put the messages in single file, both held until the commit has been flushed:

1. **The per-org message lock.** \`chats::insert_message\` takes \`pg_advisory_xact_lock(org)\` so that an org's message ids become visible
   in the order they are handed out (a long-poll's cursor must never pass an id still being committed). The bench's ${num(s.visitors)}
   visitors are one site's, so every message of the run queued for it: in the quoted 2-instance round it was held in
   ${pct(a2.lockHeldShare)} of the samples, ${pct(advisory)} of the observations of an active connection were waiting for it
   (\`Lock:advisory\`; ${a2.active.mean} of ${a2.connections.median} connections active on average), and the locks waited for were
   ${waitingFor(a2)}. ${num(p2.median.messages_per_second)}/s is one message every ${ms(perMessage)}.
2. **Postgres's NOTIFY lock.** The messages trigger sends \`pg_notify\` (how the other instances hear of a message), and Postgres
   commits a transaction that sent a NOTIFY under one lock for the whole server, \`object pg_database 0\`, held "till after commit" so
   that notifications are queued in commit order (\`PreCommit_Notify\` in Postgres's \`src/backend/commands/async.c\`: every
   transaction that notified commits one at a time, whatever its org).${pOrgs ? ` The
   diagnostic with the visitors in ${pOrgs.orgs} orgs (${pOrgs.orgs} org locks instead of one, the same pair) ${objectShare(pOrgs) >= 0.1 ? "runs into it" : "tests it"}:
   ${num(pOrgs.median.messages_per_second)}/s, ${ratio(pOrgs.median.messages_per_second, p2.median.messages_per_second)} of one org (rounds:
   ${pOrgs.runs.map((x) => num(x.messages_per_second)).join(", ")}); the connections holding an org's lock were ${holderOf(quoted(pOrgs).activity)}.` : ""}

What the connection holding the org's lock was doing in the quoted 2-instance round: ${holderOf(a2)}. So a message's turn is the
rest of its statement after the grant (the INSERT with its trigger, then the commit), waiting for a CPU that
${num(s.visitors)} requests in flight and the other backends share, plus the commit's flush. A commit alone (200 in a row inside Postgres,
nothing else in the way) took ${costs.map((c) => ms(c.flushedMs)).join(", ")} with its flush in rounds ${costs.map((c) => c.round).join(", ")}, against
${costs.map((c) => `${round(c.unflushedMs * 1000, 0)} µs`).join(", ")} without${(() => {
      const f = costs.map((c) => c.flushedMs);
      return Math.max(...f) > 3 * Math.min(...f)
        ? `: the flush is this machine's disk, and it was not steady (Postgres with 2 instances, round by round: ${p2.runs.map((x) => num(x.messages_per_second)).join(", ")}/s)`
        : `: the disk was steady through the run (under load a flush takes longer than alone, queued behind the WAL writes of the others, as the holder's samples show)`;
    })()}. A second instance shortens none of this: both locks are in the database.`];
    if (pAsync) {
      notes.push(`The check on the flush: the pair on a database with **\`synchronous_commit = off\`** (that database only; a commit no longer waits
for its flush — the durability SQLite's WAL with \`synchronous = NORMAL\` has, and not one to deploy here: an acknowledged message must
survive a crash) accepted ${num(pAsync.median.messages_per_second)}/s, ${ratio(pAsync.median.messages_per_second, p2.median.messages_per_second)} of the
default (rounds: ${pAsync.runs.map((x) => num(x.messages_per_second)).join(", ")}); its lock holder was then ${holderOf(quoted(pAsync).activity)}: without
the flush, what is left of a turn is the statement itself on a CPU shared with everything else.`);
    }
    const cs = cpuMsPerMessage(sqlite);
    const cp = cpuMsPerMessage(p2);
    if (Number.isFinite(cs) && Number.isFinite(cp)) {
      const co = pOrgs ? cpuMsPerMessage(pOrgs) : NaN;
      const best = Math.min(cp, Number.isFinite(co) ? co : Infinity);
      const ceiling = (1000 * cores_) / best;
      notes.push(`Behind the locks there is CPU: a message cost ${ms(cp)} of CPU with Postgres and two instances (servers and that database's
backends)${Number.isFinite(co) ? `, ${ms(co)} with the visitors in ${pOrgs.orgs} orgs (${pOrgs.orgs} queues instead of one)` : ""}, against ${ms(cs)} with SQLite
(${ratio(cp, cs)}${Number.isFinite(co) ? `, ${ratio(co, cs)}` : ""}). Even with both cores to the servers and Postgres and the cheaper of those figures,
that is a ceiling of about **${num(ceiling)} messages/s, against ${num((1000 * cores_) / cs)} for SQLite**${ceiling < sqlite.median.messages_per_second
  ? ` and below the ${num(sqlite.median.messages_per_second)}/s SQLite accepted here: on this ${cores_}-core machine the target is out of reach by CPU alone, whatever becomes of the locks`
  : ""}${pOrgs ? ` (${pOrgs.orgs} orgs reached ${num(pOrgs.median.messages_per_second)}/s with the machine ${cores(quoted(pOrgs).cpu?.cores?.machineBusy)} of ${cores_} busy)` : ""}.`);
    }
    const P = s.profile;
    if (P && !P.error) {
      const top = (list, n) => list.slice(0, n).map((x) => `${x.what} ${pct(x.share)}`).join("; ");
      const st = s.tables?.sessions;
      if (st && st.updates > 0) {
        const firstLast = (t) => `${num(t.runs[0].messages_per_second)} → ${num(t.runs[t.runs.length - 1].messages_per_second)}/s`;
        notes.push(`One cost grows as a run goes on: the messages trigger moves the session's \`activity_seq\`, an indexed column, so every message
rewrites its session's row with new entries in all of the table's indexes (Postgres's HOT update, which skips them, needs no indexed
column to change): of the pair's ${num(st.updates)} session updates ${num(st.hotUpdates)} were HOT, and after the rounds its sessions table held
${num(st.dead)} dead row versions beside ${num(st.live)} live ones (autovacuum runs: ${num(st.autovacuums)}). A session looked up by an index walks
past the dead versions, checking each one's visibility — the heap fetches of the profile below. Round by round, Postgres with one
instance went ${firstLast(p1)} and with two ${firstLast(p2)}, SQLite ${firstLast(sqlite)}.`);
      }
      notes.push(`Where that CPU goes, from one more 2-instance run under \`perf record -a -g\` (${P.frequency} Hz, ${P.seconds} s, ${num(P.samples)} samples
on both cores, ${num(P.messages_per_second)} messages/s; not among the rounds above): the machine's samples were
${top(P.processes, 5)}. **Postgres's backends** (each sample put under the first of these found on its stack):
${top(P.postgres, 9)}. **The servers** (innermost function of a known crate): ${top(P.servers, 6)}.${(P.postgres[0]?.share ?? 1) < 0.4 ? ` No single hot
spot: the cost is many small statements per message, each a socket round trip, a wake-up of another process and an executor run with
its visibility checks — work SQLite does inside the server's process, in a function call.` : ""}`);
    }
    out.push(notes.join("\n\n"));
  } else if (!met2) {
    out.push(`**What dominates**: Postgres's active connections were seen as: ${waits(a2, 6)}; the lock holder: ${holderOf(a2)}; CPU as in the table above.`);
  }

  // Latency.
  const same = L.postgresSameInstance;
  const cross = L.postgresCrossInstance;
  out.push(`### Reply delivery: stored on one instance, answered on another's long-poll

load.rs starts one visitor on instance A and keeps a widget long-poll (\`GET /widget/v1/updates?after=…&wait=25\`) waiting on A; an agent reply
(\`POST /api/sessions/{id}/messages\`, secret key) is posted, and timed from before the POST until the long-poll's answer holding it is
parsed, one reply at a time. On the Postgres pair the replies alternate, ${num(same.replies)} posted through A (**same instance**: A wakes its own
long-poll) and ${num(cross.replies)} through B (**cross-instance** with \`--reply-url\`: B commits, the trigger's \`NOTIFY\` reaches A's listening
connection, A wakes the long-poll, which reads from its cursor), so both see the same moments of the machine. SQLite, one instance:
${num(L.sqliteSameInstance.replies)} replies on the same instance.`);
  const gap = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? `${a - b >= 0 ? "+" : "−"}${ms(Math.abs(a - b))}` : "—");
  out.push(table(["", "median", "p90", "p95", "p99", "max"], [
    ["SQLite, same instance", ms(L.sqliteSameInstance.median_ms), ms(L.sqliteSameInstance.p90_ms), ms(L.sqliteSameInstance.p95_ms), ms(L.sqliteSameInstance.p99_ms), ms(L.sqliteSameInstance.max_ms)],
    ["Postgres, same instance (reply through A)", ms(same.median_ms), ms(same.p90_ms), ms(same.p95_ms), ms(same.p99_ms), ms(same.max_ms)],
    ["**Postgres, cross-instance** (reply through B, long-poll on A)", `**${ms(cross.median_ms)}**`, ms(cross.p90_ms), ms(cross.p95_ms), `**${ms(cross.p99_ms)}**`, ms(cross.max_ms)],
    ["cross − same", gap(cross.median_ms, same.median_ms), gap(cross.p90_ms, same.p90_ms), gap(cross.p95_ms, same.p95_ms), gap(cross.p99_ms, same.p99_ms), gap(cross.max_ms, same.max_ms)],
  ]));
  const metL = cross.p99_ms - same.p99_ms <= 10;
  const lc = L.cpu?.postgres?.cores;
  const busyNote = lc ? ` While the pair was timed the machine was ${pct(lc.machineBusy / cores_)} busy, ${cores(lc.everythingElse)} cores of it
other work (this bench's servers, Postgres and load.rs used ${cores(sumCores(lc, (k) => k.startsWith("server") || k.startsWith("load")) + (lc.postgresThisDatabase ?? 0))}).` : "";
  out.push(`**Target: cross-instance p99 within 10 ms of same-instance — ${metL ? "met" : "not met"}** (${ms(cross.p99_ms)} against ${ms(same.p99_ms)};
medians ${ms(cross.median_ms)} and ${ms(same.median_ms)}).${busyNote}${metL ? "" : ` The two paths differ by one hop (B's commit → Postgres
\`NOTIFY\` → A's listening connection → A's notifier); what that hop costs is the gap of the bulk of the replies: ${gap(cross.median_ms, same.median_ms)} at the
median, ${gap(cross.p90_ms, same.p90_ms)} at p90, ${gap(cross.p95_ms, same.p95_ms)} at p95, against ${gap(cross.p99_ms, same.p99_ms)} at p99, which is the
${num(Math.ceil(cross.replies / 100))} or so slowest of ${num(cross.replies)} replies on each side.`}
A reply on Postgres costs more than on SQLite on either path (median ${ms(same.median_ms)} against ${ms(L.sqliteSameInstance.median_ms)}): its
insert is a round trip to another process (one statement that takes the org's lock, inserts and runs the trigger, then commits)
and its commit waits for a WAL flush, all before the answer and the wake-up.`);

  // Connections.
  out.push(`### Database connections with ${num(C.longPolls)} long-polls held

One Postgres instance (fresh database and process, pool ${C.poolSize}), warmed up with 50 quick long-polls; then ${num(C.longPolls)} waiting
\`GET /widget/v1/updates?after=0&wait=30\`, each from its own device id, opened from node over raw sockets 50 at a time (as in section 6).
\`SELECT count(*) FROM pg_stat_activity WHERE datname = '<database>'\` sampled every ${C.intervalMs} ms for ${C.sampledSeconds} s from just before the first
socket, by a backend on another database (so the sampler is not counted).`);
  out.push(table(["long-polls held", "answered early", "connections, idle before", "connections while opening and holding (max)", "while all held (median / max)",
    "of them active (max)", "pool size + listening connection"], [[
    num(C.longPolls), num(C.answeredEarly), num(C.idle.median), `**${num(C.whileOpeningAndHeld.max)}**`,
    C.whileHeld ? `${num(C.whileHeld.median)} / ${num(C.whileHeld.max)}` : "—", num(C.active.max), `${C.poolSize} + ${C.listener} = ${C.poolSize + C.listener}`]]));
  out.push(`A held long-poll holds no database connection: it waits in memory and borrows one from the pool only to read; so
${num(C.longPolls)} held (opened in ${ms(C.openedMs)}) used ${C.whileOpeningAndHeld.max <= C.poolSize + C.listener ? "no more than" : "**more than**"} the
pool and the listening connection. N instances need N × (pool + 1) connections of Postgres's \`max_connections\` (${pg.max_connections} here).`);

  out.push(`Run again: \`BENCH_ONLY=scaleout node bench/run.mjs\` (after \`cargo build --release -p frontdesk-server --bins --examples\`; ~${round(r.timings?.scaleout ?? NaN, 0)} s),
then \`node bench/run.mjs --write-section scaleout\` to put its results here; \`npm run bench\` runs it with everything else.`);
  return out.join("\n\n");
}

/** The summary's scale-out rows (their first cell starts with "Scale-out"). */
function scaleoutSummaryRows(r) {
  const s = r.scaleout;
  if (!s || s.error) return [];
  const T = s.throughput;
  const base = `${num(T.sqlite.median.messages_per_second)}/s (${ms(T.sqlite.median.send_p99_ms)}), SQLite 1 instance`;
  const row = (t) => [`Scale-out: messages/s, ${num(s.visitors)} visitors, ${t.label} (p99)`,
    `${num(t.median.messages_per_second)}/s (${ms(t.median.send_p99_ms)})`, base, ratio(t.median.messages_per_second, T.sqlite.median.messages_per_second)];
  const L = s.latency;
  return [
    row(T.postgres1),
    row(T.postgres2),
    [`Scale-out: reply → long-poll, cross-instance on Postgres, p99 (${num(L.postgresCrossInstance.replies)})`, ms(L.postgresCrossInstance.p99_ms),
      `${ms(L.postgresSameInstance.p99_ms)} (same instance)`, ratio(L.postgresCrossInstance.p99_ms, L.postgresSameInstance.p99_ms)],
    [`Scale-out: Postgres connections with ${num(s.connections.longPolls)} long-polls held (max)`, num(s.connections.whileOpeningAndHeld.max),
      `${s.connections.poolSize + s.connections.listener} (pool + listener)`, ratio(s.connections.whileOpeningAndHeld.max, s.connections.poolSize + s.connections.listener)],
  ];
}

function summary(r) {
  const rows = [];
  const f = r.sizes?.frontdesk?.total;
  const peers = r.sizes?.peers?.peers?.filter((p) => p.measured) || [];
  if (f) {
    for (const p of peers) rows.push([`Embed transfer size, gzip -9 (vs ${p.name}, JS + CSS)`, kb(f.gzip), kb(p.total.gzip), ratio(f.gzip, p.total.gzip)]);
    for (const p of peers) rows.push([`Embed transfer size, brotli 11 (vs ${p.name}, JS + CSS)`, kb(f.brotli), kb(p.total.brotli), ratio(f.brotli, p.total.brotli)]);
    if (!peers.length) rows.push(["Embed transfer size, gzip -9 (peers not measured)", kb(f.gzip), "not measured", "n/a"]);
    rows.push(["Embed transfer size, gzip -9, vs the 60 KB target", kb(f.gzip), "60.0 KB", ratio(f.gzip, 60_000)]);
  }
  const st = r.startup?.stats;
  if (st) {
    rows.push(["Start-up, `load` → launcher ready (4× CPU, median)", ms(st.frontdesk.loadToReady), `${ms(st.vanilla.loadToReady)} (vanilla launcher)`, ratio(st.frontdesk.loadToReady, st.vanilla.loadToReady)]);
    const bt = ratio(st.frontdesk.blocking, st.vanilla.blocking);
    rows.push(["Start-up, blocking time (4× CPU, median)", ms(st.frontdesk.blocking), `${ms(st.vanilla.blocking)} (vanilla) / ${ms(st.blank.blocking)} (no widget)`,
      bt === "n/a" ? `n/a (baseline 0; +${ms(st.frontdesk.blocking - st.vanilla.blocking)})` : bt]);
  }
  const l = r.latency;
  if (l && !l.error) {
    rows.push([`Reply latency, median (${l.messages} replies)`, ms(l.widget.median), `${ms(l.raw.median)} (raw long-poll client)`, ratio(l.widget.median, l.raw.median)]);
    rows.push([`Reply latency, p99`, ms(l.widget.p99), `${ms(l.raw.p99)} (raw long-poll client)`, ratio(l.widget.p99, l.raw.p99)]);
  }
  const t = r.throughput;
  if (t && !t.error) {
    for (const [i, c] of t.concurrency.entries()) {
      const real = t.real.visitor_send_throughput[i];
      const h = t.real.healthz_throughput[i];
      const limited = real.rate_limited > 0 ? " — rate-limit bound" : "";
      rows.push([`Messages/s, ${c} visitor${c > 1 ? "s" : ""}, real server (p99)${limited}`, `${num(real.messages_per_second)}/s (${ms(real.send_p99_ms)})`, `${num(h.requests_per_second)}/s GET /healthz`, ratio(real.messages_per_second, h.requests_per_second)]);
    }
    for (const [i, c] of t.concurrency.entries()) {
      const ip = t.inProcess.visitor_send_throughput[i];
      const h = t.inProcess.healthz_throughput[i];
      rows.push([`Messages/s, ${c} visitor${c > 1 ? "s" : ""}, in-process, limit lifted (p99)`, `${num(ip.messages_per_second)}/s (${ms(ip.send_p99_ms)})`, `${num(h.requests_per_second)}/s GET /healthz`, ratio(ip.messages_per_second, h.requests_per_second)]);
    }
  }
  rows.push(...longPollSummaryRows(r));
  rows.push(...scaleoutSummaryRows(r));
  rows.push(...typingSummaryRows(r));
  rows.push(...greetingSummaryRows(r));
  rows.push(...uploadSummaryRows(r));
  rows.push(...webhooksSummaryRows(r));
  const m = r.memory;
  if (m && !m.error && m.at4x) {
    rows.push([`Open a ${m.messages}-message chat (4× CPU, click → newest line drawn)`, ms(m.at4x.openMs), "100 ms (target)", ratio(m.at4x.openMs, 100)]);
    rows.push([`A new message in that chat, drawn (no throttling; 4×: ${ms(m.at4x.newMessageMs)})`, ms(m.at1x.newMessageMs), "2 ms (target)", ratio(m.at1x.newMessageMs, 2)]);
  }
  if (m && !m.error) {
    rows.push([`JS heap, ${m.messages}-message chat open`, mb(m.stats.chat.jsHeapUsed), `${mb(m.stats.closed.jsHeapUsed)} (widget closed, no chat)`, ratio(m.stats.chat.jsHeapUsed, m.stats.closed.jsHeapUsed)]);
    rows.push([`wasm memory, ${m.messages}-message chat open`, mb(m.stats.chat.wasmMemory), `${mb(m.stats.closed.wasmMemory)} (widget closed, no chat)`, ratio(m.stats.chat.wasmMemory, m.stats.closed.wasmMemory)]);
    rows.push([`JS heap, widget closed vs no widget`, mb(m.stats.closed.jsHeapUsed), `${mb(m.stats.blank.jsHeapUsed)} (no widget)`, ratio(m.stats.closed.jsHeapUsed, m.stats.blank.jsHeapUsed)]);
  }
  return table(["figure", "Frontdesk", "baseline (same run)", "ratio"], rows);
}

export function writeReport(path, r) {
  const m = r.machine;
  const date = r.startedAt.slice(0, 10);
  const sections = [
    `# Benchmarks

${WRITTEN_BY} Every figure stands beside a baseline measured **in the
same run** on the same machine, with the ratio Frontdesk ÷ baseline, so a busy machine moves both sides alike. These are measurements, not
tests: nothing passes or fails on a timing.

- **Date**: ${r.startedAt.replace("T", " ").slice(0, 16)} UTC (${date})
- **Machine**: ${m.cpu}, ${m.cores} cores (logical CPUs in /proc/cpuinfo), ${m.memoryGiB} GiB memory (/proc/meminfo); Linux ${m.kernel}
- **Load average** (1/5/15 min) at start ${m.loadavgAtStart.join(" / ")}, at end ${m.loadavgAtEnd?.join(" / ")} — other work shared the machine when these are high.
- **Software**: ${m.chromium}; node ${m.node}; ${m.rustc}
- **Wall time**: \`node bench/run.mjs\` ${r.wallSeconds} s${r.npmScriptSeconds ? `; the whole \`npm run bench\` (setup, widget and server builds, then this) ${r.npmScriptSeconds} s` : ""}.
- **Embed measured**: \`dist/web\` as built by \`scripts/build.sh\` in this run, copied to a temporary folder first (a rebuild during the run cannot change it)${r.embed?.widgetJsVersion ? `; \`widget.js\` version \`${r.embed.widgetJsVersion}\`` : ""}.
${r.quick ? "\n**BENCH_QUICK=1: fewer repetitions than the standard run; do not compare these figures.**\n" : ""}
## Summary

${summary(r)}`,
    sizesSection(r),
    startupSection(r),
    latencySection(r),
    greetingSection(r),
    typingSection(r),
    uploadSection(r),
    webhooksSection(r),
    memorySection(r),
    throughputSection(r),
    longPollSection(r),
    scaleoutSection(r),
    soakSectionOf(path) ?? "",
    `## How to run

\`npm run bench\` from the repository root (it runs \`scripts/setup.sh\`, \`scripts/build.sh\`, builds the server and its examples in release, then
\`node bench/run.mjs\`). \`BENCH_ONLY=sizes,startup,latency,typing,upload,webhooks,memory,throughput,longpolls,scaleout\` runs a subset and leaves this file alone
(results in \`bench/out/results.json\`); \`node bench/run.mjs --write-section scaleout\` (or \`typing\`, \`upload\`, \`webhooks\`, \`longpolls\`) then rewrites only that section (and its summary
rows) from those results; \`BENCH_QUICK=1\` runs fewer repetitions. The scale-out section needs Postgres
(\`FRONTDESK_TEST_POSTGRES_URL\`, else \`postgres://postgres@127.0.0.1:5432/postgres\`): it makes fresh databases and drops them. The raw results of the run that wrote this file are in
\`bench/out/results.json\`, the servers' logs in \`bench/out/\` (git-ignored). Section timings (s): ${Object.entries(r.timings || {}).map(([k, v]) => `${k} ${v}`).join(", ")}.`,
  ];
  writeFileSync(path, sections.filter((x) => x).join("\n\n") + "\n");
}


/** Sections a partial run can rewrite alone: the heading each writes, and its summary rows. */
const PARTIAL = {
  upload: { heading: UPLOAD_HEADING, section: uploadSection, summaryRows: uploadSummaryRows, summaryPrefix: "Upload throughput" },
  webhooks: { heading: WEBHOOKS_HEADING, section: webhooksSection, summaryRows: webhooksSummaryRows, summaryPrefix: "Webhook" },
  typing: { heading: TYPING_HEADING, section: typingSection, summaryRows: typingSummaryRows, summaryPrefix: "Typing latency" },
  greeting: { heading: GREETING_HEADING, section: greetingSection, summaryRows: greetingSummaryRows, summaryPrefix: "Start-up with the greeting" },
  longpolls: { heading: "## 6. Held long-poll connections", section: longPollSection, summaryRows: longPollSummaryRows, summaryPrefix: "Server RSS per held long-poll" },
  scaleout: { heading: SCALEOUT_HEADING, section: scaleoutSection, summaryRows: scaleoutSummaryRows, summaryPrefix: "Scale-out" },
};

/**
 * Rewrites only the sections `names` of the BENCHMARKS.md at `path` from results `r` (e.g. a BENCH_ONLY run's), and
 * their rows of the summary table, leaving the rest of the file as it is. A section the file lacks goes before the
 * Soak section (or "How to run").
 */
export function writeSections(path, r, names) {
  let md = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n";
  for (const name of names) {
    const part = PARTIAL[name];
    if (!part) throw new Error(`--write-section ${name}: only ${Object.keys(PARTIAL).join(", ")} can be written alone`);
    if (!r[name]) throw new Error(`--write-section ${name}: bench/out/results.json has no ${name} results`);
    const text = part.section(r);
    const soakAt = md.indexOf(`\n${SOAK_HEADING}`);
    if (sectionOf(md, part.heading) === null && soakAt >= 0) {
      md = `${md.slice(0, soakAt + 1)}${text.trimEnd()}\n\n${md.slice(soakAt + 1)}`;
    } else {
      md = withSection(md, part.heading, text);
    }
    md = withSummaryRows(md, part.summaryPrefix, part.summaryRows(r));
  }
  writeFileSync(path, md);
}

/** The summary table of `md` with its rows starting with `prefix` replaced by `rows` (appended at its end). */
function withSummaryRows(md, prefix, rows) {
  const summary = sectionOf(md, "## Summary");
  if (summary === null) return md;
  const lines = summary.split("\n");
  const kept = lines.filter((l) => !l.startsWith(`| ${prefix}`));
  let last = kept.length - 1;
  while (last >= 0 && !kept[last].startsWith("|")) last--;
  if (last < 0) return md;
  kept.splice(last + 1, 0, ...rows.map((row) => `| ${row.join(" | ")} |`));
  return md.replace(summary, kept.join("\n"));
}
