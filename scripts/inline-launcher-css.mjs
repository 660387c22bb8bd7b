#!/usr/bin/env node
// Puts the closed launcher's rules of src/style.css into the loader, in place:
//   node scripts/inline-launcher-css.mjs dist/web/widget.js
// widget.js draws the closed launcher before the wasm has arrived (README, script tag), styled by the part of
// style.css above its end marker, so the two launchers share one text and cannot drift apart. Compacted as
// build.rs compacts the wasm's copy: comments go, and the spaces that never separate anything (after `{ ; : ,`,
// before `{ }`). Fails when the marker or the placeholder is missing: a loader without its styles would draw an
// unstyled button.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const MARKER = "/* end of the closed launcher */";
const PLACEHOLDER = '"__FRONTDESK_LAUNCHER_CSS__"';

const [file] = process.argv.slice(2);
if (!file) {
  console.error("usage: node scripts/inline-launcher-css.mjs <widget.js>");
  process.exit(2);
}
const style = readFileSync(fileURLToPath(new URL("../src/style.css", import.meta.url)), "utf8");
const end = style.indexOf(MARKER);
if (end < 0) throw new Error(`src/style.css has no ${MARKER}`);
const loader = readFileSync(file, "utf8");
if (loader.split(PLACEHOLDER).length !== 2) throw new Error(`${file} must hold ${PLACEHOLDER} once`);
writeFileSync(file, loader.replace(PLACEHOLDER, () => JSON.stringify(compact(style.slice(0, end)))));

function compact(css) {
  let out = "";
  for (const word of css.replace(/\/\*[\s\S]*?\*\//g, "").split(/\s+/).filter(Boolean)) {
    if (out && !/[{};:,]$/.test(out) && !/^[{}]/.test(word)) out += " ";
    out += word;
  }
  return out.replaceAll(";}", "}");
}
