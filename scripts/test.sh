#!/usr/bin/env bash
# `npm test`: everything CI runs. Installs what it needs (scripts/bootstrap.sh), type-checks, checks
# the formatting (prettier), builds, starts the lab, runs the whole suite once on Node 24 (the
# image's runtime) and the smoke subset on Node 22, and always stops the lab. The machine's own
# Node only drives npm, tsc and prettier.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

npm run --silent typecheck
npm run --silent lint
npm run --silent build

scripts/node --import tsx test/lab/cli.ts up
trap 'scripts/node --import tsx test/lab/cli.ts down' EXIT

mapfile -t files < <(find test -name '*.test.ts' | sort)
# The smoke subset: the pure units and one real probe of every kind through the lab.
mapfile -t smoke < <(find test/config test/checks test/probe -name '*.test.ts' | sort; echo test/e2e/run.test.ts)

echo "== all tests on node $(scripts/node --version)"
scripts/node --import tsx --test --test-concurrency=1 --test-timeout=300000 "${files[@]}"
echo "== smoke tests on node $(scripts/node 22 --version)"
scripts/node 22 --import tsx --test --test-concurrency=1 --test-timeout=300000 "${smoke[@]}"
