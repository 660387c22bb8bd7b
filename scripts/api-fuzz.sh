#!/usr/bin/env bash
# The OpenAPI document (docs/openapi.json, served at /openapi.json) checked against the real server: schemathesis
# generates requests for every operation from the document and fails on a 500, or on an answer whose status, body
# or content type the document does not declare. A real `frontdesk-server serve` on a loopback port with a fresh
# SQLite file, an org, an agent key, a device and a verified user each with a chat holding a message and an upload
# (so the chat and download routes get past 404), and a metrics token. Credentials per audience: scripts/schemathesis.toml.
#
# Bounded: FUZZ_MAX_EXAMPLES generated cases per operation (default 25), FUZZ_MAX_TIME seconds for the device's
# pass (default 90) and a third of that for the verified user's. Run alone: `bash scripts/api-fuzz.sh` (after
# `scripts/setup.sh`, which installs schemathesis).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

schemathesis=.venv/bin/schemathesis
[ -x "$schemathesis" ] || { echo "api-fuzz: $schemathesis missing; run scripts/setup.sh" >&2; exit 1; }

cargo build -q -p frontdesk-server
server=target/debug/frontdesk-server
scratch=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT

database="sqlite://$scratch/frontdesk.db"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
json() { node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{let v=JSON.parse(d);for(const k of process.argv[1].split("."))v=v[k];console.log(v)})' "$1"; }

org=$("$server" org create --name "API fuzz" --json --database "$database")
FUZZ_WIDGET_TOKEN=$(json widget_token <<<"$org")
FUZZ_SECRET_KEY=$(json secret_key <<<"$org")
FUZZ_AGENT_KEY=$("$server" agent create --org "$FUZZ_WIDGET_TOKEN" --name "Fuzz agent" --json --database "$database" | json agent_key)
FUZZ_METRICS_TOKEN=$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')
FUZZ_DEVICE=$(node -e 'console.log(require("crypto").randomBytes(16).toString("hex"))')
export FUZZ_WIDGET_TOKEN FUZZ_SECRET_KEY FUZZ_AGENT_KEY FUZZ_METRICS_TOKEN FUZZ_DEVICE

# Generous limits: the fuzzer is one client sending thousands of requests, which the real limits would (rightly)
# refuse with 429s; those are documented, but a run of 429s tests nothing else.
"$server" serve --addr "127.0.0.1:$port" --database "$database" --metrics-token "$FUZZ_METRICS_TOKEN" \
  --sessions-per-ip 0 --new-devices-per-ip 0 --new-devices-per-org 0 --sessions-per-org 0 \
  >"$scratch/server.log" 2>&1 &
server_pid=$!
api="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$api/healthz" >/dev/null && break; sleep 0.1; done

export FUZZ_SCOPE=fuzz-workspace
printf 'a file for the download routes\n' >"$scratch/note.txt"
FUZZ_USER_TOKEN=$(curl -fsS -X POST "$api/widget/authenticate-user" -H "Authorization: Bearer $FUZZ_SECRET_KEY" \
  -H 'Content-Type: application/json' -d '{"email":"fuzz@example.com","name":"Fuzz"}' | json token)

# One pass per kind of visitor: the device (non-verified), then the verified user, each with a chat of its own
# holding a message and an upload. `FUZZ_IDENTITY_HEADER: FUZZ_IDENTITY` is how the visitor says who it is.
# One worker: with two, CPython 3.11 once failed inside schemathesis's own code (`SystemError: AST constructor recursion
# depth mismatch`, a race of its compiler in threads), failing the run with no fault of the server's.
# Checks: no 500, statuses and bodies as documented, the documented content type. Not `positive_data_acceptance`:
# a schema cannot say every rule (an email's, a client id's) that the server checks and names in a 422.
status=0
fuzz() {
  local header=$1 identity=$2 seconds=$3
  export FUZZ_IDENTITY_HEADER=$header FUZZ_IDENTITY=$identity
  local widget=(-H "X-Frontdesk-Widget-Token: $FUZZ_WIDGET_TOKEN" -H "$header: $identity" -H "X-Frontdesk-External-Id: $FUZZ_SCOPE")
  FUZZ_SESSION=$(curl -fsS -X POST "$api/widget/v1/sessions" "${widget[@]}" -H 'Content-Type: application/json' \
    -d '{}' | json session.id)
  FUZZ_ATTACHMENT=$(curl -fsS -X POST "$api/widget/v1/sessions/$FUZZ_SESSION/attachments" "${widget[@]}" \
    -F "file=@$scratch/note.txt;type=text/plain" | json attachment.id)
  curl -fsS -X POST "$api/widget/v1/sessions/$FUZZ_SESSION/messages" "${widget[@]}" -H 'Content-Type: application/json' \
    -d "{\"content\":\"hello\",\"attachment_ids\":[\"$FUZZ_ATTACHMENT\"]}" >/dev/null
  export FUZZ_SESSION FUZZ_ATTACHMENT
  echo "[api-fuzz] as $header, for $seconds s" >&2
  "$schemathesis" --config-file scripts/schemathesis.toml run "$api/openapi.json" "${@:4}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "${FUZZ_MAX_EXAMPLES:-25}" --max-time "$seconds" \
    --phases examples,coverage,fuzzing --workers 1 --request-timeout 10 --max-redirects 0 --generation-database none \
    --seed "${FUZZ_SEED:-$RANDOM}" --no-color --report-dir "$scratch/report" || status=$?
}
# Every operation but the admin API's as the device; the widget's operations again as the verified user; then the
# admin API with the secret key, last, since what it does (rotating a key at once, deleting a chat) may end what the
# other passes rely on. Not the secret key's own rotation and retirement: a rotation `now` would end the credential of
# the pass itself, leaving every later request a 401 (server/tests/api/rotation.rs covers them).
fuzz X-Frontdesk-Device "$FUZZ_DEVICE" "${FUZZ_MAX_TIME:-90}" --exclude-path-regex '^/api/admin/'
fuzz Authorization "Bearer $FUZZ_USER_TOKEN" "$(( (${FUZZ_MAX_TIME:-90} + 2) / 3 ))" --include-path-regex '^/widget/v1/'
fuzz X-Frontdesk-Device "$FUZZ_DEVICE" "$(( (${FUZZ_MAX_TIME:-90} + 2) / 3 ))" --include-path-regex '^/api/admin/' \
  --exclude-path-regex '^/api/admin/secret-key/'
# What the server answered, so a run that only met 401s and 404s shows as such.
echo "[api-fuzz] the server's answers by status:" >&2
grep -o "status=[0-9]*" "$scratch/server.log" | sort | uniq -c | sort -rn >&2 || true
[ -n "${FUZZ_KEEP_LOG:-}" ] && cp "$scratch/server.log" "$FUZZ_KEEP_LOG"
if [ "$status" != 0 ]; then
  echo "--- server log (last 40 lines) ---" >&2; tail -40 "$scratch/server.log" >&2
fi
exit "$status"
