#!/usr/bin/env bash
# The whole market on one machine (`make run` calls this after building and `leaseholdd init`):
#
#   1. the dev node (`leaseholdd start --dev`), log in $NODE_HOME/logs/node.log;
#   2. a test-backend keyring in $NODE_HOME/keyring with the dev keys tenant, provider-gpu,
#      provider-cpu and auditor (imported once), and a client config $NODE_HOME/client.toml
#      pointing the CLI at this node and keyring;
#   3. the two provider bid engines (examples/providers/h100.yaml and cpu.yaml), logs in
#      $NODE_HOME/logs/provider-{h100,cpu}.log;
#   4. the dev auditor signing the H100 provider's `tier=datacenter` once it has registered (only
#      if it has not already), so it may bid on examples/gpu-inference.yaml;
#   5. the indexer into $NODE_HOME/index.sqlite, log in $NODE_HOME/logs/indexer.log;
#
# then prints where everything is and the commands to lease a GPU, and waits. Ctrl-C stops every
# process it started (engines and indexer first, the node last); if one of them dies on its own,
# it prints the end of that one's log, stops the others and exits with 1.
#
# Environment: NODE_HOME (default ./.leasehold), BIN (default ./target/debug), GRPC_ADDR
# (default 127.0.0.1:9090), RPC_ADDR (default 127.0.0.1:26657), BLOCK_INTERVAL_MS (default: the
# node's config, 1000).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
NODE_HOME="${NODE_HOME:-$ROOT/.leasehold}"
BIN="${BIN:-$ROOT/target/debug}"
GRPC_ADDR="${GRPC_ADDR:-127.0.0.1:9090}"
RPC_ADDR="${RPC_ADDR:-127.0.0.1:26657}"
LEASEHOLDD="$BIN/leaseholdd"
LEASEHOLD="$BIN/leasehold"
LOGS="$NODE_HOME/logs"
KEYRING="$NODE_HOME/keyring"
INDEX_DB="$NODE_HOME/index.sqlite"
export LEASEHOLD_CLIENT_CONFIG="$NODE_HOME/client.toml"
# Flags and variables of the user's environment must not redirect the CLI elsewhere.
unset LEASEHOLD_NODE LEASEHOLD_FROM LEASEHOLD_KEYRING_DIR LEASEHOLD_INDEX_DB

# The dev chain's well-known accounts and registry (README, "Dev accounts" and "Genesis").
AUDITOR=lease1fzlzhctyw7kkcp9het62pkscpj8vxd39dl6862
TENANT=lease1xuevmc8crswsqhaq8ajprcyj56g7grexlszut7
PROVIDER_GPU=lease10m98lmw8taxwaqfucpxwkdedwtqgunppg3fa5a
REGISTRY=lease17p9rzwnnfxcjp32un9ug7yhhzgtkhvl9jfksztgw5uh69wac2pgsz7u9tn
MARKET=lease14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9sks8zq3
# How long to wait for the node's gRPC port and for the H100 engine to register.
STARTUP_TIMEOUT_S=120

