#!/usr/bin/env bash
# Shows what `make run` built: the contract artifacts (size, sha256) and the schema files.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

printf '\nContract artifacts (artifacts/, validated with cosmwasm_vm::check_wasm):\n\n'
scripts/artifacts-summary.sh

printf '\nJSON schemas (schema/, generated from packages/leasehold-types):\n\n'
for dir in schema/*/; do
  contract="$(basename "$dir")"
  [[ -f "$dir$contract.json" ]] || continue
  raw=("$dir"raw/*.json)
  printf '  %-44s %7d bytes  (+ %d files in %sraw/)\n' "$dir$contract.json" "$(stat -c %s "$dir$contract.json")" "${#raw[@]}" "$dir"
done
printf '\n'
