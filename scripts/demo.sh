#!/usr/bin/env bash
# `npm run demo`: installs what is missing, starts the lab, runs one real probe against it
# (examples/lab.yaml) and prints its summary. The lab keeps running: `npm run lab:down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npm run --silent build
node --import tsx test/lab/cli.ts up
node dist/cli/bin.js run --config examples/lab.yaml
