#!/usr/bin/env bash
# Restore drill (docs/operations.md, "Backups and restore drill"): prove that a backup of the
# database named by DATABASE_URL restores into a working copy.
#
#   set -a; . /etc/zibo/env; set +a       # the production environment (keys included)
#   deploy/restore_drill.sh
#
# 1. dumps the database (pg_dump -Fc, the nightly backup's format) inside one snapshot, in which
#    it also counts the rows of the key tables;
# 2. restores the dump into a scratch database on the same server (pg_restore);
# 3. against the restored copy: `manage.py check --database default`, `migrate --check` (the
#    schema is the code's), the key tables' row counts (equal to the snapshot's), and
#    `manage.py archive_verify` (the archive's hash chain, entries and signed heads: needs the
#    production ARCHIVE_SIGNING_KEYS, so it also proves the keys were kept);
# 4. prints a summary, drops the scratch database, exits 1 on any mismatch or failure.
#
# Environment: DATABASE_URL (postgres://, required); RESTORE_DRILL_TABLES (space-separated, to
# replace the default key tables; the evidence log, progress_progressevent, is left out by default:
# counting billions of rows takes hours, add it for a full drill); RESTORE_DRILL_DB (the scratch
# database's name, default <name>_restore_drill); RESTORE_DRILL_KEEP=1 keeps the scratch database
# and the dump for inspection; PYTHON (default .venv/bin/python). The role needs CREATEDB.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
DEFAULT_TABLES="auth_user learners_learner learners_enrollment institutions_institution
institutions_trainingclass institutions_classmembership courses_lesson progress_lessonprogress
progress_creditedspan subsidies_subsidyclaim audit_auditentry archive_archiveentry
archive_logrecord archive_archivehead archive_certificate"
TABLES="${RESTORE_DRILL_TABLES:-$DEFAULT_TABLES}"

fail() { echo "restore drill: $*" >&2; exit 2; }

case "${DATABASE_URL:-}" in
    postgres://* | postgresql://*) ;;
    "") fail "DATABASE_URL is not set: name the PostgreSQL database to dump (postgres://…)." ;;
    *) fail "DATABASE_URL must be a postgres:// URL (the drill uses pg_dump and pg_restore)." ;;
esac
for tool in pg_dump pg_restore psql; do
    command -v "$tool" >/dev/null || fail "$tool is missing (Debian: apt-get install postgresql-client-15)."
done

# The scratch database's URL and the maintenance database's (to create and drop it).
read -r SOURCE_NAME SCRATCH_URL ADMIN_URL < <("$PYTHON" - "$DATABASE_URL" "${RESTORE_DRILL_DB:-}" <<'PY'
import sys
from urllib.parse import urlsplit, urlunsplit

url, scratch = urlsplit(sys.argv[1]), sys.argv[2]
name = url.path.lstrip("/")
scratch = scratch or f"{name}_restore_drill"
print(name, urlunsplit(url._replace(path="/" + scratch)), urlunsplit(url._replace(path="/postgres")))
PY
)
SCRATCH_NAME="${SCRATCH_URL##*/}"
SCRATCH_NAME="${SCRATCH_NAME%%\?*}"
[[ "$SCRATCH_NAME" =~ ^[A-Za-z0-9_]+$ ]] || fail "the scratch database name '$SCRATCH_NAME' must be letters, digits and _."
[ "$SCRATCH_NAME" != "$SOURCE_NAME" ] || fail "the scratch database must not be the source database."

admin_sql() { PGOPTIONS="-c client_min_messages=warning" psql -q -d "$ADMIN_URL" -c "$1" >/dev/null; }

WORK="$(mktemp -d)"
cleanup() {
    if [ "${RESTORE_DRILL_KEEP:-0}" = 1 ]; then
        echo "kept: database $SCRATCH_NAME, dump $WORK/database.dump"
    else
        admin_sql "DROP DATABASE IF EXISTS \"$SCRATCH_NAME\"" 2>/dev/null || true
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# Count the rows of the tables in one connection (on stdin: a snapshot to read in, or none).
count_rows() { # url out-file [dump-file]
    "$PYTHON" - "$@" $TABLES <<'PY'
import json
import subprocess
import sys

import psycopg
from psycopg import sql

url, out, dump, tables = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with psycopg.connect(url, autocommit=True) as conn:
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    if dump != "-":
        # The dump reads the very snapshot counted here, so the counts must match exactly even
        # while the platform keeps writing.
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        subprocess.run(["pg_dump", "-Fc", f"--snapshot={snapshot}", "-d", url, "-f", dump], check=True)
    counts = {}
    for table in tables:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        counts[table] = conn.execute(query).fetchone()[0]
    conn.execute("COMMIT")
with open(out, "w") as handle:
    json.dump(counts, handle)
PY
}

now() { date +%s.%N; }
since() { "$PYTHON" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f} s')" "$1" "$(now)"; }
STATUS=0
declare -a SUMMARY

started="$(now)"
count_rows "$DATABASE_URL" "$WORK/source.json" "$WORK/database.dump"
SUMMARY+=("dump       $SOURCE_NAME: $(du -h "$WORK/database.dump" | cut -f1) in $(since "$started")")

started="$(now)"
admin_sql "DROP DATABASE IF EXISTS \"$SCRATCH_NAME\""
admin_sql "CREATE DATABASE \"$SCRATCH_NAME\""
pg_restore --no-owner --no-acl --exit-on-error -j 2 -d "$SCRATCH_URL" "$WORK/database.dump"
SUMMARY+=("restore    into $SCRATCH_NAME in $(since "$started")")

# Against the restored copy only: no replica of the source, no other database.
manage() { (cd "$ROOT" && env -u DATABASE_REPLICA_URL DATABASE_URL="$SCRATCH_URL" "$PYTHON" manage.py "$@"); }

if manage check --database default >"$WORK/check.log" 2>&1; then
    SUMMARY+=("check      ok")
else
    SUMMARY+=("check      FAILED: $(tail -n 3 "$WORK/check.log" | tr '\n' ' ')")
    STATUS=1
fi
if manage migrate --check --plan >"$WORK/migrate.log" 2>&1; then
    SUMMARY+=("migrations all applied")
else
    SUMMARY+=("migrations FAILED: the restored schema lacks migrations (see migrate --plan)")
    STATUS=1
fi

count_rows "$SCRATCH_URL" "$WORK/restored.json" -
if ! mismatches="$("$PYTHON" - "$WORK/source.json" "$WORK/restored.json" <<'PY'
import json
import sys

source, restored = (json.load(open(path)) for path in sys.argv[1:3])
bad = [f"{table} {source[table]} != {restored.get(table)}" for table in source if source[table] != restored.get(table)]
print("; ".join(bad) or f"{len(source)} tables, {sum(source.values())} rows, equal")
sys.exit(1 if bad else 0)
PY
)"; then
    STATUS=1
    mismatches="MISMATCH: $mismatches"
fi
SUMMARY+=("row counts $mismatches")

if manage archive_verify >"$WORK/archive.log" 2>&1; then
    SUMMARY+=("archive    $(tail -n 1 "$WORK/archive.log")")
else
    SUMMARY+=("archive    FAILED: $(tail -n 1 "$WORK/archive.log")")
    STATUS=1
fi

echo "restore drill of $SOURCE_NAME"
printf '  %s\n' "${SUMMARY[@]}"
if [ "$STATUS" = 0 ]; then echo "restore drill: OK"; else echo "restore drill: FAILED" >&2; fi
exit "$STATUS"
