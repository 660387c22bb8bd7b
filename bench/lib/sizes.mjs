// Transfer size of the script-tag embed, of the peers' embeds (npm pack, same run), what the server actually sends,
// and where the wasm's bytes go (twiggy on a copy built with names kept).
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { readFileSync, readdirSync, statSync, mkdirSync, existsSync } from "node:fs";
import { join, basename } from "node:path";
import http from "node:http";
import { run, log, round } from "./util.mjs";

export const EMBED_FILES = ["widget.js", "frontdesk.js", "frontdesk_bg.wasm"];

export function compressed(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }).length,
  };
}

function measureFiles(dir, files, label = (f) => f) {
  const rows = files.map((f) => ({ file: label(f), ...compressed(readFileSync(join(dir, f))) }));
  const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }),
    { raw: 0, gzip: 0, brotli: 0 });
  return { files: rows, total };
}

export function frontdeskSizes(publicDir) {
  return measureFiles(publicDir, EMBED_FILES);
}

/** What the running server sends for each file with `Accept-Encoding: br`, then `gzip` (bytes on the wire), and how long. */
export async function servedSizes(url) {
  const get = (path, encoding) =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      http.get(`${url}/${path}`, { headers: { "accept-encoding": encoding } }, (res) => {
        let bytes = 0;
        res.on("data", (d) => (bytes += d.length));
        res.on("end", () => resolve({ status: res.statusCode, encoding: res.headers["content-encoding"] || "identity",
          bytes, ms: round(performance.now() - started, 1), cacheControl: res.headers["cache-control"] || null }));
      }).on("error", reject);
    });
  const rows = [];
  for (const file of EMBED_FILES) {
    const br = await get(file, "br");
    const gz = await get(file, "gzip");
    rows.push({ file, br: br.bytes, brEncoding: br.encoding, brMs: br.ms, gzip: gz.bytes, gzipEncoding: gz.encoding,
      gzipMs: gz.ms, status: br.status, cacheControl: br.cacheControl });
  }
  return rows;
}

// The peer widgets we measure against: what a page loads before each one's launcher shows.
const PEERS = [
  {
    spec: "@rocket.chat/livechat@1.13.3",
    name: "Rocket.Chat livechat 1.13.3",
    select(pkg) {
      const build = join(pkg, "build");
      const html = readFileSync(join(build, "index.html"), "utf8");
      const scripts = [...html.matchAll(/<script[^>]+src="(?:livechat\/)?([^"]+)"/g)].map((m) => m[1]);
      const all = readdirSync(build);
      const css = all.filter((f) => /^5\.chunk\.[0-9a-f]+\.css$/.test(f));
      return {
        dir: build,
        js: ["rocketchat-livechat.min.js", ...scripts],
        css,
        extra: ["index.html"],
        everything: all.filter((f) => /\.(js|css|html)$/.test(f)),
        note: "loader `rocketchat-livechat.min.js`, then the iframe's `index.html` and its four scripts; CSS = `5.chunk.*.css` (about 9 KB; the app injects it)",
      };
    },
  },
  {
    spec: "@botpress/webchat@4.5.2",
    name: "Botpress webchat 4.5.2",
    select(pkg) {
      return {
        dir: join(pkg, "dist"),
        js: ["index.js"],
        css: ["style.css"],
        extra: [],
        note: "`dist/index.js` + `dist/style.css`; React is a peer dependency, measured on its own line",
      };
    },
  },
];

async function npmPack(specs, dir) {
  const out = await run("npm", ["pack", ...specs, "--json", "--silent", "--no-audit", "--no-fund", "--pack-destination", dir], { cwd: dir });
  const packed = JSON.parse(out.slice(out.indexOf("[")));
  for (const p of packed) {
    const into = join(dir, p.name.replace(/[@/]/g, "_"));
    mkdirSync(into, { recursive: true });
    await run("tar", ["-xzf", join(dir, p.filename), "-C", into]);
    p.root = join(into, "package");
  }
  return packed;
}

