// 18. The widget's SDK, in Chromium against the real server: the handle's events (each once, with its payload, in
// order; a throwing listener changes nothing), calls made on the script tag's `Frontdesk` before the wasm arrives
// (queued, then run in order), `updateUser` switching between a device's non-verified session and a verified user,
// an OpenCX config pasted as it is, dark mode under axe's contrast rules, and the unread count in the page's title.
import assert from "node:assert/strict";
import { AxeBuilder } from "@axe-core/playwright";
import { Suite } from "./suite.mjs";
import { widgetApi } from "../testkit/api.mjs";
import { eventually, uniq } from "../testkit/util.mjs";
import { widget } from "../testkit/widget.mjs";
import { logsOf } from "../testkit/browser.mjs";

const suite = new Suite();

/** The events the page's listeners recorded: `[name, payload]`, in order. */
const recorded = (page) => page.evaluate(() => window.__events);

/** In the page: a listener on every event that records it, after one that throws on every event. */
const LISTEN_TO_ALL = `
  window.__events = [];
  const names = ["ready", "open", "close", "message", "unread", "conversationStarted", "conversationResolved", "error"];
  for (const name of names) {
    target.on(name, () => { throw new Error("a listener of the page broke on " + name); });
    target.on(name, (payload) => window.__events.push([name, payload === undefined ? null : payload]));
  }
`;

suite.test("18a. each event fires once with its payload, in order, and a listener that throws changes nothing", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ init: false }));
  await page.waitForFunction(() => typeof window.Frontdesk?.init === "function");

  await page.evaluate(
    async ({ token, ws, listen }) => {
      const target = await window.Frontdesk.init({ token, language: "en", user: { data: { name: "Events" }, externalId: ws } });
      window.chat = target;
      new Function("target", listen)(target);
      // An unsubscribed listener is never called; an unknown name is an Error naming it.
      const off = target.on("open", () => window.__events.push(["unsubscribed listener called", null]));
      off();
      try {
        target.on("opne", () => {});
      } catch (err) {
        window.__unknown = err instanceof Error && err.message;
      }
    },
    { token: s.org.widget_token, ws, listen: LISTEN_TO_ALL },
  );
  assert.match(await page.evaluate(() => window.__unknown), /unknown event "opne"; events: ready, open, close, message/);
  await eventually(async () => (await recorded(page)).some(([n]) => n === "ready"), "ready");

  await page.evaluate(() => window.chat.open());
  await widget.send(page, "Hello from the page");
  const [session] = await s.agent.sessions(ws);
  await s.agent.reply(session.id, "Agent here");
  await eventually(async () => (await recorded(page)).filter(([n]) => n === "message").length === 2, "the reply");
  await page.evaluate(() => window.chat.close());
  await s.agent.reply(session.id, "Are you there?");
  await eventually(async () => (await recorded(page)).some(([n, p]) => n === "unread" && p === 1), "unread 1");
  assert.equal(await page.evaluate(() => window.chat.unreadCount()), 1);
  await page.evaluate(() => window.chat.toggle());
  assert.equal(await page.evaluate(() => window.chat.isOpen()), true);
  await s.agent.resolve(session.id);
  await eventually(async () => (await recorded(page)).some(([n]) => n === "conversationResolved"), "resolved");

  const events = await recorded(page);
  const shape = events.map(([name, p]) =>
    name === "message" ? [name, p.author, p.authorName, p.text] : name === "conversationResolved" || name === "conversationStarted" ? [name, p.sessionId] : [name, p],
  );
  assert.deepEqual(shape, [
    ["ready", null],
    ["open", null],
    ["conversationStarted", session.id],
    ["message", "visitor", null, "Hello from the page"],
    ["message", "agent", "Ada (agent)", "Agent here"],
    ["close", null],
    ["message", "agent", "Ada (agent)", "Are you there?"],
    ["unread", 1],
    ["unread", 0],
    ["open", null],
    ["conversationResolved", session.id],
  ]);
  const message = events[3][1];
  assert.equal(message.sessionId, session.id);
  assert.equal(typeof message.id, "number");
  assert.deepEqual(message.attachments, []);
  assert.match(message.sentAt, /^\d{4}-\d\d-\d\dT/);
  assert.equal(events[10][1].by, "agent");

  // The throwing listeners were reported, and the widget carried on: the panel shows the whole chat.
  const thrown = logsOf(page).filter((l) => l.type === "error" && l.text.includes("listener threw"));
  assert.ok(thrown.length >= events.length, `each throw reported (${thrown.length})`);
  assert.ok(thrown[0].text.startsWith('Frontdesk: a "ready" listener threw: a listener of the page broke on ready'), thrown[0].text);
  const texts = (await widget.items(page)).map((i) => i.text).join(" | ");
  for (const text of ["Hello from the page", "Agent here", "Are you there?"]) assert.ok(texts.includes(text), texts);

  // `error`: the same text the console gets (a user token the server refuses), registered before the wasm came.
  const broken = await s.open(await s.device(), s.pageUrl({ init: false }));
  await broken.waitForFunction(() => typeof window.Frontdesk?.init === "function");
  const error = await broken.evaluate(async (token) => {
    const got = new Promise((resolve) => window.Frontdesk.on("error", resolve));
    await window.Frontdesk.init({ token, language: "en", user: { token: "fdu1.not.valid" } });
    return got;
  }, s.org.widget_token);
  assert.match(error, /^Frontdesk: /);
  assert.ok(logsOf(broken).some((l) => l.type === "error" && l.text === error), "the console got the same text");

  // destroy() drops the listeners: a new init starts without them.
  const after = await page.evaluate(async (token) => {
    window.chat.destroy();
    const count = window.__events.length;
    const chat = await window.Frontdesk.init({ token, language: "en" });
    chat.open();
    chat.destroy();
    return window.__events.length - count;
  }, s.org.widget_token);
  assert.equal(after, 0);
});

