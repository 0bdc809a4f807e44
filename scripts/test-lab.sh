#!/usr/bin/env bash
# Runs test files that need the lab on several labs side by side (DEVELOPERS.md, "Labs side by side").
#
#   scripts/test-lab.sh LOGDIR FILE...      (a FILE written `22:path` runs on Node 22, else Node 24)
#
# The caller has started lab 1 (the default lab) and stops it; MAILPROBE_TEST_TIMEOUT_MS bounds a file.
#
# Lab files share their lab's mailboxes, switches, Kuma and Pushgateway, so on one lab they run one
# at a time. Here each of MAILPROBE_TEST_LABS labs (default 3) gets its own ports and directory and
# a worker that takes the next file from one queue, so a file never shares a lab with another file.
# Lab 1 is the default lab (started by the caller); the others are started here, in the background,
# while lab 1's worker already runs. Each file's report is printed when it ends, then a table of
# every file's time and result. Exit 1 if any file failed.
set -euo pipefail
cd "$(dirname "$0")/.."
logs=$1
shift
labs=${MAILPROBE_TEST_LABS:-3}
base=${MAILPROBE_LAB_BASE_PORT:-24000}
dir=${MAILPROBE_LAB_DIR:-/var/tmp/mailprobe-lab}
mkdir -p "$logs"
queue=$logs/queue
printf '%s\n' "$@" > "$queue"
: > "$logs/results"

# The files known to be slowest go first, so that no long file starts last (the rest keep their order).
slow_first() {
  local slow="shapes hostile mta-matrix promises/ no-uidplus ship/package ship/image soak"
  local f s
  for s in $slow; do grep -F "$s" "$queue" || true; done | awk '!seen[$0]++' > "$queue.tmp"
  while read -r f; do grep -qxF "$f" "$queue.tmp" || echo "$f"; done < "$queue" >> "$queue.tmp"
  mv "$queue.tmp" "$queue"
}
slow_first

next() { flock "$queue.lock" bash -c 'f=$(head -n1 "$1"); [ -n "$f" ] && sed -i 1d "$1"; echo "$f"' _ "$queue"; }

worker() {
  local n=$1 f node file start rc out
  while f=$(next) && [ -n "$f" ]; do
    node=24 file=$f
    case $f in 22:*) node=22 file=${f#22:} ;; esac
    out=$logs/$(echo "$f" | tr '/:' '__').log
    start=$(date +%s)
    rc=0
    scripts/node "$node" --import tsx --test --test-timeout="${MAILPROBE_TEST_TIMEOUT_MS:-300000}" --test-concurrency=1 "$file" > "$out" 2>&1 || rc=$?
    flock "$logs/print.lock" bash -c 'echo "== lab $1, node $2: $3"; cat "$4"' _ "$n" "$node" "$file" "$out"
    echo "$(($(date +%s) - start)) s  node $node  lab $n  $([ $rc = 0 ] && echo ok || echo FAILED)  $file" >> "$logs/results"
  done
}

pids=()
worker 1 &
pids+=($!)
for ((i = 2; i <= labs; i++)); do
  (
    export MAILPROBE_LAB_BASE_PORT=$((base + 3000 * (i - 1))) MAILPROBE_LAB_DIR=$dir-$i
    trap 'scripts/node --import tsx test/lab/cli.ts down > /dev/null 2>&1 || true' EXIT
    if scripts/node --import tsx test/lab/cli.ts up > "$logs/lab$i.up" 2>&1; then
      worker "$i"
    else
      echo "lab $i did not start (the other labs take its files):"
      cat "$logs/lab$i.up"
    fi
  ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done

echo "== lab files: time, Node, lab, result"
sort -rn "$logs/results"
left=$(wc -l < "$queue")
[ "$left" = 0 ] || { echo "$left files never ran"; exit 1; }
! grep -q FAILED "$logs/results"
