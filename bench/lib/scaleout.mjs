// Scale-out: the release server on Postgres, one and two instances on one database, beside the SQLite single
// instance in the same run. Messages/s with 1,000 visitors (server/examples/load.rs spreading its visitors round robin
// over the instances), agent reply → widget long-poll latency on the same instance and across instances, and the
// database connections in use while 5,000 long-polls are held. For the throughput runs it also records where the
// machine's CPU went (servers, Postgres, the load generator, everything else) and what Postgres's connections were
// doing (wait events sampled from pg_stat_activity), so a missed target comes with what dominates.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import { join } from "node:path";
import pg from "pg";
import { FrontdeskServer } from "../../testkit/server.mjs";
import { PostgresDatabase, postgresAdminUrl, redact } from "../../testkit/postgres.mjs";
import { fdCount } from "../../testkit/proc.mjs";
import { randomHex, sleep } from "../../testkit/util.mjs";
import { run, round, log, median, commandOutput } from "./util.mjs";

// ---- Postgres for the bench -----------------------------------------------------------------------------------------

/** The Postgres the bench makes its databases on: FRONTDESK_TEST_POSTGRES_URL (as `scripts/postgres.sh up` exports it),
 * else the local default. */
export const ADMIN_URL = postgresAdminUrl() || "postgres://postgres@127.0.0.1:5432/postgres";

/** A fresh database (testkit/postgres.mjs), named `frontdesk_bench_…`; `drop()` when done. */
const createDatabase = () => PostgresDatabase.create({ adminUrl: ADMIN_URL, prefix: "frontdesk_bench" });

/** Runs `statements` one after another (each its own transaction) on one connection to `url`; the last one's first row. */
async function query(statements, url = ADMIN_URL) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    let last = null;
    for (const statement of [statements].flat()) last = await client.query(statement);
    return last?.rows?.[0] ?? null;
  } finally {
    await client.end().catch(() => {});
  }
}

// ---- Where the CPU goes --------------------------------------------------------------------------------------------

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process (all its threads), in clock ticks, and its parent; null once it is gone. */
function procStat(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

const cmdline = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
  } catch {
    return "";
  }
};

/** Busy and total ticks of the whole machine (/proc/stat). */
function machineTicks() {
  const [, ...v] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = v;
  return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** The postmaster's pid when Postgres runs on this machine (the parent of its checkpointer), else null. */
async function postmasterPid() {
  try {
    const pid = Number((await query("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'"))?.pid);
    return procStat(pid)?.ppid ?? null;
  } catch {
    return null;
  }
}

/**
 * CPU used between `start()` and `stop()`, in cores (CPU seconds ÷ wall seconds), by: the given processes (servers,
 * the load generator), Postgres's backends serving `database`, Postgres's own background processes, Postgres's other
 * clients, and everything else on the machine.
 */
class CpuWindow {
  constructor({ processes, postmaster, database }) {
    this.processes = processes; // { label: pid }
    this.postmaster = postmaster;
    this.database = database;
  }

  snapshot() {
    const procs = {};
    for (const [label, pid] of Object.entries(this.processes)) procs[label] = procStat(pid)?.ticks ?? null;
    const pg = new Map();
    if (this.postmaster) {
      for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        const pid = Number(entry);
        const s = procStat(pid);
        if (!s || (s.ppid !== this.postmaster && pid !== this.postmaster)) continue;
        pg.set(pid, { ticks: s.ticks, cmd: cmdline(pid) });
      }
    }
    return { at: performance.now(), procs, pg, machine: machineTicks() };
  }

  start() {
    this.first = this.snapshot();
  }

  stop() {
    const last = this.snapshot();
    const seconds = (last.at - this.first.at) / 1000;
    const cores = (ticks) => round(ticks / TICKS_PER_SECOND / seconds, 2);
    const result = { seconds: round(seconds, 2), cores: {} };
    let accounted = 0;
    for (const label of Object.keys(this.processes)) {
      const t = last.procs[label] - this.first.procs[label];
      result.cores[label] = cores(t);
      accounted += t;
    }
    if (this.postmaster) {
      const groups = { postgresThisDatabase: 0, postgresBackground: 0, postgresOtherClients: 0 };
      for (const [pid, now] of last.pg) {
        // A process started during the window used all its ticks in it.
        const t = now.ticks - (this.first.pg.get(pid)?.ticks ?? 0);
        const group = now.cmd.includes(` ${this.database} `) ? "postgresThisDatabase"
          : /\(\d+\)/.test(now.cmd) || /\[local\]/.test(now.cmd) ? "postgresOtherClients" : "postgresBackground";
        groups[group] += t;
        accounted += t;
      }
      for (const [k, t] of Object.entries(groups)) result.cores[k] = cores(t);
    }
    const busy = last.machine.busy - this.first.machine.busy;
    const total = last.machine.total - this.first.machine.total;
    result.cores.machineBusy = cores(busy);
    result.cores.everythingElse = cores(Math.max(0, busy - accounted));
    result.machineBusyShare = round(busy / total, 3);
    return result;
  }
}

