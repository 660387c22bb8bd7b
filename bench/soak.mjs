// `npm run soak` (not part of `npm test`): the release server under a steady load for SOAK_MINUTES (default 10), then
// checks that nothing was lost, doubled or answered with a 5xx, and that memory and open files stayed flat.
//
// The load, all HTTP clients in this process (no browsers):
//   - SOAK_VISITORS (1,000) non-verified visitors, each its own device id and chat, each sending a message every
//     SOAK_SEND_EVERY seconds (60) at a steady phase, and each holding SOAK_TABS (2) long-polls, like open tabs:
//     2,000 held long-polls;
//   - an agent on the agent API's long-poll, replying to every visitor message;
//   - a flood client: one device sending SOAK_FLOOD_RPS (50) messages a second, far over the per-identity rate
//     limit, which must be refused with 429 (and, when the server reads X-Forwarded-For, new chats from fresh device
//     ids of one IP, which per-IP limits must refuse as well).
// When the server accepts `--trusted-proxy` it runs with `--trusted-proxy 127.0.0.1` and every visitor sends its own
// X-Forwarded-For, so per-IP limits see 1,000 visitors, not one. SOAK_SERVER_ARGS adds serve arguments.
//
// At the end: 5xx count; every acknowledged message checked against the SQLite file (lost, doubled, stored without an
// acknowledgement) and every agent reply against what each tab's long-poll received; the server's RSS and open file
// descriptors sampled every 5 s with their slope over the last half; latency per minute. Results go to
// bench/out/soak.json and, unless SOAK_WRITE=0, into BENCHMARKS.md's Soak section (`--report` rewrites that section from
// the last run's bench/out/soak.json). Exits 1 when a check fails: a 5xx, an answer the load never expects (a 4xx to a
// visitor's send), a lost or doubled message or delivery, or a flood that is not refused.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { FrontdeskServer, serverBinary, ROOT } from "../testkit/server.mjs";
import { agentApi, newVisitor, widgetApi } from "../testkit/api.mjs";
import { fdCount, openFileLimit, rssBytes } from "../testkit/proc.mjs";
import { randomHex, sleep } from "../testkit/util.mjs";
import { SOAK_HEADING, withSection } from "./lib/sections.mjs";
import { checkDatabase } from "./lib/soak-check.mjs";
import { floodRefused, soakSection } from "./lib/soak-report.mjs";
import { leastSquares, log, machine, quantile, round, run } from "./lib/util.mjs";

const env = (name, fallback) => (process.env[name] !== undefined && process.env[name] !== "" ? Number(process.env[name]) : fallback);
const cfg = {
  minutes: env("SOAK_MINUTES", 10),
  visitors: env("SOAK_VISITORS", 1000),
  tabs: env("SOAK_TABS", 2),
  sendEverySecs: env("SOAK_SEND_EVERY", 60),
  floodRps: env("SOAK_FLOOD_RPS", 50),
  waitSecs: 25, // the widget's own long-poll wait
  sampleMs: 5000,
};
const write = process.env.SOAK_WRITE !== "0";
const extraServeArgs = (process.env.SOAK_SERVER_ARGS || "").split(/\s+/).filter(Boolean);
const benchDir = fileURLToPath(new URL(".", import.meta.url));
const outDir = join(benchDir, "out");
const benchmarksMd = join(ROOT, "BENCHMARKS.md");

/** Writes the Soak section of BENCHMARKS.md from a run's results. */
function writeSection(results) {
  const before = existsSync(benchmarksMd) ? readFileSync(benchmarksMd, "utf8") : "# Benchmarks\n";
  writeFileSync(benchmarksMd, withSection(before, SOAK_HEADING, soakSection(results)));
  log("BENCHMARKS.md: Soak section written");
}

// `node bench/soak.mjs --report`: the section again from bench/out/soak.json (the last run), without running anything.
if (process.argv.includes("--report")) {
  writeSection(JSON.parse(readFileSync(join(outDir, "soak.json"), "utf8")));
  process.exit(0);
}

