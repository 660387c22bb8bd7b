#!/usr/bin/env bash
# `npm run fuzz`: each fuzz target for FUZZ_SECONDS (default 60), one after another, with libFuzzer
# (cargo fuzz, nightly toolchain). Not part of `npm test`: five minutes of fuzzing plus an instrumented
# build would more than double the suite. A crash leaves its input in fuzz/artifacts/<target>/ and fails
# the run; turn it into a regression test in the crate it came from before fixing it.
#   FUZZ_SECONDS=600 npm run fuzz            all targets, ten minutes each
#   npm run fuzz -- user_token link_finder   only these targets
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds=${FUZZ_SECONDS:-60}

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "[fuzz] cargo fuzz needs the nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
if ! command -v cargo-fuzz >/dev/null; then
  echo "[fuzz] installing cargo-fuzz (about 1 minute)" >&2
  cargo install -q cargo-fuzz
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)

cd fuzz
# -s none: the code under test is safe Rust (`unsafe_code = "forbid"`), so AddressSanitizer would find
# nothing a panic does not already report, and it halves the executions per second.
cargo +nightly fuzz build -s none -O
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "seeds/$target"
  echo "[fuzz] $target for ${seconds}s" >&2
  log="artifacts/$target.log"
  mkdir -p artifacts
  if ! cargo +nightly fuzz run -s none -O "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    grep -E -A5 'panicked|ERROR' "$log" >&2 || tail -20 "$log" >&2
    echo "[fuzz] $target FAILED: the input is in fuzz/artifacts/$target/, the log in fuzz/$log" >&2
    exit 1
  fi
  grep -E 'stat::number_of_executed_units|Done' "$log" >&2 || true
  echo "[fuzz] $target corpus: $(ls "corpus/$target" | wc -l) inputs" >&2
done
