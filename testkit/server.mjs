// The real Frontdesk server as a child process: `frontdesk-server serve` on a loopback port with a fresh SQLite
// file (or a given database URL, e.g. a Postgres database that several instances share), and its CLI (`org create`,
// `agent create`) against the same database, as an operator would run them.
import { spawn, execFile } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eventually, freePort } from "./util.mjs";
import { openFileLimit } from "./proc.mjs";

const execFileAsync = promisify(execFile);

/** The repository's root (this folder's parent). */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The server binary cargo builds for `profile` ("debug" or "release"). */
export const serverBinary = (profile = "debug") => join(ROOT, "target", profile, "frontdesk-server");

/** The script-tag build of the widget (`bash scripts/build.sh`), served with `--public-dir`. */
export const WIDGET_DIR = join(ROOT, "dist", "web");

// Runs the binary through bash so `ulimit -n` can be raised to the hard limit first; `exec` keeps the pid.
const RAISE_FILE_LIMIT = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';

export class FrontdeskServer {
  /**
   * `binary` and `publicDir` default to the debug build and dist/web (`publicDir: null`: no static files). `dir` holds the database and the log (a new
   * temp folder when omitted; `cleanup()` removes it). `args` are appended to `serve`'s (e.g. `--trusted-proxy`);
   * `raiseFileLimit` lifts the child's open-file limit to the hard limit, for thousands of held connections.
   * `database`: a database URL (e.g. `postgres://…` from testkit/postgres.mjs) in place of the SQLite file in `dir`;
   * several servers given the same URL are instances of one deployment. The caller owns that database.
   */
  constructor({ binary = serverBinary("debug"), publicDir = WIDGET_DIR, dir, port, tokenTtlSecs, args = [], env = {},
    raiseFileLimit = false, logPath, database } = {}) {
    this.binary = binary;
    this.publicDir = publicDir;
    this.dir = dir ?? mkdtempSync(join(tmpdir(), "frontdesk-server-"));
    this.port = port;
    this.tokenTtlSecs = tokenTtlSecs;
    this.args = args;
    this.env = env;
    this.raiseFileLimit = raiseFileLimit;
    // null with a `database` URL: there is no file of this server's own.
    this.databasePath = database ? null : join(this.dir, "frontdesk.db");
    this.database = database ?? `sqlite://${this.databasePath}`;
    this.logPath = logPath ?? join(this.dir, "server.log");
    this.child = null;
  }

  /** A server on a free port (not started: create orgs with the CLI first, then `start()`). */
  static async create(options = {}) {
    const server = new FrontdeskServer(options);
    server.port ??= await freePort();
    return server;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The running process's pid (null when stopped). */
  get pid() {
    return this.child?.pid ?? null;
  }

  /** The server's CLI on this database, with `--json`; resolves to the parsed answer. */
  async cli(args) {
    const { stdout } = await execFileAsync(this.binary, [...args, "--json", "--database", this.database]);
    return JSON.parse(stdout);
  }

  /** `org create`: `{ widget_token, secret_key, … }`. */
  createOrg(name, allowedOrigins = []) {
    return this.cli(["org", "create", "--name", name, ...allowedOrigins.flatMap((o) => ["--allowed-origin", o])]);
  }

  /** `agent create` for the org of `widgetToken`: the agent key. */
  async createAgent(widgetToken, name) {
    return (await this.cli(["agent", "create", "--org", widgetToken, "--name", name])).agent_key;
  }

  /** `org update` of the org of `widgetToken` with `args` (`["--max-attachment-mib", "1"]`): the org after (`org show --json`). */
  updateOrg(widgetToken, args) {
    return this.cli(["org", "update", "--org", widgetToken, ...args]);
  }

  /** `serve`, then waits until /healthz answers (or throws with the log's tail if the process exits). */
  async start() {
    const args = ["serve", "--addr", `127.0.0.1:${this.port}`, "--database", this.database];
    if (this.publicDir) args.push("--public-dir", this.publicDir);
    if (this.tokenTtlSecs) args.push("--token-ttl-secs", String(this.tokenTtlSecs));
    args.push(...this.args);
    const log = createWriteStream(this.logPath, { flags: "a" });
    const env = { ...process.env, RUST_LOG: "info", ...this.env };
    const stdio = ["ignore", "pipe", "pipe"];
    const child = this.raiseFileLimit
      ? spawn("bash", ["-c", RAISE_FILE_LIMIT, this.binary, ...args], { stdio, env })
      : spawn(this.binary, args, { stdio, env });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${this.logTail()}`);
      const res = await fetch(`${this.url}/healthz`);
      return res.ok;
    }, `${this.url}/healthz`, 15_000);
    return this;
  }

  /** The running process's open-file limit. */
  openFileLimit() {
    return this.pid ? openFileLimit(this.pid) : null;
  }

  /** SIGTERM, and wait until the process is gone (SIGKILL after `graceMs`). */
  async stop({ graceMs = 20_000 } = {}) {
    if (!this.child) return;
    const child = this.child;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    const { code, signal } = await this.exited;
    clearTimeout(timer);
    return { code, signal };
  }

  /** SIGKILL (a crash: no graceful shutdown, held long-polls cut), and wait until the process is gone. */
  async kill() {
    if (!this.child) return;
    const child = this.child;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    return this.exited;
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  logTail(lines = 40) {
    try {
      return readFileSync(this.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no server log)";
    }
  }

  /** Removes the folder (database and log); call after `stop()`. */
  cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Whether this binary's `serve` accepts `flag` (read from `serve --help`), for options newer builds add. */
  static async serveSupports(binary, flag) {
    const { stdout } = await execFileAsync(binary, ["serve", "--help"]);
    return stdout.includes(flag);
  }
}
