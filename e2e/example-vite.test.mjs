// The bundler example (www/example-vite): `import { init } from "frontdesk-widget"` built by Vite,
// served by the customer's site and run in Chromium; and its options typechecked by tsc (strict),
// with a file of wrong options that must fail, so `any` would be caught.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { build } from "vite";
import { Suite, ROOT } from "./suite.mjs";
import { logsOf } from "../testkit/browser.mjs";
import { uniq } from "../testkit/util.mjs";
import { widget } from "../testkit/widget.mjs";

const suite = new Suite();
const EXAMPLE = join(ROOT, "www", "example-vite");
const TSC = join(ROOT, "node_modules", ".bin", "tsc");
const run = promisify(execFile);

/** tsc's diagnostics: `{ file, line, code }`, and its exit code. */
async function tsc(project) {
  try {
    const { stdout } = await run(TSC, ["--noEmit", "--pretty", "false", "-p", project], { cwd: ROOT });
    return { code: 0, output: stdout, errors: [] };
  } catch (err) {
    const output = `${err.stdout}${err.stderr}`;
    const errors = [...output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+):/gm)].map((m) => ({ file: m[1], line: Number(m[2]), code: m[3] }));
    return { code: err.code, output, errors };
  }
}

suite.test("example-vite: built with Vite, the app shows the launcher and a message gets stored", async (s) => {
  const outDir = mkdtempSync(join(tmpdir(), "frontdesk-e2e-vite-"));
  try {
    await build({ configFile: join(EXAMPLE, "vite.config.mjs"), logLevel: "warn", build: { outDir, emptyOutDir: true } });
    const assets = readdirSync(join(outDir, "assets"));
    assert.ok(assets.some((f) => f.endsWith(".wasm")), `the wasm is bundled as an asset: ${assets}`);
    assert.ok(!readFileSync(join(outDir, "index.html"), "utf8").match(/<script(?![^>]*\bsrc=)[^>]*>/), "no inline script in the built page");

    // Served by the customer's site under the same strict CSP as the script-tag pages: the wasm now
    // comes from the site itself, the chat API from the Frontdesk server.
    const csp = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ${s.api}; style-src 'self'`;
    const base = s.site.mount("/example-vite/", outDir, { csp });
    const ws = uniq("vite");
    const device = await s.device();
    const page = await s.open(device, `${base}index.html?token=${s.org.widget_token}&api=${encodeURIComponent(s.api)}&ws=${ws}`);
    await page.locator("#status").filter({ hasText: /Widget (ready|error)/ }).waitFor();
    assert.equal(await page.locator("#status").textContent(), "Widget ready");
    await widget.launcher(page).waitFor({ state: "visible" });
    await page.getByRole("button", { name: "Open the chat" }).click(); // the app calls handle.open()
    await widget.panel(page).waitFor({ state: "visible" });
    await widget.send(page, "hello from the Vite app");

    const [session] = await s.agent.sessions(ws);
    assert.equal(session.last_message.content, "hello from the Vite app");
    assert.deepEqual(session.contact.non_verified_custom_data, { app: "example-vite" });
    assert.deepEqual(logsOf(page).filter((l) => l.type === "error" || /Content Security Policy|Refused to/i.test(l.text)), [], "no console error, no CSP complaint");

    // Another language: its words come from the package's locales/fr.js, which Vite shipped as a chunk.
    const french = await s.open(await s.device(), `${base}index.html?token=${s.org.widget_token}&api=${encodeURIComponent(s.api)}&ws=${ws}-fr&lang=fr`);
    await french.getByRole("button", { name: "Ouvrir le chat", exact: true }).waitFor();
    assert.equal(await french.locator("[data-frontdesk]").getAttribute("lang"), "fr");
    assert.deepEqual(logsOf(french).filter((l) => l.type === "error" || l.type === "warning" || /Content Security Policy|Refused to/i.test(l.text)), [], "no console error or warning, no CSP complaint");
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

suite.test("example-vite: main.ts typechecks (strict) and wrong options fail typechecking line by line", async () => {
  assert.ok(existsSync(TSC), "the root node_modules has typescript");
  const ok = await tsc(join(EXAMPLE, "tsconfig.json"));
  assert.equal(ok.code, 0, `main.ts typechecks:\n${ok.output}`);
  const config = JSON.parse(readFileSync(join(EXAMPLE, "tsconfig.json"), "utf8"));
  assert.equal(config.compilerOptions.strict, true);

  const wrongFile = join(EXAMPLE, "type-errors", "wrong-options.ts");
  const expected = readFileSync(wrongFile, "utf8").split("\n").flatMap((line, i) => (/;\s*\/\/ type error:/.test(line) ? [i + 1] : []));
  assert.ok(expected.length >= 5, "the file marks its wrong lines");
  const wrong = await tsc(join(EXAMPLE, "type-errors", "tsconfig.json"));
  assert.notEqual(wrong.code, 0, "tsc must fail on the wrong options");
  const rel = relative(ROOT, wrongFile);
  const other = wrong.errors.filter((e) => e.file !== rel);
  assert.deepEqual(other, [], `errors only in the wrong file (not a missing module or broken types):\n${wrong.output}`);
  assert.deepEqual([...new Set(wrong.errors.map((e) => e.line))], expected, `one error on each marked line:\n${wrong.output}`);
  assert.ok(!wrong.errors.some((e) => e.code === "TS2307"), "the package resolves");
});
