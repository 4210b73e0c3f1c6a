# Leasehold build entry points. Newcomers: `make run` (build the contracts and the node, then run a
# dev chain with the marketplace deployed) and `make test` (build the artifacts, then run every
# test). `make help` lists targets.
# Needs GNU make, Rust 1.95 via rustup, Node 20 + npm; everything else is installed from here.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := run
MAKEFLAGS += --no-print-directory

CARGO ?= cargo
NPM ?= npm
WASM_TARGET := wasm32-unknown-unknown
# The dev chain's home (config, genesis, validator key, data); `make reset` deletes it.
NODE_HOME ?= $(CURDIR)/.leasehold
LEASEHOLDD := target/debug/leaseholdd
# Written by `npm ci`; newer than the lockfile means tools/node_modules is current.
TOOLS_STAMP := tools/node_modules/.package-lock.json

# Prints a stage header.
header = @printf '\n=== %s ===\n' '$(1)'

.PHONY: help run demo build node cli reset test crash-test tools wasm schema schema-check fmt fmt-check lint ci clean fuzz fuzz-build fuzz-tools

help: ## List the targets
	@printf 'Usage: make <target>   (start with `make run` or `make test`)\n\n'
	@awk 'BEGIN { FS = ":.*## " } /^[a-z-]+:.*## / { printf "  %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

run: ## Build contracts + node + CLI, init a dev home (NODE_HOME) if absent, run the whole market (node, provider engines, indexer)
	$(call header,contract artifacts)
	$(MAKE) wasm
	$(call header,leaseholdd and leasehold)
	$(MAKE) node
	@if [[ ! -f '$(NODE_HOME)/config/genesis.json' ]]; then \
	  printf '\n=== leaseholdd init (%s) ===\n' '$(NODE_HOME)'; \
	  $(LEASEHOLDD) init --home '$(NODE_HOME)' --artifacts artifacts; \
	else \
	  printf '\n=== using the existing dev chain in %s (make reset starts over) ===\n' '$(NODE_HOME)'; \
	fi
	$(call header,the market: leaseholdd start --dev + provider engines + indexer (scripts/market.sh))
	NODE_HOME='$(NODE_HOME)' scripts/market.sh

demo: cli ## In a second terminal while `make run` runs: a tenant's journey (deploy, bids, lease, payments, close); DEMO_ARGS adds flags
	@if [[ ! -f '$(NODE_HOME)/client.toml' ]]; then \
	  echo 'error: no market client config in $(NODE_HOME): start the market first with `make run` (in another terminal)' >&2; \
	  exit 1; \
	fi
	target/debug/leasehold --client-config '$(NODE_HOME)/client.toml' --yes demo $(DEMO_ARGS)

build: ## Build the contract artifacts and schemas, then show what was built
	$(MAKE) wasm
	$(MAKE) schema
	@scripts/show-build.sh

node: ## Build the node and the CLI (target/debug/leaseholdd, target/debug/leasehold)
	$(CARGO) build --locked -p leasehold-node --bin leaseholdd -p leasehold-client --bin leasehold

cli: ## Build the CLI only (target/debug/leasehold)
	$(CARGO) build --locked -p leasehold-client --bin leasehold

reset: ## Delete the dev chain in NODE_HOME (the next `make run` starts from genesis)
	rm -rf '$(NODE_HOME)'

test: ## Build the wasm artifacts, cargo test the workspace, compile the TypeScript clients, run the CosmJS test
	$(call header,wasm artifacts)
	$(MAKE) wasm
	$(call header,cargo test --workspace)
	$(CARGO) test --workspace --locked
	$(call header,TypeScript clients (ts-codegen + tsc))
	$(MAKE) ts-clients
	$(call header,CosmJS against a dev node)
	$(MAKE) cosmjs-test

# The full kill -9 crash test (`make test` runs it with 8 kills); CRASH_KILLS and CRASH_SEED change it.
CRASH_KILLS ?= 100
crash-test: ## kill -9 the dev node and the indexer CRASH_KILLS (100) times; CRASH_SEED=N replays a kill schedule
	$(MAKE) wasm
	$(CARGO) build --locked -p leasehold-node --bin leaseholdd
	LEASEHOLD_CRASH_KILLS='$(CRASH_KILLS)' $(if $(CRASH_SEED),LEASEHOLD_CRASH_SEED='$(CRASH_SEED)') \
	  $(CARGO) test --locked -p leasehold-client --test client crash:: -- --nocapture

