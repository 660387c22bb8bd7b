#!/usr/bin/env node
// Shortens the names the wasm and its wasm-bindgen glue know each other by, in place:
//   node scripts/minify-wasm-names.mjs <dir>    (<dir>/frontdesk_bg.wasm, frontdesk.js, frontdesk.d.ts)
// wasm-bindgen names each import `__wbg_<method>_<16 hex digits>` and each closure shim after its full Rust
// type (200+ characters), and every name is written twice, once in the wasm and once in the glue; the
// hashes do not compress. binaryen's --minify-imports-and-exports-and-modules renames them in the wasm and
// prints the mapping, applied here to the glue. Every name is checked afterwards against the module
// itself, so a glue this script failed to rewrite stops the build instead of a page.
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node scripts/minify-wasm-names.mjs <dir with frontdesk_bg.wasm and frontdesk.js>");
  process.exit(2);
}
const wasmPath = join(dir, "frontdesk_bg.wasm");
const gluePath = join(dir, "frontdesk.js");
const typesPath = join(dir, "frontdesk.d.ts");

// The features are the ones scripts/build.sh's wasm-opt runs with (Cargo.toml); this pass only renames.
const features = ["--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue"];
const minified = wasmPath + ".min";
const mapping = JSON.parse(execFileSync("wasm-opt", [wasmPath, ...features,
  "--minify-imports-and-exports-and-modules", "-o", minified], { encoding: "utf8", maxBuffer: 1 << 24 }));

const identifier = "[A-Za-z0-9_$]";
const escape = (s) => s.replace(/[$]/g, "\\$");
let glue = readFileSync(gluePath, "utf8");
const modules = new Set();
const module = new WebAssembly.Module(readFileSync(minified));
const newModules = new Set(WebAssembly.Module.imports(module).map((i) => i.module));
if (newModules.size !== 1) throw new Error(`expected one import module after minifying, got ${[...newModules]}`);
const [newModule] = newModules;

// Imports are the keys of the glue's import object: `        <name>: function(`.
for (const [oldModule, oldName, newName] of mapping.imports) {
  modules.add(oldModule);
  const key = new RegExp(`^(\\s+)${escape(oldName)}(?=: )`, "m");
  if (!key.test(glue)) throw new Error(`import ${oldName} is not a key of the glue's import object`);
  glue = glue.replace(key, `$1${newName}`);
}
for (const oldModule of modules) {
  const key = JSON.stringify(oldModule) + ": ";
  if (!glue.includes(key)) throw new Error(`import module ${oldModule} not found in the glue`);
  glue = glue.replaceAll(key, JSON.stringify(newModule) + ": ");
}
// Exports are read as `wasm.<name>`.
for (const [oldName, newName] of mapping.exports) {
  glue = glue.replace(new RegExp(`\\bwasm\\.${escape(oldName)}(?!${identifier})`, "g"), `wasm.${newName}`);
}

// Check: every import the module wants is a key of the glue, every export the glue reads exists.
for (const { module: m, name } of WebAssembly.Module.imports(module)) {
  if (m !== newModule || !new RegExp(`^\\s+${escape(name)}: `, "m").test(glue)) {
    throw new Error(`the rewritten glue does not provide import ${m}.${name}`);
  }
}
const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
for (const [, name] of glue.matchAll(new RegExp(`\\bwasm\\.(${identifier}+)`, "g"))) {
  if (!exports.has(name)) throw new Error(`the rewritten glue reads wasm.${name}, which the module does not export`);
}

writeFileSync(gluePath, glue);
renameSync(minified, wasmPath);
// The declared `InitOutput` listed the old export names; they are internal, so no names are promised.
const types = readFileSync(typesPath, "utf8");
const declared = /export interface InitOutput \{[^}]*\}\n/;
if (!declared.test(types)) throw new Error(`no InitOutput interface in ${typesPath}`);
writeFileSync(typesPath, types.replace(declared,
  "/** The module's exports; their names are minified by the build (scripts/minify-wasm-names.mjs). */\n" +
  "export type InitOutput = WebAssembly.Exports;\n"));
console.error(`[build] minified ${mapping.imports.length} import and ${mapping.exports.length} export names`);
