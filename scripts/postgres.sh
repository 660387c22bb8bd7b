#!/usr/bin/env bash
# A Postgres for the tests, found or made, so a fresh machine passes `npm test` with no Postgres set up by hand.
#
#   eval "$(scripts/postgres.sh up)"     # prints `export` lines; progress goes to stderr
#   scripts/postgres.sh down             # stops and removes the throwaway cluster `up` started, if any
#
# `up` exports FRONTDESK_TEST_POSTGRES_URL: an admin URL (a role that may CREATE DATABASE, database `postgres`);
# each test run makes its own fresh database on it and drops it after (testkit/postgres.mjs). Where it comes from,
# first match wins:
#   a. FRONTDESK_TEST_POSTGRES_URL already set: used as it is;
#   b. a Postgres answering on 127.0.0.1:5432 (user postgres, no password): postgres://postgres@127.0.0.1:5432/postgres;
#   c. a throwaway cluster: Debian's `postgresql` installed if initdb is missing, initdb into a fresh temp folder as a
#      non-root user, started with pg_ctl on a free loopback port; `up` then also exports
#      FRONTDESK_TEST_POSTGRES_CLUSTER=<that folder>, which `down` stops and removes.
# FRONTDESK_TEST_POSTGRES=throwaway skips a and b (to test c on a machine that has a Postgres). A second `up` in the same
# shell finds what the first exported and answers at once.
set -euo pipefail

step() { printf '[postgres] %s\n' "$*" >&2; }
die() { printf '[postgres] error: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The file that marks a folder as a cluster made by this script: `down` removes nothing without it.
MARK=.frontdesk-test-cluster

# Debian keeps the server's programs out of PATH, under /usr/lib/postgresql/<major>/bin: the newest major wins.
pg_bin() {
  local found
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then dirname "$(command -v pg_ctl)"; return; fi
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$found" ] && [ -x "$found/initdb" ] && [ -x "$found/pg_ctl" ] && echo "$found"
}

# initdb refuses to run as root, and the server refuses too: as root, run them as Debian's `postgres` user (which the
# package creates). `cd /` first, so a working folder the user cannot read draws no warning.
as_pg_user() {
  if [ "$(id -u)" != 0 ]; then (cd / && "$@"); return; fi
  id postgres >/dev/null 2>&1 || die "running as root, and there is no 'postgres' user to run initdb as (apt-get install postgresql creates it)"
  if command -v runuser >/dev/null; then (cd / && runuser -u postgres -- "$@"); else (cd / && su postgres -s /bin/sh -c '"$0" "$@"' -- "$@"); fi
}

# Whether a Postgres answers on host:port. With psql, a real login (so a server that wants a password is not taken for
# one that does not); without it (a machine with no client tools), the protocol's SSLRequest, to which only a Postgres
# answers with the single byte S or N.
answers() {
  local host=$1 port=$2 reply=""
  if command -v psql >/dev/null; then
    PGCONNECT_TIMEOUT=3 psql -w -X -q -h "$host" -p "$port" -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1
    return
  fi
  exec 3<>"/dev/tcp/$host/$port" 2>/dev/null || return 1
  printf '\x00\x00\x00\x08\x04\xd2\x16\x2f' >&3
  IFS= read -r -n1 -t 3 reply <&3 || true
  exec 3<&- 3>&-
  [ "$reply" = S ] || [ "$reply" = N ]
}

# A loopback port nothing listens on now (random in the ephemeral-free range; bash's /dev/tcp is refused when free).
free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  die "no free loopback port found"
}

url_for() { echo "postgres://postgres@127.0.0.1:$1/postgres"; }

emit() {
  printf 'export FRONTDESK_TEST_POSTGRES_URL=%q\n' "$1"
  [ -n "${2:-}" ] && printf 'export FRONTDESK_TEST_POSTGRES_CLUSTER=%q\n' "$2"
  return 0
}

start_cluster() {
  local bin dir port
  bin=$(pg_bin) || true
  if [ -z "$bin" ]; then
    step "installing Debian's postgresql (apt), for initdb and pg_ctl"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(pg_bin) || die "postgresql is installed but initdb/pg_ctl were not found under /usr/lib/postgresql/*/bin"
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/frontdesk-pg-XXXXXX")
  touch "$dir/$MARK"
  mkdir "$dir/socket"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
  step "initdb in $dir ($("$bin/pg_ctl" --version))"
  # -U postgres: the same admin name as path b, whoever runs it. Trust auth: the cluster listens on 127.0.0.1 only
  # and lives as long as one test run. --no-sync: nothing here must survive a power cut.
  if ! as_pg_user "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    die "initdb failed (log above)"
  fi
  # A port can be taken between the check and the start: try a few.
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    # fsync and synchronous commits off: a throwaway cluster trades durability for test speed. max_connections 200:
    # the server suites run several instances at once, each with its pool and its listener.
    if as_pg_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null; then
      step "throwaway cluster on 127.0.0.1:$port (scripts/postgres.sh down stops it)"
      emit "$(url_for "$port")" "$dir"
      return
    fi
    step "start on port $port failed (attempt $attempt), log tail:"
    tail -5 "$dir/postgres.log" >&2 || true
  done
  rm -rf "$dir"
  die "could not start the throwaway cluster"
}

up() {
  # A cluster this shell already started, still running: reuse it (also when `throwaway` is forced).
  local cluster=${FRONTDESK_TEST_POSTGRES_CLUSTER:-} bin
  if [ -n "$cluster" ] && [ -f "$cluster/$MARK" ] && bin=$(pg_bin) && as_pg_user "$bin/pg_ctl" -D "$cluster/data" status >/dev/null 2>&1; then
    emit "${FRONTDESK_TEST_POSTGRES_URL:?FRONTDESK_TEST_POSTGRES_CLUSTER is set without FRONTDESK_TEST_POSTGRES_URL}" "$cluster"
    return
  fi
  if [ "${FRONTDESK_TEST_POSTGRES:-}" != throwaway ]; then
    if [ -n "${FRONTDESK_TEST_POSTGRES_URL:-}" ]; then
      emit "$FRONTDESK_TEST_POSTGRES_URL"
      return
    fi
    if answers 127.0.0.1 5432; then
      step "using the Postgres on 127.0.0.1:5432"
      emit "$(url_for 5432)"
      return
    fi
    if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
      step "127.0.0.1:5432 answers but not as user postgres without a password: set FRONTDESK_TEST_POSTGRES_URL to use it; starting a throwaway cluster instead"
    fi
  fi
  start_cluster
}

down() {
  local cluster=${FRONTDESK_TEST_POSTGRES_CLUSTER:-} bin
  [ -n "$cluster" ] || return 0
  [ -f "$cluster/$MARK" ] || die "$cluster is not a cluster made by scripts/postgres.sh (no $MARK): not removing it"
  if bin=$(pg_bin); then
    # immediate: no checkpoint to write for data about to be deleted.
    as_pg_user "$bin/pg_ctl" -D "$cluster/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$cluster"
  step "removed the throwaway cluster $cluster"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: scripts/postgres.sh up|down   (eval \"\$(scripts/postgres.sh up)\")" >&2; exit 2 ;;
esac
