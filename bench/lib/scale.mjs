// Server throughput (server/examples/load.rs, against the real server and in-process with the limit lifted) and
// held long-poll connections with the server's RSS per connection.
import net from "node:net";
import { fdCount, rssBytes } from "../../testkit/proc.mjs";
import { randomHex, sleep } from "../../testkit/util.mjs";
import { run, round, log, median } from "./util.mjs";

export async function throughput({ loadBin, url, org, concurrency = [1, 100, 1000], seconds = 5, replies = 500 }) {
  const args = ["--concurrency", concurrency.join(","), "--seconds", String(seconds), "--floor"];
  const real = JSON.parse(await run(loadBin, [...args, "--replies", "0", "--url", url, "--widget-token", org.widget_token,
    "--secret-key", org.secret_key]));
  log("throughput: real server done");
  const inProcess = JSON.parse(await run(loadBin, [...args, "--replies", String(replies)]));
  return { seconds, concurrency, real, inProcess };
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/**
 * Opens `n` sockets, `batchSize` at a time, and writes `request(i)` on each, if given. With `pid`, each batch waits until the
 * server process has accepted the previous ones (its open files, /proc/<pid>/fd), so the listen backlog (see
 * `connectStorm`) never overflows and the time measured is the server's, not SYN retransmission timers'.
 */
async function openMany(port, n, request, batchSize = 50, pid = null) {
  const baseFds = pid ? fdCount(pid) : 0;
  const sockets = [];
  const answered = { count: 0 };
  for (let i = 0; i < n; i += batchSize) {
    const batch = await Promise.all(Array.from({ length: Math.min(batchSize, n - i) }, async (_, j) => {
      const s = await connect(port);
      s.on("error", () => {});
      s.once("data", () => answered.count++);
      if (request) s.write(request(i + j));
      return s;
    }));
    sockets.push(...batch);
    if (pid) {
      const started = Date.now();
      while (fdCount(pid) < baseFds + sockets.length - 2 && Date.now() - started < 2000) await sleep(2);
    }
  }
  return { sockets, answered };
}

async function settledRss(pid) {
  // Three readings 300 ms apart; the median absorbs a reading taken mid-allocation.
  const readings = [];
  for (let i = 0; i < 3; i++) {
    await sleep(300);
    readings.push(rssBytes(pid));
  }
  return median(readings);
}

/**
 * Waits (at most 35 s: longer than a held poll's 30 s) until the server has closed its ends of sockets the client closed
 * at `closedAt`; returns how long that took.
 */
async function released(pid, baseFds, closedAt) {
  while (fdCount(pid) > baseFds + 5 && Date.now() - closedAt < 35_000) await sleep(200);
  const releaseMs = Date.now() - closedAt;
  await sleep(500);
  return releaseMs;
}

/**
 * RSS at each of `seconds` after `closedAt` (one reading at each mark, so a mark is not blurred by the next): whether
 * the allocator gives the memory of closed connections back to the system, and how soon. The server is idle meanwhile.
 */
async function rssAfter(pid, closedAt, seconds) {
  const readings = {};
  for (const s of seconds) {
    const wait = closedAt + s * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
    readings[s] = rssBytes(pid);
  }
  return readings;
}

/**
 * Held long-polls and the server's RSS per connection. Every measurement runs on a fresh server process (its own
 * SQLite file and org), so memory the allocator kept from earlier sections, or from the previous measurement, does
 * not blur the difference: RSS with N held minus RSS of the same process idle (after a small warm-up), over N.
 * Baseline: N idle keep-alive TCP connections (accepted, no request sent) on another fresh process.
 */
/** The listen backlog as the kernel reports it (ss: Send-Q of the LISTEN socket), and how long `n` simultaneous connects take. */
async function connectStorm(server, n) {
  const port = Number(new URL(server.url).port);
  let backlog = null;
  try {
    const ss = await run("ss", ["-ltnH", `sport = :${port}`]);
    backlog = Number(ss.trim().split(/\s+/)[2]);
  } catch {}
  const t = Date.now();
  const { sockets } = await openMany(port, n, null, n);
  const ms = Date.now() - t;
  for (const s of sockets) s.destroy();
  await sleep(1000);
  return { backlog, simultaneous: n, allConnectedMs: ms };
}

/**
 * `afterCloseSeconds`: when, after the long-polls are closed, to read the server's RSS again (the target: back
 * within 20 % of the idle RSS a minute after 5,000 end); read for the long-polls only, not the idle TCP baseline.
 */
export async function heldLongPolls({ freshServer, counts = [1000, 5000], afterCloseSeconds = [1, 10, 60] }) {
  const results = [];
  let openFileLimit = null;
  // A reconnect storm (every widget re-polls at once after a restart) against the listen backlog, on its own process.
  let storm = null;
  {
    const { server } = await freshServer("storm");
    try {
      storm = await connectStorm(server, 1000);
    } finally {
      await server.stop();
    }
  }
  for (const n of counts) {
    const row = { connections: n };
    for (const kind of ["idleTcp", "longPoll"]) {
      const { server, org } = await freshServer(`${kind}-${n}`);
      openFileLimit = server.openFileLimit();
      try {
        const port = Number(new URL(server.url).port);
        const host = new URL(server.url).host;
        const longPoll = (wait) =>
          `GET /widget/v1/updates?after=0&wait=${wait} HTTP/1.1\r\nHost: ${host}\r\nX-Frontdesk-Widget-Token: ${org.widget_token}\r\n` +
          `X-Frontdesk-Device: ${randomHex(16)}\r\n\r\n`;
        // Warm-up: the code paths, the database pool and the runtime's worker threads, as a server that has served.
        const warm = await openMany(port, 50, () => longPoll(0), 50, server.pid);
        await sleep(500);
        for (const s of warm.sockets) s.destroy();
        await sleep(500);
        const baseFds = fdCount(server.pid);
        const before = await settledRss(server.pid);
        const t = Date.now();
        const opened = await openMany(port, n, kind === "longPoll" ? () => longPoll(30) : null, 50, server.pid);
        const openedMs = Date.now() - t;
        await sleep(2000); // let every request be read, authenticated, queried once and parked
        const rssWith = await settledRss(server.pid);
        const serverSockets = fdCount(server.pid) - baseFds;
        const answeredEarly = opened.answered.count;
        const h = Date.now();
        const health = await fetch(`${server.url}/healthz`);
        const healthzMs = Date.now() - h;
        for (const s of opened.sockets) s.destroy();
        const closedAt = Date.now();
        // Read alongside the wait for the release, so the 1 s mark is not late.
        const marks = kind === "longPoll" ? rssAfter(server.pid, closedAt, afterCloseSeconds) : null;
        const releaseMs = await released(server.pid, baseFds, closedAt);
        row[kind] = { rssBefore: before, rssWith, perConnection: round((rssWith - before) / n, 0), openedMs, serverSockets,
          answeredEarly, healthzWhileHeldMs: healthzMs, healthzStatus: health.status, releaseMs,
          rssAfterClose: await settledRss(server.pid) };
        if (marks) {
          // RSS at each mark after the close, and its ratio to the idle RSS before (the target: 1.2 at 60 s).
          const after = await marks;
          row[kind].rssAfterCloseAt = after;
          row[kind].rssAfterCloseRatio = Object.fromEntries(Object.entries(after).map(([s, rss]) => [s, round(rss / before, 2)]));
        }
      } finally {
        await server.stop();
      }
    }
    results.push(row);
    log(`long-polls: ${n} held, ${row.longPoll.perConnection} B each (idle TCP ${row.idleTcp.perConnection} B)`);
  }
  return { openFileLimit, storm, results };
}
