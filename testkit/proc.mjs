// What a running process costs, read from /proc (Linux): resident memory, open files and their limit.
import { readdirSync, readFileSync } from "node:fs";

/** VmRSS of a process, in bytes, from /proc/<pid>/status. */
export function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(status.match(/^VmRSS:\s*(\d+)\s*kB/m)[1]) * 1024;
}

/** Open file descriptors of a process (sockets included), from /proc/<pid>/fd. */
export const fdCount = (pid) => readdirSync(`/proc/${pid}/fd`).length;

/** The soft open-file limit of a process, from /proc/<pid>/limits (null when it cannot be read). */
export function openFileLimit(pid) {
  try {
    const limits = readFileSync(`/proc/${pid}/limits`, "utf8");
    const m = limits.match(/^Max open files\s+(\S+)\s+(\S+)/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
