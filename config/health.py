"""Liveness (``/healthz``) and readiness (``/readyz``), docs/operations.md "Health and readiness".

``/healthz`` says only that the process answers: a liveness probe that tested Redis would have
every healthy process restarted during a Redis outage, which mends nothing. ``/readyz`` tests
the services a request needs — the database, the cache, the channel layer, the media storage —
and those whose trouble an operator must see without taking the instance out of service (the
replica's lag, the task queue's age): 503 when one of the first fails, 200 with
``"status": "degraded"`` when only one of the others is off. Each check is bounded by
``READINESS_TIMEOUT_SECONDS``; the body names each check's status and time, never an exception's
text (that goes to the log, with the request id). ``config.metrics`` exports the same checks as
the ``zbjn_ready`` gauge.
"""

import concurrent.futures
import contextvars
import datetime as dt
import logging
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection, connections, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from common.replica import replica_lag_seconds

logger = logging.getLogger(__name__)

OK, DEGRADED, ERROR = "ok", "degraded", "error"
# What the media check asks S3 for: a HEAD of a key nobody writes (an answer, found or not, is
# what counts; a missing bucket, refused credentials or no answer are failures).
STORAGE_PROBE_NAME = "readyz-probe"


@dataclass
class CheckResult:
    name: str
    status: str
    seconds: float
    # Safe to show the public: a fixed word or a figure, never an exception's text.
    detail: str = ""

    def as_json(self) -> dict:
        body = {"status": self.status, "ms": round(self.seconds * 1000, 1)}
        if self.detail:
            body["detail"] = self.detail
        return body


def _timeout() -> float:
    return float(getattr(settings, "READINESS_TIMEOUT_SECONDS", 2.0))


# --- The checks: each returns (status, detail) or raises ------------------------------------


def check_database() -> tuple[str, str]:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A locked or overloaded server answers within the probe's time or counts as down.
            cursor.execute("SET LOCAL statement_timeout = %s", [int(_timeout() * 1000)])
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK, ""


def check_cache() -> tuple[str, str]:
    key, marker = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, marker, timeout=30)
    found = cache.get(key)
    cache.delete(key)
    if found != marker:
        raise RuntimeError("the cache returned a different value")
    return OK, ""


async def _round_trip(layer) -> None:
    channel = await layer.new_channel("readyz.")
    marker = uuid.uuid4().hex
    await layer.send(channel, {"type": "readyz", "marker": marker})
    message = await layer.receive(channel)
    if message.get("marker") != marker:
        raise RuntimeError("the channel layer returned a different message")


def check_channel_layer() -> tuple[str, str]:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    async_to_sync(_round_trip)(layer)
    return OK, ""


def check_storage() -> tuple[str, str]:
    storage = default_storage
    if isinstance(storage, FileSystemStorage):
        os.makedirs(storage.location, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=storage.location, prefix=".readyz-"):
            pass  # created and removed: the directory is writable
    else:
        storage.exists(STORAGE_PROBE_NAME)  # S3: one HEAD request
    return OK, ""


def replica_configured() -> bool:
    return "replica" in settings.DATABASES


def check_replica() -> tuple[str, str]:
    lag = replica_lag_seconds()
    if lag is None:
        return DEGRADED, "unreachable"
    limit = getattr(settings, "REPLICA_MAX_LAG_SECONDS", None)
    if limit is not None and lag > limit:
        return DEGRADED, f"lag {lag:.1f} s"
    return OK, f"lag {lag:.1f} s"


def check_tasks() -> tuple[str, str]:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    oldest = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__lte=timezone.now())
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    if oldest is None:
        return OK, ""
    waited = (timezone.now() - oldest).total_seconds()
    limit = dt.timedelta(seconds=getattr(settings, "READINESS_TASK_MAX_WAIT_SECONDS", 600))
    if waited > limit.total_seconds():
        return DEGRADED, f"oldest waiting {int(waited // 60)} min"
    return OK, ""


# Failing one of these makes the instance unready (503). The database ones run in the request's
# thread (they must see its connection); the others in a small pool, so that a hung service
# costs the probe its timeout, not a hang.
CRITICAL_IN_THREAD = (("database", check_database),)
CRITICAL_IN_POOL = (
    ("cache", check_cache),
    ("channel_layer", check_channel_layer),
    ("storage", check_storage),
)
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=6, thread_name_prefix="readyz")


def _timed(name: str, check, failure: str = ERROR) -> CheckResult:
    started = time.perf_counter()
    try:
        status, detail = check()
    except Exception:  # a failing service is reported, never raised; its text goes to the log only
        logger.warning("readiness check %s failed", name, exc_info=True)
        status, detail = failure, "failed"
    return CheckResult(name, status, time.perf_counter() - started, detail)


def _in_pool(check) -> tuple[str, str]:
    try:
        return check()
    finally:
        connections.close_all()  # a pool thread keeps no database connection


def run_checks() -> list[CheckResult]:
    """Every readiness check, bounded in time; in a fixed order."""
    started = time.perf_counter()
    # Each in a copy of this context: what a check logs carries the request's id.
    futures = {
        name: _pool.submit(contextvars.copy_context().run, _timed, name, partial(_in_pool, check))
        for name, check in CRITICAL_IN_POOL
    }
    results = [_timed(name, check) for name, check in CRITICAL_IN_THREAD]
    if replica_configured():
        results.append(_timed("replica", check_replica, failure=DEGRADED))
    results.append(_timed("tasks", check_tasks, failure=DEGRADED))
    remaining = max(0.0, _timeout() - (time.perf_counter() - started))
    concurrent.futures.wait(futures.values(), timeout=remaining)
    for name, future in futures.items():
        if future.done():
            results.append(future.result())
        else:
            logger.warning("readiness check %s timed out after %.1f s", name, _timeout())
            results.append(CheckResult(name, ERROR, time.perf_counter() - started, "timeout"))
    order = [name for name, _ in CRITICAL_IN_THREAD + CRITICAL_IN_POOL] + ["replica", "tasks"]
    return sorted(results, key=lambda result: order.index(result.name))


def overall_status(results: list[CheckResult]) -> str:
    statuses = {result.status for result in results}
    return ERROR if ERROR in statuses else DEGRADED if DEGRADED in statuses else OK


@never_cache
@require_GET
def healthz(request):
    """Liveness: the process answers. It touches no service (see the module's docstring)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    results = run_checks()
    status = overall_status(results)
    return JsonResponse(
        {"status": status, "checks": {result.name: result.as_json() for result in results}},
        status=503 if status == ERROR else 200,
    )
