// Must NOT typecheck: proves that `init`'s options are a typed object, not `any`.
// The e2e test (e2e/example-vite.test.mjs) runs tsc on this file and expects exactly one error on
// each line marked `// type error:`, and none elsewhere.
import { init } from "frontdesk-widget";
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

export const fine: FrontdeskOptions = { token: "wt_x", user: { token: async () => "fdu1.a.b", externalId: "ws_1" } };
