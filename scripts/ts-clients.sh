#!/usr/bin/env bash
# Generates the TypeScript clients of the market, escrow and provider contracts from schema/ with
# @cosmwasm/ts-codegen (clients/ts/codegen.js -> clients/ts/src/, git-ignored) and compiles them,
# with clients/ts/compat/ (CosmJS's clients must fit the generated ones), by tsc in strict mode
# into clients/ts/dist/. Needs `make tools` (npm ci --prefix tools); `make ts-clients` runs both.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tsc=tools/node_modules/.bin/tsc
if [[ ! -x "$tsc" || ! -d tools/node_modules/@cosmwasm/ts-codegen ]]; then
  echo 'error: tools/node_modules lacks typescript or @cosmwasm/ts-codegen: run `make tools`' >&2
  exit 1
fi

# The generated code imports @cosmjs/*: resolve it from tools/node_modules.
link=clients/ts/node_modules
if [[ -e "$link" && ! -L "$link" ]]; then
  echo "error: $link exists and is not a symlink; remove it" >&2
  exit 1
fi
ln -sfn ../../tools/node_modules "$link"

printf '==> ts-codegen %s: schema/{market,escrow,provider} -> clients/ts/src/\n' \
  "$(node -p 'require("./tools/node_modules/@cosmwasm/ts-codegen/package.json").version')"
node clients/ts/codegen.js

printf '==> tsc %s (strict) -> clients/ts/dist/\n' "$("$tsc" --version | awk '{print $2}')"
rm -rf clients/ts/dist
"$tsc" -p clients/ts/tsconfig.json
printf 'compiled %s JavaScript files with declarations\n' "$(find clients/ts/dist -name '*.js' | wc -l)"
