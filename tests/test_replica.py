"""Reads off the primary (common/replica.py, deploy/replica.sh, docs/operations.md "Read replica").

With DATABASE_REPLICA_URL (CI starts the replica): rows written on the primary reach the replica,
reports, exports and the fraud scan read there while their writes go to the primary, and reads
come back to the primary when the replica lags too far or is down. Without it: the router changes
nothing, and the settings refuse a replica they cannot use, saying why.

In tests the ``replica`` alias names the replica's copy of the test database (``TEST: MIRROR``
gives it the primary's test database name; the replica copies it by itself).
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from common import replica
from common.replica import REPLICA, forget_lag_reading, reading_from_replica, replica_lag_seconds
from integrity.models import FraudSignal
from integrity.scan import scan_day
from progress.models import SegmentOutcome
from reports.models import TrainingTask
from tests.factories import LearnerFactory
from tests.institutions_factories import in_group
from tests.integrity_factories import DAY, at, events
from vocabulary.people import District

ROOT = Path(__file__).resolve().parent.parent
NEEDS_REPLICA = "needs the streaming replica: run deploy/replica.sh, set DATABASE_REPLICA_URL (CI does)"


def on_live_replica(test):
    """Marks for a test against the running replica (transactional: the replica sees only what
    the primary committed; the serialized rollback puts back the migrations' rows, such as
    Wagtail's root page, for the tests after it)."""
    for mark in (
        pytest.mark.django_db(
            transaction=True, serialized_rollback=True, databases=[DEFAULT_DB_ALIAS, REPLICA]
        ),
        pytest.mark.skipif(not os.environ.get("DATABASE_REPLICA_URL"), reason=NEEDS_REPLICA),
        pytest.mark.postgres,
        pytest.mark.replica,
    ):
        test = mark(test)
    return test


@pytest.fixture(autouse=True)
def _fresh_lag_reading():
    """The router keeps its lag reading for a few seconds per process: no test inherits one,
    and none leaves one to the tests after it."""
    forget_lag_reading()
    yield
    forget_lag_reading()


def scalar(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def wait_for_replay(timeout: float = 15.0) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    target = scalar(DEFAULT_DB_ALIAS, "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout
    while not scalar(REPLICA, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]):
        assert time.monotonic() < deadline, f"the replica has not replayed {target} in {timeout} s"
        time.sleep(0.05)


def statements(queries, verb: str, table: str) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith(verb) and f'"{table}"' in q["sql"]]


def task_for_zhangdian(target: int) -> TrainingTask:
    return TrainingTask.objects.create(year=2026, district=District.ZHANGDIAN, target_group="", target=target)


# ---------------------------------------------------------------- against the running replica


@on_live_replica
def test_a_row_written_on_the_primary_appears_on_the_read_only_replica():
    assert scalar(REPLICA, "SELECT pg_is_in_recovery()") is True
    assert scalar(DEFAULT_DB_ALIAS, "SELECT pg_is_in_recovery()") is False
    task = task_for_zhangdian(4321)

    deadline = time.monotonic() + 15
    while not TrainingTask.objects.using(REPLICA).filter(pk=task.pk, target=4321).exists():
        assert time.monotonic() < deadline, "the row never reached the replica"
        time.sleep(0.05)
    lag = replica_lag_seconds()
    assert lag is not None and 0 <= lag < 5


@on_live_replica
def test_reads_in_the_block_go_to_the_replica_and_writes_to_the_primary():
    task_for_zhangdian(10)
    wait_for_replay()
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        with reading_from_replica():
            targets = list(TrainingTask.objects.values_list("target", flat=True))
            TrainingTask.objects.create(year=2027, district=District.ZHANGDIAN, target_group="", target=20)
        outside = TrainingTask.objects.count()

    assert targets == [10]
    assert outside == 2
    assert len(statements(on_replica, "SELECT", "reports_trainingtask")) == 1
    assert len(statements(on_primary, "INSERT", "reports_trainingtask")) == 1
    assert len(statements(on_primary, "SELECT", "reports_trainingtask")) == 1  # the count, outside
    assert statements(on_replica, "INSERT", "reports_trainingtask") == []


@on_live_replica
def test_a_read_inside_a_transaction_on_the_primary_stays_there():
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        reading_from_replica(),
        transaction.atomic(),
    ):
        task = task_for_zhangdian(30)
        assert TrainingTask.objects.filter(pk=task.pk).exists()  # its own write, not yet replicated
    assert statements(on_replica, "SELECT", "reports_trainingtask") == []


@on_live_replica
@pytest.mark.parametrize("url", ["/reports/?year=2026", "/reports/export.xlsx?year=2026"])
def test_the_report_page_and_its_export_read_on_the_replica_and_audit_on_the_primary(url):
    task_for_zhangdian(4321)
    client = Client()
    client.force_login(in_group("Bureau"))
    wait_for_replay()

    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content

    assert response.status_code == 200
    assert statements(on_replica, "SELECT", "reports_trainingtask")
    assert statements(on_primary, "SELECT", "reports_trainingtask") == []
    assert statements(on_primary, "INSERT", "audit_auditentry")
    if not response.streaming:
        assert "4,321" in body.decode() or "4321" in body.decode()


@on_live_replica
def test_the_fraud_scan_reads_the_log_on_the_replica_and_files_signals_on_the_primary():
    events(LearnerFactory(), at(DAY, 20), 6, segment=SegmentOutcome.SKIP)  # faster than real time
    wait_for_replay()

    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        result = scan_day(DAY)

    assert result.signals["too-fast"] == 1
    assert FraudSignal.objects.count() == 1
    assert statements(on_replica, "SELECT", "progress_progressevent")
    assert statements(on_primary, "SELECT", "progress_progressevent") == []
    assert statements(on_primary, "INSERT", "integrity_fraudsignal")


