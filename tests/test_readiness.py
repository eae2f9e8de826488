"""``/readyz`` (config/health.py): each dependency checked within a time limit; a failing one
named (503) without its error's text, logged with the request id, and shown at 0 in the
``zbjn_ready`` gauge of ``/metrics``. ``/healthz`` stays a cheap liveness answer."""

import datetime as dt
import logging
import threading

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from common.request_id import RequestIdFilter
from config import health
from tests.institutions_factories import api_for, browser, make_world

pytestmark = pytest.mark.django_db

TOKEN = "readiness-test-token-0123456789"
CRITICAL = {"database", "cache", "channel_layer", "storage"}
# A Redis nobody listens on (port 1): connections are refused at once.
CLOSED_REDIS = "redis://127.0.0.1:1/0"


@task()
def waiting_work() -> None:
    """Only ever queued here (the database backend), never run."""


def ready_gauge(client, settings, check: str) -> float:
    settings.METRICS_TOKEN = TOKEN
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    line = next(line for line in text.splitlines() if line.startswith(f'zbjn_ready{{check="{check}"}}'))
    return float(line.rsplit(" ", 1)[1])


class BrokenStorage:
    """An S3 storage whose every request fails (the bucket unreachable)."""

    def exists(self, name):
        raise OSError("Could not connect to the endpoint URL: http://10.0.0.9/secret-bucket")


def test_all_dependencies_up_is_200_with_each_check_and_its_time(client, monkeypatch):
    # The replica's own check (degraded, never 503) has its tests below; CI runs with a replica,
    # whose lag a test transaction on the primary cannot read.
    monkeypatch.setattr(health, "replica_configured", lambda: False)
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert CRITICAL | {"tasks"} <= set(body["checks"])
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert 0 <= check["ms"] < 5000
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_cache_that_refuses_connections_is_503_naming_it_and_the_gauge_shows_0(client, settings):
    broken = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED_REDIS}}
    with override_settings(CACHES={**settings.CACHES, **broken}):
        response = client.get("/readyz")
        gauge = ready_gauge(client, settings, "cache")
        database_gauge = ready_gauge(client, settings, "database")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["cache"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"
    assert "refused" not in response.content.decode().lower()  # the error's text stays in the log
    assert gauge == 0.0
    assert database_gauge == 1.0


def test_a_failing_media_storage_is_503_and_its_error_is_logged_with_the_request_id(
    client, monkeypatch, caplog
):
    monkeypatch.setattr(health, "default_storage", BrokenStorage())
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.WARNING, logger="config.health"):
        response = client.get("/readyz", HTTP_X_REQUEST_ID="probe-0001-abcdef")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {
        "status": "error",
        "ms": response.json()["checks"]["storage"]["ms"],
        "detail": "failed",
    }
    assert "secret-bucket" not in response.content.decode()
    [record] = [r for r in caplog.records if r.name == "config.health"]
    assert record.getMessage() == "readiness check storage failed"
    assert "secret-bucket" in str(record.exc_info[1])
    assert record.request_id == "probe-0001-abcdef"  # logged in the check's thread, under the id


def test_a_hung_dependency_costs_the_probe_its_timeout_not_a_hang(client, settings, monkeypatch):
    settings.READINESS_TIMEOUT_SECONDS = 0.3
    release = threading.Event()

    def hung_channel_layer():
        release.wait(10)
        return health.OK, ""

    checks = tuple(
        (name, hung_channel_layer if name == "channel_layer" else check)
        for name, check in health.CRITICAL_IN_POOL
    )
    monkeypatch.setattr(health, "CRITICAL_IN_POOL", checks)
    started = timezone.now()
    try:
        response = client.get("/readyz")
    finally:
        release.set()
    assert (timezone.now() - started).total_seconds() < 3
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"]["detail"] == "timeout"
    assert response.json()["checks"]["cache"]["status"] == "ok"


def test_a_task_waiting_too_long_is_degraded_but_the_instance_stays_ready(client, settings):
    """No worker (or too few) is for the operator to see; taking this web process out of the
    load balancer would not help, so the answer stays 200."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.READINESS_TASK_MAX_WAIT_SECONDS = 600
    waiting_work.enqueue()
    assert client.get("/readyz").json()["checks"]["tasks"]["status"] == "ok"  # just queued

    DBTaskResult.objects.update(run_after=timezone.now() - dt.timedelta(minutes=25))
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["tasks"] == {
        "status": "degraded",
        "ms": response.json()["checks"]["tasks"]["ms"],
        "detail": "oldest waiting 25 min",
    }
    assert ready_gauge(client, settings, "tasks") == 0.0


def test_a_replica_lagging_past_its_limit_is_degraded_and_its_lag_exported(client, settings, monkeypatch):
    monkeypatch.setattr(health, "replica_configured", lambda: True)
    monkeypatch.setattr(health, "replica_lag_seconds", lambda: 45.0)
    settings.REPLICA_MAX_LAG_SECONDS = 30
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["replica"]["status"] == "degraded"
    assert response.json()["checks"]["replica"]["detail"] == "lag 45.0 s"
    settings.METRICS_TOKEN = TOKEN
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert "zbjn_replica_lag_seconds 45.0" in text

    monkeypatch.setattr(health, "replica_lag_seconds", lambda: None)  # unreachable
    assert client.get("/readyz").json()["checks"]["replica"] == {
        "status": "degraded",
        "ms": pytest.approx(0, abs=1000),
        "detail": "unreachable",
    }


def test_without_a_replica_there_is_no_replica_check(client, monkeypatch):
    monkeypatch.setattr(health, "replica_configured", lambda: False)
    assert "replica" not in client.get("/readyz").json()["checks"]


@pytest.mark.parametrize("persona", ["anonymous", "learner_a", "staff_a", "bureau"])
def test_readiness_answers_every_caller_alike_and_says_nothing_more(persona):
    """Probes call it without credentials; what it shows is a word and a time per check."""
    world = make_world()
    for client in (browser(world, persona), api_for(world, persona)):
        response = client.get("/readyz")
        assert response.status_code == 200
        assert set(response.json()) == {"status", "checks"}


def test_readiness_takes_only_get(client):
    assert client.post("/readyz").status_code == 405


def test_liveness_touches_no_service(client, django_assert_num_queries, settings):
    with (
        django_assert_num_queries(0),
        override_settings(
            CACHES={
                **settings.CACHES,
                "default": {
                    "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": CLOSED_REDIS,
                },
            }
        ),
    ):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
