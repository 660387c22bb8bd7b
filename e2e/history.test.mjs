// 12. A long chat: a chat of 10,000 messages opens on its latest page, not all at once; scrolling to the top loads
// the page above, each message once and in order, and what the visitor was reading stays where it was.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Suite } from "./suite.mjs";
import { newVisitor, request } from "../testkit/api.mjs";
import { eventually } from "../testkit/util.mjs";
import { widget } from "../testkit/widget.mjs";

const suite = new Suite();
const TOTAL = 10_000;
/** The widget's page of history (src/api.rs). */
const PAGE = 30;

/**
 * Stores `n` messages `history 1` … `history n` in `session` (every fourth the visitor's) straight into the server's
 * SQLite file, in one statement: the database's own triggers run as for any insert, and no rate limit or HTTP round
 * trip is involved.
 */
async function seed(s, session, n) {
  assert.match(session, /^[0-9a-f]{32}$/);
  const sql = `WITH RECURSIVE seq (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n})
    INSERT INTO messages (session_id, author, author_name, content, created_at)
    SELECT '${session}', CASE WHEN i % 4 = 0 THEN 'visitor' ELSE 'agent' END, CASE WHEN i % 4 = 0 THEN NULL ELSE 'Ada' END,
           'history ' || i, CAST(strftime('%s', 'now') AS INTEGER) FROM seq`;
  await promisify(execFile)("sqlite3", ["-cmd", ".timeout 10000", s.server.databasePath, sql]);
}

/** The numbers of the `history N` lines on screen, in DOM order (read from each line's text, not its label or time). */
const shownNumbers = (page) =>
  page.evaluate(() => [...document.querySelector("[data-frontdesk]").shadowRoot.querySelectorAll(".messages li")]
    .map((li) => [...li.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join(""))
    .map((text) => Number(/^history (\d+)/.exec(text)?.[1] ?? NaN)));

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

suite.test("12. a chat of 10,000 messages opens on its latest page; scrolling up loads the older ones once each, in order, in place", async (s) => {
  const visitor = await newVisitor(s.api, s.org.widget_token);
  await seed(s, visitor.session, TOTAL);

  // The server pages through all of it: each message once, oldest first, with nothing left out.
  const all = [];
  let before = null;
  do {
    const query = before ? `?limit=1000&before=${before}` : "?limit=1000";
    const r = await request(`${s.api}/widget/v1/sessions/${visitor.session}/messages${query}`, { headers: visitor.api.headers });
    assert.equal(r.status, 200, r.text);
    all.unshift(...r.json.messages.map((m) => Number(m.content.split(" ")[1])));
    before = r.json.next_before;
  } while (before !== null);
  assert.deepEqual(all, range(1, TOTAL));

  // This browser is the visitor's device (its id in the widget's localStorage before the page runs).
  const device = await s.device();
  await device.addInitScript(([key, id]) => localStorage.setItem(key, id), [`frontdesk:v1:${s.org.widget_token}:-:device`, visitor.device]);
  const page = await s.open(device, s.pageUrl());
  await widget.open(page);
  await page.locator("[data-frontdesk] button[data-session]").click();
  await page.locator("[data-frontdesk] .msg").filter({ hasText: `history ${TOTAL}` }).waitFor();
  assert.deepEqual(await shownNumbers(page), range(TOTAL - PAGE + 1, TOTAL), "only the latest page is drawn");

  for (let pages = 2; pages <= 6; pages++) {
    // Scroll to the very top; the line that was first must stay where the visitor sees it once the page above arrives.
    const before = await page.evaluate(() => {
      const root = document.querySelector("[data-frontdesk]").shadowRoot;
      const body = root.querySelector(".body");
      body.scrollTop = 0;
      const first = root.querySelector(".messages li");
      window.__first = first;
      return first.getBoundingClientRect().top;
    });
    await eventually(async () => (await widget.count(page, ".messages li")) === pages * PAGE, `page ${pages} to be drawn above`);
    const after = await page.evaluate(() => ({
      top: window.__first.getBoundingClientRect().top,
      scrollTop: document.querySelector("[data-frontdesk]").shadowRoot.querySelector(".body").scrollTop,
    }));
    assert.ok(Math.abs(after.top - before) <= 1, `the line read before stays in place: ${before} → ${after.top}`);
    assert.ok(after.scrollTop > 0, "the older lines are above the view, not in it");
    assert.deepEqual(await shownNumbers(page), range(TOTAL - pages * PAGE + 1, TOTAL), `after ${pages} pages: no gap, no repeat`);
  }

  // A reply arriving now goes at the end, once.
  await s.agent.reply(visitor.session, "history 10001: live, after paging");
  await page.locator("[data-frontdesk] .msg").filter({ hasText: "history 10001" }).waitFor();
  assert.deepEqual(await shownNumbers(page), range(TOTAL - 6 * PAGE + 1, TOTAL + 1));
}, { timeout: 120_000 });
