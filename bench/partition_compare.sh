#!/usr/bin/env bash
# Heartbeat ingest on the partitioned evidence log against the same log left unpartitioned, in
# one run (docs/benchmarks.md, "Partitioned evidence log").
#
#   bench/partition_compare.sh
#
# Two PostgreSQL databases, fresh: "${DB_PREFIX}_part" migrated to the end (the progress-event
# log partitioned by month, migration progress 0006) and "${DB_PREFIX}_plain" migrated to the
# end, then progress taken back to 0005 (one plain table, as before) with 0006 faked, so both
# run the same code. Each gets the benchmark learners (bench/setup_data.py) and its own gunicorn
# (2 sync workers, production settings, as bench/run.sh); then wrk sends bench/run.sh's
# heartbeat stream (bench/progress.lua mode=heartbeat: one live heartbeat per request) to one
# and the other in interleaved rounds, the order swapped every round (part, plain; plain, part;
# ...), the progress tables reset and vacuumed after every run. Prints each run's req/s and
# p50/p99, then per variant the median of the rounds and the ratio partitioned ÷ plain. On this
# shared machine a run's speed drifts by a quarter within minutes: only the interleaved medians
# compare, and each run prints the cores others used during it (LOAD lines, as bench/run.sh).
#
# Knobs (environment): ROUNDS (4), DURATION seconds per run (10), CONNECTIONS (16),
# THREADS (2), LEARNERS (200), DB_PREFIX (h1_bench), PART_PORT (8111), PLAIN_PORT (8112),
# BENCH_REDIS_URL (redis://127.0.0.1:6379/1), LOCK_WAIT (600: seconds to wait for another
# benchmark of bench/run.sh's lock), KEEP_DB (1: keep the databases), REUSE_DB (1: use the
# databases a KEEP_DB=1 run kept, skipping the migrations; learners are created anew).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
exec 9>"${BENCH_LOCK:-/tmp/.zibo-bench-run.lock}" # bench/run.sh's lock: one benchmark at a time
flock -w "${LOCK_WAIT:-600}" 9 || { echo "another benchmark holds the lock; try again later" >&2 && exit 1; }

ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
LEARNERS=${LEARNERS:-200}
DB_PREFIX=${DB_PREFIX:-h1_bench}
PART_PORT=${PART_PORT:-8111}
PLAIN_PORT=${PLAIN_PORT:-8112}
PG=(-h 127.0.0.1 -p 5432 -U postgres)
PY=$ROOT/.venv/bin/python
WRK=${WRK:-/usr/bin/wrk}
[ -x "$WRK" ] || { echo "wrk is not installed at $WRK: apt-get install wrk" >&2 && exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/zibo-partcmp.XXXXXX")
declare -A PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "${KEEP_DB:-0}" != 1 ]; then
    for variant in part plain; do dropdb "${PG[@]}" --if-exists --force "${DB_PREFIX}_$variant" 2>/dev/null || true; done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Production settings, as bench/run.sh sets them.
export DJANGO_SETTINGS_MODULE=bench.settings DJANGO_DEBUG=0 LOG_LEVEL=WARNING
DJANGO_SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
FIELD_ENCRYPTION_KEYS=$("$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
FIELD_HASH_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
ARCHIVE_SIGNING_KEYS=$("$PY" -c 'import base64, os; print("bench:" + base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())')
export DJANGO_SECRET_KEY FIELD_ENCRYPTION_KEYS FIELD_HASH_KEY ARCHIVE_SIGNING_KEYS
export DJANGO_ALLOWED_HOSTS=127.0.0.1 DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_SECURE_COOKIES=0
export PYTHONWARNINGS="ignore:No directory at"
export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/1}
unset SQLITE_PATH

db_url() { echo "postgres://postgres@127.0.0.1:5432/${DB_PREFIX}_$1"; }
port_of() { if [ "$1" = part ]; then echo "$PART_PORT"; else echo "$PLAIN_PORT"; fi; }
in_db() { # variant command...: run it in that variant's environment (exec'd by env: its PID is $!)
  env DATABASE_URL="$(db_url "$1")" CACHE_KEY_PREFIX="zbjn-partcmp-$1" CHANNEL_PREFIX="zbjn-partcmp-$1" "${@:2}"
}

