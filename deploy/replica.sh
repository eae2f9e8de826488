#!/usr/bin/env bash
# A PostgreSQL streaming replica of the local primary, as a second cluster on this machine (for
# the bench, the tests and a single-machine deployment): docs/operations.md, "Read replica".
#
#   deploy/replica.sh [start]   build it if needed (pg_basebackup -R -X stream), start it, wait
#                               until it accepts connections in recovery and streams; prints
#                               DATABASE_REPLICA_URL=... as its last line (stdout)
#   deploy/replica.sh status    whether it runs, its lag, the URL
#   deploy/replica.sh stop      stop it (its replication slot stays: the primary keeps the WAL it
#                               has not received, and `start` catches up)
#   deploy/replica.sh destroy   stop it, drop its slot on the primary and delete its data
#
# Idempotent: `start` on a running replica only checks it and prints the URL. The primary is never
# restarted: wal_level=replica and max_wal_senders are PostgreSQL 15's defaults; when its
# pg_hba.conf has no replication line for 127.0.0.1, one is appended and the configuration reloaded.
# Run as root (the commands run as the postgres OS user) or as postgres.
#
# Environment (defaults in brackets): PG_VERSION [the only cluster in /etc/postgresql, else 15],
# PRIMARY_HOST [127.0.0.1], PRIMARY_PORT [5432], REPLICA_PORT [5433],
# REPLICA_DATA [/var/lib/postgresql/$PG_VERSION/replica], REPLICA_SLOT [replica_$REPLICA_PORT],
# REPLICA_DATABASE [the database of DATABASE_URL, else zibo]: only used in the printed URL.
set -euo pipefail

PG_VERSION="${PG_VERSION:-$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)}"
PG_VERSION="${PG_VERSION:-15}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/$PG_VERSION/bin}"
PRIMARY_HOST="${PRIMARY_HOST:-127.0.0.1}"
PRIMARY_PORT="${PRIMARY_PORT:-5432}"
REPLICA_PORT="${REPLICA_PORT:-5433}"
REPLICA_DATA="${REPLICA_DATA:-/var/lib/postgresql/$PG_VERSION/replica}"
REPLICA_SLOT="${REPLICA_SLOT:-replica_$REPLICA_PORT}"
REPLICA_LOG="${REPLICA_LOG:-/var/log/postgresql/postgresql-$PG_VERSION-replica.log}"
if [[ -z "${REPLICA_DATABASE:-}" && -n "${DATABASE_URL:-}" ]]; then
  REPLICA_DATABASE="${DATABASE_URL##*/}"
  REPLICA_DATABASE="${REPLICA_DATABASE%%\?*}"
fi
REPLICA_DATABASE="${REPLICA_DATABASE:-zibo}"