// Every held long-poll is a socket on each side: make sure this process may open them (the server's limit is raised
// by FrontdeskServer's raiseFileLimit). A soft limit below the need is raised to the hard one by re-running under bash.
const needFds = cfg.visitors * (cfg.tabs + 1) + 500;
if (openFileLimit("self") < needFds && !process.env.SOAK_REEXEC) {
  const r = spawnSync("bash", ["-c", 'ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"', process.execPath, ...process.argv.slice(1)],
    { stdio: "inherit", env: { ...process.env, SOAK_REEXEC: "1" } });
  process.exit(r.status ?? 1);
}
if (openFileLimit("self") < needFds) {
  throw new Error(`soak: ${needFds} open files needed, the limit is ${openFileLimit("self")}: lower SOAK_VISITORS or raise ulimit -Hn`);
}

// As the npm scripts see them: cargo from ~/.cargo/bin.
process.env.PATH = [join(ROOT, "node_modules/.bin"), join(process.env.HOME || "/root", ".cargo/bin"), process.env.PATH].join(":");
const binary = process.env.SOAK_SERVER_BIN || serverBinary("release");
if (!process.env.SOAK_SERVER_BIN) {
  log("building target/release/frontdesk-server (cargo, quiet; a no-op when up to date)");
  await run("cargo", ["build", "-q", "--release", "-p", "frontdesk-server"], { cwd: ROOT });
}
const proxied = await FrontdeskServer.serveSupports(binary, "--trusted-proxy");
mkdirSync(outDir, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), "frontdesk-soak-"));
const server = await FrontdeskServer.create({
  binary, publicDir: null, dir: tmp, raiseFileLimit: true, logPath: join(outDir, "soak-server.log"),
  env: { RUST_LOG: process.env.RUST_LOG || "warn" }, // a line per request would make the log the bottleneck
  args: [...(proxied ? ["--trusted-proxy", "127.0.0.1"] : []), ...extraServeArgs],
});
const org = await server.createOrg("Soak site");
org.agent_key = await server.createAgent(org.widget_token, "Soak agent");
await server.start();
const pid = server.pid;
log(`frontdesk-server pid ${pid} at ${server.url}, open-file limit ${server.openFileLimit()}, ` +
  `X-Forwarded-For ${proxied ? "trusted from 127.0.0.1: one IP per visitor" : "not supported by this build: every visitor is 127.0.0.1"}`);

// ------------------------------------------------------------------------------------------------------------------
// what is recorded

const t0 = Date.now();
let windowStart = null; // the measured window starts once every visitor is up
let stopping = false;
let stop = () => {};
const stopped = new Promise((resolve) => (stop = resolve)); // resolves when the window is over
const minuteOf = (t) => (windowStart === null || t < windowStart ? -1 : Math.floor((t - windowStart) / 60_000));
const stats = {
  statuses: {}, // "kind status" → count, e.g. "send 201"
  errors: {}, // "kind message" → count (network errors, timeouts)
  latency: { send: [], reply: [], start: [], delivery: [] }, // [minute, ms]
  samples: [], // { t, rss, fds, cpuSecs, heldPolls, load }
};
const count = (bag, key) => (bag[key] = (bag[key] || 0) + 1);
const fivexx = () => Object.entries(stats.statuses).filter(([k]) => / 5\d\d$/.test(k)).reduce((s, [, n]) => s + n, 0);

/** One request through `call` (resolves to `{ status, json }`), with its latency and status recorded under `kind`. */
async function timed(kind, call, { latency = true } = {}) {
  const started = Date.now();
  try {
    const r = await call();
    count(stats.statuses, `${kind} ${r.status}`);
    if (latency && r.status < 500) stats.latency[kind]?.push([minuteOf(started), Date.now() - started]);
    return r;
  } catch (err) {
    if (err.name === "AbortError" && stopping) throw err;
    count(stats.errors, `${kind} ${err.cause?.code || err.name}: ${err.cause?.message || err.message}`.slice(0, 160));
    throw err;
  }
}

const lag = monitorEventLoopDelay({ resolution: 20 });
lag.enable();
const lagPerMinute = [];

// ------------------------------------------------------------------------------------------------------------------
// visitors: start, tabs (long-polls), steady sends