@on_live_replica
def test_reads_go_back_to_the_primary_when_the_replica_lags_too_far(monkeypatch, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 30
    monkeypatch.setattr(replica, "replica_lag_seconds", lambda: 120.0)
    task_for_zhangdian(40)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica, reading_from_replica():
        # Not replicated yet or not: the primary answers, so the row is there at once.
        assert list(TrainingTask.objects.values_list("target", flat=True)) == [40]
    assert on_replica.captured_queries == []


# ---------------------------------------------------------------- a replica that is down


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def replica_down(monkeypatch):
    """A ``replica`` alias pointing at a port nobody listens on (with or without a real one)."""
    original = connections[REPLICA] if REPLICA in settings.DATABASES else None
    port = closed_port()
    monkeypatch.setitem(
        settings.DATABASES,
        REPLICA,
        {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "nowhere",
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "OPTIONS": {"connect_timeout": 2},
            "TEST": {"MIRROR": DEFAULT_DB_ALIAS},
        },
    )
    connections.configure_settings(settings.DATABASES)  # fills in the other keys
    dead = connections.create_connection(REPLICA)
    connections[REPLICA] = dead
    yield dead
    dead.close()
    if original is not None:
        connections[REPLICA] = original
    else:
        del connections[REPLICA]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_replica_that_is_down_reads_as_no_lag_and_the_primary_answers(replica_down):
    assert replica_lag_seconds() is None  # no exception: metrics and readiness call it
    task_for_zhangdian(50)
    with reading_from_replica():
        assert router.db_for_read(TrainingTask) == DEFAULT_DB_ALIAS
        assert list(TrainingTask.objects.values_list("target", flat=True)) == [50]


# ---------------------------------------------------------------- without a replica (any database)


def test_without_a_replica_the_router_leaves_every_read_to_the_primary(monkeypatch):
    monkeypatch.delitem(settings.DATABASES, REPLICA, raising=False)
    with reading_from_replica():
        assert router.db_for_read(TrainingTask) == DEFAULT_DB_ALIAS
    assert router.db_for_write(TrainingTask) == DEFAULT_DB_ALIAS
    assert replica_lag_seconds() is None


def test_the_block_ends_with_its_with_statement_and_writes_never_go_to_the_replica(monkeypatch):
    monkeypatch.setitem(settings.DATABASES, REPLICA, {"ENGINE": "django.db.backends.postgresql"})
    monkeypatch.setattr(replica, "replica_lag_seconds", lambda: 1.0)
    ours = replica.ReplicaRouter()
    with reading_from_replica():
        assert ours.db_for_read(TrainingTask) == REPLICA
        assert ours.db_for_write(TrainingTask) == DEFAULT_DB_ALIAS
    assert ours.db_for_read(TrainingTask) is None  # Django's choice: the primary
    assert ours.allow_migrate(REPLICA, "reports") is False
    assert ours.allow_migrate(DEFAULT_DB_ALIAS, "reports") is None


def test_the_lag_is_read_once_for_a_reports_many_reads_and_too_much_lag_sends_reads_home(
    monkeypatch, settings
):
    settings.REPLICA_MAX_LAG_SECONDS = 30
    monkeypatch.setitem(settings.DATABASES, REPLICA, {"ENGINE": "django.db.backends.postgresql"})
    readings = iter([2.0, 45.0])
    calls = []
    monkeypatch.setattr(replica, "replica_lag_seconds", lambda: calls.append(1) or next(readings))
    ours = replica.ReplicaRouter()
    with reading_from_replica():
        assert [ours.db_for_read(TrainingTask) for _ in range(12)] == [REPLICA] * 12
        assert len(calls) == 1
        monkeypatch.setattr(replica, "LAG_READING_SECONDS", 0.0)  # the reading has aged
        assert ours.db_for_read(TrainingTask) == DEFAULT_DB_ALIAS  # 45 s behind: the primary
    assert len(calls) == 2


# ---------------------------------------------------------------- settings


def load_settings(**env) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with these database variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "r = settings.DATABASES['replica']; "
        "print(r['PORT'], r['TEST']['MIRROR'], 'pool' in r['OPTIONS'], settings.DATABASE_ROUTERS)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRIMARY = "postgres://postgres@127.0.0.1:5432/zibo"


def test_the_replica_url_becomes_a_replica_alias_mirroring_default_in_tests():
    result = load_settings(
        DATABASE_URL=PRIMARY, DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:5433/zibo"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(maxsplit=3) == [
        "5433",
        "default",
        "True",
        "['common.replica.ReplicaRouter']",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_REPLICA_URL": "postgres://postgres@127.0.0.1:5433/zibo"},
            "DATABASE_REPLICA_URL needs DATABASE_URL to name the PostgreSQL primary",
        ),
        (
            {"DATABASE_URL": PRIMARY, "DATABASE_REPLICA_URL": "mysql://root@127.0.0.1/zibo"},
            "DATABASE_REPLICA_URL must be a postgres:// URL",
        ),
        (
            {"DATABASE_URL": PRIMARY, "DATABASE_REPLICA_URL": "127.0.0.1:5433"},
            "DATABASE_REPLICA_URL cannot be parsed",
        ),
    ],
    ids=["without-primary", "not-postgres", "not-a-url"],
)
def test_a_replica_the_settings_cannot_use_is_refused_with_the_reason(env, message):
    result = load_settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
