// The Vite example app: `import { init } from "frontdesk-widget"`, typed options, and the handle.
//
// The widget token and the Frontdesk server come from the query string, so one build runs against any
// server: /index.html?token=wt_…&api=http://127.0.0.1:8787 (a real site would hard-code its token), and
// optionally &lang=fr.
import { init } from "frontdesk-widget";
import type { FrontdeskHandle, FrontdeskLanguage, FrontdeskOptions } from "frontdesk-widget";

const params = new URLSearchParams(location.search);
const status = document.querySelector<HTMLParagraphElement>("#status")!;
const openButton = document.querySelector<HTMLButtonElement>("#open-chat")!;

function optionsFromPage(): FrontdeskOptions | null {
  const token = params.get("token");
  if (!token) return null;
  const options: FrontdeskOptions = {
    token,
    user: {
      data: { name: "Vite visitor", customData: { app: "example-vite" } },
      externalId: params.get("ws") ?? "example-vite",
    },
    color: "#1f6f5c",
    position: "right",
    // ?lang=fr: the language's words are a chunk Vite split off the package, loaded when wanted.
    language: (params.get("lang") ?? "en") as FrontdeskLanguage,
  };
  const api = params.get("api");
  if (api) options.apiUrl = api;
  return options;
}

async function start(): Promise<void> {
  const options = optionsFromPage();
  if (!options) {
    status.textContent = "Add ?token=wt_…&api=<Frontdesk server URL> to this page's address.";
    return;
  }
  try {
    const handle: FrontdeskHandle = await init(options);
    status.textContent = "Widget ready";
    openButton.disabled = false;
    openButton.addEventListener("click", () => handle.open());
  } catch (err) {
    status.textContent = "Widget error: " + (err instanceof Error ? err.message : String(err));
  }
}

void start();
