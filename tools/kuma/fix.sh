#!/usr/bin/env bash
# Works around two packaging bugs of npm's uptime-kuma@2.0.0-dev.0 (a development build, the only
# version on npm); run by scripts/bootstrap.sh after every install and again at each bootstrap
# (idempotent, a few milliseconds). Fails loudly when the package no longer looks as expected.
# 1. Seven SQLite patches ship in db/ instead of db/old_migrations/, where Database.patchSqlite()
#    reads them: the first start on a fresh database dies (ENOENT …/old_migrations/patch-add-invert-keyword.sql).
#    Copy them there.
# 2. server/database.js's sqlHourOffset() tests `dbConfig.client === "sqlite3"`, which is never true
#    on SQLite (the config has `type: "sqlite"`), so it emits MySQL's DATE_ADD(NOW(), …): the socket
#    event getMonitorBeats fails and every push and login logs an unhandled SQLITE_ERROR. Compare the type.
set -euo pipefail
kuma="$(cd "$(dirname "$0")" && pwd)/node_modules/uptime-kuma"
[ -f "$kuma/server/database.js" ] || { echo "kuma-fix: $kuma is not installed (npm ci --prefix tools/kuma)" >&2; exit 1; }

for f in "$kuma"/db/patch-*.sql; do
  [ -e "$f" ] || continue
  target="$kuma/db/old_migrations/$(basename "$f")"
  cmp -s "$f" "$target" || cp "$f" "$target"
done
[ -f "$kuma/db/old_migrations/patch-add-invert-keyword.sql" ] || { echo "kuma-fix: no patch-add-invert-keyword.sql in $kuma/db/old_migrations" >&2; exit 1; }

db="$kuma/server/database.js"
if grep -q 'this.dbConfig.client === "sqlite3"' "$db"; then
  sed -i 's/this\.dbConfig\.client === "sqlite3"/this.dbConfig.type === "sqlite"/' "$db"
fi
grep -A1 'static sqlHourOffset()' "$db" | grep -q 'this.dbConfig.type === "sqlite"' || { echo "kuma-fix: sqlHourOffset's test not found in $db" >&2; exit 1; }