tools: $(TOOLS_STAMP) ## Install the wasm32 Rust target and the npm tools (binaryen) in tools/
	@if ! grep -qx '$(WASM_TARGET)' <<<"$$(rustup target list --installed)"; then \
	  printf '==> rustup target add %s\n' '$(WASM_TARGET)'; \
	  rustup target add '$(WASM_TARGET)'; \
	fi

$(TOOLS_STAMP): tools/package.json tools/package-lock.json
	@printf '==> npm ci --prefix tools\n'
	$(NPM) ci --prefix tools --no-audit --no-fund
	@touch $@

.PHONY: ts-clients cosmjs-test load-test

# Compiled by scripts/ts-clients.sh (which first deletes dist/); rebuilt when a schema, the generator setup or the tools change.
TS_CLIENTS := clients/ts/dist/src/index.js

ts-clients: tools $(TS_CLIENTS) ## Generate TypeScript clients from schema/ (ts-codegen) into clients/ts/src and compile them (tsc, strict)

$(TS_CLIENTS): $(wildcard schema/*/*.json) $(wildcard clients/ts/*.js clients/ts/*.json clients/ts/compat/*.ts) scripts/ts-clients.sh $(TOOLS_STAMP)
	scripts/ts-clients.sh

cosmjs-test: ts-clients ## CosmJS (npm) against a dev node the test starts: send, upload, instantiate, execute, query, search, websocket
	$(CARGO) build --locked -p leasehold-node --bin leaseholdd
	scripts/cosmjs-test.sh

wasm: tools ## Build, lower (wasm-opt), size-check and validate artifacts/*.wasm + checksums.txt
	scripts/build-wasm.sh

schema: ## Regenerate the JSON schemas in schema/<contract>/
	$(CARGO) run --locked -q -p leasehold-types --bin schema -- $(CURDIR)/schema

schema-check: ## Regenerate the schemas and fail if schema/ differs from what is committed
	$(MAKE) schema
	@git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo 'error: schema-check needs a git checkout' >&2; exit 1; }
	@stale="$$(git status --porcelain -- schema/)"; \
	if [[ -n "$$stale" ]]; then \
	  printf '%s\n' "$$stale" >&2; \
	  git --no-pager diff --stat -- schema/ >&2; \
	  printf '\nerror: schema/ is stale: the message types in packages/leasehold-types changed but the\n' >&2; \
	  printf 'committed schemas were not regenerated. Run `make schema` and commit schema/.\n' >&2; \
	  exit 1; \
	fi
	@echo 'schema/ is up to date'

load-test: wasm ## Block intervals (p50/p99) of a dev node under a flood of simulations, contract queries and searches, with and without the [query] limits
	$(CARGO) test --locked -p leasehold-node --test node query_flood_report -- --ignored --nocapture

# Fuzzing (fuzz/, cargo-fuzz on the nightly toolchain; the project itself builds on stable).
FUZZ_SECONDS ?= 60
FUZZ_SANITIZER ?= none
export FUZZ_SECONDS FUZZ_SANITIZER

fuzz-tools: ## Install the nightly toolchain and cargo-fuzz if missing (for `make fuzz`)
	@if ! grep -q '^nightly' <<<"$$(rustup toolchain list)"; then \
	  printf '==> rustup toolchain install nightly\n'; \
	  rustup toolchain install nightly --profile minimal; \
	fi
	@if ! $(CARGO) fuzz --version >/dev/null 2>&1; then \
	  printf '==> cargo install cargo-fuzz --locked\n'; \
	  $(CARGO) install cargo-fuzz --locked; \
	fi

fuzz-build: fuzz-tools ## Build every fuzz target (cargo +nightly fuzz build; FUZZ_SANITIZER, default none)
	$(CARGO) +nightly fuzz build --sanitizer '$(FUZZ_SANITIZER)'

fuzz: wasm fuzz-build ## Run every fuzz target for FUZZ_SECONDS (default 60) each; prints executions, fails on a crash
	scripts/fuzz.sh

fmt: ## Format the whole workspace
	$(CARGO) fmt --all

fmt-check: ## Check formatting (rustfmt.toml) without changing files
	$(CARGO) fmt --all -- --check

lint: ## Clippy on every target, warnings are errors
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

ci: ## Everything CI runs: test, fmt-check, lint, schema-check
	.ci/run

clean: ## Remove artifacts, cargo's target/ and tools/node_modules
	rm -f artifacts/*.wasm artifacts/checksums.txt
	rm -rf tools/node_modules
	$(CARGO) clean
