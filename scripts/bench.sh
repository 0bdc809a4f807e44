#!/usr/bin/env bash
# `npm run bench [-- name…]`: installs what is missing (the lab's packages and the Nagios peer),
# builds, starts the lab, runs bench/run-all.ts (which writes docs/benchmarks.md), stops the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
MAILPROBE_BENCH=1 bash scripts/bootstrap.sh
npm run --silent build
scripts/node --import tsx test/lab/cli.ts up
trap 'scripts/node --import tsx test/lab/cli.ts down' EXIT
scripts/node --import tsx bench/run-all.ts "$@"
