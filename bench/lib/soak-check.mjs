// The soak's end check: what the load was told (acknowledged messages, replies, deliveries) against what the server's
// SQLite file holds, read with the sqlite3 command after the server has stopped.
import { execFileSync } from "node:child_process";

const sql = (database, query, json = true) =>
  execFileSync("sqlite3", [...(json ? ["-json"] : []), database, query], { encoding: "utf8", maxBuffer: 1 << 30 });

/**
 * `visitors`: `{ session, acked: Map(clientId → { id, content }), outcomeUnknown: Set, seen: [Map(replyId → times)] }`;
 * `replies`: Map(reply id → { session, content, clientId }); `flood`: `{ session, accepted }`.
 * Lost: acknowledged but absent or different in the file. Doubled: the same content twice in one chat. Stored without
 * an acknowledgement: a row of a visitor's chat whose client id no answer returned. Deliveries: each reply once per tab.
 */
export function checkDatabase(database, { visitors, replies, flood }) {
  const rows = JSON.parse(sql(database, "SELECT id, session_id, client_id, author, content FROM messages ORDER BY id") || "[]");
  const sessionRows = Number(sql(database, "SELECT count(*) FROM sessions", false).trim());
  const bySession = new Map(visitors.map((v) => [v.session, v]));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const byContent = new Map();
  for (const r of rows) byContent.set(`${r.session_id} ${r.content}`, (byContent.get(`${r.session_id} ${r.content}`) || 0) + 1);
  const check = { visitorAcked: 0, visitorLost: [], replyAcked: replies.size, replyLost: [], doubled: [], unacknowledgedStored: [],
    outcomeUnknown: 0, deliveries: 0, deliveryLost: 0, deliveryDoubled: 0, floodStoredMatches: null, sessionRows };
  const ourClientIds = new Set();
  for (const v of visitors) {
    check.outcomeUnknown += v.outcomeUnknown.size;
    for (const [clientId, { id, content }] of v.acked) {
      check.visitorAcked++;
      ourClientIds.add(clientId);
      const row = byId.get(id);
      if (!row || row.content !== content || row.session_id !== v.session || row.client_id !== clientId) check.visitorLost.push(clientId);
    }
  }
  for (const [id, r] of replies) {
    ourClientIds.add(r.clientId);
    const row = byId.get(id);
    if (!row || row.content !== r.content || row.session_id !== r.session || row.author !== "agent") check.replyLost.push(r.clientId);
    for (const seen of bySession.get(r.session).seen) {
      const times = seen.get(id) || 0;
      check.deliveries += times ? 1 : 0;
      if (!times) check.deliveryLost++;
      if (times > 1) check.deliveryDoubled++;
    }
  }
  for (const [key, n] of byContent) if (n > 1) check.doubled.push(key.slice(0, 80));
  for (const r of rows) {
    if (bySession.has(r.session_id) && !ourClientIds.has(r.client_id)) check.unacknowledgedStored.push(r.client_id);
  }
  check.floodStored = rows.filter((r) => r.session_id === flood.session).length;
  check.floodStoredMatches = check.floodStored === flood.accepted;
  return check;
}