// ---- What Postgres's connections are doing --------------------------------------------------------------------------

/**
 * Samples pg_stat_activity for `database` every `intervalMs` for `seconds`, inside Postgres (one connection, to
 * the maintenance database, so the sampler is not among what it counts): per sample the connections by state, and
 * over all samples how often each (state, wait event) was seen. An active connection with no wait event is on CPU.
 */
function sampleActivity(database, seconds, intervalMs = 50) {
  const n = Math.max(1, Math.round((seconds * 1000) / intervalMs));
  const statements = [
    "CREATE TEMP TABLE samples (t int, state text, wait text, backend_type text, holder boolean, waiting_for text)",
    `DO $$
BEGIN
  FOR i IN 1..${n} LOOP
    PERFORM pg_stat_clear_snapshot();
    INSERT INTO samples
      WITH l AS MATERIALIZED (SELECT pid, locktype, granted, classid, objid FROM pg_locks WHERE pid IS NOT NULL)
      SELECT i, coalesce(a.state, ''),
        CASE WHEN a.state = 'active' AND a.wait_event IS NULL THEN 'on CPU'
             ELSE coalesce(a.wait_event_type || ':' || a.wait_event, 'none') END,
        a.backend_type,
        a.pid IN (SELECT pid FROM l WHERE locktype = 'advisory' AND granted),
        (SELECT string_agg(DISTINCT CASE WHEN l.locktype = 'object' THEN l.locktype || ' ' || l.classid::regclass::text || ' ' || l.objid
                                         ELSE l.locktype END, ',')
           FROM l WHERE l.pid = a.pid AND NOT l.granted)
      FROM pg_stat_activity a WHERE a.datname = '${database}' AND a.pid <> pg_backend_pid();
    PERFORM pg_sleep(${intervalMs / 1000});
  END LOOP;
END $$`,
    `SELECT json_build_object(
  'samples', ${n},
  'intervalMs', ${intervalMs},
  'perSample', (SELECT json_agg(json_build_object('total', coalesce(c.total, 0), 'active', coalesce(c.active, 0)) ORDER BY g)
                FROM generate_series(1, ${n}) g
                LEFT JOIN (SELECT t, count(*) AS total, count(*) FILTER (WHERE state = 'active') AS active FROM samples GROUP BY t) c ON c.t = g),
  'events', (SELECT coalesce(json_agg(e ORDER BY e.seen DESC), '[]') FROM
               (SELECT state, wait, count(*) AS seen FROM samples WHERE backend_type = 'client backend' GROUP BY state, wait) e),
  'holder', (SELECT coalesce(json_agg(e ORDER BY e.seen DESC), '[]') FROM
               (SELECT state, wait, count(*) AS seen FROM samples WHERE holder GROUP BY state, wait) e),
  'heldSamples', (SELECT count(DISTINCT t) FROM samples WHERE holder),
  'waitingFor', (SELECT coalesce(json_agg(e ORDER BY e.seen DESC), '[]') FROM
               (SELECT waiting_for AS lock, count(*) AS seen FROM samples WHERE waiting_for IS NOT NULL GROUP BY waiting_for) e)
) AS r`,
  ];
  return query(statements).then(({ r }) => {
    const totals = r.perSample.map((s) => s.total);
    const actives = r.perSample.map((s) => s.active);
    const activeSeen = r.events.filter((e) => e.state === "active").reduce((a, e) => a + e.seen, 0);
    return {
      samples: r.samples, intervalMs: r.intervalMs,
      connections: { max: Math.max(...totals), median: median(totals), min: Math.min(...totals) },
      active: { max: Math.max(...actives), median: median(actives), mean: round(actives.reduce((a, b) => a + b, 0) / actives.length, 2) },
      // What the active connections were doing, as shares of all active observations.
      activeBy: r.events.filter((e) => e.state === "active").map((e) => ({ wait: e.wait, seen: e.seen, share: round(e.seen / activeSeen, 3) })),
      // The connection holding an advisory lock (the per-org message lock), when one did: what it was doing. "idle in
      // transaction" = waiting for the server's next statement of its transaction.
      lockHeldShare: round(r.heldSamples / r.samples, 3),
      // The locks that waiting connections were queued for (`object pg_database 0`: the lock Postgres takes at the
      // commit of any transaction that sent a NOTIFY, held until the commit is flushed).
      waitingFor: r.waitingFor,
      holderBy: r.holder.map((e) => ({ state: e.state, wait: e.wait, seen: e.seen, share: round(e.seen / r.holder.reduce((a, x) => a + x.seen, 0), 3) })),
      events: r.events,
      perSample: r.perSample,
    };
  });
}

