// The Soak section of BENCHMARKS.md, from the results `bench/soak.mjs` writes to bench/out/soak.json.
import { round } from "./util.mjs";
import { SOAK_HEADING } from "./sections.mjs";

/** Most of the flood's messages answered 429, and when it also tried new chats from one IP, some of those too. */
export function floodRefused(f) {
  return (f.messages[429] || 0) > f.messagesTried / 2 && (!f.sessionsTried || (f.sessions[429] || 0) > 0);
}

export function soakSection(r) {
  const num = (x) => (Number.isFinite(x) ? x.toLocaleString("en-US") : x);
  const mb = (b) => (Number.isFinite(b) ? `${round(b / 1048576, 1)} MiB` : "n/a");
  const c = r.check;
  const sum = (prefix) => Object.entries(r.statuses).filter(([k]) => k.startsWith(`${prefix} `)).map(([k, n]) => `${num(n)} × ${k.split(" ")[1]}`).join(", ");
  const errors = Object.entries(r.errors);
  const rows = r.perMinute.send.map((s, i) => {
    const rep = r.perMinute.reply[i];
    const d = r.perMinute.delivery[i];
    const lagRow = r.eventLoopLag.find((l) => l.minute === i);
    const samples = r.samples.filter((x) => x.minute === i);
    const last = samples.at(-1);
    return `| ${s.minute} | ${num(s.n)} | ${s.p50 ?? "–"} / ${s.p99 ?? "–"} / ${s.max ?? "–"} | ${num(rep.n)} | ${rep.p50 ?? "–"} / ${rep.p99 ?? "–"} | ` +
      `${d.p50 ?? "–"} / ${d.p99 ?? "–"} | ${last ? mb(last.rss) : "–"} | ${num(last?.fds) ?? "–"} | ${lagRow?.p99 ?? "–"} | ${last?.load ?? "–"} |`;
  });
  const rs = r.server.rss.lastHalf;
  const halfMinutes = round(r.windowSecs / 120, 1);
  const busy = Math.max(r.machine.loadavgAtStart[0], r.machine.loadavgAtEnd[0]) > r.machine.cores;
  const fs = r.server.fds.lastHalf;
  return `${SOAK_HEADING}

Written by \`npm run soak\` (\`bench/soak.mjs\`, not part of \`npm test\`): the release server on a fresh SQLite file for
${r.config.minutes} minute${r.config.minutes === 1 ? "" : "s"} under a steady load of HTTP clients (no browsers), all in one node process on the same machine.

- **Run**: ${r.startedAt.replace("T", " ").slice(0, 16)} UTC; ${r.machine.cpu}, ${r.machine.cores} cores; load average ${r.machine.loadavgAtStart.join(" / ")} at start, ${r.machine.loadavgAtEnd.join(" / ")} at end.${busy ? ` **The machine was busy with other work** (a load average above its ${r.machine.cores} cores, from other builds; this run's own share is in the CPU figures below): the p99 tails rise and fall with the load average and the load generator's lag.` : ""}
- **Load**: ${num(r.config.visitors)} visitors (each its own device id and chat${r.proxied ? ", and its own X-Forwarded-For address: the server ran with `--trusted-proxy 127.0.0.1`" : "; this build has no `--trusted-proxy`, so all came from 127.0.0.1"}), each sending a message every ${r.config.sendEverySecs} s at its own phase (${round(r.config.visitors / r.config.sendEverySecs, 1)} messages/s in all) and holding ${r.config.tabs} long-polls (\`wait=${r.config.waitSecs}\`, like open tabs): median ${num(r.server.heldPolls.median)} held at each 5 s sample (min ${num(r.server.heldPolls.min)}); an agent on the agent API's long-poll answering every visitor message; a flood client at ${r.config.floodRps} requests/s from one device${r.proxied ? " and one IP (every 5th request a new chat with a fresh device id)" : ""}. Ramp (starting the ${num(r.config.visitors)} chats): ${r.rampSecs} s, not in the figures below.
- **5xx answers: ${r.fivexx}.**${r.unexpected.length ? ` **Unexpected answers: ${r.unexpected.join(", ")}.**` : ""} Visitor sends: ${sum("send")}. Agent replies: ${sum("reply")}. Long-polls: ${sum("poll")}; agent long-polls: ${sum("agent-poll")}.${errors.length ? ` Network errors: ${errors.map(([k, n]) => `${num(n)} × ${k}`).join("; ")}.` : " No network errors."}
- **Messages checked against the database** (the server stopped first, then \`sqlite3\` read the file): ${num(c.visitorAcked)} acknowledged visitor messages and ${num(c.replyAcked)} agent replies; **lost ${c.visitorLost + c.replyLost}, doubled ${c.doubled}**, stored without an acknowledgement ${c.unacknowledgedStored}${c.outcomeUnknown ? `, ${c.outcomeUnknown} sends whose outcome stayed unknown` : ""}. Every reply checked against what each tab's long-poll received: ${num(c.deliveries)} deliveries, **${c.deliveryLost} missing, ${c.deliveryDoubled} doubled**.
- **Flood client${floodRefused(r.flood) ? ", refused" : ", NOT refused"}**: ${num(r.flood.messagesTried)} messages sent: ${Object.entries(r.flood.messages).map(([s, n]) => `${num(n)} × ${s}`).join(", ")} — ${r.flood.acceptedPerSecond} accepted per second over the window${r.flood.refusal ? ` (the server's refusal: “${r.flood.refusal}”)` : ""}; the database holds ${num(c.floodStored)} of its messages (${c.floodStoredMatches ? "exactly the accepted ones" : "NOT the number accepted"}).${r.flood.sessionsTried ? ` New chats from fresh device ids of its one IP: ${num(r.flood.sessionsTried)} tried: ${Object.entries(r.flood.sessions).map(([s, n]) => `${num(n)} × ${s}`).join(", ")}.` : ""} Sessions in the database at the end: ${num(r.sessionsInDatabase)}.
- **Server process** (/proc/<pid>/status and /proc/<pid>/fd every 5 s): RSS ${mb(r.server.rss.start)} at the window's start, ${mb(r.server.rss.end)} at its end, max ${mb(r.server.rss.max)}; **slope over the last half ${round(rs.perMinute / 1024, 1)} KiB/min**, i.e. ${mb(rs.perMinute * halfMinutes)} over those ${halfMinutes} minutes (least squares over ${rs.n} samples, range ${mb(rs.min)}–${mb(rs.max)}). Open file descriptors ${num(r.server.fds.start)} → ${num(r.server.fds.end)} (max ${num(r.server.fds.max)}); **slope over the last half ${round(fs.perMinute, 2)} per minute** (range ${num(fs.min)}–${num(fs.max)}). CPU over the window: the server ${r.server.cpuCoresUsed} cores on average, this load generator ${r.server.loadGeneratorCpuCores} (the rest of the load average is other work on the machine).

Latency per minute of the window, in ms (p50 / p99 / max), measured by the load generator, so its own event-loop lag (p99, ms) is
part of every figure and is in the table; a delivery is an agent reply posted → received by the visitor's long-poll. RSS, open
files and the load average are the minute's last sample:

| minute | sends | send p50 / p99 / max | replies | reply p50 / p99 | delivery p50 / p99 | server RSS | server fds | load generator's event-loop lag p99 | load average |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

Run it again: \`npm run soak\` (builds the release server first). \`SOAK_MINUTES\`, \`SOAK_VISITORS\`, \`SOAK_TABS\`, \`SOAK_SEND_EVERY\`,
\`SOAK_FLOOD_RPS\` change the load; \`SOAK_WRITE=0\` leaves this file alone; all figures and the 5 s samples are in \`bench/out/soak.json\`
(\`node bench/soak.mjs --report\` writes this section again from it).`;
}
