#!/usr/bin/env node
// Minifies, in place, the JavaScript the script tag loads:  node scripts/minify-js.mjs <file.js>…
// The wasm-bindgen glue is ~34 KB of readable JavaScript with doc comments, the loader is mostly comment;
// minified (rolldown's oxc minifier, the one Vite uses) they are about 2.4 KB gzipped smaller. Exports and
// property names stay as they are (the wasm's import object keys and `wasm.<export>` reads are
// properties), so each file behaves the same. Only dist/web gets this: the npm package keeps the readable
// glue, and the page's bundler minifies it there.
import { build } from "rolldown";
import { writeFileSync } from "node:fs";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node scripts/minify-js.mjs <file.js>…");
  process.exit(2);
}
for (const file of files) {
  const result = await build({
    input: file,
    write: false,
    treeshake: false,
    logLevel: "warn",
    // ES output of a file without imports or exports is its statements as they are, so the classic-script
    // loader stays a classic script.
    output: { format: "esm", minify: true },
  });
  if (result.output.length !== 1) throw new Error(`expected one output chunk for ${file}, got ${result.output.length}`);
  writeFileSync(file, result.output[0].code);
}
