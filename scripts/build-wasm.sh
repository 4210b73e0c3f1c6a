#!/usr/bin/env bash
# Builds the three marketplace contracts for wasm32, lowers them for cosmwasm-vm, validates them
# and writes artifacts/{provider,market,escrow}.wasm plus artifacts/checksums.txt.
#
# Why the lowering: Rust 1.95 emits bulk-memory (memory.copy/fill) and sign-extension opcodes,
# which cosmwasm-vm 3.0.10 rejects ("bulk memory support is not enabled"). binaryen's wasm-opt
# (npm package `binaryen`, pinned in tools/package-lock.json) rewrites them into MVP instructions.
#
# Usage: scripts/build-wasm.sh            (run `make tools` first, or use `make wasm`)
# Env:   WASM_OPT   path of wasm-opt (default: tools/node_modules/.bin/wasm-opt)
#        MAX_WASM_BYTES  size limit per artifact (default 819200 = 800 KiB)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TARGET=wasm32-unknown-unknown
# Artifact names; contract `<name>` is cargo package `leasehold-<name>` (lib `leasehold_<name>`).
CONTRACTS=(provider market escrow)
MAX_WASM_BYTES="${MAX_WASM_BYTES:-819200}"
WASM_OPT="${WASM_OPT:-$ROOT/tools/node_modules/.bin/wasm-opt}"
ARTIFACTS="$ROOT/artifacts"

log() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# --- toolchain -------------------------------------------------------------------------------
# (Output captured first: `grep -q` closing the pipe early would trip pipefail.)
installed_targets="$(rustup target list --installed)"
if ! grep -qx "$TARGET" <<<"$installed_targets"; then
  log "installing Rust target $TARGET"
  rustup target add "$TARGET" >&2
fi

[[ -x "$WASM_OPT" ]] || die "wasm-opt not found at $WASM_OPT; run \`make tools\` (npm ci --prefix tools) first"
wasm_opt_help="$("$WASM_OPT" --help)"
[[ "$wasm_opt_help" == *--llvm-memory-copy-fill-lowering* && "$wasm_opt_help" == *--signext-lowering* ]] ||
  die "$WASM_OPT ($("$WASM_OPT" --version)) lacks --llvm-memory-copy-fill-lowering/--signext-lowering; reinstall with \`make tools\`"

# Where cargo puts build output (honours CARGO_TARGET_DIR and .cargo/config).
METADATA="$(cargo metadata --locked --format-version 1 --no-deps)"
TARGET_DIR="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0,"utf8")).target_directory)' <<<"$METADATA")"

# The validator binary is part of packages/wasm-host; checked for before validation below.
has_check_wasm="$(node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const p = m.packages.find((p) => p.name === "leasehold-wasm-host");
  const ok = p && p.targets.some((t) => t.name === "check-wasm" && t.kind.includes("bin"));
  process.stdout.write(ok ? "yes" : "no");' <<<"$METADATA")"

# --- build -----------------------------------------------------------------------------------
# One cargo invocation per contract: building them together would unify features across the
# selected packages, so a contract that another one depends on with `features = ["library"]`
# would be compiled without its entry points.
for name in "${CONTRACTS[@]}"; do
  log "cargo build leasehold-$name ($TARGET, profile contract: release with opt-level z)"
  RUSTFLAGS="-C link-arg=-s" cargo build --profile contract --lib --locked --target "$TARGET" -p "leasehold-$name"
done

# --- up to date? ------------------------------------------------------------------------------
# Lowering and validating take ~20 s; when cargo's output, wasm-opt and this script are what the
# artifacts were made from (and the artifacts are intact), there is nothing to redo.
mkdir -p "$ARTIFACTS"
STAMP="$ARTIFACTS/.inputs.sha256"
inputs="$(
  for name in "${CONTRACTS[@]}"; do sha256sum "$TARGET_DIR/$TARGET/contract/leasehold_$name.wasm"; done
  "$WASM_OPT" --version
  sha256sum "${BASH_SOURCE[0]}"
)"
inputs="$(sha256sum <<<"$inputs" | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$inputs" && -f "$ARTIFACTS/checksums.txt" ]] &&
  (cd "$ARTIFACTS" && sha256sum --quiet --strict -c checksums.txt >/dev/null 2>&1); then
  log "artifacts are up to date (same cargo output, wasm-opt and script): wasm-opt and check-wasm skipped"
  "$ROOT/scripts/artifacts-summary.sh"
  exit 0
fi

# --- lower, size-check -----------------------------------------------------------------------
rm -f "$ARTIFACTS/checksums.txt" "$STAMP"
for name in "${CONTRACTS[@]}"; do
  in="$TARGET_DIR/$TARGET/contract/leasehold_$name.wasm"
  out="$ARTIFACTS/$name.wasm"
  [[ -f "$in" ]] || die "cargo produced no $in (is contracts/$name a cdylib?)"
  log "wasm-opt $name.wasm ($(stat -c %s "$in") bytes in)"
  "$WASM_OPT" -Os --enable-bulk-memory --enable-sign-ext \
    --llvm-memory-copy-fill-lowering --signext-lowering \
    "$in" -o "$out"
  size="$(stat -c %s "$out")"
  if ((size > MAX_WASM_BYTES)); then
    die "artifacts/$name.wasm is $size bytes ($((size / 1024)) KiB), over the limit of $MAX_WASM_BYTES bytes ($((MAX_WASM_BYTES / 1024)) KiB); shrink the contract (dependencies, formatting, panics) before shipping it"
  fi
done

# --- validate --------------------------------------------------------------------------------
files=()
for name in "${CONTRACTS[@]}"; do files+=("$ARTIFACTS/$name.wasm"); done

log "checking entry points"
node - "${files[@]}" <<'EOF' || die "an artifact lacks a contract entry point (built with the \`library\` feature?)"
const fs = require("fs");
let ok = true;
for (const file of process.argv.slice(2)) {
  const mod = new WebAssembly.Module(fs.readFileSync(file));
  const funcs = WebAssembly.Module.exports(mod).filter((e) => e.kind === "function").map((e) => e.name);
  const entry = ["instantiate", "execute", "query", "migrate", "sudo", "reply"].filter((n) => funcs.includes(n));
  console.error(`    ${file.split("/").pop()}: ${entry.length ? entry.join(", ") : "(no entry points)"}`);
  if (!entry.includes("instantiate")) ok = false;
}
process.exit(ok ? 0 : 1);
EOF

[[ "$has_check_wasm" == yes ]] ||
  die "validator binary \`check-wasm\` (package leasehold-wasm-host, packages/wasm-host/src/bin/check-wasm.rs) does not exist; artifacts cannot be validated with cosmwasm_vm::check_wasm"
log "cosmwasm_vm::check_wasm (check-wasm)"
cargo run --locked -q -p leasehold-wasm-host --bin check-wasm -- "${files[@]}" >&2 ||
  die "check-wasm rejected an artifact (see above)"

# --- checksums and summary -------------------------------------------------------------------
(cd "$ARTIFACTS" && sha256sum "${CONTRACTS[@]/%/.wasm}" | LC_ALL=C sort -k2 >checksums.txt)
printf '%s\n' "$inputs" >"$STAMP"
log "wrote artifacts/checksums.txt"
"$ROOT/scripts/artifacts-summary.sh"