/** Postgres settings that decide what a commit costs, as the server reports them. */
async function postgresSettings() {
  const names = ["server_version", "max_connections", "shared_buffers", "synchronous_commit", "fsync", "wal_sync_method", "commit_delay"];
  return (await query(`SELECT json_object_agg(name, setting || coalesce(unit, '')) AS s FROM pg_settings
    WHERE name IN (${names.map((n) => `'${n}'`).join(", ")})`)).s;
}

/**
 * What a commit costs on this Postgres right now, one after another with nothing else in the way: 200 single-row
 * inserts each committed, inside the database (a DO block, so no client round trip), with its WAL flush
 * (`synchronous_commit = on`) and without. The disk's flush time varies with what else the machine's disk is doing,
 * so this is measured beside each round.
 */
async function commitCost(databaseUrl, n = 200) {
  const { r } = await query([
    "CREATE TABLE IF NOT EXISTS bench_commit_probe (x int)",
    "CREATE TEMP TABLE probe_result (sync text, seconds float8)",
    `DO $$
DECLARE t0 timestamptz;
BEGIN
  FOR round IN 1..2 LOOP
    IF round = 2 THEN SET synchronous_commit = off; END IF;
    t0 := clock_timestamp();
    FOR i IN 1..${n} LOOP
      INSERT INTO bench_commit_probe VALUES (i);
      COMMIT;
    END LOOP;
    INSERT INTO probe_result VALUES (current_setting('synchronous_commit'), extract(epoch FROM clock_timestamp() - t0));
    COMMIT;
  END LOOP;
END $$`,
    "SELECT json_object_agg(sync, seconds) AS r FROM probe_result",
  ], databaseUrl);
  await query("DROP TABLE bench_commit_probe", databaseUrl);
  return { commits: n, flushedMs: round((r.on * 1000) / n, 3), unflushedMs: round((r.off * 1000) / n, 3) };
}

// ---- A profile (perf) --------------------------------------------------------------------------------------------

