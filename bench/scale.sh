#!/usr/bin/env bash
# The production shape on this machine, under a realistic evening (docs/benchmarks.md, "Scale-out").
#
#   bench/scale.sh
#   DURATION=120 HB_DURATION=30 bench/scale.sh       # the lead's final measurement, machine quiet
#
# Starts what deploy/ describes, with deploy/env.example as the environment (secrets generated,
# services pointed here): nginx (deploy/nginx/zibo-http.conf) in front of one gunicorn master
# (deploy/gunicorn.conf.py) with N sync workers on a unix socket and one daphne process for /ws/,
# the task worker (db_worker), PostgreSQL (its own database), Redis (its own db number and prefix)
# and an S3 server (moto_server, a bucket of its own). Migrates, collects the static files, seeds
# learners with tokens and sessions and an institution with a class (bench/scale_setup.py). Then,
# for each N in WORKERS:
#   1. heartbeats only: wrk + bench/progress.lua (single heartbeats, channels pc and wechat) for
#      HB_DURATION seconds, through nginx;
#   2. the evening, all at once for DURATION seconds: WS_CONNECTIONS learners' apps hold
#      /ws/progress/ open and count the pushes (bench/scale_ws.py); the same learners send
#      heartbeats (pc, wechat) and offline batches of 50 (app) — progress.lua's mix; signed-in
#      learners open pages; institution staff upload certificate scans to S3 (bench/scale_http.lua);
# with the CPU and memory of every process group sampled (bench/scale_procs.py). Prints Markdown
# tables (bench/scale_report.py). Everything it starts is stopped at exit.
#
# Knobs (environment): WORKERS ("1 2"), HB_DURATION (20 s), DURATION (30 s), WARMUP (3 s),
# CONNECTIONS (16) and THREADS (2) of the heartbeat wrk, LEARNERS (2000), WS_CONNECTIONS
# (LEARNERS), WS_RATE (50 new connections/s), SESSIONS (200 signed-in learners), PAGE_CONNECTIONS
# (4) and PAGE_PAUSE (250 ms between a connection's pages), UPLOAD_CONNECTIONS (1), UPLOAD_PAUSE
# (1000 ms), UPLOAD_KB (200), PHASES ("heartbeat evening"), NGINX_PORT (8660), MOTO_PORT (8661),
# SCALE_DB (bench_scale), SCALE_REDIS_DB (6), KEEP_DB (0), RESULTS (copy the raw lines there),
# REUSE_DB (0; 1: keep an existing database and static files, with KEEP_DB=1 before),
# LOCK_WAIT (0 s to wait for another bench/scale.sh), KEEP_WORK (0; 1: keep the logs).
# Default run: 5–8 minutes (the migration and the 2,000 learners take the first 1–4).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

exec 9>/tmp/.zibo-bench-scale.lock
if [ "${LOCK_WAIT:-0}" -gt 0 ]; then lock=(-w "$LOCK_WAIT"); else lock=(-n); fi
flock "${lock[@]}" 9 || { echo "another bench/scale.sh is running on this machine" >&2 && exit 1; }

WORKERS=${WORKERS:-1 2}
HB_DURATION=${HB_DURATION:-20}
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
LEARNERS=${LEARNERS:-2000}
WS_CONNECTIONS=${WS_CONNECTIONS:-$LEARNERS}
WS_RATE=${WS_RATE:-50}
SESSIONS=${SESSIONS:-200}
PAGE_CONNECTIONS=${PAGE_CONNECTIONS:-4}
PAGE_PAUSE=${PAGE_PAUSE:-250}
UPLOAD_CONNECTIONS=${UPLOAD_CONNECTIONS:-1}
UPLOAD_PAUSE=${UPLOAD_PAUSE:-1000}
UPLOAD_KB=${UPLOAD_KB:-200}
PHASES=${PHASES:-heartbeat evening}
NGINX_PORT=${NGINX_PORT:-8660}
MOTO_PORT=${MOTO_PORT:-8661}
SCALE_DB=${SCALE_DB:-bench_scale}
SCALE_REDIS_DB=${SCALE_REDIS_DB:-6}
PG=(-h 127.0.0.1 -p 5432 -U postgres)
PY=$ROOT/.venv/bin/python
BIN=$ROOT/.venv/bin
WRK=${WRK:-/usr/bin/wrk}
NGINX=${NGINX:-/usr/sbin/nginx}
for tool in "$WRK" "$NGINX"; do
  [ -x "$tool" ] || { echo "$tool is not installed (apt-get install wrk nginx)" >&2 && exit 1; }
done

