"""The database connection dropped in the middle of an offline batch (PostgreSQL).

An offline backlog of 50 events is sent; after the batch's first write the request's backend is
terminated from a second connection (``pg_terminate_backend``, as a failover or an operator
would). The client is told to retry (503 with ``Retry-After``, the JSON ``detail``), nothing of
the batch is kept, the connection pool hands out a working connection to the next request, and
the client's resend of the same events is credited exactly as a clean run of them is.
"""

import contextlib

import psycopg
import pytest
from django.db import close_old_connections, connection

from progress.models import LessonProgress, ProgressEvent
from tests.conftest import client_for
from tests.factories import LearnerFactory, enroll, make_course
from tests.progress_helpers import Player, send

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def terminate_backend(pid: int) -> None:
    """Terminate a backend from a connection of its own, waiting until it is gone."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        [(terminated,)] = other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchall()
    assert terminated, "the request's backend was not terminated"


@contextlib.contextmanager
def connection_dropped_after_first_write():
    """Run the block with the default connection's backend terminated right after the first
    INSERT inside a transaction: the statements after it, or the COMMIT, meet a dead connection."""
    dropped = []

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not dropped and connection.in_atomic_block and "INSERT" in sql.upper():
            dropped.append(connection.connection.info.backend_pid)
            terminate_backend(dropped[0])
        return result

    with connection.execute_wrapper(wrapper):
        yield dropped


def offline_backlog(lesson_id: int) -> list[dict]:
    """A backlog of 51 events: a play, 49 heartbeats 20 s apart and a pause (990 s watched)."""
    return Player(lesson_id, "app").watch(0, 990, at=0, step=20)


def credited(learner, lesson) -> int:
    progress = LessonProgress.objects.filter(learner=learner, lesson=lesson).first()
    return 0 if progress is None else progress.credited_seconds


@pytest.fixture
def lesson():
    course = make_course(lessons=1, duration=1200)
    return course.lessons.get()


def enrolled_learner(lesson):
    learner = LearnerFactory()
    enroll(learner, lesson.course)
    return learner


def test_a_batch_cut_by_a_dropped_connection_is_retried_once_and_credited_once(lesson):
    # The same backlog, sent cleanly by another learner: what the resend must be credited.
    clean_learner = enrolled_learner(lesson)
    clean = send(client_for(clean_learner.user), offline_backlog(lesson.pk))
    assert clean.status_code == 200
    clean_seconds = credited(clean_learner, lesson)
    assert clean_seconds >= 900

    learner = enrolled_learner(lesson)
    client = client_for(learner.user)
    client.raise_request_exception = False  # answered as a server answers, not raised into the test
    backlog = offline_backlog(lesson.pk)
    assert len(backlog) >= 50
    with connection_dropped_after_first_write() as dropped:
        cut = send(client, backlog)
    assert dropped, "the batch wrote nothing: the fault was never injected"
    assert cut.status_code == 503, cut.content
    assert cut["Content-Type"] == "application/json"
    assert "重发" in cut.json()["detail"]
    assert int(cut["Retry-After"]) > 0

    # What Django does at the end of every request: an unusable connection is closed, and the
    # pool discards it instead of handing the dead backend to the next request.
    close_old_connections()
    assert ProgressEvent.objects.filter(learner=learner).count() == 0  # the transaction rolled back
    assert credited(learner, lesson) == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != dropped[0]

    retried = send(client, backlog)
    assert retried.status_code == 200
    assert {result["status"] for result in retried.json()["results"]} == {"accepted"}
    assert credited(learner, lesson) == clean_seconds
    # A second resend (the answer to the retry was lost too) changes nothing.
    again = send(client, backlog)
    assert {result["status"] for result in again.json()["results"]} == {"duplicate"}
    assert credited(learner, lesson) == clean_seconds
    accepted = ProgressEvent.objects.filter(learner=learner, status=ProgressEvent.Status.ACCEPTED)
    assert sorted(str(event_id) for event_id in accepted.values_list("event_id", flat=True)) == sorted(
        event["id"] for event in backlog
    )


def test_the_dropped_connection_is_logged_and_the_next_request_is_served(lesson, caplog):
    learner = enrolled_learner(lesson)
    client = client_for(learner.user)
    client.raise_request_exception = False
    with connection_dropped_after_first_write():
        assert send(client, offline_backlog(lesson.pk)).status_code == 503
    assert any(
        record.levelname == "ERROR" and "database unavailable" in record.getMessage()
        for record in caplog.records
    )
    close_old_connections()
    reading = client.get(f"/api/v1/progress/lessons/{lesson.pk}/")
    assert reading.status_code == 200
    assert reading.json()["credited_seconds"] == 0