say() { printf '==> %s\n' "$*"; }
# A progress line rewritten in place, in a terminal only; `done_waiting` clears it.
waiting() { [[ -t 1 ]] && printf '\r\033[2K    %s' "$*" || true; }
done_waiting() { [[ -t 1 ]] && printf '\r\033[2K' || true; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

for b in "$LEASEHOLDD" "$LEASEHOLD"; do
  [[ -x "$b" ]] || die "$b not found: build it first (make node)"
done
[[ -f "$NODE_HOME/config/genesis.json" ]] || die "no dev chain in $NODE_HOME: run \`$LEASEHOLDD init --home $NODE_HOME\` (make run does)"
mkdir -p "$LOGS"

# ---------------------------------------------------------------------------------------------
# Children: started in the background, watched, stopped on exit.

PIDS=()
NAMES=()
LOGFILES=()

start() { # NAME LOGFILE COMMAND...
  local name="$1" log="$2"
  shift 2
  printf '\n===== %s: %s (started %s) =====\n' "$name" "$*" "$(date '+%F %T')" >>"$log"
  # In a session of its own: a Ctrl-C in the terminal reaches only this script, which then stops
  # the children in order (engines and indexer before the node), instead of every child dying at
  # once and the watcher reporting the node's exit as a failure.
  setsid "$@" >>"$log" 2>&1 &
  PIDS+=("$!")
  NAMES+=("$name")
  LOGFILES+=("$log")
}

alive() { kill -0 "$1" 2>/dev/null; }

# Stops the children at indexes "$@": SIGINT (the Ctrl-C they handle), SIGTERM after 10 s,
# SIGKILL after 5 more.
stop() {
  local i pid waited
  for i in "$@"; do alive "${PIDS[$i]}" && kill -INT "${PIDS[$i]}" 2>/dev/null || true; done
  for sig in TERM KILL; do
    # Tenths of a second to wait before sending $sig.
    local limit=100
    [[ "$sig" == KILL ]] && limit=50
    waited=0
    while ((waited < limit)); do
      local any=0
      for i in "$@"; do alive "${PIDS[$i]}" && any=1; done
      ((any)) || break
      sleep 0.1
      waited=$((waited + 1))
    done
    for i in "$@"; do
      pid="${PIDS[$i]}"
      if alive "$pid"; then
        printf '%s did not stop; sending SIG%s\n' "${NAMES[$i]}" "$sig" >&2
        kill "-$sig" "$pid" 2>/dev/null || true
      fi
    done
  done
  for i in "$@"; do wait "${PIDS[$i]}" 2>/dev/null || true; done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  ((${#PIDS[@]})) || exit "$rc"
  printf '\n==> stopping the market\n'
  # Everything that talks to the node first, then the node (index 0).
  local others=()
  for ((i = ${#PIDS[@]} - 1; i >= 1; i--)); do others+=("$i"); done
  ((${#others[@]})) && stop "${others[@]}"
  stop 0
  printf '==> stopped (logs in %s)\n' "$LOGS"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# Exits 1 with the end of its log if child $1 is no longer running.
check_child() {
  local i="$1" rc=0
  alive "${PIDS[$i]}" && return 0
  wait "${PIDS[$i]}" || rc=$?
  printf '\nerror: %s exited (status %s). Last lines of %s:\n' "${NAMES[$i]}" "$rc" "${LOGFILES[$i]}" >&2
  tail -n 30 "${LOGFILES[$i]}" >&2
  exit 1
}

check_all() { for i in "${!PIDS[@]}"; do check_child "$i"; done; }

# The CLI against this node and keyring (from the client config written below).
lh() { "$LEASEHOLD" "$@"; }

# ---------------------------------------------------------------------------------------------
# 1. The node.

port_open() { # HOST:PORT
  (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null
}

if port_open "$GRPC_ADDR"; then
  die "something already listens on $GRPC_ADDR (another \`make run\`?); stop it, or set GRPC_ADDR and RPC_ADDR"
fi

node_args=(start --dev --home "$NODE_HOME" --grpc-address "$GRPC_ADDR" --rpc-address "$RPC_ADDR")
[[ -n "${BLOCK_INTERVAL_MS:-}" ]] && node_args+=(--block-interval-ms "$BLOCK_INTERVAL_MS")
say "starting leaseholdd (log: $LOGS/node.log)"
start node "$LOGS/node.log" "$LEASEHOLDD" "${node_args[@]}"

started=$SECONDS
until port_open "$GRPC_ADDR"; do
  check_child 0
  ((SECONDS - started < STARTUP_TIMEOUT_S)) || die "gRPC $GRPC_ADDR did not open within ${STARTUP_TIMEOUT_S} s (see $LOGS/node.log)"
  waiting "waiting for gRPC on $GRPC_ADDR ... $((SECONDS - started)) s"
  sleep 0.5
done
done_waiting
say "gRPC is up on $GRPC_ADDR after $((SECONDS - started)) s"

# ---------------------------------------------------------------------------------------------
# 2. Keyring and client config.

lh config init --node "http://$GRPC_ADDR" --keyring-backend test --keyring-dir "$KEYRING" --index-db "$INDEX_DB" >/dev/null 2>&1 ||
  die "cannot write the client config $LEASEHOLD_CLIENT_CONFIG"

# The mnemonic of dev account $1, as `leaseholdd accounts` prints it.
mnemonic() {
  "$LEASEHOLDD" accounts | awk -v n="$1" '$1 == n { getline; sub(/^[ \t]*mnemonic: /, ""); print; exit }'
}

for name in tenant provider-gpu provider-cpu auditor; do
  if lh keys show "$name" >/dev/null 2>&1; then
    continue
  fi
  words="$(mnemonic "$name")"
  [[ -n "$words" ]] || die "leaseholdd accounts does not list $name"
  printf '%s\n' "$words" | lh keys import "$name" >/dev/null || die "cannot import $name into $KEYRING"
  say "imported dev key $name into $KEYRING (test backend: unencrypted, dev only)"
done

# The node answers account and contract queries once its first block is committed.
node_answers() { lh query account "$TENANT" >/dev/null 2>&1 && lh wasm query "$MARKET" '{"params":{}}' >/dev/null 2>&1; }
started=$SECONDS
until node_answers; do
  check_child 0
  ((SECONDS - started < STARTUP_TIMEOUT_S)) || die "the node answers no queries (see $LOGS/node.log)"
  sleep 0.5
done

# ---------------------------------------------------------------------------------------------
# 3. The provider engines.

say "starting the H100 provider engine (log: $LOGS/provider-h100.log)"
# The node and keyring as flags: `provider run --config` names the engine's YAML, not the client config.
engine_flags=(--node "http://$GRPC_ADDR" --keyring-backend test --keyring-dir "$KEYRING")
# Each engine keeps its state under this market's home, so two markets never share it.
start provider-h100 "$LOGS/provider-h100.log" \
  "$LEASEHOLD" provider run --config examples/providers/h100.yaml --state-dir "$NODE_HOME/providers/h100" "${engine_flags[@]}"
say "starting the CPU provider engine (log: $LOGS/provider-cpu.log)"
start provider-cpu "$LOGS/provider-cpu.log" \
  "$LEASEHOLD" provider run --config examples/providers/cpu.yaml --state-dir "$NODE_HOME/providers/cpu" "${engine_flags[@]}"

# ---------------------------------------------------------------------------------------------
# 4. The auditor vouches for the H100 provider's tier (what gpu-inference.yaml's signedBy wants).

started=$SECONDS
until lh provider get "$PROVIDER_GPU" >/dev/null 2>&1; do
  check_all
  ((SECONDS - started < STARTUP_TIMEOUT_S)) ||
    die "the H100 engine did not register within ${STARTUP_TIMEOUT_S} s (see $LOGS/provider-h100.log)"
  waiting "waiting for the H100 engine to register $PROVIDER_GPU ... $((SECONDS - started)) s"
  sleep 0.5
done
done_waiting
say "the H100 provider $PROVIDER_GPU is registered"

audit="$(lh -o json wasm query "$REGISTRY" \
  "{\"auditor_attributes\":{\"owner\":\"$PROVIDER_GPU\",\"auditor\":\"$AUDITOR\"}}" | tr -d ' \n')"
if [[ "$audit" == *'{"key":"tier","value":"datacenter"}'* ]]; then
  say "the auditor already signed tier=datacenter for it"
else
  lh audit sign "$PROVIDER_GPU" --attr tier=datacenter --from auditor --yes >"$LOGS/audit.log" 2>&1 ||
    { cat "$LOGS/audit.log" >&2; die "the auditor could not sign the H100 provider's tier"; }
  say "the auditor signed tier=datacenter for it: $(tail -n 1 "$LOGS/audit.log")"
fi

# ---------------------------------------------------------------------------------------------
# 5. The indexer.

say "starting the indexer into $INDEX_DB (log: $LOGS/indexer.log)"
start indexer "$LOGS/indexer.log" "$LEASEHOLD" index run --db "$INDEX_DB"

sleep 2
check_all

# ---------------------------------------------------------------------------------------------
# Where everything is, and what to type.

cat <<EOF

================================================================================================
The market is running.

  node        gRPC $GRPC_ADDR, CometBFT JSON-RPC http://$RPC_ADDR, chain home $NODE_HOME
  providers   H100 $PROVIDER_GPU (examples/providers/h100.yaml, audited tier=datacenter)
              CPU  lease153ynkfrkqs9hm5c9pfr5n3ewmsxz2u5ye7dt0m (examples/providers/cpu.yaml)
  indexer     $INDEX_DB
  logs        $LOGS/{node,provider-h100,provider-cpu,indexer}.log
  keys        $KEYRING (test backend: tenant, provider-gpu, provider-cpu, auditor)
  CLI config  $LEASEHOLD_CLIENT_CONFIG

The guided tour, in a second terminal:

  make demo

Or lease a GPU by hand, in a second terminal (from $ROOT):

  export PATH="$BIN:\$PATH" LEASEHOLD_CLIENT_CONFIG="$LEASEHOLD_CLIENT_CONFIG"
  TENANT=$TENANT PROVIDER=$PROVIDER_GPU DSEQ=\$(date +%s)
  leasehold deployment create examples/gpu-inference.yaml --dseq \$DSEQ --deposit 5000000uusdc --auto-match --from tenant -y
  leasehold bids list --dseq \$DSEQ --from tenant          # the H100 engine bids 3116uusdc/block within a block or two
  leasehold lease create \$TENANT/\$DSEQ/1/1/\$PROVIDER --from tenant -y
  #   or, 5 blocks after the deployment, let the market pick the cheapest qualifying bid:
  #   leasehold lease match \$TENANT/\$DSEQ/1/1 --from tenant -y
  leasehold lease list --from tenant
  leasehold escrow show --dseq \$DSEQ --from tenant        # balance, accrued, runway
  leasehold deployment deposit --dseq \$DSEQ 1000000uusdc --from tenant -y
  leasehold deployment close --dseq \$DSEQ --from tenant -y
  leasehold query balances \$TENANT
  leasehold index query leases --db $INDEX_DB --tenant \$TENANT -o table

Ctrl-C stops everything.
================================================================================================
EOF

# ---------------------------------------------------------------------------------------------
# Wait for Ctrl-C, or for a child to die.

while true; do
  check_all
  sleep 1 &
  wait $! || true
done
