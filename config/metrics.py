"""Prometheus metrics and ``/metrics`` (docs/operations.md, "Metrics").

Counted as they happen: HTTP requests (``config.observability``), progress events and open
WebSocket connections (``progress.metrics``). Read when scraped:
the task queue's depth, the replica's lag and each readiness check (``config.health``).

Under gunicorn every worker is its own process: with ``PROMETHEUS_MULTIPROC_DIR`` set, each
writes its figures to files there and ``/metrics`` sums them (prometheus_client's multiprocess
mode). The directory must be emptied before the server starts, and gunicorn's ``child_exit``
hook (``config.gunicorn_hooks``) must mark each dead worker.

Label values are bounded and hold no personal data: a route's name (never its path), a method
from a fixed list, a status class, an event channel from the contract's list.
"""

import hmac
import logging
import math
import os

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseNotFound
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

import progress.metrics  # noqa: F401  (registers the progress side's metrics before a scrape)
from config import health

logger = logging.getLogger(__name__)
# The *_created series (when each label set first appeared) double the output for nothing used.
disable_created_metrics()

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "zbjn_http_requests_total",
    "HTTP requests answered, by method, route name and status class",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "zbjn_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def http_request_observe(method: str, route: str, status_code: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method if method in _METHODS else "other", route, f"{status_code // 100}xx").inc()
    HTTP_DURATION.labels(route).observe(seconds)


class ScrapeTimeCollector:
    """What is read from the services when scraped rather than counted in the processes."""

    def collect(self):
        try:
            counts = task_queue_depth()
        except DatabaseError:  # the database is down: zbjn_ready{check="database"} says so
            logger.warning("task queue depth unavailable", exc_info=True)
        else:
            depth = GaugeMetricFamily(
                "zbjn_task_queue_depth", "Background tasks in the queue, by status", labels=["status"]
            )
            for status, count in counts.items():
                depth.add_metric([status], count)
            yield depth

        if health.replica_configured():
            lag = health.replica_lag_seconds()
            yield GaugeMetricFamily(
                "zbjn_replica_lag_seconds",
                "Seconds the read replica is behind the primary (NaN: unreachable)",
                value=math.nan if lag is None else lag,
            )

        ready = GaugeMetricFamily(
            "zbjn_ready", "1 when the readiness check of a dependency passes, 0 otherwise", labels=["check"]
        )
        for result in health.run_checks():
            ready.add_metric([result.name], 1.0 if result.status == health.OK else 0.0)
        yield ready


def task_queue_depth() -> dict[str, int]:
    """Tasks ready, running and failed (one grouped query; finished ones are not counted)."""
    from django.db.models import Count
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    statuses = (TaskResultStatus.READY, TaskResultStatus.RUNNING, TaskResultStatus.FAILED)
    counts = dict.fromkeys((str(status) for status in statuses), 0)
    rows = (
        DBTaskResult.objects.filter(status__in=statuses)
        .values_list("status")
        .annotate(count=Count("id"))
        .order_by()
    )
    counts.update(dict(rows))
    return counts


def exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(ScrapeTimeCollector())
    return generate_latest(counted) + generate_latest(scraped)


def _authorised(request) -> bool:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    expected = settings.METRICS_TOKEN
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode())


@never_cache
@require_GET
def metrics_view(request):
    """``/metrics`` for Prometheus, with ``Authorization: Bearer $METRICS_TOKEN``. Without
    METRICS_TOKEN the endpoint is off (404), as if it did not exist."""
    if not settings.METRICS_TOKEN:
        return HttpResponseNotFound()
    if not _authorised(request):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