suite.test("18b. calls on Frontdesk before the wasm arrives are queued and run in order", async (s) => {
  const device = await s.device();
  const page = await s.open(device);
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  await page.route(/\/frontdesk_bg\.wasm(\?|$)/, async (route) => {
    await gate;
    await route.continue();
  });
  await page.goto(s.pageUrl({ options: { user: { data: { name: "Early" }, externalId: uniq("ws") } } }));
  await widget.launcher(page).waitFor({ state: "visible" });

  const early = await page.evaluate(() => {
    const F = window.Frontdesk;
    window.__log = [];
    F.on("bogus", () => {});
    F.on("open", () => window.__log.push("open"));
    F.on("ready", () => window.__log.push("ready"));
    const offClose = F.on("close", () => window.__log.push("close"));
    F.open();
    F.close();
    offClose();
    F.showNewMessage("A question written by the page");
    return { isOpen: F.isOpen(), unread: F.unreadCount(), offIsFunction: typeof offClose === "function", alias: F.initOpenScript === F.init };
  });
  assert.deepEqual(early, { isOpen: false, unread: 0, offIsFunction: true, alias: true });
  assert.equal(await page.locator("#status").textContent(), "Loading the widget", "the wasm is still held back");

  release();
  await widget.ready(page);
  await eventually(async () => (await page.evaluate(() => window.__log)).includes("ready"), "ready");
  // `ready` had fired by the time the queued `on("ready")` ran: a late ready listener is called at once.
  assert.deepEqual(await page.evaluate(() => window.__log), ["ready", "open", "close", "open"]);
  await widget.panel(page).waitFor({ state: "visible" });
  assert.equal(await widget.composer(page).inputValue(), "A question written by the page");
  assert.ok(logsOf(page).some((l) => l.type === "error" && l.text.includes('unknown event "bogus"')), "the bad queued call was reported");
  // After the wasm: the same object calls the handle at once; `close` is no longer listened to.
  await page.evaluate(() => {
    window.Frontdesk.close();
    window.Frontdesk.toggle();
  });
  assert.deepEqual(await page.evaluate(() => [window.__log, window.Frontdesk.isOpen()]), [["ready", "open", "close", "open", "open"], true]);
});