const ipOf = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const xff = (i) => (proxied ? { "x-forwarded-for": ipOf(i) } : {});
const visitors = [];
const bySession = new Map();
// One controller per held request, aborted together at the end: a single signal shared by thousands of fetches
// collects an abort listener per request (node warns past 1,500).
const held = new Set();
const stopAll = {
  aborted: false,
  abort() {
    this.aborted = true;
    for (const c of held) c.abort();
  },
};
/** `call(signal)` with a signal of its own, aborted by `stopAll.abort()`. */
async function holding(call) {
  const controller = new AbortController();
  held.add(controller);
  try {
    return await call(controller.signal);
  } finally {
    held.delete(controller);
  }
}
let heldPolls = 0;

/** Starts a chat for visitor `i`; a 429 (a per-org or per-IP limit on new chats) or a failure is retried a second later. */
async function startVisitor(i) {
  const device = randomHex(16);
  const api = widgetApi(server.url, { widgetToken: org.widget_token, device, headers: xff(i + 1) });
  for (let attempt = 0; attempt < 30; attempt++) {
    try {
      const r = await timed("start", () => api.start());
      if (r.status === 201) return { i, device, api, session: r.json.session.id, acked: new Map(), outcomeUnknown: new Set(), seen: [], n: 0 };
      if (r.status !== 429 && r.status < 500) throw Object.assign(new Error(`start: ${r.status} ${r.text}`), { fatal: true });
    } catch (err) {
      if (err.fatal) throw err;
    }
    await sleep(1000);
  }
  throw new Error(`visitor ${i}: no chat after 30 attempts`);
}

/** One tab's long-poll loop: records every agent reply it receives (a reply seen twice by one tab is doubled). */
async function tab(v, t) {
  const seen = new Map(); // reply id → times
  v.seen[t] = seen;
  let cursor = 0;
  while (!stopAll.aborted) {
    heldPolls++;
    try {
      const r = await timed("poll", () => holding((signal) => v.api.updates(cursor, cfg.waitSecs, { signal })), { latency: false });
      if (r.status !== 200) {
        await sleep(1000);
        continue;
      }
      const now = Date.now();
      for (const m of r.json.messages) {
        if (m.author !== "agent") continue;
        seen.set(m.id, (seen.get(m.id) || 0) + 1);
        const posted = replies.get(m.id)?.postedAt ?? pendingReplies.get(m.client_id);
        if (posted !== undefined && t === 0) stats.latency.delivery.push([minuteOf(now), now - posted]);
      }
      cursor = r.json.cursor;
    } catch {
      if (!stopAll.aborted) await sleep(1000);
    } finally {
      heldPolls--;
    }
  }
}

/** Sends one message with a client id, retrying the same client id (idempotent) after an error or a 5xx. */
async function send(v) {
  const n = ++v.n;
  const clientId = `visitor_${v.i}_${n}`; // client ids are 8 to 64 letters, digits, _ and -
  const content = `soak ${clientId}: hello, a question about my order number ${v.i * 1000 + n}`;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      const r = await timed("send", () => v.api.send(v.session, content, clientId));
      if (r.status === 201 || r.status === 200) {
        v.acked.set(clientId, { id: r.json.message.id, content });
        v.outcomeUnknown.delete(clientId);
        return;
      }
      if (r.status < 500 && r.status !== 429) return; // refused for a reason a retry does not change: counted
      v.outcomeUnknown.add(clientId);
    } catch {
      v.outcomeUnknown.add(clientId);
    }
    await sleep(1000 * (attempt + 1));
  }
}

async function sender(v) {
  const every = cfg.sendEverySecs * 1000;
  let next = windowStart + Math.random() * every; // a random phase: a steady rate overall, not bursts each minute
  for (;;) {
    await Promise.race([sleep(Math.max(0, next - Date.now())), stopped]);
    if (stopping) return;
    await send(v);
    next += every;
  }
}

// ------------------------------------------------------------------------------------------------------------------
// the agent: replies to every visitor message it sees on the org's long-poll

const agent = agentApi(server.url, org.agent_key);
const replies = new Map(); // reply id → { session, content, postedAt }
const pendingReplies = new Map(); // reply client id → posted at (until the reply's id is known)
const replyFailures = [];
let inFlightReplies = 0;

