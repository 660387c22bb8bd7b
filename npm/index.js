// frontdesk-widget: `init(options)` loads the wasm on first use, then starts the widget.
// The wasm is found with `new URL(…, import.meta.url)`, which Vite, webpack 5, Parcel and Rollup
// bundle as an asset without a plugin.
import load, { init as start } from "./frontdesk.js";

let loading;

/** @param {import("./index.d.ts").FrontdeskOptions} options */
export function init(options) {
  loading ??= load({ module_or_path: new URL("./frontdesk_bg.wasm", import.meta.url) });
  return loading.then(() => start(options));
}

/** `init` under OpenCX's name, so code written for OpenCX's widget works unchanged. */
export const initOpenScript = init;
