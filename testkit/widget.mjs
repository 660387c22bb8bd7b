// The widget as a visitor sees it, for Playwright: its controls found by role and name (Playwright's selectors
// pierce the open shadow root), and what it shows read straight from the shadow root.
export const widget = {
  launcher: (page) => page.getByRole("button", { name: /^Open chat/ }),
  composer: (page) => page.getByRole("textbox", { name: "Message" }),
  sendButton: (page) => page.getByRole("button", { name: "Send", exact: true }),
  panel: (page) => page.locator("[data-frontdesk] .panel"),
  notice: (page) => page.locator("[data-frontdesk] .notice.error"),
  badge: (page) => page.locator("[data-frontdesk] .badge"),

  /** Waits for the page's init to resolve (the page's status line says so). */
  async ready(page) {
    await page.locator("#status").filter({ hasText: /Widget (ready|error)/ }).waitFor({ timeout: 20_000 });
    const status = await page.locator("#status").textContent();
    if (!status.startsWith("Widget ready")) throw new Error(`init failed: ${status}`);
  },

  async open(page) {
    await widget.ready(page);
    await widget.launcher(page).click();
    await widget.panel(page).waitFor({ state: "visible" });
  },

  /** Types `text` in the composer, presses Enter, and waits until the server has stored it. */
  async send(page, text) {
    await widget.composer(page).fill(text);
    await widget.composer(page).press("Enter");
    await widget.sent(page, text);
  },

  /** Waits until a visitor message with `text` shows as stored (not pending). */
  sent(page, text, timeout = 20_000) {
    return page.locator("[data-frontdesk] .msg.visitor:not(.pending):not(.failed)").filter({ hasText: text }).first().waitFor({ timeout });
  },

  /** The items of the open conversation: `[{ cls, text }]`, read straight from the shadow root. */
  items(page) {
    return page.evaluate(() => {
      const root = document.querySelector("[data-frontdesk]")?.shadowRoot;
      return [...(root?.querySelectorAll(".messages li") || [])].map((li) => ({ cls: li.className, text: li.textContent }));
    });
  },

  /** The previews of the session list: `[text]`. */
  rows(page) {
    return page.evaluate(() => {
      const root = document.querySelector("[data-frontdesk]")?.shadowRoot;
      return [...(root?.querySelectorAll(".sessions [data-session]") || [])].map((b) => b.querySelector(".preview")?.textContent ?? "");
    });
  },

  /** Elements matching `selector` inside the shadow root (a count). */
  count(page, selector) {
    return page.evaluate((selector) => document.querySelector("[data-frontdesk]")?.shadowRoot?.querySelectorAll(selector).length ?? -1, selector);
  },
};
