"""Reads that may be served by the PostgreSQL streaming replica (DATABASE_REPLICA_URL).

Reports, exports and the fraud scan read a lot and can live with data a few seconds old: under
``reading_from_replica()`` their reads go to the ``replica`` alias, so they load the standby
instead of the primary that takes the heartbeats. Everything else, and every write, stays on
``default``; without DATABASE_REPLICA_URL there is no ``replica`` alias and this router changes
nothing (docs/operations.md, "Read replica").

The reads go back to the primary when the replica would give a stale or no answer: when it lags
more than ``REPLICA_MAX_LAG_SECONDS`` or cannot be reached. The lag is read at most once every
``LAG_READING_SECONDS`` per process (not once per query: a report makes a dozen), so a report
may be served by a replica that started lagging up to that long ago — it is then at most
``REPLICA_MAX_LAG_SECONDS`` + ``LAG_READING_SECONDS`` behind. A read inside a transaction on the
primary stays there: that transaction may need to see its own writes.
"""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
LAG_READING_SECONDS = 5.0
_ALIASES = {DEFAULT_DB_ALIAS, REPLICA}

# A context variable, like Django's own per-request state: it follows the code into
# sync_to_async/async_to_sync (asyncio tasks too), and a thread started in the block starts without it.
_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)

# Zero when the replica has replayed all it received and is still streaming (an idle primary
# sends nothing, and the last replayed transaction's age would be no lag at all); otherwise the
# age of the last replayed transaction. pg_stat_wal_receiver shows its status only to
# pg_read_all_stats: for another role "streaming" is NULL and the replayed position decides.
_LAG_SQL = """
SELECT pg_is_in_recovery(),
       pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(),
       (SELECT status = 'streaming' FROM pg_stat_wal_receiver),
       EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8
"""


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_lag_seconds() -> float | None:
    """Seconds the replica's last replayed transaction is behind the primary; None when no
    replica is configured (or it cannot be reached). Never raises: read by metrics and readiness.

    A fresh reading each call; the router uses ``cached_replica_lag_seconds``."""
    if not replica_configured():
        return None
    connection = connections[REPLICA]
    try:
        with connection.cursor() as cursor:
            cursor.execute(_LAG_SQL)
            in_recovery, caught_up, streaming, behind = cursor.fetchone()
    except Exception as error:  # noqa: BLE001 — any failure means "no usable replica"
        logger.warning("replica unreachable: %s", error)
        _discard_broken(connection)
        return None
    if not in_recovery:
        return 0.0  # a promoted replica (or the primary itself): nothing to wait for
    if caught_up and streaming is not False:
        return 0.0
    if behind is None:
        return None  # still catching up and nothing replayed yet: no usable figure
    return max(float(behind), 0.0)


def _discard_broken(connection) -> None:
    """Close the failed connection so that the next reading opens a new one."""
    with suppress(Exception):  # closing a dead connection may fail too
        connection.close()


class _LagReading:
    """The last lag reading of this process and when it was taken."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.taken_at = float("-inf")
        self.value: float | None = None

    def get(self) -> float | None:
        if time.monotonic() - self.taken_at < LAG_READING_SECONDS:
            return self.value
        # One thread takes the reading; the others go on with the last one meanwhile (None at
        # first: the primary) rather than all waiting on an unreachable replica.
        if not self.lock.acquire(blocking=False):
            return self.value
        try:
            self.value = replica_lag_seconds()
            self.taken_at = time.monotonic()
            return self.value
        finally:
            self.lock.release()

    def forget(self) -> None:
        self.taken_at = float("-inf")
        self.value = None


_lag_reading = _LagReading()


def cached_replica_lag_seconds() -> float | None:
    """``replica_lag_seconds()`` read at most once every ``LAG_READING_SECONDS`` per process."""
    return _lag_reading.get()


def forget_lag_reading() -> None:
    """Take a fresh lag reading next time (tests, and after changing the replica)."""
    _lag_reading.forget()


def replica_usable() -> bool:
    """Whether reads may go to the replica now: configured, reachable and lagging no more than
    ``REPLICA_MAX_LAG_SECONDS``."""
    if not replica_configured():
        return False
    lag = cached_replica_lag_seconds()
    return lag is not None and lag <= settings.REPLICA_MAX_LAG_SECONDS


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Send the reads in this block to the replica (when it is configured and fresh enough).

    For code that reads much and writes little; its writes still go to the primary. Usable as a
    decorator too (not on a generator: wrap the code that iterates)."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


class ReplicaRouter:
    """``DATABASE_ROUTERS``: reads under ``reading_from_replica()`` to the replica, the rest to
    Django's default choice (``default``, or the database an instance came from)."""

    def db_for_read(self, model, **hints):
        if not _reading_from_replica.get() or not replica_configured():
            return None
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return None  # a related read follows the row it starts from
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        return REPLICA if replica_usable() else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        if obj1._state.db in _ALIASES and obj2._state.db in _ALIASES:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica is a physical copy: it follows the primary's migrations by itself.
        return False if db == REPLICA else None
