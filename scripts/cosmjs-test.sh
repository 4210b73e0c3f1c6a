#!/usr/bin/env bash
# Runs ${COSMJS_TEST_FILE:-clients/ts/test/cosmjs-journey.test.js} with Node's test runner: CosmJS (tools/node_modules) against a dev node the
# test starts from target/debug/leaseholdd and artifacts/. `make cosmjs-test` builds what it needs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing=()
[[ -d tools/node_modules/@cosmjs/stargate ]] || missing+=('tools/node_modules (make tools)')
[[ -f clients/ts/dist/src/Market.client.js ]] || missing+=('clients/ts/dist (make ts-clients)')
[[ -x "${LEASEHOLDD:-target/debug/leaseholdd}" ]] || missing+=('target/debug/leaseholdd (cargo build -p leasehold-node --bin leaseholdd)')
[[ -f "${LEASEHOLD_ARTIFACTS:-artifacts}/provider.wasm" ]] || missing+=('artifacts/*.wasm (make wasm)')
if (( ${#missing[@]} )); then
  printf 'error: missing %s\n' "${missing[@]}" >&2
  exit 1
fi

# --test-force-exit: CosmJS 0.38's WebsocketClient reconnects ~100 ms after disconnect() (its
# ReconnectingSocket schedules a reconnect on every Disconnected status, including the one
# disconnect() itself emits), and keeps retrying once the node is gone, so the test process would
# never exit on its own. The test stops its node itself before that.
exec node --test --test-force-exit --test-reporter=spec clients/ts/test/cosmjs-journey.test.js
