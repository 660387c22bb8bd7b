import type { FrontdeskOptions, FrontdeskHandle, FrontdeskLanguage, FrontdeskUser, FrontdeskUserData } from "./frontdesk.js";

export type { FrontdeskOptions, FrontdeskHandle, FrontdeskLanguage, FrontdeskUser, FrontdeskUserData };

/**
 * Starts the widget. Resolves once the launcher is on the page; rejects with an `Error` naming the
 * option at fault (`options.user.data.email: not an email address`), leaving nothing behind.
 */
export function init(options: FrontdeskOptions): Promise<FrontdeskHandle>;