async function reply(m) {
  const clientId = `reply_to_${m.id}`;
  const content = `re ${m.client_id}: thanks, an agent is looking at it`;
  const postedAt = Date.now();
  pendingReplies.set(clientId, postedAt);
  inFlightReplies++;
  try {
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const r = await timed("reply", () => agent.reply(m.session_id, content, clientId).then(
          (message) => ({ status: 201, message }),
          (err) => (err.status ? { status: err.status } : Promise.reject(err)),
        ));
        if (r.status === 201) {
          replies.set(r.message.id, { session: m.session_id, content, postedAt, clientId, to: m.client_id });
          return;
        }
      } catch {
        /* counted by timed(); retried with the same client id */
      }
      await sleep(1000 * (attempt + 1));
    }
    replyFailures.push(clientId);
  } finally {
    inFlightReplies--;
  }
}

const agentDone = (async () => {
  let cursor = 0;
  const slots = { n: 0 };
  while (!stopAll.aborted) {
    try {
      const r = await timed("agent-poll", () => holding((signal) => agent.updates(cursor, cfg.waitSecs, { signal })), { latency: false });
      if (r.status !== 200) {
        await sleep(1000);
        continue;
      }
      for (const m of r.json.messages) {
        if (m.author !== "visitor" || !bySession.has(m.session_id)) continue; // the flood's messages get no answer
        // At most 16 replies in flight: an agent, not a flood of its own.
        while (slots.n >= 16) await sleep(5);
        slots.n++;
        reply(m).finally(() => slots.n--);
      }
      cursor = r.json.cursor;
    } catch {
      if (!stopAll.aborted) await sleep(1000);
    }
  }
})();

// ------------------------------------------------------------------------------------------------------------------
// the flood client

const flood = { messages: {}, sessions: {}, sessionsTried: 0, messagesTried: 0, acceptedIds: [] };
async function floodLoop() {
  const ip = proxied ? { "x-forwarded-for": "10.255.255.254" } : {};
  const victim = await newVisitor(server.url, org.widget_token, { headers: ip });
  flood.session = victim.session;
  const every = 1000 / cfg.floodRps;
  let next = Date.now();
  let inFlight = 0;
  let k = 0;
  while (!stopping) {
    await sleep(Math.max(0, next - Date.now()));
    next += every;
    if (inFlight >= 16) continue; // the server is slow to refuse: do not pile up sockets
    inFlight++;
    const n = ++k;
    // Every message a new client id (a retry would be answered before the limit); when the server reads
    // X-Forwarded-For, every 5th request is a new chat from a fresh device id of the same IP instead.
    const newChat = proxied && n % 5 === 0;
    const call = newChat
      ? () => widgetApi(server.url, { widgetToken: org.widget_token, device: randomHex(16), headers: ip }).start()
      : () => victim.api.send(victim.session, `flood ${n}`, `flood_${n}_${randomHex(4)}`);
    timed("flood", call, { latency: false }).then((r) => {
      if (newChat) {
        flood.sessionsTried++;
        count(flood.sessions, r.status);
      } else {
        if (r.status === 429) flood.refusal ??= r.json?.error?.message ?? r.text;
        flood.messagesTried++;
        count(flood.messages, r.status);
        if (r.status === 201) flood.acceptedIds.push(r.json.message.id);
      }
    }, () => {}).finally(() => inFlight--);
  }
}

// ------------------------------------------------------------------------------------------------------------------
// the server's process, sampled

function cpuSecs(p) {
  const fields = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}
const sampler = setInterval(() => {
  try {
    stats.samples.push({ t: Date.now() - t0, rss: rssBytes(pid), fds: fdCount(pid), cpuSecs: cpuSecs(pid), heldPolls,
      load: round(loadavg()[0], 2), minute: minuteOf(Date.now()) });
  } catch (err) {
    log(`sampler: ${err.message}`);
  }
}, cfg.sampleMs);

// ------------------------------------------------------------------------------------------------------------------
// the run

