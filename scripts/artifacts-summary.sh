#!/usr/bin/env bash
# Prints a table of the contract artifacts: name, bytes, KiB, sha256 (from artifacts/checksums.txt).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARTIFACTS="$ROOT/artifacts"

[[ -f "$ARTIFACTS/checksums.txt" ]] || {
  printf 'error: artifacts/checksums.txt is missing; run `make wasm`\n' >&2
  exit 1
}

printf '%-14s %9s %8s  %s\n' artifact bytes KiB sha256
while read -r sum file; do
  bytes="$(stat -c %s "$ARTIFACTS/$file")"
  printf '%-14s %9d %8s  %s\n' "$file" "$bytes" "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1024 }')" "$sum"
done <"$ARTIFACTS/checksums.txt"