say() { printf 'replica: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

as_postgres() {
  if [[ "$(id -un)" == postgres ]]; then
    "$@"
  elif [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    die "run me as root or as the postgres user"
  fi
}

primary_sql() { as_postgres "$PG_BIN/psql" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -XAtqc "$1"; }
replica_sql() { as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -d postgres -XAtqc "$1"; }
replica_running() { as_postgres "$PG_BIN/pg_ctl" status -D "$REPLICA_DATA" >/dev/null 2>&1; }

print_url() {
  printf 'DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:%s/%s\n' "$REPLICA_PORT" "$REPLICA_DATABASE"
}

check_primary() {
  [[ -x "$PG_BIN/pg_basebackup" ]] || die "no PostgreSQL $PG_VERSION binaries in $PG_BIN"
  "$PG_BIN/pg_isready" -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" ||
    die "the primary does not answer on $PRIMARY_HOST:$PRIMARY_PORT"
  [[ "$(primary_sql 'SELECT pg_is_in_recovery()')" == f ]] ||
    die "$PRIMARY_HOST:$PRIMARY_PORT is itself a standby"
  local primary_data
  primary_data="$(primary_sql 'SHOW data_directory')"
  [[ "$(realpath -m "$primary_data")" != "$(realpath -m "$REPLICA_DATA")" ]] ||
    die "REPLICA_DATA is the primary's data directory"
  [[ "$(primary_sql 'SHOW wal_level')" != minimal ]] ||
    die "the primary has wal_level=minimal: set it to replica and restart it (not done for you)"
}

# The primary accepts replication connections from 127.0.0.1 only with a pg_hba line for the
# `replication` pseudo-database (`all` does not include it). Same method as its other local lines.
allow_replication() {
  local rules
  rules="$(primary_sql "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NULL AND 'replication' = ANY(database) AND (type = 'local' OR address IN ('127.0.0.1', 'all', '0.0.0.0', 'samehost'))")"
  [[ "$rules" != 0 ]] && return
  local hba method
  hba="$(primary_sql 'SHOW hba_file')"
  method="$(primary_sql "SELECT auth_method FROM pg_hba_file_rules WHERE error IS NULL AND type = 'host' AND address = '127.0.0.1' ORDER BY line_number LIMIT 1")"
  method="${method:-scram-sha-256}"
  say "adding 'host replication postgres 127.0.0.1/32 $method' to $hba and reloading the primary"
  printf '\n# Streaming replica on this machine (deploy/replica.sh)\nhost replication postgres 127.0.0.1/32 %s\n' "$method" |
    as_postgres tee -a "$hba" >/dev/null
  [[ "$(primary_sql 'SELECT pg_reload_conf()')" == t ]] || die "the primary did not reload its configuration"
  sleep 1
}

# The standby's own settings: the primary's limits that a hot standby must match or exceed.
write_config() {
  local setting
  {
    echo "# Written by deploy/replica.sh: a hot standby of $PRIMARY_HOST:$PRIMARY_PORT"
    echo "port = $REPLICA_PORT"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '/var/run/postgresql'"
    echo "hba_file = '$REPLICA_DATA/pg_hba.conf'"
    echo "ident_file = '$REPLICA_DATA/pg_ident.conf'"
    echo "cluster_name = '$PG_VERSION/replica'"
    echo "hot_standby = on"
    # A report conflicting with replay may hold replay back this long before it is cancelled;
    # replay held back shows as lag, and past REPLICA_MAX_LAG_SECONDS reads go to the primary.
    # No hot_standby_feedback: with a slot it would hold back the primary's vacuum while the
    # replica is stopped.
    echo "max_standby_streaming_delay = 60s"
    echo "shared_buffers = 128MB"
    echo "timezone = 'Etc/UTC'"
    echo "log_timezone = 'Etc/UTC'"
    echo "log_line_prefix = '%m [%p] %q%u@%d '"
    for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
      max_locks_per_transaction shared_preload_libraries; do
      echo "$setting = '$(primary_sql "SHOW $setting")'"
    done
  } | as_postgres tee "$REPLICA_DATA/postgresql.conf" >/dev/null
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' |
    as_postgres tee "$REPLICA_DATA/pg_hba.conf" >/dev/null
  as_postgres touch "$REPLICA_DATA/pg_ident.conf"
}

# A data directory from another primary (the primary was re-created) cannot stream from this one.
same_system() {
  local ours theirs
  ours="$(as_postgres "$PG_BIN/pg_controldata" "$REPLICA_DATA" 2>/dev/null | awk -F': *' '/Database system identifier/ {print $2}')"
  theirs="$(primary_sql 'SELECT system_identifier FROM pg_control_system()')"
  [[ -n "$ours" && "$ours" == "$theirs" ]]
}

drop_slot() {
  primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$REPLICA_SLOT' AND NOT active" >/dev/null
}

remove_data() {
  # Only ever a standby's directory: a promoted replica (no standby.signal) may hold writes.
  if [[ -d "$REPLICA_DATA" && -n "$(ls -A "$REPLICA_DATA" 2>/dev/null)" && ! -f "$REPLICA_DATA/standby.signal" ]]; then
    die "$REPLICA_DATA is not a standby (promoted?): move it away yourself"
  fi
  rm -rf "$REPLICA_DATA"
}

build() {
  say "building $REPLICA_DATA from $PRIMARY_HOST:$PRIMARY_PORT (pg_basebackup)"
  remove_data
  drop_slot
  install -d -o postgres -g postgres -m 0700 "$REPLICA_DATA" 2>/dev/null || as_postgres mkdir -m 0700 -p "$REPLICA_DATA"
  # -R writes standby.signal and primary_conninfo/primary_slot_name; -C -S creates the slot, so
  # the primary keeps the WAL the replica has not received yet.
  as_postgres "$PG_BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres \
    -D "$REPLICA_DATA" -R -X stream -C -S "$REPLICA_SLOT" --checkpoint=fast --no-password
  write_config
}

wait_ready() {
  local _
  for _ in $(seq 1 60); do
    if [[ "$(replica_sql 'SELECT pg_is_in_recovery()' 2>/dev/null)" == t &&
      "$(replica_sql "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null)" == streaming ]]; then
      return 0
    fi
    sleep 1
  done
  die "the replica is not streaming after 60 s: see $REPLICA_LOG"
}

start() {
  check_primary
  allow_replication
  if replica_running; then
    say "already running on port $REPLICA_PORT"
  else
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$REPLICA_PORT"; then
      die "port $REPLICA_PORT is taken by another server"
    fi
    if [[ ! -f "$REPLICA_DATA/PG_VERSION" || ! -f "$REPLICA_DATA/standby.signal" ]] || ! same_system; then
      build
    fi
    [[ -f "$REPLICA_LOG" ]] || { touch "$REPLICA_LOG" && chown postgres:postgres "$REPLICA_LOG"; } 2>/dev/null || true
    as_postgres "$PG_BIN/pg_ctl" start -w -t 120 -D "$REPLICA_DATA" -l "$REPLICA_LOG" >&2
  fi
  wait_ready
  say "streaming from $PRIMARY_HOST:$PRIMARY_PORT, in recovery, on 127.0.0.1:$REPLICA_PORT"
  print_url
}

stop() {
  if replica_running; then
    as_postgres "$PG_BIN/pg_ctl" stop -w -m fast -D "$REPLICA_DATA" >&2
  else
    say "not running"
  fi
}

status() {
  if replica_running; then
    say "running on port $REPLICA_PORT; in recovery: $(replica_sql 'SELECT pg_is_in_recovery()')"
    say "lag (s): $(replica_sql "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END")"
    print_url
  else
    say "not running"
    return 3
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  destroy)
    stop
    remove_data
    drop_slot
    say "removed $REPLICA_DATA and the slot $REPLICA_SLOT"
    ;;
  *) die "usage: $0 [start|stop|status|destroy]" ;;
esac