/** What a Postgres backend's sample was doing: the first of these whose function is on its stack. */
const POSTGRES_WORK = [
  ["listening connections reading the NOTIFY queue", ["ProcessNotifyInterrupt", "asyncQueueReadAllNotifications", "ProcessIncomingNotify"]],
  ["commit (WAL flush, NOTIFY queue, releasing locks)", ["CommitTransactionCommand"]],
  ["the messages trigger (UPDATE sessions, pg_notify)", ["plpgsql_exec_trigger"]],
  ["row lookups: heap fetches behind index scans (visibility checks)", ["index_fetch_heap"]],
  ["executing statements, other", ["standard_ExecutorRun", "PortalRun"]],
  ["preparing statements (parse, plan cache, executor start)", ["PortalStart", "GetCachedPlan", "exec_parse_message", "exec_bind_message", "pg_parse_query"]],
  ["reading from the server's socket", ["pq_getbyte", "secure_read", "pq_getmessage"]],
  ["writing to the server's socket", ["pq_flush", "secure_write", "internal_flush"]],
  ["waiting for a lock (lock manager)", ["LockAcquireExtended", "ProcSleep"]],
];
/** What a server thread's sample was in: the crate of the innermost function with a known name (Rust symbols). */
const SERVER_CRATES = [["sqlx (the database driver)", "sqlx"], ["hyper (HTTP)", "hyper"], ["serde / serde_json", "serde"],
  ["tracing (request logs)", "tracing"], ["axum / tower (routing, middleware)", "axum"], ["axum / tower (routing, middleware)", "tower"],
  ["frontdesk_server (the server's own code)", "frontdesk_server"], ["tokio (runtime, sockets)", "tokio"],
  ["allocator", "malloc"], ["allocator", "free"], ["allocator", "realloc"]];

const share = (counter, total) => Object.entries(counter).sort((a, b) => b[1] - a[1]).map(([what, n]) => ({ what, samples: n, share: round(n / total, 3) }));

/**
 * `perf record -a -g` for `seconds` (when perf is installed), then every sample sorted by process — the servers, the
 * load generators, Postgres, idle, other — and, for Postgres's backends and the servers, by what their stacks show.
 */