suite.test("18c. updateUser switches from the device's chats to a verified user's and back, without a reload", async (s) => {
  const ws = uniq("ws");
  const email = `${uniq("verified")}@example.com`;
  // The verified user's history, written from another device.
  const { token } = await s.authenticate({ email, name: "Vera" });
  const verified = widgetApi(s.api, { widgetToken: s.org.widget_token, userToken: token, externalId: ws, origin: s.site.origin });
  const started = await verified.start();
  assert.equal(started.status, 201);
  assert.equal((await verified.send(started.json.session.id, "Verified history")).status, 201);

  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ init: false }));
  await page.waitForFunction(() => typeof window.Frontdesk?.init === "function");
  await page.evaluate(async ({ t, ws }) => {
    window.chat = await window.Frontdesk.init({ token: t, language: "en", user: { data: { name: "Device" }, externalId: ws } });
    window.chat.open();
    document.getElementById("status").textContent = "Widget ready";
  }, { t: s.org.widget_token, ws });
  await widget.send(page, "Device question");
  const deviceSession = (await s.agent.sessions(ws)).find((x) => x.id !== started.json.session.id);
  await s.agent.reply(deviceSession.id, "Device answer");
  await page.locator("[data-frontdesk] .msg.agent").filter({ hasText: "Device answer" }).waitFor();

  // A new identity starts on its list of chats once they have loaded.
  const showList = () => page.locator("[data-frontdesk] .sessions").waitFor({ state: "visible" });

  await page.evaluate(({ token, ws }) => window.chat.updateUser({ token, externalId: ws }), { token, ws });
  await showList();
  await eventually(async () => (await widget.rows(page)).some((r) => r.includes("Verified history")), "the verified history");
  assert.deepEqual(
    (await widget.rows(page)).filter((r) => r.includes("Device")),
    [],
    "none of the device's chats",
  );
  // The old identity's long-poll is gone: an agent's reply in the device's chat reaches nobody here, while one in
  // the verified chat does.
  await page.evaluate(() => window.chat.close());
  await s.agent.reply(deviceSession.id, "Device reply after the switch");
  await s.agent.reply(started.json.session.id, "Verified reply");
  await eventually(async () => (await page.evaluate(() => window.chat.unreadCount())) === 1, "one unread (the verified reply)");
  await page.evaluate(() => window.chat.open());
  await page.getByRole("button", { name: /Verified reply/ }).click();
  await page.locator("[data-frontdesk] .msg.agent").filter({ hasText: "Verified reply" }).waitFor();
  assert.equal(await page.locator("[data-frontdesk] .msg").filter({ hasText: "Device" }).count(), 0);

  // Back to the device: its chats come back from localStorage's device id, the verified user's go.
  await page.evaluate((ws) => window.chat.updateUser({ data: { name: "Device" }, externalId: ws }), ws);
  await showList();
  await eventually(async () => (await widget.rows(page)).some((r) => r.includes("Device reply after the switch")), "the device's chat again");
  assert.deepEqual((await widget.rows(page)).filter((r) => r.includes("Verified")), []);

  // A wrong user is refused as init would refuse it, and changes nothing.
  const refused = await page.evaluate(() => {
    try {
      window.chat.updateUser({ data: { email: "not-an-email" } });
      return null;
    } catch (err) {
      return err.message;
    }
  });
  assert.equal(refused, "Frontdesk: updateUser: options.user.data.email: not an email address");
  assert.ok((await widget.rows(page)).some((r) => r.includes("Device reply after the switch")));
});

/** OpenCX's documented options, as a site moving from OpenCX pastes them (with its Frontdesk token). */
const opencxOptions = (token) => ({
  token,
  language: "en",
  isOpen: true,
  theme: { primaryColor: "#7c3aed", palette: "stone" },
  initialMessages: ["Hello, how can I help you?"],
  initialQuestions: ["How do I pay my bill?", "How do I change my address?"],
  translationOverrides: { en: { write_a_message_placeholder: "Ask us anything", new_conversation: "Start a chat" } },
  textContent: { chatScreen: { headerTitle: "Acme help" } },
  cssOverrides: "* { font-family: serif }",
  headers: { "X-Api": "1" },
});

