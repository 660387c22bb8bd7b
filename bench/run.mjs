// `npm run bench`: measures Frontdesk against baselines taken in the same run and rewrites BENCHMARKS.md.
// The npm script has already run scripts/setup.sh, scripts/build.sh (dist/web) and built the server's examples.
//
// Sections (each reported as a figure beside its baseline, as a ratio):
//   sizes     — gzip/brotli of the script-tag embed vs the peer widgets in bench/lib/sizes.mjs (npm pack), what the server sends, twiggy
//   startup   — load → launcher ready and blocking time, 4× CPU throttling: no widget / vanilla launcher / Frontdesk
//   latency   — agent reply → rendered in the widget vs a raw long-poll client
//   upload    — a 10 MB file sent through the widget vs `curl -F` to the same route
//   greeting  — load → the org's greeting bubbles in a widget opened at start vs the widget's own line, 4× CPU
//   typing    — a keystroke in the agent console → "… is typing…" in the widget vs the same signal API → raw long-poll
//   memory    — JS heap and wasm memory with a 1,000-message chat open vs the widget closed / no widget
//   throughput, longpolls — load.rs against the real server and in-process; held long-polls and RSS per connection
//   webhooks  — webhook delivery latency (reply sent → receiver called, 500 messages) and messages/s with 3 endpoints
//               registered beside none, alternating in one run
//   scaleout  — Postgres with 1 and 2 instances beside SQLite with 1: messages/s with 1,000 visitors, reply latency
//               across instances, database connections with 5,000 held long-polls (needs Postgres: FRONTDESK_TEST_POSTGRES_URL,
//               e.g. from `eval "$(scripts/postgres.sh up)"`, else postgres://postgres@127.0.0.1:5432/postgres; fresh
//               databases by testkit/postgres.mjs, dropped at the end)
//
// Environment: BENCH_ONLY=sizes,startup (a subset), BENCH_QUICK=1 (fewer repetitions, for working on the bench).
// `node bench/run.mjs --write-section scaleout` rewrites only that section of BENCHMARKS.md (and its summary rows)
// from bench/out/results.json, e.g. after `BENCH_ONLY=scaleout`, without running the rest again.
import { mkdtempSync, mkdirSync, cpSync, rmSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { run, log, machine, section, round } from "./lib/util.mjs";
import { frontdeskSizes, servedSizes, peerSizes, wasmBreakdown } from "./lib/sizes.mjs";
import { FrontdeskServer, serverBinary } from "../testkit/server.mjs";
import { launchChromium, TIMING_ARGS } from "../testkit/browser.mjs";
import { startPages } from "./lib/pages.mjs";
import { startup } from "./lib/startup.mjs";
import { replyLatency } from "./lib/latency.mjs";
import { memory } from "./lib/memory.mjs";
import { throughput, heldLongPolls } from "./lib/scale.mjs";
import { scaleout } from "./lib/scaleout.mjs";
import { writeReport, writeSections } from "./lib/report.mjs";
import { typingLatency } from "./lib/typing.mjs";
import { uploadThroughput } from "./lib/upload.mjs";
import { greetingStartup } from "./lib/greeting.mjs";
import { webhookBench } from "./lib/webhooks.mjs";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const root = join(benchDir, "..");
process.chdir(root);
const writeSectionAt = process.argv.indexOf("--write-section");
if (writeSectionAt >= 0) {
  // Only the named sections (comma-separated) of BENCHMARKS.md, from the results of an earlier run.
  const names = (process.argv[writeSectionAt + 1] || "").split(",").filter(Boolean);
  const saved = JSON.parse(readFileSync(join(benchDir, "out", "results.json"), "utf8"));
  writeSections(join(root, "BENCHMARKS.md"), saved, names);
  log(`BENCHMARKS.md: section${names.length > 1 ? "s" : ""} ${names.join(", ")} rewritten from bench/out/results.json`);
  process.exit(0);
}
// As the npm scripts see them: wasm-opt from node_modules (not Debian's), wasm-bindgen and twiggy from cargo.
process.env.PATH = [join(root, "node_modules/.bin"), join(process.env.HOME || "/root", ".cargo/bin"), process.env.PATH].join(":");
const startedAt = new Date();
const t0 = Date.now();
const quick = process.env.BENCH_QUICK === "1";
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(",")) : null;
const want = (name) => !only || only.has(name);
const config = {
  startupRuns: quick ? 5 : 30,
  latencyMessages: quick ? 50 : 500,
  typingRounds: quick ? 20 : 100,
  memoryMessages: 1000,
  memoryReps: quick ? 1 : 5,
  throughputSeconds: quick ? 2 : 4,
  concurrency: [1, 100, 1000],
  longPollCounts: [1000, 5000],
  webhooks: { messages: quick ? 50 : 500, seconds: quick ? 2 : 4, rounds: quick ? 1 : 3 },
  scaleout: { visitors: 1000, seconds: quick ? 2 : 4, rounds: quick ? 1 : 3, replies: quick ? 50 : 500, longPolls: 5000, poolSize: 8 },
};

