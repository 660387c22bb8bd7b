#!/usr/bin/env bash
# Builds the widget once (wasm-pack, web target) and lays it out twice:
#   dist/web/  — the script-tag embed: widget.js (loader) + frontdesk.js (glue) + frontdesk_bg.wasm,
#                served by `frontdesk-server serve --public-dir dist/web`
#   dist/npm/  — the npm package `frontdesk-widget` (templates in npm/)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"   # wasm-opt 132 from npm, not Debian's 108

# With the nightly toolchain (when rustup has it), std is rebuilt with panics that abort
# at once: no panic messages or formatting machinery in the wasm, about 9 KB gzipped less; and with no
# file/line/column in panic locations, which an aborting panic never prints (0.6 KB less), and std's
# `optimize_for_size` feature, its smaller variants of the same algorithms (0.3 KB less). Without it,
# the stable build works the same, only bigger. Its own target dir, so the two never rebuild each other.
if rustup toolchain list | grep -q '^nightly' && rustup component add rust-src --toolchain nightly >/dev/null 2>&1; then
  RUSTUP_TOOLCHAIN=nightly CARGO_TARGET_DIR=target/nightly \
  RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
    wasm-pack --log-level warn build . --release --target web --no-pack --out-dir dist/wasm --out-name frontdesk \
      -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size
  toolchain=nightly
else
  echo "[build] no nightly toolchain: building with stable (larger wasm: about 62 KB gzipped in all, not 52)" >&2
  wasm-pack --log-level warn build . --release --target web --no-pack --out-dir dist/wasm --out-name frontdesk
  toolchain=stable
fi
# Which build this is: scripts/check-size.mjs holds each to its own budget.
echo "$toolchain" > dist/toolchain

# Short names for what the wasm and its glue call each other (about 4.5 KB gzipped less; see the script).
node scripts/minify-wasm-names.mjs dist/wasm

rm -rf dist/web dist/npm
mkdir -p dist/web dist/npm
cp dist/wasm/frontdesk.js dist/wasm/frontdesk_bg.wasm dist/web/
version=$(cat dist/web/frontdesk.js dist/web/frontdesk_bg.wasm | sha256sum | cut -c1-12)
sed "s/__FRONTDESK_VERSION__/$version/" www/widget.js > dist/web/widget.js
# The loader draws the closed launcher itself before the wasm arrives, with the launcher's rules of style.css.
node scripts/inline-launcher-css.mjs dist/web/widget.js
# Minified after the version is computed from the readable glue, so the version names the same build as
# before; the .gz/.br siblings below are of the minified files.
node scripts/minify-js.mjs dist/web/frontdesk.js dist/web/widget.js
# V8's explicit compile hint (Chrome 136+; a plain comment elsewhere): the glue's functions are compiled
# while it streams in, off the main thread, instead of each on its first call inside `init`
# (BENCHMARKS.md, start-up). It must be the file's first line, so it goes on after the minifier.
sed -i '1i //# allFunctionsCalledOnLoad' dist/web/frontdesk.js
# Every language but English (compiled in) as a file of its own, fetched by the widget only when wanted:
# dist/web/locales/<code>.json for the script tag, and for the npm package dist/npm/locales/<code>.js, a
# module `npm/index.js` imports, so that a bundler ships it (a JSON file would need a plugin in some, and a
# bundler may inline a small asset as a data: URL, which a strict connect-src refuses).
mkdir -p dist/web/locales dist/npm/locales
node -e '
const fs = require("fs");
for (const f of fs.readdirSync("src/locales")) {
  if (!f.endsWith(".json") || f === "en.json") continue;
  const words = JSON.stringify(JSON.parse(fs.readFileSync("src/locales/" + f, "utf8")));
  fs.writeFileSync("dist/web/locales/" + f, words);
  fs.writeFileSync("dist/npm/locales/" + f.replace(/json$/, "js"), "export default " + words + ";\n");
}'
# Pre-compressed siblings at the strongest settings: the server sends them instead of compressing on the fly
# at a fast level (BENCHMARKS.md: 61 KB at brotli 11 against 72 KB on the fly).
node -e '
const fs = require("fs"), zlib = require("zlib");
const locales = fs.readdirSync("dist/web/locales").map((f) => "locales/" + f);
for (const f of ["widget.js", "frontdesk.js", "frontdesk_bg.wasm", ...locales]) {
  const data = fs.readFileSync("dist/web/" + f);
  fs.writeFileSync("dist/web/" + f + ".br", zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }));
  fs.writeFileSync("dist/web/" + f + ".gz", zlib.gzipSync(data, { level: 9 }));
}'
cp dist/wasm/frontdesk.js dist/wasm/frontdesk_bg.wasm npm/* dist/npm/
# wasm-bindgen declares `[Symbol.dispose]` on the handle, which a TypeScript project without the
# `esnext.disposable` lib cannot type-check; the method stays in the JS, only its declaration goes.
grep -v 'Symbol.dispose' dist/wasm/frontdesk.d.ts > dist/npm/frontdesk.d.ts
# The first load (what the script tag loads before the launcher shows) and the whole embed, gzip -9 and brotli 11
# (their budgets are checked in npm test).
node scripts/check-size.mjs --print
