#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a time budget and reports executions and crashes.
# `make fuzz` calls it after `make fuzz-build` (nightly toolchain and cargo-fuzz installed,
# targets built, artifacts/*.wasm present).
#
# Env:   FUZZ_SECONDS    budget per target in seconds (default 60)
#        FUZZ_TARGETS    targets to run, space-separated (default: all of fuzz/fuzz_targets/)
#        FUZZ_SANITIZER  cargo fuzz --sanitizer (default none; must match the build)
#        FUZZ_ARGS       extra libFuzzer flags (e.g. -jobs=2, -max_len=8192)
# Each target starts from its committed seeds in fuzz/corpus/<target>/ and adds what it finds
# there (git ignores all but seed-* files). A failing input is saved in fuzz/artifacts/<target>/;
# fix the bug and commit the input to fuzz/regressions/<target>/ (replayed by `make test`).
# Exit status 1 if any target found a failing input (every target still runs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
FUZZ_SANITIZER="${FUZZ_SANITIZER:-none}"
FUZZ_ARGS="${FUZZ_ARGS:-}"
if [[ -z "${FUZZ_TARGETS:-}" ]]; then
  FUZZ_TARGETS="$(cd fuzz/fuzz_targets && ls -- *.rs | sed 's/\.rs$//' | tr '\n' ' ')"
fi
LOGS="$ROOT/fuzz/logs"
mkdir -p "$LOGS"

total_execs=0
failed=()
rows=()
for target in $FUZZ_TARGETS; do
  mkdir -p "fuzz/corpus/$target"
  log="$LOGS/$target.log"
  printf '==> %s: %ss (log: %s)\n' "$target" "$FUZZ_SECONDS" "${log#"$ROOT/"}" >&2
  status=0
  # -timeout: one input running longer than this is a finding too; -rss_limit_mb: the node's
  # fixtures (an App with compiled contracts) need more than libFuzzer's default 2 GiB.
  # shellcheck disable=SC2086
  cargo +nightly fuzz run --sanitizer "$FUZZ_SANITIZER" "$target" -- \
    -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=60 -rss_limit_mb=6144 $FUZZ_ARGS \
    >"$log" 2>&1 || status=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  execs="${execs:-0}"
  rate="${rate:-0}"
  total_execs=$((total_execs + execs))
  result=ok
  if ((status != 0)); then
    result="FAILED (exit $status)"
    failed+=("$target")
    grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written to|^Failing input' "$log" | head -20 >&2 || true
  fi
  rows+=("$(printf '%-10s %14s %10s   %s' "$target" "$execs" "$rate" "$result")")
done

printf '\n%-10s %14s %10s   %s\n' target executions exec/s result
printf '%s\n' "${rows[@]}"
printf '%-10s %14s\n' total "$total_execs"
if ((${#failed[@]} > 0)); then
  printf '\nfailing inputs found by: %s (see fuzz/artifacts/<target>/ and fuzz/logs/)\n' "${failed[*]}" >&2
  exit 1
fi
