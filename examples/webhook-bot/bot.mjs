// A webhook receiver that answers visitors through the agent API: the shape of an FAQ or AI bot.
// Node's standard library only (Node 18 or later). README.md beside it says how to run it.
//
// It checks each delivery's Frontdesk-Signature (the recipe of docs/api.md "Webhooks"), refuses old
// timestamps, answers at once, and then replies to a visitor's `message.created` with
// POST /api/sessions/{id}/messages and its agent key. The reply's client_id is made from the event id,
// so a delivery sent twice (webhooks are delivered at least once) is answered once.
import { createServer } from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";

const frontdeskUrl = process.env.FRONTDESK_URL ?? "http://127.0.0.1:8787";
const agentKey = required("FRONTDESK_AGENT_KEY");
const secret = required("FRONTDESK_WEBHOOK_SECRET");
const port = Number(process.env.PORT ?? 8790);
/// Deliveries are small (a message is at most 4000 characters); anything larger is not one.
const MAX_BODY_BYTES = 256 * 1024;

// Where an AI model would be called: here, a few questions and their answers.
const FAQ = [
  { match: /hour|open|close/i, answer: "We're open Monday to Friday, 9:00 to 18:00 (CET)." },
  { match: /price|cost|plan/i, answer: "Plans start at 10 € a month; every plan has a 30-day trial." },
  { match: /refund|return/i, answer: "You can return anything within 30 days for a full refund." },
];
const FALLBACK = "Thanks for writing! Someone from the team will answer here shortly.";

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required (see examples/webhook-bot/README.md)`);
    process.exit(2);
  }
  return value;
}

// The recipe of docs/api.md "Webhooks", as is.
// header: the Frontdesk-Signature header; rawBody: the body exactly as received (a Buffer or a string).
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

function answerFor(text) {
  return FAQ.find((entry) => entry.match.test(text))?.answer ?? FALLBACK;
}

async function reply(event) {
  const { session, message } = event.data;
  const answer = await fetch(`${frontdeskUrl}/api/sessions/${session.id}/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${agentKey}`, "content-type": "application/json" },
    // client_id: the same event delivered twice stores one reply.
    body: JSON.stringify({ content: answerFor(message.content), client_id: `bot_${event.id}` }),
  });
  if (!answer.ok) console.error(`reply to ${session.id} failed: ${answer.status} ${await answer.text()}`);
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const server = createServer(async (req, res) => {
  if (req.method !== "POST" || req.url !== "/webhook") {
    res.writeHead(404).end();
    return;
  }
  const raw = await readBody(req);
  if (raw === null) {
    res.writeHead(413).end();
    return;
  }
  if (!verify(secret, String(req.headers["frontdesk-signature"] ?? ""), raw)) {
    res.writeHead(400).end("bad or old signature");
    return;
  }
  // Answer at once: Frontdesk waits at most 10 s for the status, then retries.
  res.writeHead(204).end();
  const event = JSON.parse(raw.toString("utf8"));
  // Only what visitors write: the bot's own replies come back as message.created by an agent.
  if (event.type === "message.created" && event.data.message.author === "visitor") {
    await reply(event).catch((e) => console.error(`reply failed: ${e.message}`));
  }
});

server.listen(port, "127.0.0.1", () => {
  console.log(`webhook bot listening on http://127.0.0.1:${port}/webhook`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