export async function peerSizes(tmp) {
  const dir = join(tmp, "peers");
  mkdirSync(dir, { recursive: true });
  let packed;
  try {
    packed = await npmPack(PEERS.map((p) => p.spec), dir);
  } catch (e) {
    return { error: `npm registry: ${e.message.split("\n")[0]}`, peers: PEERS.map((p) => ({ name: p.name, measured: false })) };
  }
  const peers = [];
  for (const [i, peer] of PEERS.entries()) {
    const sel = peer.select(packed[i].root);
    const js = measureFiles(sel.dir, sel.js);
    const css = measureFiles(sel.dir, sel.css);
    const extra = measureFiles(sel.dir, sel.extra);
    const total = {
      raw: js.total.raw + css.total.raw + extra.total.raw,
      gzip: js.total.gzip + css.total.gzip + extra.total.gzip,
      brotli: js.total.brotli + css.total.brotli + extra.total.brotli,
    };
    const everything = sel.everything ? measureFiles(sel.dir, sel.everything).total : null;
    peers.push({ name: peer.name, spec: peer.spec, version: packed[i].version, measured: true, note: sel.note,
      files: [...js.files, ...css.files, ...extra.files], js: js.total, css: css.total, total, everything });
  }
  // Botpress needs React on the page too: the production builds of react 19, react-dom (client) and scheduler.
  let react = null;
  try {
    const [r, rd] = await npmPack(["react@19", "react-dom@19"], dir);
    const schedulerRange = JSON.parse(readFileSync(join(rd.root, "package.json"), "utf8")).dependencies.scheduler;
    const [s] = await npmPack([`scheduler@${schedulerRange}`], dir);
    const files = [
      [r.root, "cjs/react.production.js"],
      [rd.root, "cjs/react-dom.production.js"],
      [rd.root, "cjs/react-dom-client.production.js"],
      [s.root, "cjs/scheduler.production.js"],
    ].filter(([root, f]) => existsSync(join(root, f)));
    const rows = files.map(([root, f]) => ({ file: `${basename(root.replace(/\/package$/, ""))}/${f}`, ...compressed(readFileSync(join(root, f))) }));
    react = { versions: `react ${r.version}, react-dom ${rd.version}, scheduler ${s.version}`, files: rows,
      total: rows.reduce((t, x) => ({ raw: t.raw + x.raw, gzip: t.gzip + x.gzip, brotli: t.brotli + x.brotli }), { raw: 0, gzip: 0, brotli: 0 }) };
  } catch (e) {
    react = { error: String(e.message).split("\n")[0] };
  }
  return { peers, react };
}

/** Sums twiggy's rows into coarse buckets: whose code (crate) or what kind of section. */
function bucket(name) {
  if (name.startsWith('"function names"') || name.startsWith('"data names"') || name.includes("names\" subsection")) return "name section (debug copy only; not shipped)";
  if (name.startsWith("data segment")) return "data segments (.rodata: CSS, strings, tables)";
  // v0 and legacy mangling alike: drop crate hashes `[0123abcd…]` and the `<` of `<Type>::method` / `<T as Trait>::…`.
  const n = name.replace(/\[[0-9a-f]{8,}\]/g, "").replace(/::h[0-9a-f]{16}$/, "").replace(/^<+/, "");
  if (/^frontdesk::/.test(n)) return "frontdesk (the widget's own code, incl. inlined generics)";
  if (/^import /.test(n)) return "import section (one entry per browser function; long hashed names)";
  if (/^export /.test(n)) return "export section";
  if (/^(u|i)(8|16|32|64|128|size)>::_?fmt/.test(n)) return "core::fmt (formatting)";
  if (/^(str|char|\[u8\]|\[char\])>::/.test(n)) return "core::str / unicode";
  if (/^(code|elem)\[\d+\]$|^custom section/.test(n)) return "module structure (imports, exports, types, tables)";
  if (/core::fmt|fmt::(Debug|Display|Write)|::fmt::h|Formatter|pad_integral|to_string/.test(n)) return "core::fmt (formatting)";
  if (/panic|unwrap_failed|expect_failed|slice_error_fail|index_out_of_bounds|slice_(start|end)_index|str_index_overflow|assert_failed|abort/.test(n)) return "panics and bounds-check messages";
  if (/dlmalloc|__rdl_|__rust_(alloc|dealloc|realloc)|__rg_|alloc::alloc|RawVec|raw_vec/.test(n)) return "allocator (dlmalloc) and Vec growth";
  if (/^<?(core::str|core::unicode|core::char|char as|str>|core\[.*\]::str|core\[.*\]::unicode)/.test(n) || /core::str|core::unicode|Searcher|is_whitespace|eq_ignore_ascii_case|to_ascii_lowercase/.test(n)) return "core::str / unicode";
  if (/sort::|btree|collections::|hashbrown|alloc::|Vec<|String|to_vec/.test(n)) return "alloc: collections, sort, String/Vec";
  if (/js_sys::futures|wasm_bindgen_futures|JsFuture|future_to_promise|spawn_local/.test(n)) return "futures bridge (js-sys futures queue, JsFuture, future_to_promise)";
  if (/wasm_bindgen|js_sys|web_sys|externref|__wbg|__wbindgen|shim|_free\b|frontdeskhandle_/i.test(n)) return "wasm-bindgen glue (closures, shims, exports)";
  if (/gloo_/.test(n)) return "gloo (net, events, timers)";
  if (/^(import|export|type|table|elem|global|memory|code|custom|start)\b/.test(n)) return "module structure (imports, exports, types, tables)";
  if (/^core|^<core|std::|^std|compiler_builtins|__multi3|memcmp|memcpy|memset|memmove/.test(n)) return "core/std other";
  return "other";
}