const startedAt = new Date();
const machineInfo = machine();
log(`ramp: ${cfg.visitors} visitors, ${cfg.tabs} long-polls each (load average ${loadavg().map((x) => round(x, 2)).join(" ")})`);
let rampError = null;
{
  let next = 0;
  const worker = async () => {
    while (next < cfg.visitors) {
      const i = next++;
      const v = await startVisitor(i);
      visitors[i] = v;
      bySession.set(v.session, v);
      for (let t = 0; t < cfg.tabs; t++) tab(v, t);
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker)).catch((err) => (rampError = err));
}
if (rampError) throw rampError;
const rampSecs = round((Date.now() - t0) / 1000, 1);
await sleep(3000); // every tab has polled once and is held
windowStart = Date.now();
const cpuAtWindowStart = process.cpuUsage();
log(`ramp done in ${rampSecs} s; ${heldPolls} long-polls held; measuring for ${cfg.minutes} min`);
const senders = visitors.map(sender);
const floodDone = floodLoop().catch((err) => log(`flood: ${err.message}`));
let lastMinute = 0;
const progress = setInterval(() => {
  const m = minuteOf(Date.now());
  if (m > lastMinute) {
    lagPerMinute.push({ minute: lastMinute, p99: round(lag.percentile(99) / 1e6, 1), max: round(lag.max / 1e6, 1) });
    lag.reset();
    lastMinute = m;
  }
  const s = stats.samples.at(-1);
  log(`minute ${m}: sends ${stats.latency.send.length}, replies ${replies.size}, 5xx ${fivexx()}, held ${heldPolls}, ` +
    `rss ${s ? round(s.rss / 1048576, 1) : "?"} MB, fds ${s?.fds}, load ${s?.load}`);
}, 30_000);
await sleep(cfg.minutes * 60_000);
const windowEnd = Date.now();
const loadCpu = process.cpuUsage(cpuAtWindowStart);
stopping = true;
stop();
clearInterval(progress);
lagPerMinute.push({ minute: lastMinute, p99: round(lag.percentile(99) / 1e6, 1), max: round(lag.max / 1e6, 1) });
log("window over: waiting for the last sends, replies and deliveries");
await Promise.all(senders);
await floodDone;
// The last replies: posted once their message reaches the agent, then delivered to every tab.
const settleDeadline = Date.now() + 40_000;
const undelivered = () => [...replies.entries()].filter(([id, r]) => bySession.get(r.session).seen.some((s) => !s.has(id))).length;
while (Date.now() < settleDeadline) {
  const repliedTo = new Set([...replies.values()].map((r) => r.to));
  const unanswered = visitors.reduce((n, v) => n + [...v.acked.keys()].filter((c) => !repliedTo.has(c)).length, 0);
  if (!unanswered && !inFlightReplies && !undelivered()) break;
  await sleep(500);
}
stopAll.abort();
await agentDone;
clearInterval(sampler);
const serverExit = await server.stop();
log(`server stopped (${JSON.stringify(serverExit)}); checking the database`);

// ------------------------------------------------------------------------------------------------------------------
// checks against the database

const check = checkDatabase(server.databasePath, { visitors, replies, flood: { session: flood.session, accepted: flood.acceptedIds.length } });
rmSync(tmp, { recursive: true, force: true });

// ------------------------------------------------------------------------------------------------------------------
// figures