for variant in part plain; do
  if [ "${REUSE_DB:-0}" = 1 ] && psql "${PG[@]}" -d "${DB_PREFIX}_$variant" -c "SELECT 1" >/dev/null 2>&1; then
    echo "== ${DB_PREFIX}_$variant: kept from an earlier KEEP_DB=1 run (REUSE_DB=1), learners"
  else
    echo "== ${DB_PREFIX}_$variant: fresh database, migrate, learners"
    dropdb "${PG[@]}" --if-exists --force "${DB_PREFIX}_$variant"
    createdb "${PG[@]}" "${DB_PREFIX}_$variant"
    in_db "$variant" "$PY" manage.py migrate --noinput >"$WORK/migrate-$variant.log"
    if [ "$variant" = plain ]; then # back to one plain table, same code: 0006 reversed, then faked
      in_db plain "$PY" manage.py migrate progress 0005 --noinput >>"$WORK/migrate-plain.log"
      in_db plain "$PY" manage.py migrate progress 0006 --fake --noinput >>"$WORK/migrate-plain.log"
    fi
  fi
  kind=$(psql "${PG[@]}" -At -d "${DB_PREFIX}_$variant" -c "SELECT relkind FROM pg_class WHERE relname = 'progress_progressevent'")
  echo "   progress_progressevent relkind=$kind (p: partitioned, r: plain table)"
  in_db "$variant" "$PY" bench/setup_data.py create --learners "$LEARNERS" --out "$WORK/learners-$variant.txt" >/dev/null
  port=$(port_of "$variant")
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { echo "port $port is in use" >&2 && exit 1; }
  env DATABASE_URL="$(db_url "$variant")" CACHE_KEY_PREFIX="zbjn-partcmp-$variant" CHANNEL_PREFIX="zbjn-partcmp-$variant" \
    "$ROOT/.venv/bin/gunicorn" config.wsgi:application --workers 2 --worker-class sync \
    --bind "127.0.0.1:$port" --no-control-socket --log-level warning 9>&- >"$WORK/gunicorn-$variant.log" 2>&1 &
  PIDS[$variant]=$! # env execs gunicorn: this is the master's PID
  for _ in $(seq 1 150); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.2; done
done

busy_cores() { # cores busy during the next second, whoever uses them
  local m0 m1
  m0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
  sleep 1
  m1=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
  echo "$m0 $m1" | awk -v n="$(nproc)" '{ t = $4 - $2; printf "%.2f", (t ? n * ($3 - $1) / t : 0) }'
}

run() { # variant seconds label
  local port out="$WORK/$3.wrk"
  port=$(port_of "$1")
  [ "$3" = warmup ] || printf 'LOAD {"label":"%s","busy_cores":%s}\n' "$3" "$(busy_cores)"
  "$WRK" -t"$THREADS" -c"$CONNECTIONS" -d"$2s" --timeout 10s --latency -s bench/progress.lua \
    "http://127.0.0.1:$port" -- mode=heartbeat data="$WORK/learners-$1.txt" threads="$THREADS" label="$3" >"$out" 2>&1
  grep '^\[' "$out" | head -n 3 >&2 || true # the first failed answers, if any
  [ "$3" = warmup ] || grep '^BENCH ' "$out" | tee -a "$WORK/results.txt"
  in_db "$1" "$PY" bench/setup_data.py reset --label "$3" >/dev/null
}

echo "== warm-up (3 s each)"
run part 3 warmup && run plain 3 warmup
for round in $(seq 1 "$ROUNDS"); do
  order="part plain"
  [ $((round % 2)) = 0 ] && order="plain part"
  for variant in $order; do
    echo "-- round $round: $variant, ${DURATION}s, wrk -t$THREADS -c$CONNECTIONS"
    run "$variant" "$DURATION" "$variant#$round"
  done
done

for variant in part plain; do
  if grep -q -E 'Traceback|ERROR' "$WORK/gunicorn-$variant.log"; then
    echo "!! gunicorn ($variant) logged errors:" >&2 && grep -E -A3 'Traceback|ERROR' "$WORK/gunicorn-$variant.log" | head -n 30 >&2
  fi
done

echo "== summary: heartbeat stream, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s × $ROUNDS rounds, $LEARNERS learners"
"$PY" - "$WORK/results.txt" <<'EOF'
import json, statistics, sys

runs = [json.loads(line.split(" ", 1)[1]) for line in open(sys.argv[1]) if line.startswith("BENCH ")]
medians = {}
print(f"{'variant':8} {'runs':>4} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'non-200':>7}  per run req/s")
for variant in ("part", "plain"):
    mine = [run for run in runs if run["label"].split("#")[0] == variant]
    if not mine:
        continue
    med = {key: statistics.median(run[key] for run in mine) for key in ("rps", "p50_ms", "p99_ms")}
    bad = sum(run.get("non200", 0) + run.get("socket_errors", 0) for run in mine)
    medians[variant] = med
    each = " ".join(f"{run['rps']:.0f}" for run in mine)
    print(f"{variant:8} {len(mine):>4} {med['rps']:>8.1f} {med['p50_ms']:>7.2f} {med['p99_ms']:>7.2f} {bad:>7}  {each}")
if len(medians) == 2:
    ratio = medians["part"]["rps"] / medians["plain"]["rps"]
    pairs = {}
    for run in runs:
        variant, number = run["label"].split("#")
        pairs.setdefault(number, {})[variant] = run["rps"]
    per_round = [pair["part"] / pair["plain"] for pair in pairs.values() if len(pair) == 2]
    print(f"partitioned ÷ plain, medians: {ratio:.3f}; per round: " + " ".join(f"{r:.3f}" for r in per_round))
EOF
