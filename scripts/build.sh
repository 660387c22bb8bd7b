#!/usr/bin/env bash
# Builds the widget for the script-tag embed into dist/web/ (served by frontdesk-server --public-dir).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"   # wasm-opt 132 from npm, not Debian's 108

wasm-pack --log-level warn build --release --target web --no-pack --no-typescript \
  --out-dir dist/web --out-name frontdesk
cp www/widget.js dist/web/widget.js
rm -f dist/web/.gitignore
