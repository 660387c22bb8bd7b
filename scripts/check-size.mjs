#!/usr/bin/env node
// The embed's size budget: what the script tag loads before the launcher shows, compressed file by file
// at the strongest settings (as the pre-compressed .gz/.br siblings are sent). Size is deterministic, so
// this is a check, not a measurement: over the budget in size-budget.json fails.
//   node scripts/check-size.mjs           print the sizes and check them against the budget
//   node scripts/check-size.mjs --print   print only (scripts/build.sh)
import { readFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const budget = JSON.parse(readFileSync(join(root, "size-budget.json"), "utf8"));
const printOnly = process.argv.includes("--print");

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const pad = (s, n) => String(s).padStart(n);
let total = { raw: 0, gzip9: 0, brotli11: 0 };
const rows = [];
for (const file of budget.files) {
  let data;
  try {
    data = readFileSync(join(root, "dist/web", file));
  } catch (err) {
    console.error(`[size] dist/web/${file} is missing (${err.code}): run scripts/build.sh first`);
    process.exit(1);
  }
  const sizes = {
    raw: data.length,
    gzip9: gzipSync(data, { level: 9 }).length,
    brotli11: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
  for (const k of Object.keys(total)) total[k] += sizes[k];
  rows.push([file, sizes]);
}
rows.push(["total", total]);
console.log(`[size] ${"file".padEnd(18)} ${pad("raw", 9)} ${pad("gzip -9", 9)} ${pad("brotli 11", 9)}`);
for (const [file, s] of rows) {
  console.log(`[size] ${file.padEnd(18)} ${pad(s.raw, 9)} ${pad(s.gzip9, 9)} ${pad(s.brotli11, 9)}`);
}

if (printOnly) process.exit(0);
// Which toolchain built dist/ (scripts/build.sh writes it): each has its own budget.
let toolchain;
try {
  toolchain = readFileSync(join(root, "dist/toolchain"), "utf8").trim();
} catch (err) {
  console.error(`[size] dist/toolchain is missing (${err.code}): run scripts/build.sh first`);
  process.exit(1);
}
const forToolchain = budget[toolchain];
if (!forToolchain) {
  console.error(`[size] size-budget.json has no budget for the ${JSON.stringify(toolchain)} build`);
  process.exit(1);
}
const limit = { gzip9: forToolchain.gzip9KB * 1024, brotli11: forToolchain.brotli11KB * 1024 };
for (const k of Object.keys(limit)) {
  if (!Number.isFinite(limit[k]) || limit[k] <= 0) {
    console.error(`[size] size-budget.json: ${toolchain}.${k}KB must be a positive number of KB, got ${JSON.stringify(forToolchain[k + "KB"])}`);
    process.exit(1);
  }
}
console.log(`[size] budget of the ${toolchain} build:`);
const over = Object.keys(limit).filter((k) => total[k] > limit[k]);
for (const k of Object.keys(limit)) {
  const verdict = total[k] > limit[k] ? `OVER by ${total[k] - limit[k]} B` : `${limit[k] - total[k]} B to spare`;
  console.log(`[size] ${k}: ${total[k]} B (${kb(total[k])}) against the budget of ${limit[k]} B (${kb(limit[k])}): ${verdict}`);
}
if (over.length) {
  console.error(`[size] the embed is over its budget (${over.join(", ")}); cut it, or raise size-budget.json only with a reason in the commit`);
  process.exit(1);
}
