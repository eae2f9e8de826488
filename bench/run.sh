#!/usr/bin/env bash
# Load benchmark of POST /api/v1/progress/events/ against a bare baseline, on one machine.
#
#   bench/run.sh [sqlite|postgres]
#
# Creates a fresh database (SQLite file in a temporary directory, or the PostgreSQL database
# "bench" on 127.0.0.1:5432 with Redis for cache and channel layer), migrates, creates the
# benchmark learners (bench/setup_data.py), then for each server (gunicorn 2 sync workers, WSGI;
# daphne 1 process, ASGI) runs wrk with the same threads/connections/duration against the bare
# baseline and the events endpoint (single heartbeats, offline batches of 50, the 80/20 mix),
# resetting the progress tables between runs, profiles single requests in-process, stops the
# servers and prints a summary (bench/report.py). See docs/benchmarks.md.
#
# Knobs (environment): DURATION seconds per run (20), CONNECTIONS (16), THREADS (2),
# LEARNERS (200), SERVERS ("gunicorn daphne"; also gunicorn1: one sync worker, to compare
# with daphne's one process), STREAMS ("baseline drf heartbeat batch mix"; drf: the baseline's
# upsert behind DRF and token authentication, the framework's own cost), ROUNDS (1: run the
# streams this many times in turn, labelled stream#N; each run is compared with the baseline
# run just before it, and the summary gives the median of the rounds: the machine's speed drifts
# by a quarter within minutes here, so only neighbouring runs compare fairly),
# GUNICORN_PORT (8101), DAPHNE_PORT (8102), PROFILE (1: run bench/profile_request.py),
# BENCH_REDIS_URL (redis://127.0.0.1:6379/14, postgres only; empty: in-memory layer),
# QUIET_WAIT (0: seconds to wait before each run for other processes to use less than
# QUIET_MAX (0.25) cores; the cores others used just before each run are reported either way),
# RETRY_NOISY (0: times to run again a run during which others used more than QUIET_MAX cores),
# LOCK_WAIT (0: seconds to wait for another bench/run.sh on this machine to finish),
# RESULTS (a file to copy the raw result lines to), KEEP_DB (1: keep the database),
# BENCH_REV (a git revision: benchmark that commit's code, exported with git archive to a
# temporary directory with this bench/ copied in, instead of the working tree).
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${1:-sqlite}

if [ -n "${BENCH_REV:-}" ] && [ -z "${BENCH_SNAPSHOT:-}" ]; then
  SNAP=$(mktemp -d "${TMPDIR:-/tmp}/zibo-bench-src.XXXXXX")
  trap 'rm -rf "$SNAP"' EXIT
  git archive "$BENCH_REV" | tar -x -C "$SNAP"
  rm -rf "$SNAP/bench" && cp -r bench "$SNAP/bench" && ln -s "$PWD/.venv" "$SNAP/.venv"
  echo "benchmarking $(git rev-parse --short "$BENCH_REV") ($(git log -1 --format=%s "$BENCH_REV" | cut -c1-60)) from $SNAP"
  BENCH_SNAPSHOT=1 bash "$SNAP/bench/run.sh" "$@" && status=0 || status=$?
  exit "$status"
fi
ROOT=$PWD

# One run at a time on this machine: two would share ports, the "bench" database and the CPUs.
exec 9>"${BENCH_LOCK:-/tmp/.zibo-bench-run.lock}" # the same for every TMPDIR
if [ "${LOCK_WAIT:-0}" -gt 0 ]; then lock=(-w "$LOCK_WAIT"); else lock=(-n); fi
flock "${lock[@]}" 9 || { echo "another bench/run.sh is running on this machine; try again when it ends" >&2 && exit 1; }
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
LEARNERS=${LEARNERS:-200}
SERVERS=${SERVERS:-gunicorn daphne}
STREAMS=${STREAMS:-baseline drf heartbeat batch mix}
ROUNDS=${ROUNDS:-1}
GUNICORN_PORT=${GUNICORN_PORT:-8101}
DAPHNE_PORT=${DAPHNE_PORT:-8102}
PROFILE=${PROFILE:-1}
QUIET_WAIT=${QUIET_WAIT:-0}
QUIET_MAX=${QUIET_MAX:-0.25}
RETRY_NOISY=${RETRY_NOISY:-0}
PG=(-h 127.0.0.1 -p 5432 -U postgres)
PY=$ROOT/.venv/bin/python
WRK=${WRK:-/usr/bin/wrk}

[ -x "$WRK" ] || { echo "wrk is not installed at $WRK: apt-get install wrk (or set WRK=/path/to/wrk)" >&2 && exit 1; }