suite.test("18d. an OpenCX config works as it is: its colour, open on start, its words, one warning for the rest", async (s) => {
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ init: false }));
  await page.waitForFunction(() => typeof window.Frontdesk?.initOpenScript === "function");
  await page.evaluate(async (options) => {
    window.chat = await window.Frontdesk.initOpenScript(options);
  }, opencxOptions(s.org.widget_token));

  // isOpen: the panel is open at once; theme.primaryColor: the launcher and header are in it.
  await widget.panel(page).waitFor({ state: "visible" });
  assert.equal(await page.evaluate(() => window.chat.isOpen()), true);
  const colours = await page.evaluate(() => {
    const root = document.querySelector("[data-frontdesk]").shadowRoot;
    return [root.querySelector(".launcher"), root.querySelector(".header")].map((e) => getComputedStyle(e).backgroundColor);
  });
  assert.deepEqual(colours, ["rgb(124, 58, 237)", "rgb(124, 58, 237)"]);
  // textContent and translationOverrides, OpenCX's keys mapped to the widget's words.
  assert.equal(await page.locator("[data-frontdesk] .header h2").textContent(), "Acme help");
  // No chats yet: the panel opens on a new conversation, its composer named with the overridden word.
  await page.getByRole("textbox", { name: "Ask us anything" }).waitFor();
  // The options without an equivalent: one warning naming them all, and no error.
  const warnings = logsOf(page).filter((l) => l.type === "warning" && l.text.includes("OpenCX options"));
  assert.equal(warnings.length, 1);
  assert.equal(
    warnings[0].text,
    "Frontdesk: these OpenCX options have no equivalent in Frontdesk and are ignored: options.cssOverrides, options.headers, options.theme.palette",
  );
  assert.deepEqual(logsOf(page).filter((l) => l.type === "error"), []);
  // A typo beside OpenCX's names is still refused with its path.
  const refused = await page.evaluate(async (options) => {
    window.chat.destroy();
    try {
      await window.Frontdesk.initOpenScript({ ...options, initialQuestion: ["typo"] });
      return null;
    } catch (err) {
      return err.message;
    }
  }, opencxOptions(s.org.widget_token));
  assert.match(refused, /^options\.initialQuestion: unknown option \(did you mean `initialQuestions`\?\)/);
});

suite.test("18e. dark mode passes axe's contrast rules, and \"auto\" follows the system's scheme as it changes", async (s) => {
  const ws = uniq("ws");
  const device = await s.device({ colorScheme: "dark" });
  const page = await s.open(device, s.pageUrl({ options: { colorScheme: "auto", user: { data: { name: "Night" }, externalId: ws } } }));
  await widget.open(page);
  await widget.send(page, "Dark question with a link https://example.com");
  const [session] = await s.agent.sessions(ws);
  await s.agent.reply(session.id, "Dark answer");
  await page.locator("[data-frontdesk] .msg.agent").filter({ hasText: "Dark answer" }).waitFor();
  const panelBackground = () => page.evaluate(() => getComputedStyle(document.querySelector("[data-frontdesk]").shadowRoot.querySelector(".panel")).backgroundColor);
  assert.equal(await panelBackground(), "rgb(27, 31, 39)");
  const { violations } = await new AxeBuilder({ page }).include("[data-frontdesk]").withRules(["color-contrast"]).analyze();
  assert.deepEqual(violations.map((v) => [v.id, v.nodes.map((n) => n.target.join(" "))]), []);
  // The list screen too.
  await page.getByRole("button", { name: "Back to conversations" }).click();
  const list = await new AxeBuilder({ page }).include("[data-frontdesk]").withRules(["color-contrast"]).analyze();
  assert.deepEqual(list.violations.map((v) => v.id), []);

  await page.emulateMedia({ colorScheme: "light" });
  assert.equal(await panelBackground(), "rgb(255, 255, 255)");

  // "dark" whatever the system says.
  const forced = await s.open(await s.device({ colorScheme: "light" }), s.pageUrl({ options: { colorScheme: "dark", openOnStart: true } }));
  await widget.ready(forced);
  await widget.panel(forced).waitFor({ state: "visible" });
  assert.equal(
    await forced.evaluate(() => getComputedStyle(document.querySelector("[data-frontdesk]").shadowRoot.querySelector(".panel")).backgroundColor),
    "rgb(27, 31, 39)",
  );
  const forcedAxe = await new AxeBuilder({ page: forced }).include("[data-frontdesk]").withRules(["color-contrast"]).analyze();
  assert.deepEqual(forcedAxe.violations.map((v) => v.id), []);
});