const minutes = Array.from({ length: cfg.minutes }, (_, m) => m);
const perMinute = (kind) => minutes.map((m) => {
  const xs = stats.latency[kind].filter(([mm]) => mm === m).map(([, ms]) => ms);
  if (!xs.length) return { minute: m + 1, n: 0, p50: null, p99: null, max: null };
  return { minute: m + 1, n: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: Math.max(...xs) };
});
/** The least-squares slope of `key` per minute over the samples of the window's second half. */
function slope(key) {
  const half = windowStart - t0 + (windowEnd - windowStart) / 2;
  const points = stats.samples.filter((s) => s.t >= half && s.t <= windowEnd - t0).map((s) => [s.t / 60_000, s[key]]);
  const fit = leastSquares(points);
  return { ...fit, perMinute: fit.slope };
}
const inWindow = stats.samples.filter((s) => s.minute >= 0 && s.t <= windowEnd - t0);
const cpuWindow = inWindow.length > 1 ? (inWindow.at(-1).cpuSecs - inWindow[0].cpuSecs) / ((inWindow.at(-1).t - inWindow[0].t) / 1000) : null;
const floodSeconds = (windowEnd - windowStart) / 1000;
const results = {
  startedAt: startedAt.toISOString(),
  config: cfg,
  proxied,
  serveArgs: server.args,
  machine: { ...machineInfo, loadavgAtEnd: loadavg().map((x) => round(x, 2)) },
  rampSecs,
  windowSecs: round(floodSeconds, 1),
  serverStopped: serverExit,
  statuses: stats.statuses,
  errors: stats.errors,
  fivexx: fivexx(),
  // Answers the load never expects: anything but 2xx for a visitor's send, an agent's reply or a long-poll (429 would
  // mean a limit refuses ordinary visitors; 4xx a broken request).
  unexpected: Object.entries(stats.statuses).filter(([k]) => /^(send|reply|poll|agent-poll) /.test(k) && !/ 2\d\d$/.test(k))
    .map(([k, n]) => `${n} × ${k}`),
  check: { ...check, visitorLost: check.visitorLost.length, replyLost: check.replyLost.length, doubled: check.doubled.length,
    unacknowledgedStored: check.unacknowledgedStored.length, examples: {
      visitorLost: check.visitorLost.slice(0, 5), replyLost: check.replyLost.slice(0, 5), doubled: check.doubled.slice(0, 5),
      unacknowledgedStored: check.unacknowledgedStored.slice(0, 5) }, replyFailures: replyFailures.length },
  sessionsInDatabase: check.sessionRows,
  flood: { ...flood, acceptedIds: undefined, accepted: flood.acceptedIds.length, acceptedPerSecond: round(flood.acceptedIds.length / floodSeconds, 2),
    refused: floodRefused(flood) },
  server: {
    rss: { start: inWindow[0]?.rss, end: inWindow.at(-1)?.rss, max: Math.max(...inWindow.map((s) => s.rss)), lastHalf: slope("rss") },
    fds: { start: inWindow[0]?.fds, end: inWindow.at(-1)?.fds, max: Math.max(...inWindow.map((s) => s.fds)), lastHalf: slope("fds") },
    cpuCoresUsed: round(cpuWindow, 2),
    loadGeneratorCpuCores: round((loadCpu.user + loadCpu.system) / 1000 / (windowEnd - windowStart), 2),
    heldPolls: { min: Math.min(...inWindow.map((s) => s.heldPolls)), median: quantile(inWindow.map((s) => s.heldPolls), 0.5) },
  },
  perMinute: { send: perMinute("send"), reply: perMinute("reply"), delivery: perMinute("delivery") },
  eventLoopLag: lagPerMinute,
  samples: stats.samples,
};
writeFileSync(join(outDir, "soak.json"), JSON.stringify(results, null, 2));
log(`results in bench/out/soak.json: 5xx ${results.fivexx}; lost ${check.visitorLost.length + check.replyLost.length}, doubled ` +
  `${check.doubled.length}, deliveries lost ${check.deliveryLost} / doubled ${check.deliveryDoubled}; RSS slope ` +
  `${round((results.server.rss.lastHalf.perMinute ?? NaN) / 1024, 1)} KiB/min, fds slope ${round(results.server.fds.lastHalf.perMinute, 2)}/min`);
if (write) writeSection(results);
const problems = [
  [results.fivexx > 0, `${results.fivexx} answers were 5xx`],
  [results.unexpected.length > 0, `unexpected answers: ${results.unexpected.join(", ")}`],
  [!results.flood.refused, "the flood client was not refused"],
  [check.visitorLost.length + check.replyLost.length > 0, `${check.visitorLost.length + check.replyLost.length} acknowledged messages lost`],
  [check.doubled.length > 0, `${check.doubled.length} messages stored twice`],
  [check.deliveryLost + check.deliveryDoubled > 0, `deliveries: ${check.deliveryLost} missing, ${check.deliveryDoubled} doubled`],
  [check.unacknowledgedStored.length > 0, `${check.unacknowledgedStored.length} messages stored without an acknowledgement`],
  [!check.floodStoredMatches, "the flood's stored messages are not the accepted ones"],
].filter(([bad]) => bad).map(([, what]) => what);
if (problems.length) log(`FAILED: ${problems.join("; ")}`);
process.exit(problems.length ? 1 : 0);