# Every WebSocket is a descriptor in the client, in nginx (twice: client and upstream) and in daphne.
need=$((WS_CONNECTIONS * 2 + 1024))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  echo "ulimit -n is $(ulimit -n) (hard $(ulimit -Hn)); $WS_CONNECTIONS WebSockets need $need" >&2 && exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/zibo-scale.XXXXXX")
LINES=$WORK/results.txt
DATA=$WORK/data.txt
PIDS=()   # long-lived services, stopped at exit in reverse order
WEB_PID=""
STARTED=$SECONDS
log() { printf '\n== %s  (%ds)\n' "$*" "$((SECONDS - STARTED))"; }

stop_pid() {
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}
cleanup() {
  stop_pid "$WEB_PID"
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
  if [ -f "$WORK/nginx.pid" ]; then stop_pid "$(cat "$WORK/nginx.pid")"; fi
  if [ "${KEEP_DB:-0}" != 1 ]; then
    dropdb "${PG[@]}" --if-exists --force "$SCALE_DB" 2>/dev/null || true
    redis-cli -n "$SCALE_REDIS_DB" flushdb >/dev/null 2>&1 || true
  fi
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in $NGINX_PORT $MOTO_PORT; do
  port_free "$port" || { echo "port $port is in use: set NGINX_PORT/MOTO_PORT" >&2 && exit 1; }
done
wait_for() { # what url pid
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || break
    sleep 0.2
  done
  echo "$1 did not start ($2):" >&2 && curl -sS -i "$2" 2>&1 | head -c 1500 >&2
  tail -n 30 "$WORK/$1.log" >&2 && exit 1
}

# --- environment: the operator's example, with this machine's services and fresh keys ----------
set -a
# shellcheck source=/dev/null
. deploy/env.example
set +a
unset DATABASE_REPLICA_URL
# Fresh keys; kept beside a kept database (KEEP_DB=1), whose personal data they encrypt.
KEYS=${TMPDIR:-/tmp}/.zibo-scale-$SCALE_DB.keys
if [ "${REUSE_DB:-0}" != 1 ] || [ ! -f "$KEYS" ]; then
  {
    echo "DJANGO_SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
    echo "FIELD_ENCRYPTION_KEYS=$("$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
    echo "FIELD_HASH_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')"
    echo "ARCHIVE_SIGNING_KEYS=scale:$("$PY" -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())')"
  } >"$WORK/keys"
  if [ "${KEEP_DB:-0}" = 1 ]; then install -m 600 "$WORK/keys" "$KEYS"; fi
else
  cp "$KEYS" "$WORK/keys"
fi
set -a
. "$WORK/keys"
set +a
export DJANGO_SETTINGS_MODULE=config.settings
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost SITE_URL=http://127.0.0.1:$NGINX_PORT
export DJANGO_CSRF_TRUSTED_ORIGINS=http://127.0.0.1:$NGINX_PORT
export DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_SECURE_COOKIES=0 DJANGO_HSTS_SECONDS=0
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$SCALE_DB
export REDIS_URL=redis://127.0.0.1:6379/$SCALE_REDIS_DB CACHE_KEY_PREFIX=zbjn-scale CHANNEL_PREFIX=zbjn-scale
export AWS_STORAGE_BUCKET_NAME=zibo-scale AWS_S3_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT
export AWS_S3_REGION_NAME=us-east-1 AWS_ACCESS_KEY_ID=scale AWS_SECRET_ACCESS_KEY=scale AWS_S3_URL_PROTOCOL=http:
export LOG_LEVEL=WARNING PRIVATE_MEDIA_ROOT=$WORK/private MEDIA_ROOT=$WORK/media
export TASKS_BACKEND=django_tasks_db.DatabaseBackend
mkdir -p "$WORK/run" "$WORK/logs" "$WORK/media" "$WORK/private" "$WORK/metrics"
# nginx's workers run as nobody when its master is root: they must reach the sockets and media.
chmod a+rx "$WORK" "$WORK/run" "$WORK/media"

log "S3 server (moto) on 127.0.0.1:$MOTO_PORT"
"$BIN/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
PIDS+=($!)
wait_for moto "http://127.0.0.1:$MOTO_PORT/moto-api/" "${PIDS[-1]}"
"$PY" -c "import boto3; boto3.client('s3', endpoint_url='$AWS_S3_ENDPOINT_URL', region_name='us-east-1', aws_access_key_id='scale', aws_secret_access_key='scale').create_bucket(Bucket='zibo-scale')"

log "fresh database $SCALE_DB, Redis db $SCALE_REDIS_DB, migrate, collectstatic, seed"
redis-cli -n "$SCALE_REDIS_DB" flushdb >/dev/null
if [ "${REUSE_DB:-0}" = 1 ] && psql "${PG[@]}" -lqt | cut -d'|' -f1 | grep -qw "$SCALE_DB"; then
  echo "reusing database $SCALE_DB and the collected static files (REUSE_DB=1)"
else
  dropdb "${PG[@]}" --if-exists --force "$SCALE_DB"
  createdb "${PG[@]}" "$SCALE_DB"
  "$PY" manage.py migrate --noinput >"$WORK/migrate.log"
  "$PY" manage.py collectstatic --noinput -v 0
fi
"$PY" bench/scale_setup.py --learners "$LEARNERS" --sessions "$SESSIONS" --uploaders "$UPLOAD_CONNECTIONS" --out "$DATA"

log "task worker, daphne, nginx on 127.0.0.1:$NGINX_PORT"
"$PY" manage.py db_worker --no-reload --queue-name '*' >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
WORKER_PID=${PIDS[-1]}
"$BIN/daphne" -e "unix:$WORK/run/ws-1.sock:backlog=1024:mode=666" --websocket_connect_timeout 30 --proxy-headers -v 0 config.asgi:application >"$WORK/daphne.log" 2>&1 &
PIDS+=($!)
DAPHNE_PID=${PIDS[-1]}
mkdir -p "$WORK/nginx"
for conf in deploy/nginx/*.conf; do
  sed -e "s#/etc/nginx/zibo/#$WORK/nginx/#g; s#/run/zibo/#$WORK/run/#g; s#/var/log/nginx/#$WORK/logs/#g" \
    -e "s#/srv/zibo/staticfiles/#$ROOT/staticfiles/#g; s#/srv/zibo/media/#$WORK/media/#g" \
    -e "s#listen 80;#listen 127.0.0.1:$NGINX_PORT;#" "$conf" >"$WORK/nginx/$(basename "$conf")"
done
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
worker_rlimit_nofile $((need * 2));
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections $need; }
http {
  include /etc/nginx/mime.types;
  sendfile on;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  include $WORK/nginx/zibo-http.conf;
}
EOF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/logs/error.log"
for _ in $(seq 1 50); do [ -S "$WORK/run/ws-1.sock" ] && break; sleep 0.2; done
NGINX_MASTER=$(cat "$WORK/nginx.pid")
BASE=http://127.0.0.1:$NGINX_PORT

start_web() { # workers
  GUNICORN_BIND=unix:$WORK/run/web.sock WEB_CONCURRENCY=$1 PROMETHEUS_MULTIPROC_DIR=$WORK/metrics \
    "$BIN/gunicorn" -c deploy/gunicorn.conf.py >"$WORK/web.log" 2>&1 &
  WEB_PID=$!
  wait_for web "$BASE/healthz" "$WEB_PID"
}

procs_start() { # label: sample every process group until procs_stop
  "$PY" bench/scale_procs.py --label "$1" "gunicorn=tree:$WEB_PID" "daphne=tree:$DAPHNE_PID" \
    "nginx=tree:$NGINX_MASTER" "postgres=match:^postgres: .* $SCALE_DB " "redis=match:^(/usr/bin/)?redis-server" \
    "s3=tree:${PIDS[0]}" "worker=tree:$WORKER_PID" "wrk=match:^$WRK " "ws_client=match:bench/scale_ws.py" \
    >>"$LINES" &
  PROCS_PID=$!
}
procs_stop() { stop_pid "$PROCS_PID"; }

events_wrk() { # label mode seconds [data file]
  "$WRK" -t"$THREADS" -c"$CONNECTIONS" -d"$3s" --timeout 10s --latency -s bench/progress.lua "$BASE" \
    -- mode="$2" data="${4:-$DATA}" threads="$THREADS" label="$1" >"$WORK/$1.wrk" 2>&1
}
reset_progress() { "$PY" bench/setup_data.py reset --label "$1" >>"$LINES"; }
table_size() { # label: the evidence log's rows and bytes (all partitions, with their indexes)
  psql "${PG[@]}" -d "$SCALE_DB" -Atc "select 'TABLE ' || json_build_object('label', '$1',
    'rows', (select count(*) from progress_progressevent),
    'bytes', (select sum(pg_total_relation_size(relid)) from pg_partition_tree('progress_progressevent'::regclass)),
    'row_width', (select avg(pg_column_size(e.*))::int from progress_progressevent e))" | tee -a "$LINES"
}

for workers in $WORKERS; do
  log "gunicorn with $workers sync worker(s) behind nginx"
  start_web "$workers"
  events_wrk warmup heartbeat "$WARMUP" && reset_progress "warmup-${workers}w" # load code in each worker

  if [[ " $PHASES " == *" heartbeat "* ]]; then
    echo "-- heartbeats only, ${HB_DURATION}s, $THREADS threads, $CONNECTIONS connections"
    procs_start "heartbeat-${workers}w"
    events_wrk "heartbeat-${workers}w" heartbeat "$HB_DURATION"
    procs_stop
    grep -h '^\[' "$WORK/heartbeat-${workers}w.wrk" | head -n 3 >&2 || true
    grep -h '^BENCH ' "$WORK/heartbeat-${workers}w.wrk" | tee -a "$LINES"
    reset_progress "heartbeat-${workers}w"
  fi

  if [[ " $PHASES " == *" evening "* ]]; then
    echo "-- the evening, ${DURATION}s: $WS_CONNECTIONS WebSockets, heartbeats + batches, pages, uploads"
    rm -f "$WORK/ws.ready"
    "$PY" bench/scale_ws.py --url "ws://127.0.0.1:$NGINX_PORT" --data "$DATA" --connections "$WS_CONNECTIONS" \
      --rate "$WS_RATE" --hold $((DURATION + 60)) --ready "$WORK/ws.ready" --label "evening-${workers}w" \
      --connected "$WORK/ws.learners" \
      >"$WORK/ws-${workers}w.out" 2>&1 &
    WS_PID=$!
    while [ ! -f "$WORK/ws.ready" ] && kill -0 "$WS_PID" 2>/dev/null; do sleep 0.5; done
    [ -f "$WORK/ws.ready" ] || { echo "!! the WebSocket client stopped:" >&2 && tail "$WORK/ws-${workers}w.out" >&2 && exit 1; }
    echo "   $(cat "$WORK/ws.ready") WebSockets open"
    [ -s "$WORK/ws.learners" ] || { echo "!! no WebSocket opened:" >&2 && tail "$WORK/ws-${workers}w.out" >&2 && exit 1; }
    # The evening's events come from the connected learners only, so that every answered event
    # request is a push expected on an open socket.
    awk 'NR == FNR { open[$1] = 1; next } $1 != "learner" || ($2 in open)' "$WORK/ws.learners" "$DATA" >"$WORK/evening.txt"
    procs_start "evening-${workers}w"
    events_wrk "evening-${workers}w-events" mix "$DURATION" "$WORK/evening.txt" &
    w1=$!
    "$WRK" -t1 -c"$PAGE_CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s bench/scale_http.lua "$BASE" \
      -- mode=pages data="$DATA" pause="$PAGE_PAUSE" label="evening-${workers}w-pages" >"$WORK/pages-${workers}w.wrk" 2>&1 &
    w2=$!
    "$WRK" -t1 -c"$UPLOAD_CONNECTIONS" -d"${DURATION}s" --timeout 30s --latency -s bench/scale_http.lua "$BASE" \
      -- mode=uploads data="$DATA" pause="$UPLOAD_PAUSE" kb="$UPLOAD_KB" label="evening-${workers}w-uploads" \
      >"$WORK/uploads-${workers}w.wrk" 2>&1 &
    w3=$!
    wait "$w1" "$w2" "$w3"
    sleep 2 # the last pushes
    procs_stop
    stop_pid "$WS_PID"
    for out in "$WORK/evening-${workers}w-events.wrk" "$WORK/pages-${workers}w.wrk" "$WORK/uploads-${workers}w.wrk"; do
      grep -h '^\[' "$out" | head -n 3 >&2 || true
      grep -h '^BENCH ' "$out" | tee -a "$LINES"
    done
    grep -h '^WS ' "$WORK/ws-${workers}w.out" | tee -a "$LINES" || { echo "!! WebSocket client:" >&2 && tail "$WORK/ws-${workers}w.out" >&2; }
    table_size "evening-${workers}w"
    reset_progress "evening-${workers}w"
  fi
  stop_pid "$WEB_PID"
  WEB_PID=""
done

for name in web daphne worker; do
  if grep -q -E 'Traceback|ERROR|CRITICAL' "$WORK/$name.log" 2>/dev/null; then
    echo "!! $name logged errors:" >&2 && grep -E -m 5 -A3 'Traceback|ERROR|CRITICAL' "$WORK/$name.log" | head -n 30 >&2
  fi
done
log "summary: WORKERS=\"$WORKERS\" HB_DURATION=$HB_DURATION DURATION=$DURATION LEARNERS=$LEARNERS WS=$WS_CONNECTIONS"
"$PY" bench/scale_report.py "$LINES"
if [ -n "${RESULTS:-}" ]; then cp "$LINES" "$RESULTS" && echo "raw lines copied to $RESULTS"; fi
