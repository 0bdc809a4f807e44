#!/usr/bin/env bash
# `npm test`: everything CI runs. Installs what it needs (scripts/bootstrap.sh), type-checks, checks
# the formatting (prettier), builds, starts the lab, runs the whole suite once on Node 24 (the
# image's runtime) and the smoke subset on Node 22, and always stops the lab. The machine's own
# Node only drives npm, tsc and prettier. The long tier (test/long) is `npm run test:long`.
#
# Time: files that need the lab run on three labs side by side (scripts/test-lab.sh: each lab has its
# own ports and directory, each file has a lab to itself); files that need no lab (pure units, chart
# and docs checks) run two at a time beside them. A file needs the lab when it imports the lab's
# helpers or topology (scripts/test-files.sh decides, one rule for both tiers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

npm run --silent typecheck
npm run --silent lint
npm run --silent build

scripts/node --import tsx test/lab/cli.ts up
trap 'scripts/node --import tsx test/lab/cli.ts down' EXIT

mapfile -t lab < <(bash scripts/test-files.sh lab)
mapfile -t pure < <(bash scripts/test-files.sh pure)
# The smoke subset: the pure units and one real probe of every kind through the lab.
mapfile -t smoke_pure < <(find test/config test/checks test/probe test/doctor test/core/token.test.ts -name '*.test.ts' | sort)
smoke_lab=(test/e2e/run.test.ts)

run() { local v=$1 c=$2; shift 2; scripts/node "$v" --import tsx --test --test-timeout=300000 "$c" "$@"; }
logs=$(mktemp -d)
# Pure files on Node 24, then the pure smoke on Node 22, beside the lab files.
( set +e
  run 24 --test-concurrency=2 "${pure[@]}" > "$logs/pure24" 2>&1; echo $? > "$logs/pure24.rc"
  run 22 --test-concurrency=2 "${smoke_pure[@]}" > "$logs/pure22" 2>&1; echo $? > "$logs/pure22.rc" ) &
side=$!

rc=0
echo "== lab tests on ${MAILPROBE_TEST_LABS:-3} labs side by side: ${#lab[@]} files on node $(scripts/node --version), the smoke on node $(scripts/node 22 --version)"
bash scripts/test-lab.sh "$logs/lab" "${lab[@]}" "${smoke_lab[@]/#/22:}" || rc=1
wait "$side" || true
echo "== tests without the lab on node $(scripts/node --version) (${#pure[@]} files, two at a time)"
cat "$logs/pure24"
echo "== smoke tests without the lab on node $(scripts/node 22 --version)"
cat "$logs/pure22"
[ "$(cat "$logs/pure24.rc")" = 0 ] || rc=1
[ "$(cat "$logs/pure22.rc")" = 0 ] || rc=1
exit $rc
