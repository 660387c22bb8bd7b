// 7. Bad options: every invalid option of README.md#options rejects `Frontdesk.init` (the script-tag global)
// with an Error naming the option path, and leaves nothing in the page or in localStorage.
import assert from "node:assert/strict";
import { Suite } from "./suite.mjs";
import { widget } from "../testkit/widget.mjs";

const suite = new Suite();

// [what, options as a JS expression (T is the widget token), the message's start]
const CASES = [
  ["user.data and user.token together", `{ token: T, user: { data: { name: "A" }, token: "fdu1.x.y" } }`, "options.user: "],
  ["a missing token", `{ language: "en" }`, "options.token: "],
  ["an empty token", `{ token: "" }`, "options.token: "],
  ["a blank token", `{ token: "   " }`, "options.token: "],
  ["a token of the wrong type", `{ token: 42 }`, "options.token: "],
  ["the secret key in the page", `{ token: "sk_live_0123456789abcdef" }`, "options.token: "],
  ["options that are not an object", `"wt_abc"`, "options: "],
  ["a string customData", `{ token: T, user: { data: { customData: "pro" } } }`, "options.user.data.customData: "],
  ["an array customData", `{ token: T, user: { data: { customData: ["pro"] } } }`, "options.user.data.customData: "],
  ["a Date customData", `{ token: T, user: { data: { customData: new Date() } } }`, "options.user.data.customData: "],
  ["a customData holding a function", `{ token: T, user: { data: { customData: { f: () => 1 } } } }`, "options.user.data.customData: "],
  ["an oversized customData", `{ token: T, user: { data: { customData: { big: "x".repeat(20000) } } } }`, "options.user.data.customData: "],
  ["a malformed email", `{ token: T, user: { data: { email: "john" } } }`, "options.user.data.email: not an email address"],
  ["an email with two @", `{ token: T, user: { data: { email: "a@b@example.com" } } }`, "options.user.data.email: "],
  ["a javascript: avatarUrl", `{ token: T, user: { data: { avatarUrl: "javascript:alert(1)" } } }`, "options.user.data.avatarUrl: "],
  ["a relative avatarUrl", `{ token: T, user: { data: { avatarUrl: "avatar.png" } } }`, "options.user.data.avatarUrl: "],
  ["an unknown top-level key (typo)", `{ token: T, tokn: "wt_x" }`, "options.tokn: "],
  ["a mis-cased top-level key", `{ token: T, apiURL: "http://127.0.0.1" }`, "options.apiURL: "],
  ["an unknown user key", `{ token: T, user: { externalID: "ws" } }`, "options.user.externalID: "],
  ["an unknown user.data key", `{ token: T, user: { data: { mail: "a@example.com" } } }`, "options.user.data.mail: "],
  ["a name over the limit", `{ token: T, user: { data: { name: "x".repeat(300) } } }`, "options.user.data.name: "],
  ["an email over the limit", `{ token: T, user: { data: { email: "a".repeat(300) + "@example.com" } } }`, "options.user.data.email: "],
  ["an externalId over the limit", `{ token: T, user: { externalId: "w".repeat(200) } }`, "options.user.externalId: "],
  ["an externalId with a space", `{ token: T, user: { externalId: "a b" } }`, "options.user.externalId: "],
  ["an empty externalId", `{ token: T, user: { externalId: "" } }`, "options.user.externalId: "],
  ["a user.token of the wrong type", `{ token: T, user: { token: 42 } }`, "options.user.token: "],
  ["an empty user.token", `{ token: T, user: { token: "" } }`, "options.user.token: "],
  ["a user that is not an object", `{ token: T, user: "bob" }`, "options.user: "],
  ["an apiUrl that is not http(s)", `{ token: T, apiUrl: "ftp://chat.example.com" }`, "options.apiUrl: "],
  ["a colour that is not hex", `{ token: T, color: "red" }`, "options.color: "],
  ["an unknown position", `{ token: T, position: "center" }`, "options.position: "],
  ["an unknown language", `{ token: T, language: "xx" }`, "options.language: "],
  ["a non-boolean openOnStart", `{ token: T, openOnStart: "yes" }`, "options.openOnStart: "],
];

suite.test("7. each invalid option rejects Frontdesk.init naming the option path, and leaves nothing behind", async (s) => {
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ init: false }));
  await page.waitForFunction(() => typeof window.Frontdesk?.init === "function");

  const failures = [];
  for (const [what, expression, expected] of CASES) {
    const result = await page.evaluate(async ({ expression, token }) => {
      const options = new Function("T", `return (${expression});`)(token);
      try {
        const handle = await window.Frontdesk.init(options);
        handle.destroy();
        return { resolved: true };
      } catch (err) {
        return {
          isError: err instanceof Error,
          message: String(err?.message ?? err),
          hosts: document.querySelectorAll("[data-frontdesk]").length,
          storage: Object.keys(localStorage),
        };
      }
    }, { expression, token: s.org.widget_token });
    if (result.resolved) failures.push(`${what}: init resolved`);
    else {
      if (!result.isError) failures.push(`${what}: rejected with a non-Error`);
      if (!result.message.startsWith(expected)) failures.push(`${what}: ${JSON.stringify(result.message)} does not start with ${JSON.stringify(expected)}`);
      if (result.hosts !== 0) failures.push(`${what}: left ${result.hosts} [data-frontdesk] element(s)`);
      if (result.storage.length) failures.push(`${what}: left localStorage keys ${result.storage}`);
    }
  }
  assert.deepEqual(failures, []);

  // The page is still clean: a valid init afterwards works, and destroy() removes it again.
  const state = await page.evaluate(async (token) => {
    const handle = await window.Frontdesk.init({ token, language: "en" });
    const shown = document.querySelectorAll("[data-frontdesk]").length;
    handle.destroy();
    return { shown, after: document.querySelectorAll("[data-frontdesk]").length, storage: Object.keys(localStorage) };
  }, s.org.widget_token);
  assert.deepEqual(state, { shown: 1, after: 0, storage: [] });
  assert.equal(await widget.launcher(page).count(), 0);
});
