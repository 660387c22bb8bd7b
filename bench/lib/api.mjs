// The Frontdesk HTTP API as the benchmarks use it: a visitor on its own device, and an agent replying.
import { randomHex } from "./util.mjs";

export function deviceHeaders(org, device) {
  return { "x-frontdesk-widget-token": org.widgetToken, "x-frontdesk-device": device };
}

/** A new device (32 hex) with one chat session; as the widget would create it. */
export async function newVisitor(url, org) {
  const device = randomHex(16);
  const res = await fetch(`${url}/widget/v1/sessions`, {
    method: "POST",
    headers: { ...deviceHeaders(org, device), "content-type": "application/json" },
    body: "{}",
  });
  if (res.status !== 201) throw new Error(`start session: ${res.status} ${await res.text()}`);
  const { session } = await res.json();
  return { device, session: session.id };
}

/** An agent reply through the agent API (agent key). Resolves to the stored message. */
export async function agentReply(url, org, session, content) {
  const res = await fetch(`${url}/api/sessions/${session}/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${org.agentKey}`, "content-type": "application/json" },
    body: JSON.stringify({ content }),
  });
  if (res.status !== 201) throw new Error(`agent reply: ${res.status} ${await res.text()}`);
  return (await res.json()).message;
}

export function storageKey(org) {
  return `frontdesk:v1:${org.widgetToken}:-:device`;
}

/** Seeds the widget's device id into the bench origin's localStorage before any page script runs. */
export function seedDevice(org, device) {
  return {
    fn: ({ key, device }) => {
      try { localStorage.setItem(key, device); } catch {}
    },
    arg: { key: storageKey(org), device },
  };
}
