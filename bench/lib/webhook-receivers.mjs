// Webhook receivers in a process of their own, for the throughput rounds of webhooks.mjs: were they in the bench's
// process, its one event loop would both send the load and receive three times as many deliveries, and the figure
// would measure node rather than the server. `node webhook-receivers.mjs N` starts N receivers (each verifying every
// delivery with the recipe of docs/api.md) and a control server, and prints `{ control, urls }` as one line:
// `POST /secrets` (a JSON array, one per receiver) sets their secrets, `GET /count` answers `{ count, bad }`.
import { createServer } from "node:http";
import { startReceiver } from "./webhooks.mjs";

const receivers = [];
for (let i = 0; i < Number(process.argv[2] || 3); i++) receivers.push(await startReceiver());
const control = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    if (req.method === "POST" && req.url === "/secrets") {
      JSON.parse(Buffer.concat(chunks).toString("utf8")).forEach((secret, i) => (receivers[i].secret = secret));
      res.writeHead(204).end();
    } else {
      const count = receivers.reduce((n, r) => n + r.count, 0);
      const bad = receivers.reduce((n, r) => n + r.badSignatures, 0);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ count, bad }));
    }
  });
});
control.listen(0, "127.0.0.1", () => {
  const { port } = control.address();
  console.log(JSON.stringify({ control: `http://127.0.0.1:${port}`, urls: receivers.map((r) => r.url) }));
});
