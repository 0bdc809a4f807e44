#!/usr/bin/env bash
# The short tier's test files, split by whether they need the lab: `lab` or `pure`.
# A file needs the lab when it imports the lab's helpers, its topology, its Kuma or the CLI runner
# (from test/lab itself: ./lab.js, ./mx.js, ./kuma.js).
set -euo pipefail
cd "$(dirname "$0")/.."
want=$1
find test -name '*.test.ts' -not -path 'test/long/*' | sort | while read -r f; do
  if grep -qE "from \"((\.\./)+(helpers/(lab|cli|echo|trickle|imap-rewrite)|lab/[a-z-]+)|\./(lab|mx|kuma|stores|matrix|mta-matrix|sa-stack|hostile))\.js\"" "$f"; then kind=lab; else kind=pure; fi
  [ "$kind" = "$want" ] && echo "$f"
done
exit 0
