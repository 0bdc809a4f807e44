#!/usr/bin/env bash
# `npm run test:long`: the long tier (DEVELOPERS.md). The full matrices of every issue — hostile peers at
# every stage, IMAP server shapes, MTAs and filter stacks, soaks — live in test/long/ and run here on
# Node 24 with MAILPROBE_LONG=1 (tests that scale with it run their whole matrix). CI runs it after
# `npm test`; it stays under 30 minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npm run --silent build

scripts/node --import tsx test/lab/cli.ts up
trap 'scripts/node --import tsx test/lab/cli.ts down' EXIT

mapfile -t files < <(find test/long -name '*.test.ts' | sort)
echo "== long tier on node $(scripts/node --version): ${#files[@]} files on ${MAILPROBE_TEST_LABS:-3} labs side by side"
MAILPROBE_LONG=1 MAILPROBE_SOAK_CYCLES="${MAILPROBE_SOAK_CYCLES:-100}" MAILPROBE_TEST_TIMEOUT_MS=1500000 \
  bash scripts/test-lab.sh "$(mktemp -d)" "${files[@]}"