/** Plays the browser's part of a tab going to the background (or coming back). */
const setHidden = (page, hidden) =>
  page.evaluate((hidden) => {
    Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);

suite.test("18f. while the tab is hidden the page's title shows the unread count, and it comes back when shown", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ title: "Acme shop", options: { sound: true, user: { data: { name: "Tabs" }, externalId: ws } } }));
  await widget.open(page);
  await widget.send(page, "Title question");
  await page.evaluate(() => window.frontdeskHandle.close());
  const [session] = await s.agent.sessions(ws);

  // The tab goes to the background: headless Chromium keeps every tab visible, so the browser's part is played
  // here (document.hidden and the visibilitychange event it fires); the widget's part is all real.
  await setHidden(page, true);
  await s.agent.reply(session.id, "First");
  await eventually(async () => (await page.title()) === "(1) Acme shop", "the title with 1 unread");
  await s.agent.reply(session.id, "Second");
  await eventually(async () => (await page.title()) === "(2) Acme shop", "the title with 2 unread");

  await setHidden(page, false);
  await eventually(async () => (await page.title()) === "Acme shop", "the page's own title again");
  // The sound asked for: a reply with no user gesture on the page plays nothing and throws nothing.
  assert.deepEqual(logsOf(page).filter((l) => l.type === "error"), []);
});

suite.test("18g. setLanguage redraws the widget in another language, keeping what it showed; showNewMessage fills the composer", async (s) => {
  const ws = uniq("ws");
  const device = await s.device();
  const page = await s.open(device, s.pageUrl({ options: { user: { data: { name: "Polyglot" }, externalId: ws } } }));
  await widget.open(page);
  await widget.send(page, "Bonjour");
  const refused = await page.evaluate(() => {
    const chat = window.frontdeskHandle;
    chat.setLanguage("fr-CA");
    try {
      chat.setLanguage("xx");
    } catch (err) {
      return err.message;
    }
    return null;
  });
  assert.equal(refused, 'Frontdesk: setLanguage: unsupported language "xx"; supported: en, fr, de, es, pt, it, nl, pl, tr, ru, uk, ja, zh, ar, he, fa');
  // French's words are fetched (locales/fr.json), then the same view speaks them.
  await page.waitForFunction(() => document.querySelector("[data-frontdesk]").lang === "fr");
  const state = await page.evaluate(() => {
    const root = document.querySelector("[data-frontdesk]");
    return { hosts: document.querySelectorAll("[data-frontdesk]").length, title: root.shadowRoot.querySelector(".header h2").textContent, open: window.frontdeskHandle.isOpen() };
  });
  assert.deepEqual(state, { hosts: 1, title: "Assistance", open: true });
  // The conversation on screen is still there, in the new view.
  await page.locator("[data-frontdesk] .msg.visitor").filter({ hasText: "Bonjour" }).waitFor();

  await page.evaluate(() => window.frontdeskHandle.showNewMessage("Une autre question"));
  assert.equal(await widget.composer(page).inputValue(), "Une autre question");
  assert.equal(await page.locator("[data-frontdesk] .msg").count(), 0, "a new conversation is empty");
});
