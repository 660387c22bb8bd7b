#!/usr/bin/env bash
# `npm test`: every check CI runs, in order of cost.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

run() { printf '\n[test] %s\n' "$*" >&2; "$@"; }

run cargo fmt --all --check
run cargo clippy --workspace --all-targets -- -D warnings
run cargo clippy -p frontdesk --target wasm32-unknown-unknown --all-targets -- -D warnings
run cargo test --workspace
run wasm-pack --log-level warn test --headless --chrome --chromedriver "$(command -v chromedriver)"
