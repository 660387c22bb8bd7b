// Resolves `frontdesk-widget` to the package that `bash scripts/build.sh` lays out in dist/npm, so the
// example builds against this checkout without an npm install (a real app: `npm install frontdesk-widget`).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  resolve: {
    alias: { "frontdesk-widget": fileURLToPath(new URL("../../dist/npm/index.js", import.meta.url)) },
  },
  build: { target: "es2022" },
});