case "$DB" in
  sqlite | postgres) ;;
  *) echo "usage: bench/run.sh [sqlite|postgres]" >&2 && exit 2 ;;
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/zibo-bench.XXXXXX")
RESULTS_LINES=$WORK/results.txt
DATA=$WORK/learners.txt
SERVER_PID=""
STARTED=$SECONDS

log() { printf '\n== %s  (%ds)\n' "$*" "$((SECONDS - STARTED))"; }

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

cleanup() {
  stop_server
  if [ "$DB" = postgres ] && [ "${KEEP_DB:-0}" != 1 ]; then
    dropdb "${PG[@]}" --if-exists --force bench 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- environment: production settings (DEBUG off), bench.settings for the baseline URL --------
export DJANGO_SETTINGS_MODULE=bench.settings
export DJANGO_DEBUG=0
DJANGO_SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export DJANGO_SECRET_KEY
# Production settings also need the keys that protect personal data at rest.
FIELD_ENCRYPTION_KEYS=$("$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
FIELD_HASH_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
export FIELD_ENCRYPTION_KEYS FIELD_HASH_KEY
ARCHIVE_SIGNING_KEYS=$("$PY" -c 'import base64, os; print("bench:" + base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())')
export ARCHIVE_SIGNING_KEYS
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_SECURE_COOKIES=0
export LOG_LEVEL=WARNING
export PYTHONWARNINGS="ignore:No directory at"   # WhiteNoise: no collectstatic needed here
export CACHE_KEY_PREFIX=zbjn-bench CHANNEL_PREFIX=zbjn-bench
unset DATABASE_URL REDIS_URL SQLITE_PATH

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in $GUNICORN_PORT $DAPHNE_PORT; do
  port_free "$port" || { echo "port $port is in use: refusing to benchmark someone else's server" >&2 && exit 1; }
done

log "fresh $DB database"
if [ "$DB" = postgres ]; then
  dropdb "${PG[@]}" --if-exists --force bench
  createdb "${PG[@]}" bench
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench
  REDIS=${BENCH_REDIS_URL-redis://127.0.0.1:6379/14}
  if [ -n "$REDIS" ]; then export REDIS_URL=$REDIS; fi
else
  export SQLITE_PATH=$WORK/bench.sqlite3
fi
echo "DATABASE_URL=${DATABASE_URL:-(SQLite $WORK/bench.sqlite3)} REDIS_URL=${REDIS_URL:-(in-memory)}"
"$PY" manage.py migrate --noinput >"$WORK/migrate.log"
"$PY" bench/setup_data.py create --learners "$LEARNERS" --out "$DATA"

start_server() { # name port
  local workers=2
  [ "$1" = gunicorn1 ] && workers=1
  port_free "$2" || { echo "port $2 is in use: refusing to benchmark someone else's server" >&2; exit 1; }
  case "$1" in
    gunicorn | gunicorn1)
      "$ROOT/.venv/bin/gunicorn" config.wsgi:application --workers "$workers" --worker-class sync \
        --bind "127.0.0.1:$2" --no-control-socket --log-level warning >"$WORK/$1.log" 2>&1 &
      ;;
    daphne)
      "$ROOT/.venv/bin/daphne" -b 127.0.0.1 -p "$2" -v 0 config.asgi:application >"$WORK/$1.log" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 1 150); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$2/healthz" 2>/dev/null; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "$1 did not start:" >&2 && cat "$WORK/$1.log" >&2 && exit 1
}

