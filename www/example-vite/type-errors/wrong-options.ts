// Must NOT typecheck: proves that `init`'s options are a typed object, not `any`.
// The e2e test (e2e/example-vite.test.mjs) runs tsc on this file and expects exactly one error on
// each line marked `// type error:`, and none elsewhere.
import { init, initOpenScript } from "frontdesk-widget";
import type { FrontdeskOptions } from "frontdesk-widget";

export function wrongCalls(): void {
  void init({ token: "wt_x", colour: "#1f6f5c" }); // type error: unknown option (typo of `color`)
  void init({ apiUrl: "https://chat.example.com" }); // type error: `token` is required
  void init({ token: "wt_x", position: "center" }); // type error: position is "right" | "left"
  void init({ token: "wt_x", openOnStart: "yes" }); // type error: openOnStart is a boolean
  void init({ token: "wt_x", user: { data: { customData: "pro" } } }); // type error: customData is an object
  void init({ token: "wt_x", user: { externalID: "ws_1" } }); // type error: unknown user key (typo of `externalId`)
  void init({ token: "wt_x", user: { token: 42 } }); // type error: a user token is a string or a function
}

export async function wrongEvents(): Promise<void> {
  const chat = await init({ token: "wt_x" });
  chat.on("mesage", () => {}); // type error: unknown event (typo of `message`)
  chat.off("opne", () => {}); // type error: unknown event (typo of `open`)
  chat.on("unread", (count: string) => void count); // type error: unread's payload is a number
  chat.on("message", (m) => void m.txt); // type error: a message's text is `text`
  void init({ token: "wt_x", colorScheme: "night" }); // type error: colorScheme is "light" | "dark" | "auto"
  void init({ token: "wt_x", initialQuestions: "How?" }); // type error: initialQuestions is an array
  void initOpenScript({ token: "wt_x", theme: { primaryColour: "#000" } }); // type error: typo of `primaryColor`
}

// OpenCX's options and the handle's methods and events, typed.
export async function rightCalls(): Promise<void> {
  const chat = await initOpenScript({
    token: "wt_x",
    isOpen: true,
    theme: { primaryColor: "#7c3aed", widgetTrigger: { zIndex: 10, offset: { bottom: 20, left: 16 } } },
    initialMessages: ["Hello"],
    initialQuestions: ["How do I pay my bill?"],
    translationOverrides: { en: { write_a_message_placeholder: "Ask away", title: "Help" } },
    textContent: { chatScreen: { headerTitle: "Acme" } },
    bot: { name: "Bot" },
    cssOverrides: "* {}",
  });
  const off = chat.on("message", (m) => void m.text.toUpperCase());
  chat.on("unread", (count) => void count.toFixed());
  chat.on("conversationResolved", ({ sessionId, by }) => void [sessionId, by]);
  off();
  chat.toggle();
  chat.setLanguage("fr");
  chat.showNewMessage("Hi");
  chat.updateUser({ token: "fdu1.a.b", externalId: "ws_2" });
  const state: [boolean, number] = [chat.isOpen(), chat.unreadCount()];
  void state;
}

export const fine: FrontdeskOptions = { token: "wt_x", user: { token: async () => "fdu1.a.b", externalId: "ws_1" } };
