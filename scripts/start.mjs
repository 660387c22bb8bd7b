// `npm start`: set up, build the widget and the server, create the demo org once, then run the
// Frontdesk server and the demo site side by side until Ctrl-C.
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
process.chdir(root);
const frontdeskPort = Number(process.env.FRONTDESK_PORT || 8787);
const demoPort = Number(process.env.DEMO_PORT || 8080);
const frontdeskUrl = `http://127.0.0.1:${frontdeskPort}`;
const demoUrl = `http://127.0.0.1:${demoPort}`;
const stateDir = join(root, ".demo");
const database = `sqlite://${join(stateDir, "frontdesk.db")}`;
const server = join(root, "target", "debug", "frontdesk-server");

function must(command, args) {
  const result = spawnSync(command, args, { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

must("bash", ["scripts/setup.sh"]);
must("bash", ["scripts/build.sh"]);
must("cargo", ["build", "-q", "-p", "frontdesk-server"]);

mkdirSync(stateDir, { recursive: true });
const orgFile = join(stateDir, "org.json");
if (!existsSync(orgFile)) {
  const out = execFileSync(server, [
    "org", "create", "--name", "Demo site", "--allowed-origin", demoUrl, "--json", "--database", database,
  ]);
  writeFileSync(orgFile, out);
}
const org = JSON.parse(readFileSync(orgFile, "utf8"));

const children = [];
children.push(spawn(server, [
  "serve", "--addr", `127.0.0.1:${frontdeskPort}`, "--database", database, "--public-dir", join(root, "dist", "web"),
], { stdio: "inherit" }));

const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css" };
const site = createServer(async (req, res) => {
  const url = new URL(req.url, demoUrl);
  if (url.pathname === "/demo-config.json") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify({ widgetToken: org.widget_token, frontdeskUrl }));
  }
  const file = normalize(join(root, "www", "demo", url.pathname === "/" ? "index.html" : url.pathname));
  if (!file.startsWith(join(root, "www", "demo")) || !existsSync(file)) {
    res.writeHead(404);
    return res.end("not found");
  }
  res.writeHead(200, { "content-type": types[extname(file)] || "application/octet-stream" });
  res.end(readFileSync(file));
});
site.listen(demoPort, "127.0.0.1", () => {
  console.log(`\nFrontdesk server: ${frontdeskUrl}`);
  console.log(`Demo site:        ${demoUrl}/   <- open this\n`);
});

function stop() {
  for (const child of children) child.kill("SIGTERM");
  site.close();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
for (const child of children) child.on("exit", (code) => { if (code) { console.error(`server exited with ${code}`); stop(); } });
