#!/usr/bin/env bash
# `npm run demo`: installs what is missing, starts the lab, runs one real probe against it
# (examples/lab.yaml) on Node 24 and prints its summary. The lab keeps running: `npm run lab:down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npm run --silent build
scripts/node --import tsx test/lab/cli.ts up
scripts/node dist/bundle/mailprobe.js run --config examples/lab.yaml
