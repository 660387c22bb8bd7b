// Small helpers every test and benchmark needs: free ports, unique names, waiting on a condition, random ids.
import { createServer } from "node:net";

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loopback port nobody listens on right now (the OS picks it; closed again before it is returned). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A name no other call in this run (or a concurrent run) returns: `prefix-<run>-<pid>-<n>`. */
export const uniq = (() => {
  let n = 0;
  const run = Date.now().toString(36);
  return (prefix = "u") => `${prefix}-${run}-${process.pid}-${++n}`;
})();

/** `bytes` random bytes as lowercase hex (a device id is 16 of them). */
export function randomHex(bytes) {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Polls `check` (sync or async) until it returns a truthy value, which it returns; throws the last
 *  failure after `timeout` ms. A condition, not a timing: the timeout is only a safety net. */
export async function eventually(check, what = "condition", timeout = 20_000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = new Error(`got ${JSON.stringify(value)}`);
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for: ${what} (last: ${last?.message ?? last})`);
    }
    await sleep(100);
  }
}
