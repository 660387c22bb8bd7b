// frontdesk-widget: `init(options)` loads the wasm on first use, then starts the widget.
// The wasm is found with `new URL(…, import.meta.url)`, which Vite, webpack 5, Parcel and Rollup
// bundle as an asset without a plugin.
// Each language's words but English's (compiled in) are a module of their own, imported only when the
// widget speaks that language: one literal import each, so that every bundler ships them as chunks.
import load, { init as start, setLocaleLoader } from "./frontdesk.js";

const locales = {
  fr: () => import("./locales/fr.js"),
  de: () => import("./locales/de.js"),
  es: () => import("./locales/es.js"),
  pt: () => import("./locales/pt.js"),
  it: () => import("./locales/it.js"),
  nl: () => import("./locales/nl.js"),
  pl: () => import("./locales/pl.js"),
  tr: () => import("./locales/tr.js"),
  ru: () => import("./locales/ru.js"),
  uk: () => import("./locales/uk.js"),
  ja: () => import("./locales/ja.js"),
  zh: () => import("./locales/zh.js"),
  ar: () => import("./locales/ar.js"),
  he: () => import("./locales/he.js"),
  fa: () => import("./locales/fa.js"),
};

let loading;

/** @param {import("./index.d.ts").FrontdeskOptions} options */
export function init(options) {
  loading ??= load({ module_or_path: new URL("./frontdesk_bg.wasm", import.meta.url) }).then(() =>
    setLocaleLoader((code) => locales[code]().then((module) => module.default)),
  );
  return loading.then(() => start(options));
}

/** `init` under OpenCX's name, so code written for OpenCX's widget works unchanged. */
export const initOpenScript = init;