async function profile(seconds, { servers, loads }, tmp) {
  const data = join(tmp, `perf-${randomHex(4)}.data`);
  await run("perf", ["record", "-F", "499", "-a", "-g", "-q", "-o", data, "--", "sleep", String(seconds)]);
  const script = await new Promise((resolve, reject) => {
    const child = spawn("perf", ["script", "-i", data, "-F", "comm,pid,ip,sym"], { stdio: ["ignore", "pipe", "ignore"] });
    const chunks = [];
    child.stdout.on("data", (d) => chunks.push(d));
    child.on("error", reject);
    child.on("exit", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
  rmSync(data, { force: true });
  const by = {};
  const postgres = {};
  const server = {};
  let total = 0;
  const count = (counter, key) => (counter[key] = (counter[key] ?? 0) + 1);
  for (const sample of script.split(/\n(?=\S)/)) {
    const [head, ...frames] = sample.split("\n").filter((l) => l.trim());
    if (!head) continue;
    const [comm, pidText] = head.trim().split(/\s+/);
    const pid = Number(pidText);
    const stack = frames.map((l) => {
      const [ip, ...sym] = l.trim().split(/\s+/);
      return { kernel: ip.startsWith("ffffffff"), sym: sym.join(" ").replace(/\+0x[0-9a-f]+$/, "") };
    });
    total++;
    const group = servers.includes(pid) ? "servers" : loads.includes(pid) ? "load generator" : comm === "postgres" ? "Postgres"
      : comm === "swapper" ? "idle" : "other processes";
    count(by, group);
    if (group === "Postgres") {
      const found = POSTGRES_WORK.find(([, fns]) => stack.some((f) => fns.includes(f.sym)));
      count(postgres, found ? found[0] : stack[0]?.kernel ? "kernel, other (scheduling, network)" : "other");
    } else if (group === "servers") {
      const leaf = stack[0];
      const crate = leaf?.kernel ? "kernel (system calls, network, scheduling)"
        : stack.map((f) => SERVER_CRATES.find(([, needle]) => f.sym.includes(needle))?.[0]).find(Boolean) ?? "other";
      count(server, crate);
    }
  }
  const sum = (c) => Object.values(c).reduce((a, b) => a + b, 0);
  return { seconds, frequency: 499, samples: total, processes: share(by, total), postgres: share(postgres, sum(postgres)),
    servers: share(server, sum(server)) };
}

// ---- The load generator --------------------------------------------------------------------------------------------

/**
 * Starts load.rs with `args`; `onEvent(event)` hears its stderr's "ready" (visitors made, waiting for `go()` when run
 * with --go-on-stdin), "start" and "end" (of the sending window). `done` resolves to its JSON.
 */
function startLoad(loadBin, args, onEvent = () => {}) {
  const child = spawn(loadBin, args, { stdio: ["pipe", "pipe", "pipe"] });
  const done = new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    let partial = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => {
      err += d;
      partial += d;
      const lines = partial.split("\n");
      partial = lines.pop();
      for (const line of lines) {
        const m = line.match(/^(ready|window start|window end) /);
        if (m) onEvent(m[1].replace("window ", ""));
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load exited ${code}: ${err.slice(-2000)}`))));
  });
  return { pid: child.pid, go: () => child.stdin.write("go\n"), done };
}

const runLoad = (loadBin, args) => startLoad(loadBin, args).done;

// ---- Held long-polls and connections --------------------------------------------------------------------------------

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** `n` sockets each sending `request(i)`, 50 at a time, each batch once the server process holds the previous ones. */
async function openLongPolls(port, pid, n, request) {
  const baseFds = fdCount(pid);
  const sockets = [];
  const answered = { count: 0 };
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, async (_, j) => {
      const s = await connect(port);
      s.on("error", () => {});
      s.once("data", () => answered.count++);
      s.write(request(i + j));
      return s;
    }));
    sockets.push(...batch);
    const started = Date.now();
    while (fdCount(pid) < baseFds + sockets.length - 2 && Date.now() - started < 2000) await sleep(2);
  }
  return { sockets, answered };
}

// ---- The section -----------------------------------------------------------------------------------------------------

export async function scaleout({ serverBinary, loadBin, tmp, outDir, serveArgs, visitors = 1000, seconds = 4, rounds = 3,
  replies = 500, longPolls = 5000, poolSize = 8 }) {
  const databases = [];
  const servers = [];
  const loadavg = () => os.loadavg().map((x) => round(x, 2));
  const results = { startedAt: new Date().toISOString(), loadavgAtStart: loadavg(), visitors, seconds, rounds, replies, longPolls,
    poolSize, postgresUrl: redact(ADMIN_URL) };
  const serve = async (name, database) => {
    const dir = join(tmp, `scaleout-${name}`);
    mkdirSync(dir);
    const s = await FrontdeskServer.create({ binary: serverBinary, publicDir: null, dir, raiseFileLimit: true, database,
      args: [...serveArgs, "--database-max-connections", String(poolSize)], logPath: join(outDir, `server-scaleout-${name}.log`) });
    servers.push(s);
    return s;
  };
  const start = async (s) => {
    await s.start();
    log(`scaleout: ${s.url} pid ${s.pid} on ${s.database.startsWith("sqlite") ? "SQLite" : redact(s.database)}`);
    return s;
  };
  const withOrg = async (s) => {
    const org = await s.createOrg("Bench site");
    org.agent_key = await s.createAgent(org.widget_token, "Bench agent");
    return org;
  };
  const stopAll = async () => {
    for (const s of servers.splice(0)) await s.stop();
  };
  try {
    results.postgres = await postgresSettings();
    const postmaster = await postmasterPid();
    results.postgresOnThisMachine = postmaster !== null;
    // The installations: SQLite (one instance), Postgres with one instance, Postgres with two (one database each, so
    // the single instance's database has no second listener).
    const sqlite = await serve("sqlite");
    const sqliteOrg = await withOrg(sqlite);
    await start(sqlite);
    const db1 = await createDatabase();
    databases.push(db1);
    const pgOne = await serve("pg-one", db1.url);
    const pgOneOrg = await withOrg(pgOne);
    await start(pgOne);
    const db2 = await createDatabase();
    databases.push(db2);
    const pgA = await serve("pg-a", db2.url);
    const pgB = await serve("pg-b", db2.url);
    const pairOrg = await withOrg(pgA);
    await start(pgA);
    await start(pgB);
    // Diagnostic, not a recommended set-up: the pair again on a database whose commits do not wait for the WAL flush
    // (synchronous_commit = off for this database only), the durability SQLite's WAL with synchronous=NORMAL gives:
    // how much of a message's cost is the flush.
    const db4 = await createDatabase();
    databases.push(db4);
    await query(`ALTER DATABASE ${db4.name} SET synchronous_commit = off`);
    const asyncA = await serve("pg-async-a", db4.url);
    const asyncB = await serve("pg-async-b", db4.url);
    const asyncOrg = await withOrg(asyncA);
    await start(asyncA);
    await start(asyncB);
    const keys = (org) => ["--widget-token", org.widget_token, "--secret-key", org.secret_key];

    // 1. Reply → long-poll latency, one reply at a time. On the pair, replies through A and through B alternate,
    // all answered on one long-poll held on A.
    log(`scaleout: latency, ${replies} replies on SQLite, ${replies} + ${replies} on the Postgres pair`);
    const timed = async (args, servers, database) => {
      const load = startLoad(loadBin, args);
      const cpu = new CpuWindow({ processes: { ...Object.fromEntries(servers.map((s, i) => [`server${i + 1}`, s.pid])), load1: load.pid },
        postmaster, database });
      cpu.start();
      const report = await load.done;
      return { report, cpu: cpu.stop() };
    };
    const sqliteLatency = await timed(["--concurrency", "0", "--replies", String(replies), "--url", sqlite.url, ...keys(sqliteOrg)], [sqlite], "\0");
    const pairLatency = await timed(["--concurrency", "0", "--replies", String(replies), "--url", pgA.url, "--reply-url", pgB.url,
      ...keys(pairOrg)], [pgA, pgB], db2.name);
    results.latency = {
      sqliteSameInstance: sqliteLatency.report.reply_to_long_poll_latency,
      postgresSameInstance: pairLatency.report.reply_to_long_poll_latency,
      postgresCrossInstance: pairLatency.report.cross_instance_reply_latency.figures,
      cpu: { sqlite: sqliteLatency.cpu, postgres: pairLatency.cpu },
    };
    log(`scaleout: cross-instance p99 ${results.latency.postgresCrossInstance.p99_ms} ms, same-instance ${results.latency.postgresSameInstance.p99_ms} ms`);

    // 2. Throughput with `visitors` visitors, the set-ups interleaved round by round. A set-up with several orgs runs
    // one load.rs per org at once (the visitors split between them) and adds their figures up.
    const pairOrgs = [];
    for (let i = 0; i < 4; i++) pairOrgs.push(await withOrg(pgA));
    const setups = [
      { key: "sqlite", label: "SQLite, 1 instance", servers: [sqlite], orgs: [sqliteOrg], database: null },
      { key: "postgres1", label: "Postgres, 1 instance", servers: [pgOne], orgs: [pgOneOrg], database: db1.name },
      { key: "postgres2", label: "Postgres, 2 instances", servers: [pgA, pgB], orgs: [pairOrg], database: db2.name },
      { key: "postgres2Async", label: "Postgres, 2 instances, synchronous_commit = off (diagnostic)", servers: [asyncA, asyncB],
        orgs: [asyncOrg], database: db4.name, diagnostic: true },
      { key: "postgres2Orgs", label: `Postgres, 2 instances, the visitors in ${pairOrgs.length} orgs (diagnostic)`, servers: [pgA, pgB],
        orgs: pairOrgs, database: db2.name, diagnostic: true },
    ];
    results.throughput = Object.fromEntries(setups.map((s) => [s.key,
      { label: s.label, instances: s.servers.length, orgs: s.orgs.length, diagnostic: Boolean(s.diagnostic), runs: [] }]));
    /** One run of `setup`; with `profiled`, under perf instead of the CPU and activity sampling. */
    const measure = async (setup, profiled = false) => {
      const serverPids = Object.fromEntries(setup.servers.map((s, i) => [`server${i + 1}`, s.pid]));
      const per = Math.round(visitors / setup.orgs.length);
      let ready = 0;
      let ended = 0;
      let cpu = null;
      let cpuUsed = null;
      let sampling = null;
      let profiling = null;
      // Each load.rs makes its visitors, then all send at once (--go-on-stdin); the window ends when the first stops.
      const loads = setup.orgs.map((org) => startLoad(loadBin, ["--concurrency", String(per), "--seconds", String(seconds), "--replies", "0",
        "--go-on-stdin", "--url", setup.servers.map((s) => s.url).join(","), ...keys(org)], (event) => {
        if (event === "ready" && ++ready === loads.length) {
          if (profiled) {
            profiling = profile(seconds, { servers: Object.values(serverPids), loads: loads.map((l) => l.pid) }, tmp)
              .catch((e) => ({ error: String(e.message || e) }));
          } else {
            cpu = new CpuWindow({ processes: { ...serverPids, ...Object.fromEntries(loads.map((l, i) => [`load${i + 1}`, l.pid])) }, postmaster,
              database: setup.database ?? "\0" });
            cpu.start();
            if (setup.database) sampling = sampleActivity(setup.database, seconds).catch((e) => ({ error: String(e.message || e) }));
          }
          for (const l of loads) l.go();
        } else if (event === "end" && ++ended === 1 && cpu) {
          cpuUsed = cpu.stop();
        }
      }));
      const reports = await Promise.all(loads.map((l) => l.done));
      const each = reports.map((x) => x.visitor_send_throughput[0]);
      const t = each.length === 1 ? each[0] : {
        concurrency: each.reduce((a, x) => a + x.concurrency, 0),
        seconds: Math.max(...each.map((x) => x.seconds)),
        accepted: each.reduce((a, x) => a + x.accepted, 0),
        messages_per_second: each.reduce((a, x) => a + x.messages_per_second, 0),
        // Several processes: the median of their medians and the worst of their p99s.
        send_median_ms: median(each.map((x) => x.send_median_ms)),
        send_p99_ms: Math.max(...each.map((x) => x.send_p99_ms)),
        rate_limited: each.reduce((a, x) => a + x.rate_limited, 0),
        failed: each.reduce((a, x) => a + x.failed, 0),
        accepted_per_instance: each[0].accepted_per_instance.map((_, i) => each.reduce((a, x) => a + x.accepted_per_instance[i], 0)),
        processes: each,
      };
      return { ...t, cpu: cpuUsed, activity: sampling ? await sampling : null, ...(profiled ? { profile: await profiling } : {}) };
    };
    results.commitCost = [];
    for (let r = 0; r < rounds; r++) {
      const cost = await commitCost(db1.url);
      results.commitCost.push({ round: r + 1, ...cost });
      log(`scaleout: round ${r + 1}: a commit on Postgres takes ${cost.flushedMs} ms with its flush, ${cost.unflushedMs} ms without`);
      for (const setup of setups) {
        const t = { round: r + 1, ...(await measure(setup)) };
        results.throughput[setup.key].runs.push(t);
        log(`scaleout: round ${r + 1}, ${setup.label}: ${t.messages_per_second}/s, p99 ${t.send_p99_ms} ms (per instance ${t.accepted_per_instance.join(" + ")})`);
        await sleep(1000);
      }
    }
    // One more run of the 2-instance set-up, under perf (not among the rounds: the profiler costs CPU too).
    if (postmaster && commandOutput("perf", ["--version"])) {
      const profiled = await measure(setups.find((x) => x.key === "postgres2"), true);
      results.profile = { messages_per_second: profiled.messages_per_second, ...profiled.profile };
      log(`scaleout: profiled run, 2 instances: ${profiled.messages_per_second}/s`);
    }
    for (const s of Object.values(results.throughput)) {
      const mid = [...s.runs].sort((a, b) => a.messages_per_second - b.messages_per_second)[Math.floor(s.runs.length / 2)];
      s.median = { round: mid.round, messages_per_second: mid.messages_per_second, send_median_ms: mid.send_median_ms, send_p99_ms: mid.send_p99_ms,
        rate_limited: s.runs.reduce((a, x) => a + x.rate_limited, 0), failed: s.runs.reduce((a, x) => a + x.failed, 0) };
    }
    await stopAll();
    // What the rounds left in the pair's tables (read after the servers stopped: each backend reports its counts when it
    // ends). A message's trigger updates its session's activity_seq, an indexed column, so that update cannot be HOT.
    await sleep(500);
    results.tables = (await query(`SELECT json_object_agg(relname, json_build_object('live', n_live_tup, 'dead', n_dead_tup,
        'updates', n_tup_upd, 'hotUpdates', n_tup_hot_upd, 'inserts', n_tup_ins, 'autovacuums', autovacuum_count))
      AS t FROM pg_stat_user_tables WHERE relname IN ('sessions', 'messages')`, db2.url)).t;

    // 3. Connections in use while `longPolls` long-polls are held on one Postgres instance (a fresh database and process).
    const db3 = await createDatabase();
    databases.push(db3);
    const holder = await serve("pg-longpolls", db3.url);
    const holderOrg = await withOrg(holder);
    await start(holder);
    const port = Number(new URL(holder.url).port);
    const host = new URL(holder.url).host;
    const longPoll = (wait) => () =>
      `GET /widget/v1/updates?after=0&wait=${wait} HTTP/1.1\r\nHost: ${host}\r\nX-Frontdesk-Widget-Token: ${holderOrg.widget_token}\r\n` +
      `X-Frontdesk-Device: ${randomHex(16)}\r\n\r\n`;
    // Warm-up (the pool opens its connections as a server that has served), then idle.
    const warm = await openLongPolls(port, holder.pid, 50, longPoll(0));
    await sleep(500);
    for (const s of warm.sockets) s.destroy();
    await sleep(500);
    const idle = await sampleActivity(db3.name, 1);
    // Sampled from before the first socket opens until well after the last one is held.
    const holdSeconds = 12;
    const sampled = sampleActivity(db3.name, holdSeconds);
    await sleep(200);
    const t = Date.now();
    const opened = await openLongPolls(port, holder.pid, longPolls, longPoll(30));
    const openedMs = Date.now() - t;
    const during = await sampled;
    const heldSockets = fdCount(holder.pid);
    const answeredEarly = opened.answered.count;
    for (const s of opened.sockets) s.destroy();
    // The samples taken once every long-poll was held (the sampler started 200 ms before the first socket).
    const heldFrom = Math.ceil((openedMs + 200) / during.intervalMs);
    const held = during.perSample.slice(heldFrom).map((x) => x.total);
    results.connections = { longPolls, poolSize, listener: 1, openedMs, answeredEarly, serverFds: heldSockets,
      idle: { max: idle.connections.max, median: idle.connections.median },
      whileOpeningAndHeld: during.connections, active: during.active,
      whileHeld: held.length ? { samples: held.length, max: Math.max(...held), median: median(held), min: Math.min(...held) } : null,
      sampledSeconds: holdSeconds, intervalMs: during.intervalMs, perSample: during.perSample };
    log(`scaleout: ${longPolls} long-polls held (opened in ${openedMs} ms, ${answeredEarly} answered early): ` +
      `at most ${during.connections.max} connections (pool ${poolSize} + 1 listener)`);
    await sleep(1000);
    await stopAll();
    results.loadavgAtEnd = loadavg();
    return results;
  } finally {
    await stopAll().catch(() => {});
    for (const db of databases) await db.drop().catch((e) => log(`scaleout: could not drop ${db.name}: ${e.message}`));
  }
}
