#!/usr/bin/env bash
# `npm test`: every check CI runs, cheapest first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

run() { printf '\n[test] %s\n' "$*" >&2; "$@"; }

run cargo fmt --all --check
run cargo clippy --workspace --all-targets -- -D warnings
run cargo clippy -p frontdesk --target wasm32-unknown-unknown --all-targets -- -D warnings
run cargo test --workspace

# Everything that needs a database to itself from here on shares this clean-up.
scratch=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$scratch"
  scripts/postgres.sh down
}
trap cleanup EXIT

# The server's integration suite again, on Postgres (a fresh database per test, dropped after), on the server that
# scripts/postgres.sh finds or starts; the e2e suite's scale-out test uses it too.
eval "$(scripts/postgres.sh up)"
run env FRONTDESK_TEST_BACKEND=postgres cargo test -p frontdesk-server --test api

# The widget's browser tests talk to a real server: start one on a free loopback port with a fresh
# SQLite file and a fresh org, and mint a verified user token the way a site's backend would.
run cargo build -q -p frontdesk-server
server=target/debug/frontdesk-server
database="sqlite://$scratch/frontdesk.db"
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port=$(free_port)
# The tests play the agent with fetch from the test page, whose origin the agent API must name (it sends no CORS
# headers to any other): so the test runner's address is fixed here rather than left to the runner.
runner_port=$(free_port)
while [ "$runner_port" = "$port" ]; do runner_port=$(free_port); done
export WASM_BINDGEN_TEST_ADDRESS="127.0.0.1:$runner_port"
org=$("$server" org create --name "Browser tests" --json --database "$database")
"$server" serve --addr "127.0.0.1:$port" --database "$database" --agent-api-origin "http://127.0.0.1:$runner_port" \
  >"$scratch/server.log" 2>&1 &
server_pid=$!
api="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$api/healthz" >/dev/null && break; sleep 0.1; done
json() { node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.parse(d)[process.argv[1]]))' "$1"; }
export FRONTDESK_TEST_API="$api"
FRONTDESK_TEST_WIDGET_TOKEN=$(json widget_token <<<"$org"); export FRONTDESK_TEST_WIDGET_TOKEN
FRONTDESK_TEST_SECRET_KEY=$(json secret_key <<<"$org"); export FRONTDESK_TEST_SECRET_KEY
FRONTDESK_TEST_USER_TOKEN=$(curl -fsS -X POST "$api/widget/authenticate-user" \
  -H "Authorization: Bearer $FRONTDESK_TEST_SECRET_KEY" -H 'Content-Type: application/json' \
  -d '{"email":"browser-test@example.com","name":"Browser Test","custom_data":{"plan":"pro"}}' | json token)
export FRONTDESK_TEST_USER_TOKEN
if ! run wasm-pack --log-level warn test --headless --chrome --chromedriver "$(command -v chromedriver)"; then
  echo "--- server log ---" >&2; tail -50 "$scratch/server.log" >&2; exit 1
fi

# The OpenAPI document against the real server: every operation, as documented, no 500 (a server of its own).
run bash scripts/api-fuzz.sh

# End-to-end: the release build of the widget (script tag and npm package) in headless Chromium, against
# servers, a customer site and a Vite build that the suite starts itself (e2e/suite.mjs and testkit/).
run bash scripts/build.sh
run node scripts/check-size.mjs   # the size budgets (first load, whole embed), size-budget.json
run node --test --test-concurrency=2 e2e/
