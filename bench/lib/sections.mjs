// BENCHMARKS.md has two writers: `npm run bench` rewrites the whole file, `npm run soak` only its Soak section.
// These keep each from erasing the other's part.
import { existsSync, readFileSync } from "node:fs";

export const SOAK_HEADING = "## Soak";
/** The file's opening line on who writes it (the bench's report writes it; the soak brings an older file up to date). */
export const WRITTEN_BY = "Written by `npm run bench` (`bench/run.mjs`), the Soak section by `npm run soak` (`bench/soak.mjs`); do not edit by hand, run them again.";
const OLD_WRITTEN_BY = "Written by `npm run bench` (`bench/run.mjs`); do not edit by hand, run it again.";
const HOW_TO_RUN = "## How to run";

/** The `## ` section starting with `heading` (to the next `## ` heading or the end), or null. */
export function sectionOf(markdown, heading) {
  const start = markdown.indexOf(`\n${heading}`);
  if (start < 0) return null;
  const next = markdown.indexOf("\n## ", start + 1);
  return markdown.slice(start + 1, next < 0 ? markdown.length : next + 1).trimEnd();
}

/** `markdown` with the section `heading` replaced by `text`, or inserted before "How to run" (or at the end). */
export function withSection(markdown, heading, text) {
  markdown = markdown.replace(OLD_WRITTEN_BY, WRITTEN_BY);
  const old = sectionOf(markdown, heading);
  if (old !== null) return markdown.replace(old, text.trimEnd());
  const at = markdown.indexOf(`\n${HOW_TO_RUN}`);
  if (at < 0) return `${markdown.trimEnd()}\n\n${text.trimEnd()}\n`;
  return `${markdown.slice(0, at + 1)}${text.trimEnd()}\n\n${markdown.slice(at + 1)}`;
}

/** The Soak section of the file at `path`, if it has one. */
export function soakSectionOf(path) {
  return existsSync(path) ? sectionOf(readFileSync(path, "utf8"), SOAK_HEADING) : null;
}
