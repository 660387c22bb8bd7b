#!/usr/bin/env node
// The embed's size budgets (size-budget.json), checked on dist/web file by file at the strongest settings (as the
// pre-compressed .gz/.br siblings are sent). Two groups: the first load — what the script tag loads before the
// launcher shows, which is widget.js alone since the loader draws the closed launcher itself — and the whole embed
// (loader, glue and wasm), so the wasm cannot grow unchecked behind a small first load. Size is deterministic, so
// this is a check, not a measurement: over any budget fails.
//   node scripts/check-size.mjs           print the sizes and check them against the budgets
//   node scripts/check-size.mjs --print   print only (scripts/build.sh)
import { readFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const budget = JSON.parse(readFileSync(join(root, "size-budget.json"), "utf8"));
const printOnly = process.argv.includes("--print");
const fail = (message) => {
  console.error(`[size] ${message}`);
  process.exit(1);
};

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const pad = (s, n) => String(s).padStart(n);
const KINDS = ["raw", "gzip9", "brotli11"];
const sizes = new Map();
for (const file of new Set(budget.groups.flatMap((g) => g.files))) {
  let data;
  try {
    data = readFileSync(join(root, "dist/web", file));
  } catch (err) {
    fail(`dist/web/${file} is missing (${err.code}): run scripts/build.sh first`);
  }
  sizes.set(file, {
    raw: data.length,
    gzip9: gzipSync(data, { level: 9 }).length,
    brotli11: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  });
}
const row = (name, s) => console.log(`[size] ${name.padEnd(24)} ${KINDS.map((k) => pad(s[k], 9)).join(" ")}`);
console.log(`[size] ${"file".padEnd(24)} ${pad("raw", 9)} ${pad("gzip -9", 9)} ${pad("brotli 11", 9)}`);
for (const [file, s] of sizes) row(file, s);
const totals = budget.groups.map((group) => {
  const total = Object.fromEntries(KINDS.map((k) => [k, group.files.reduce((sum, f) => sum + sizes.get(f)[k], 0)]));
  row(`${group.name} (total)`, total);
  return total;
});

if (printOnly) process.exit(0);
// Which toolchain built dist/ (scripts/build.sh writes it): each has its own budgets.
let toolchain;
try {
  toolchain = readFileSync(join(root, "dist/toolchain"), "utf8").trim();
} catch (err) {
  fail(`dist/toolchain is missing (${err.code}): run scripts/build.sh first`);
}
const over = [];
budget.groups.forEach((group, i) => {
  const forToolchain = group[toolchain];
  if (!forToolchain) fail(`size-budget.json has no ${group.name} budget for the ${JSON.stringify(toolchain)} build`);
  console.log(`[size] ${group.name} budget of the ${toolchain} build (${group.files.join(" + ")}):`);
  for (const k of ["gzip9", "brotli11"]) {
    const limit = forToolchain[k + "KB"] * 1024;
    if (!Number.isFinite(limit) || limit <= 0) {
      fail(`size-budget.json: ${group.name}.${toolchain}.${k}KB must be a positive number of KB, got ${JSON.stringify(forToolchain[k + "KB"])}`);
    }
    const size = totals[i][k];
    const verdict = size > limit ? `OVER by ${size - limit} B` : `${limit - size} B to spare`;
    console.log(`[size]   ${k}: ${size} B (${kb(size)}) against ${limit} B (${kb(limit)}): ${verdict}`);
    if (size > limit) over.push(`${group.name} ${k}`);
  }
});
if (over.length) {
  fail(`over budget (${over.join(", ")}); cut it, or raise size-budget.json only with a reason in the commit`);
}