const results = { startedAt: startedAt.toISOString(), quick, config, machine: machine() };
const tmp = mkdtempSync(join(tmpdir(), "frontdesk-bench-"));
const outDir = join(benchDir, "out");
mkdirSync(outDir, { recursive: true });
let server = null;
let pages = null;
let browser = null;

try {
  // The server binary (the npm script built the examples; the binary may not be among them).
  log("building target/release/frontdesk-server (cargo, quiet; a no-op when up to date)");
  await run("cargo", ["build", "-q", "--release", "-p", "frontdesk-server", "--bins", "--examples"]);
  const needServer = ["sizes", "startup", "greeting", "latency", "typing", "upload", "memory", "throughput", "longpolls"].some(want);
  // A snapshot of the embed: a rebuild of dist/web during the run (another engineer, the lead) cannot change what
  // is measured half-way. Served by the real server as its --public-dir. (The scale-out section serves no files.)
  const publicDir = join(tmp, "web");
  if (needServer) {
    if (!existsSync("dist/web/frontdesk_bg.wasm")) {
      log("dist/web is missing: running scripts/build.sh");
      await run("bash", ["scripts/build.sh"]);
    }
    cpSync("dist/web", publicDir, { recursive: true });
    results.embed = { widgetJsVersion: (readFileSync(join(publicDir, "widget.js"), "utf8").match(/var version = "([^"]+)"/) || [])[1] ?? null };
  }

  if (want("sizes")) {
    await section("sizes", results, async () => ({
      frontdesk: frontdeskSizes(publicDir),
      peers: await peerSizes(tmp),
      wasm: await wasmBreakdown({ root, tmp }),
    }));
  }

  // Every visitor of the bench comes from 127.0.0.1, so the limits per client address (and per org) would refuse
  // the thousands of chats and long-polls it opens on purpose: they are lifted here, and only here.
  const BENCH_SERVE_ARGS = ["--sessions-per-ip", "0", "--new-devices-per-ip", "0", "--new-devices-per-org", "0",
    "--sessions-per-org", "0", "--long-polls-per-ip", "10000", "--long-polls-per-identity", "10000",
    "--max-connections", "12000"];
  if (needServer) {
    // Every server of the run: the release binary on its own SQLite file, serving the embed snapshot, with an org
    // that allows the bench pages and an agent, made through the CLI as an operator would.
    const freshServer = async (name) => {
      const dir = join(tmp, name);
      mkdirSync(dir);
      const s = await FrontdeskServer.create({ binary: serverBinary("release"), publicDir, dir, raiseFileLimit: true,
        args: BENCH_SERVE_ARGS, logPath: join(outDir, name === "main" ? "server.log" : `server-${name}.log`) });
      const org = await s.createOrg("Bench site", [pages.origin]);
      org.agent_key = await s.createAgent(org.widget_token, "Bench agent");
      await s.start();
      log(`frontdesk-server ${name}: pid ${s.pid} at ${s.url}, open-file limit ${s.openFileLimit()}`);
      return { server: s, org };
    };
    let org = null;
    let greetingOrg = null;
    pages = await startPages({ benchDir, config: () => ({ widgetToken: org?.widget_token, greetingToken: greetingOrg?.widget_token, frontdeskUrl: server?.url }) });
    ({ server, org } = await freshServer("main"));
    results.servers = { frontdesk: server.url, pages: pages.origin, openFileLimit: server.openFileLimit() };

    if (want("sizes")) await section("served", results, () => servedSizes(server.url));

    if (["startup", "greeting", "latency", "typing", "upload", "memory"].some(want)) browser = await launchChromium({ args: TIMING_ARGS });
    if (want("startup")) await section("startup", results, () => startup(browser, pages.origin, { runs: config.startupRuns }));
    if (want("greeting")) {
      // A second org, with a greeting and questions, on the same server.
      greetingOrg = await server.createOrg("Bench site with a greeting", [pages.origin]);
      await server.updateOrg(greetingOrg.widget_token, ["--greeting", "Hi! How can we help?", "--greeting", "We usually answer within minutes.",
        "--suggested-question", "Where is my order?", "--suggested-question", "Can I change my plan?"]);
      await section("greeting", results, () => greetingStartup(browser, pages.origin, { runs: config.startupRuns }));
    }
    if (want("latency")) {
      await section("latency", results, () =>
        replyLatency(browser, { url: server.url, pagesOrigin: pages.origin, org, messages: config.latencyMessages }));
    }
    if (want("typing")) {
      await section("typing", results, () =>
        typingLatency(browser, { url: server.url, pagesOrigin: pages.origin, org, rounds: config.typingRounds }));
    }
    if (want("upload")) {
      await section("upload", results, () =>
        uploadThroughput(browser, { url: server.url, pagesOrigin: pages.origin, org, tmp }));
    }
    if (want("memory")) {
      await section("memory", results, () =>
        memory(browser, { url: server.url, pagesOrigin: pages.origin, org, messages: config.memoryMessages, reps: config.memoryReps }));
    }
    if (browser) {
      await browser.close();
      browser = null;
    }
    if (want("throughput")) {
      await section("throughput", results, () =>
        throughput({ loadBin: join(root, "target/release/examples/load"), url: server.url, org,
          concurrency: config.concurrency, seconds: config.throughputSeconds, replies: config.latencyMessages }));
    }
    if (want("longpolls")) {
      await section("longpolls", results, () => heldLongPolls({ freshServer, counts: config.longPollCounts }));
    }
  }
  if (want("webhooks")) {
    // A server of its own (with --allow-private-webhooks: its receivers are on 127.0.0.1).
    await section("webhooks", results, () =>
      webhookBench({ serverBinary: serverBinary("release"), tmp, outDir, serveArgs: BENCH_SERVE_ARGS, ...config.webhooks }));
  }
  if (want("scaleout")) {
    // After the other sections, with their servers stopped: this one starts its own (SQLite and Postgres).
    if (server) {
      await server.stop();
      server = null;
    }
    await section("scaleout", results, () =>
      scaleout({ serverBinary: serverBinary("release"), loadBin: join(root, "target/release/examples/load"), tmp, outDir,
        serveArgs: BENCH_SERVE_ARGS, ...config.scaleout }));
  }
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
  if (pages) await pages.close();
  rmSync(tmp, { recursive: true, force: true });
}

results.machine.loadavgAtEnd = (await import("node:os")).loadavg().map((x) => round(x, 2));
results.wallSeconds = round((Date.now() - t0) / 1000, 0);
results.npmScriptSeconds = npmScriptSeconds();
writeFileSync(join(outDir, "results.json"), JSON.stringify(results, null, 2));
if (!only) {
  writeReport(join(root, "BENCHMARKS.md"), results);
  log(`BENCHMARKS.md written (bench ${results.wallSeconds} s; npm run bench ${results.npmScriptSeconds ?? "?"} s so far)`);
} else {
  log(`BENCH_ONLY set: results in bench/out/results.json, BENCHMARKS.md left alone`);
}

/** Seconds since the npm script's shell started (it ran setup and the builds before this file), when run by npm. */
function npmScriptSeconds() {
  try {
    const cmdline = readFileSync(`/proc/${process.ppid}/cmdline`, "utf8");
    if (!cmdline.includes("bench/run.mjs")) return null;
    const startTicks = Number(readFileSync(`/proc/${process.ppid}/stat`, "utf8").split(") ")[1].split(" ")[19]);
    const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    return round(uptime - startTicks / 100, 0);
  } catch {
    return null;
  }
}
