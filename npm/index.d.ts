import type {
  FrontdeskOptions,
  FrontdeskHandle as WasmHandle,
  FrontdeskLanguage,
  FrontdeskUser,
  FrontdeskUserData,
  FrontdeskAgentDisplay,
  FrontdeskWord,
  FrontdeskOpenCxWord,
  FrontdeskMessage,
  FrontdeskEvents,
  FrontdeskEventName,
} from "./frontdesk.js";

export type {
  FrontdeskOptions,
  FrontdeskLanguage,
  FrontdeskUser,
  FrontdeskUserData,
  FrontdeskAgentDisplay,
  FrontdeskWord,
  FrontdeskOpenCxWord,
  FrontdeskMessage,
  FrontdeskEvents,
  FrontdeskEventName,
};

/** What `init` resolves to: the widget's methods, and its events with each one's payload typed. */
export interface FrontdeskHandle extends Omit<WasmHandle, "on" | "off"> {
  /** Calls `callback` on each `name` event; returns a function that removes it. */
  on<K extends FrontdeskEventName>(name: K, callback: (payload: FrontdeskEvents[K]) => void): () => void;
  off<K extends FrontdeskEventName>(name: K, callback: (payload: FrontdeskEvents[K]) => void): void;
}

/**
 * Starts the widget. Resolves once the launcher is on the page; rejects with an `Error` naming the
 * option at fault (`options.user.data.email: not an email address`), leaving nothing behind.
 */
export function init(options: FrontdeskOptions): Promise<FrontdeskHandle>;

/** `init` under OpenCX's name. */
export const initOpenScript: typeof init;
