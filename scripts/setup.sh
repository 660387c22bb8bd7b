#!/usr/bin/env bash
# Installs everything the build and the tests need, offline-safe: everything comes from
# the package registries (crates.io, npm, Debian), nothing from a download that bypasses them.
# Each step is guarded, so a machine that already has it skips it in milliseconds.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '[setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  step "installing chromium and chromium-driver (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# nginx: the load balancer of e2e/scale.test.mjs, which runs deploy/nginx.conf as shipped.
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  step "installing nginx (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
fi

# The e2e suite seeds a 10,000-message chat straight into the test server's SQLite file (e2e/history.test.mjs).
if ! command -v sqlite3 >/dev/null; then
  step "installing sqlite3 (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  step "installing wasm-bindgen-cli $wb_version (about 2 minutes)"
  # No --locked: its lockfile pins a crate version that registry mirrors may lack; the resolver's choice works.
  cargo install -q wasm-bindgen-cli --version "$wb_version" --force
fi

if ! command -v wasm-pack >/dev/null; then
  step "installing wasm-pack (about 1.5 minutes)"
  cargo install -q wasm-pack
fi

# schemathesis (PyPI), the property-based API tester of scripts/api-fuzz.sh, pinned, in a venv of the repository.
SCHEMATHESIS_VERSION=4.32.5
if [ "$(.venv/bin/schemathesis --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
  step "installing schemathesis $SCHEMATHESIS_VERSION into .venv (pip)"
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# npm ci only when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi
