// Webhooks: delivery latency (an agent reply is sent → a webhook receiver on loopback is called with its
// `message.created`), median and p99 over 500 messages one at a time, beside the send's own round trip; and
// messages/s with 3 endpoints registered beside none, in the same run (rounds alternate, so both see the same
// machine). The release server on its own SQLite file, with `--allow-private-webhooks` (the receivers are on
// 127.0.0.1); the receivers are node HTTP servers (the latency one in this process, the three of the throughput
// rounds in a process of their own: webhook-receivers.mjs), which check each delivery's signature with the recipe of
// docs/api.md, as a real receiver would.
import { createServer } from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { mkdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { join } from "node:path";
import { FrontdeskServer } from "../../testkit/server.mjs";
import { agentApi, newVisitor } from "../../testkit/api.mjs";
import { freePort, sleep } from "../../testkit/util.mjs";
import { now, median, quantile, round, log } from "./util.mjs";

// The recipe of docs/api.md "Webhooks".
function verify(secret, header, rawBody, toleranceSecs = 300) {
  const fields = new Map(
    header.split(",").map((part) => {
      const i = part.indexOf("=");
      return [part.slice(0, i).trim(), part.slice(i + 1).trim()];
    }),
  );
  const t = Number(fields.get("t"));
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSecs) return false;
  const expected = createHmac("sha256", secret).update(`${t}.`).update(rawBody).digest();
  const given = Buffer.from(fields.get("v1") ?? "", "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A receiver on 127.0.0.1: verifies, answers 204, and calls `onEvent(event, receivedAt)`. */
export async function startReceiver(onEvent = () => {}) {
  const port = await freePort();
  const receiver = { url: `http://127.0.0.1:${port}/hook`, secret: null, count: 0, badSignatures: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const receivedAt = now();
      const raw = Buffer.concat(chunks);
      // Registered, but not told its secret yet: "try later" (the delivery is retried), not a bad signature.
      if (!receiver.secret) {
        res.writeHead(503).end();
        return;
      }
      if (!verify(receiver.secret, String(req.headers["frontdesk-signature"] ?? ""), raw)) {
        receiver.badSignatures++;
        res.writeHead(400).end();
        return;
      }
      res.writeHead(204).end();
      receiver.count++;
      onEvent(JSON.parse(raw.toString("utf8")), receivedAt);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  receiver.close = () => new Promise((resolve) => server.close(resolve));
  return receiver;
}

/** CPU seconds (user + system, all threads) a process has used so far; 0 once it is gone. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Where the CPU went while `fn` ran: seconds of the server, the receivers' process and this one (the senders). */
async function withCpu(pids, fn) {
  const before = { server: cpuSeconds(pids.server), receivers: cpuSeconds(pids.receivers), bench: process.cpuUsage() };
  const result = await fn();
  const bench = process.cpuUsage(before.bench);
  result.cpuSeconds = {
    server: round(cpuSeconds(pids.server) - before.server, 2),
    receivers: round(cpuSeconds(pids.receivers) - before.receivers, 2),
    senders: round((bench.user + bench.system) / 1e6, 2),
  };
  return result;
}

const summary = (xs) => ({ median: round(median(xs), 2), p99: round(quantile(xs, 0.99), 2), max: round(Math.max(...xs), 2) });

/** Agent replies for `seconds` from `concurrency` senders spread over `sessions`: messages stored per second. */
async function replyRate(agent, sessions, { seconds, concurrency }) {
  let sent = 0;
  let failed = 0;
  const until = now() + seconds * 1000;
  const started = now();
  await Promise.all(Array.from({ length: concurrency }, async (_, k) => {
    for (let i = 0; now() < until; i++) {
      try {
        await agent.reply(sessions[(k + i) % sessions.length], `load ${k}-${i}`);
        sent++;
      } catch {
        failed++;
      }
    }
  }));
  return { perSecond: round(sent / ((now() - started) / 1000), 0), sent, failed };
}

export async function webhookBench({ serverBinary, tmp, outDir, serveArgs, messages = 500, warmup = 20, seconds = 4,
  rounds = 3, concurrency = 32 }) {
  const dir = join(tmp, "webhooks");
  mkdirSync(dir);
  const server = await FrontdeskServer.create({ binary: serverBinary, publicDir: null, dir, raiseFileLimit: true,
    args: [...serveArgs, "--allow-private-webhooks"], logPath: join(outDir, "server-webhooks.log") });
  const org = await server.createOrg("Bench webhooks");
  const agentKey = await server.createAgent(org.widget_token, "Bench agent");
  const add = async (receiver) => {
    const added = await server.cli(["webhook", "add", "--org", org.widget_token, "--url", receiver.url,
      "--events", "message.created", "--allow-private-webhooks"]);
    receiver.secret = added.secret;
    return added.endpoint.id;
  };
  // `webhook remove` prints a line, not JSON (testkit's `cli` asks for JSON).
  const remove = (id) => promisify(execFile)(serverBinary, ["webhook", "remove", String(id), "--database", server.database]);
  await server.start();
  const receivers = [];
  let stopChild = () => {};
  try {
    const agent = agentApi(server.url, agentKey);

    // Latency: one reply at a time; the receiver stamps its arrival.
    const waiting = new Map();
    const latencyReceiver = await startReceiver((event, at) => {
      const marker = event.data?.message?.content;
      waiting.get(marker)?.(at);
    });
    receivers.push(latencyReceiver);
    const latencyEndpoint = await add(latencyReceiver);
    const visitor = await newVisitor(server.url, org.widget_token);
    const delivery = [];
    const roundTrip = [];
    let beforeAnswer = 0;
    for (let i = 0; i < warmup + messages; i++) {
      const marker = `webhook-latency-${i}`;
      const arrived = new Promise((resolve) => waiting.set(marker, resolve));
      const sentAt = now();
      await agent.reply(visitor.session, marker);
      const answeredAt = now();
      const at = await Promise.race([arrived, sleep(10_000).then(() => null)]);
      if (at === null) throw new Error(`the webhook of message ${i} never arrived`);
      waiting.delete(marker);
      if (i >= warmup) {
        delivery.push(at - sentAt);
        roundTrip.push(answeredAt - sentAt);
        if (at < answeredAt) beforeAnswer++;
      }
      if ((i + 1) % 100 === 0) log(`webhooks: latency ${i + 1}/${warmup + messages}`);
    }
    await remove(latencyEndpoint);

    // Throughput: alternate rounds with no endpoint and with three.
    const sessions = [];
    for (let i = 0; i < 50; i++) sessions.push((await newVisitor(server.url, org.widget_token)).session);
    // The three receivers in a process of their own (webhook-receivers.mjs says why).
    const child = spawn(process.execPath, [new URL("./webhook-receivers.mjs", import.meta.url).pathname, "3"],
      { stdio: ["ignore", "pipe", "inherit"] });
    stopChild = () => child.kill();
    const [line] = await once(createInterface({ input: child.stdout }), "line");
    const { control, urls } = JSON.parse(line);
    const three = urls.map((url) => ({ url, secret: null }));
    const received = async () => (await (await fetch(`${control}/count`)).json());
    const none = [];
    const withThree = [];
    let delivered = 0;
    for (let round_ = 0; round_ < rounds; round_++) {
      const pids = { server: server.pid, receivers: child.pid };
      none.push(await withCpu(pids, () => replyRate(agent, sessions, { seconds, concurrency })));
      const ids = [];
      for (const r of three) ids.push(await add(r));
      await fetch(`${control}/secrets`, { method: "POST", body: JSON.stringify(three.map((r) => r.secret)) });
      const before = (await received()).count;
      // The CPU of the round and of delivering its backlog (the wait below) counted together.
      const result = await withCpu(pids, async () => {
        const rate = await replyRate(agent, sessions, { seconds, concurrency });
        const expected = before + 3 * rate.sent;
        const deadline = now() + 120_000;
        while ((await received()).count < expected && now() < deadline) await sleep(50);
        return rate;
      });
      withThree.push(result);
      // Every delivery of the round arrived (3 per message) before the endpoints go.
      delivered += (await received()).count - before;
      for (const id of ids) await remove(id);
      await fetch(`${control}/secrets`, { method: "POST", body: JSON.stringify([null, null, null]) });
      log(`webhooks: round ${round_ + 1}/${rounds}: none ${none.at(-1).perSecond}/s, three endpoints ${result.perSecond}/s`);
    }
    const rate = (xs) => median(xs.map((x) => x.perSecond));
    // CPU seconds per 1,000 messages, medians over the rounds.
    const cpuPerThousand = (xs, who) => round(median(xs.map((x) => (x.cpuSeconds[who] / x.sent) * 1000)), 2);
    const cpu = (xs) => ({ server: cpuPerThousand(xs, "server"), receivers: cpuPerThousand(xs, "receivers"), senders: cpuPerThousand(xs, "senders") });
    return {
      messages,
      warmup,
      delivery: summary(delivery),
      sendRoundTrip: summary(roundTrip),
      arrivedBeforeTheAnswer: beforeAnswer,
      badSignatures: receivers.reduce((n, r) => n + r.badSignatures, 0) + (await received()).bad,
      throughput: {
        seconds,
        rounds,
        concurrency,
        none: { medianPerSecond: rate(none), cpuSecondsPerThousand: cpu(none), rounds: none },
        threeEndpoints: { medianPerSecond: rate(withThree), cpuSecondsPerThousand: cpu(withThree), rounds: withThree },
        deliveredInThreeEndpointRounds: delivered,
        expectedDeliveries: 3 * withThree.reduce((n, r) => n + r.sent, 0),
      },
    };
  } finally {
    for (const r of receivers) await r.close();
    stopChild();
    await server.stop();
  }
}