export async function wasmBreakdown({ root, tmp }) {
  const twiggy = [join(process.env.HOME || "/root", ".cargo/bin/twiggy"), "twiggy"].find((t) => {
    try { return statSync(t).isFile(); } catch { return t === "twiggy"; }
  });
  try {
    await run(twiggy, ["--version"]);
  } catch {
    return { error: "twiggy is not installed (cargo install twiggy); section skipped" };
  }
  // scripts/build.sh builds with nightly into target/nightly when it can, else with stable into target/: the newer
  // of the two is the one dist/web came from.
  const candidates = ["target/nightly/wasm32-unknown-unknown/release/frontdesk.wasm", "target/wasm32-unknown-unknown/release/frontdesk.wasm"]
    .map((p) => join(root, p)).filter((p) => existsSync(p)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!candidates.length) return { error: "no target/**/wasm32-unknown-unknown/release/frontdesk.wasm: run scripts/build.sh first" };
  const source = candidates[0];
  const out = join(tmp, "wasm-names");
  await run("wasm-bindgen", ["--keep-debug", "--target", "web", "--out-dir", out, source]);
  const debugWasm = join(out, "frontdesk_bg.wasm");
  // The same optimisation as the shipped build (Cargo.toml's wasm-opt flags), with -g so names survive: the closest
  // named picture of what ships.
  const meta = readFileSync(join(root, "Cargo.toml"), "utf8").match(/wasm-opt\s*=\s*\[([^\]]*)\]/);
  const flags = meta ? [...meta[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]) : ["-Oz"];
  const optWasm = join(out, "frontdesk_opt_named.wasm");
  const wasmOpt = join(root, "node_modules/.bin/wasm-opt");
  let optError = null;
  try {
    await run(existsSync(wasmOpt) ? wasmOpt : "wasm-opt", [...flags, "-g", debugWasm, "-o", optWasm]);
  } catch (e) {
    optError = String(e.message).split("\n")[0];
  }
  const top = async (file, n) => JSON.parse(await run(twiggy, ["top", "-n", String(n), "-f", "json", file]));
  const summarize = (rows) => rows.filter((r) => !/^Σ|^\.\.\. and/.test(r.name));
  const result = {
    source: source.slice(root.length).replace(/^\//, ""),
    keepDebug: { file: "wasm-bindgen --keep-debug (before wasm-opt)", bytes: statSync(debugWasm).size, top: summarize(await top(debugWasm, 20)) },
  };
  if (!optError) {
    const all = summarize(await top(optWasm, 100000));
    const names = all.filter((r) => bucket(r.name).startsWith("name section")).reduce((s, r) => s + r.shallow_size, 0);
    const buckets = {};
    for (const r of all) buckets[bucket(r.name)] = (buckets[bucket(r.name)] || 0) + r.shallow_size;
    result.optimized = {
      file: `the same, then wasm-opt ${flags.join(" ")} -g`,
      bytes: statSync(optWasm).size,
      bytesWithoutNames: statSync(optWasm).size - names,
      top: all.slice(0, 21),
      buckets: Object.entries(buckets).sort((a, b) => b[1] - a[1]).map(([name, bytes]) => ({ name, bytes })),
      // The data segments' share that is the stylesheet (compiled in with include_str!).
      styleCssBytes: statSync(join(root, "src/style.css")).size,
    };
  } else result.optimizedError = optError;
  // Printable strings in the shipped wasm, by kind (a heuristic scan of the whole file, not a section parse).
  const shipped = readFileSync(join(root, "dist/web/frontdesk_bg.wasm")).toString("latin1");
  const strings = { "import names (module + __wbg_name_hash)": 0, "CSS (style.css)": 0, "source paths (panic locations)": 0, "other text (UI words, error messages)": 0 };
  for (const r of shipped.match(/[\x20-\x7e\n\t\xc2-\xf4\x80-\xbf]{6,}/g) || []) {
    if (/__wbg|__wbindgen|frontdesk_bg\.js/.test(r)) strings["import names (module + __wbg_name_hash)"] += r.length;
    else if (/\.rs\b/.test(r)) strings["source paths (panic locations)"] += r.length;
    else if (/\{[^}]*:[^}]*\}/.test(r)) strings["CSS (style.css)"] += r.length;
    else strings["other text (UI words, error messages)"] += r.length;
  }
  result.strings = strings;
  // The JS glue: one JS shim per imported browser function.
  const glue = readFileSync(join(root, "dist/web/frontdesk.js"), "utf8");
  result.glue = { bytes: Buffer.byteLength(glue), ...compressed(Buffer.from(glue)),
    imports: (glue.match(/^\s*__wbg_[A-Za-z0-9_]+\s*:\s*function/gm) || []).length,
    closureShims: (glue.match(/^function wasm_bindgen__convert__closures/gm) || []).length };
  log(`twiggy: ${result.keepDebug.bytes} B keep-debug, ${result.optimized?.bytesWithoutNames} B optimized without names`);
  return result;
}
