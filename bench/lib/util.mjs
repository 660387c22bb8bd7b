// Small helpers shared by the benchmark sections: statistics, processes, formatting, machine facts.
import { spawn, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

export const now = () => performance.timeOrigin + performance.now();

/** The q-quantile (0..1) of numbers, nearest rank on the sorted copy (as load.rs does). */
export function quantile(values, q) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  return v[Math.round((v.length - 1) * q)];
}
export const median = (values) => quantile(values, 0.5);

/** The least-squares line through `[x, y]` points: its slope (y per x), and the points' count, mean, min and max of y. */
export function leastSquares(points) {
  const n = points.length;
  if (n < 3) return { slope: null, n };
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const ys = points.map(([, y]) => y);
  return { slope: sxy / sxx, n, mean: my, min: Math.min(...ys), max: Math.max(...ys) };
}

export function round(x, digits = 1) {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** "a / b" as a ratio string ("×1.23"), or "n/a" when it is not defined. */
export function ratio(a, b, digits = 2) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "n/a";
  const v = a / b;
  return `×${v >= 0.1 || v === 0 ? v.toFixed(digits) : v.toPrecision(2)}`;
}

export const kb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1000).toFixed(1)} KB` : "not measured");

export function log(...args) {
  const t = new Date().toISOString().slice(11, 19);
  console.error(`[bench ${t}]`, ...args);
}

/** Runs a command to completion; resolves with stdout, rejects with stderr's tail on failure. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${err.slice(-2000)}`)),
    );
  });
}

export function commandOutput(command, args) {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

export function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = (cpuinfo.match(/^model name\s*:\s*(.*)$/m) || [])[1] || os.cpus()[0]?.model || "unknown";
  const logical = (cpuinfo.match(/^processor\s*:/gm) || []).length || os.cpus().length;
  const memTotalKb = Number((readFileSync("/proc/meminfo", "utf8").match(/^MemTotal:\s*(\d+)/m) || [])[1]);
  return {
    cpu: model.trim(),
    cores: logical,
    memoryGiB: round(memTotalKb / 1024 / 1024, 1),
    kernel: os.release(),
    loadavgAtStart: os.loadavg().map((x) => round(x, 2)),
    node: process.version,
    rustc: commandOutput("rustc", ["--version"]),
    chromium: commandOutput("/usr/bin/chromium", ["--version"])?.split("\n")[0] ?? null,
  };
}

/** Runs `fn`, returning its result, or `{ error }` (logged) when it throws: one failed section must not lose the others. */
export async function section(name, results, fn) {
  const started = Date.now();
  log(`${name}: start`);
  try {
    results[name] = await fn();
  } catch (e) {
    log(`${name}: FAILED: ${e.stack || e}`);
    results[name] = { error: String(e.message || e) };
  }
  results.timings ??= {};
  results.timings[name] = round((Date.now() - started) / 1000, 1);
  log(`${name}: done in ${results.timings[name]} s`);
}