ticks_of() { # PIDs...: CPU time (clock ticks) they used so far
  local p total=0
  for p in "$@"; do
    # /proc/PID/stat after "PID (name) ": utime and stime are the 12th and 13th fields
    [ -r "/proc/$p/stat" ] && total=$((total + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
  done
  echo "$total"
}
server_ticks() { ticks_of "$SERVER_PID" $(pgrep -P "$SERVER_PID" || true); }
db_ticks() { # our PostgreSQL backends, and Redis when we use it
  ticks_of $(pgrep -f '^postgres: .* bench ' || true) $([ -n "${REDIS_URL:-}" ] && pgrep -x redis-server || true)
}
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
cores() { awk -v t="$1" -v d="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz / d }'; }

run_wrk() { # server port stream seconds [tag: the stream's name in this run's labels]
  local label="$1:${5:-$3}" out="$WORK/$1-${5:-$3}.wrk" TIMEFORMAT='%U %S'
  local s0 s1 d0 d1 m0 m1 wrk_s busy total
  s0=$(server_ticks) d0=$(db_ticks) m0=$(machine_ticks)
  { time "$WRK" -t"$THREADS" -c"$CONNECTIONS" -d"$4s" --timeout 10s --latency -s bench/progress.lua \
    "http://127.0.0.1:$2" -- mode="$3" data="$DATA" threads="$THREADS" label="$label" >"$out" 2>&1; } 2>"$out.cpu"
  s1=$(server_ticks) d1=$(db_ticks) m1=$(machine_ticks)
  grep '^\[' "$out" | head -n 3 >&2 || true # the first non-200 or rejected answers, if any
  grep '^BENCH ' "$out"
  wrk_s=$(awk '{ print $1 + $2 }' "$out.cpu")
  read -r busy total < <(echo "$m0 $m1" | awk '{ print $3 - $1, $4 - $2 }')
  awk -v label="$label" -v n="$(nproc)" -v busy="$busy" -v total="$total" -v server="$(cores $((s1 - s0)) "$4")" \
    -v db="$(cores $((d1 - d0)) "$4")" -v wrk="$wrk_s" -v d="$4" 'BEGIN {
      if (db < 0) db = 0 # a backend that exited during the run takes its ticks with it
      all = total ? n * busy / total : 0; w = wrk / d; others = all - server - db - w; if (others < 0) others = 0
      printf "CPU {\"label\":\"%s\",\"server_cores\":%.2f,\"db_cores\":%.2f,\"wrk_cores\":%.2f,\"machine_cores\":%.2f,\"others_cores\":%.2f}\n", label, server, db, w, all, others
    }'
}

cores_busy() { # cores busy during the next second, whoever uses them (our servers are idle now)
  local m0 m1
  m0=$(machine_ticks) && sleep 1 && m1=$(machine_ticks)
  echo "$m0 $m1" | awk -v n="$(nproc)" '{ t = $4 - $2; printf "%.2f", (t ? n * ($3 - $1) / t : 0) }'
}

background_load() { # label: on a shared machine, wait (up to QUIET_WAIT s) for others to calm down
  local busy waited=0
  busy=$(cores_busy)
  while awk -v b="$busy" -v m="$QUIET_MAX" 'BEGIN { exit !(b > m) }' && [ "$waited" -lt "$QUIET_WAIT" ]; do
    sleep 4 && waited=$((waited + 5)) && busy=$(cores_busy)
  done
  if [ "$waited" -gt 0 ]; then echo "   (waited ${waited}s for other processes to calm down)" >&2; fi
  printf 'LOAD {"label":"%s","busy_cores":%s}\n' "$1" "$busy"
}

reset_progress() { # label
  "$PY" bench/setup_data.py reset --label "$1"
}

for server in $SERVERS; do
  case "$server" in
    gunicorn) port=$GUNICORN_PORT name=gunicorn-2w ;;
    gunicorn1) port=$GUNICORN_PORT name=gunicorn-1w ;;
    daphne) port=$DAPHNE_PORT name=daphne-1p ;;
    *) echo "unknown server $server (gunicorn, gunicorn1, daphne)" >&2 && exit 2 ;;
  esac
  log "$name on 127.0.0.1:$port"
  start_server "$server" "$port"
  run_wrk "$name" "$port" heartbeat 3 >/dev/null # warm-up: the first requests load code in each worker
  reset_progress warmup >/dev/null
  for round in $(seq 1 "$ROUNDS"); do
  for stream in $STREAMS; do
    tag=$stream
    [ "$ROUNDS" -gt 1 ] && tag="$stream#$round"
    for attempt in $(seq 0 "$RETRY_NOISY"); do
      echo "-- $name: $tag, ${DURATION}s, $THREADS threads, $CONNECTIONS connections"
      {
        background_load "$name:$tag"
        run_wrk "$name" "$port" "$stream" "$DURATION" "$tag"
        reset_progress "$name:$tag"
      } | tee "$WORK/lines"
      others=$(sed -n 's/^CPU .*"others_cores":\([0-9.]*\).*/\1/p' "$WORK/lines")
      if [ "$attempt" -lt "$RETRY_NOISY" ] && awk -v o="${others:-0}" -v m="$QUIET_MAX" 'BEGIN { exit !(o > m) }'; then
        echo "   other processes used $others cores during the run: again" >&2
        continue
      fi
      cat "$WORK/lines" >>"$RESULTS_LINES"
      break
    done
  done
  done
  stop_server
  if grep -q -E 'Traceback|ERROR' "$WORK/$server.log"; then
    echo "!! $server logged errors:" >&2 && grep -E -A3 'Traceback|ERROR' "$WORK/$server.log" | head -n 40 >&2
  fi
done

if [ "$PROFILE" = 1 ]; then
  log "in-process profile of single requests"
  background_load profile >/dev/null
  "$PY" bench/profile_request.py --requests 200 --batches 40 | tee -a "$RESULTS_LINES"
fi

log "summary: $DB, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $LEARNERS learners"
"$PY" bench/report.py "$RESULTS_LINES"
if [ -n "${RESULTS:-}" ]; then cp "$RESULTS_LINES" "$RESULTS" && echo "raw lines copied to $RESULTS"; fi
