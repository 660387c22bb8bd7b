// `npm start`: set up, build the widget and the server, create the demo org and an agent key once,
// then run the Frontdesk server and the demo site (a stand-in for a customer's site, with its own
// small backend) side by side until Ctrl-C.
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { extname, join, normalize, sep } from "node:path";
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
  const org = JSON.parse(execFileSync(server, [
    "org", "create", "--name", "Demo site", "--allowed-origin", demoUrl, "--json", "--database", database,
  ]));
  const agent = JSON.parse(execFileSync(server, [
    "agent", "create", "--org", org.widget_token, "--name", "Ada (demo agent)", "--json", "--database", database,
  ]));
  writeFileSync(orgFile, JSON.stringify({ ...org, ...agent }, null, 2));
}
const org = JSON.parse(readFileSync(orgFile, "utf8"));

const frontdesk = spawn(server, [
  "serve", "--addr", `127.0.0.1:${frontdeskPort}`, "--database", database, "--public-dir", join(root, "dist", "web"),
], { stdio: "inherit" });

// The demo site's pages carry the strict Content-Security-Policy the README documents, so the demo
// also proves the widget runs under it.
const csp = [
  "default-src 'self'",
  `script-src 'self' ${frontdeskUrl} 'wasm-unsafe-eval'`,
  `connect-src 'self' ${frontdeskUrl}`,
  "style-src 'self'",
  // blob: for attachments, which the widget fetches with the visitor's headers and shows from blob URLs.
  "img-src 'self' https: data: blob:",
].join("; ");
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css" };
const siteDir = join(root, "www", "demo");

const site = createServer(async (req, res) => {
  const url = new URL(req.url, demoUrl);
  if (url.pathname === "/demo-config.json") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify({ widgetToken: org.widget_token, frontdeskUrl }));
  }
  if (url.pathname === "/demo/token" && req.method === "POST") {
    // What a site owner's backend does: it knows who is logged in (here: the email in the query,
    // standing in for the site's own session) and asks Frontdesk for a token with the secret key.
    const email = url.searchParams.get("email") || "bob@example.com";
    const answer = await fetch(`${frontdeskUrl}/widget/authenticate-user`, {
      method: "POST",
      headers: { authorization: `Bearer ${org.secret_key}`, "content-type": "application/json" },
      body: JSON.stringify({ email, name: email.split("@")[0], custom_data: { plan: "pro", verified_by: "demo backend" } }),
    });
    res.writeHead(answer.status, { "content-type": "application/json" });
    return res.end(await answer.text());
  }
  const file = normalize(join(siteDir, url.pathname === "/" ? "index.html" : url.pathname));
  if (!file.startsWith(siteDir + sep) || !existsSync(file)) {
    res.writeHead(404);
    return res.end("not found");
  }
  res.writeHead(200, { "content-type": types[extname(file)] || "application/octet-stream", "content-security-policy": csp });
  res.end(readFileSync(file));
});
site.listen(demoPort, "127.0.0.1", () => {
  console.log(`\nFrontdesk server: ${frontdeskUrl}   (agent console: ${frontdeskUrl}/console)`);
  console.log(`Agent key:        ${org.agent_key}`);
  console.log(`Demo site:        ${demoUrl}/   <- open this\n`);
});

function stop() {
  frontdesk.kill("SIGTERM");
  site.close();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
frontdesk.on("exit", (code) => {
  if (code) console.error(`frontdesk-server exited with ${code}`);
  site.close();
  process.exit(code ?? 0);
});
