"""The progress endpoints' permission rules, malformed input, reads and query budget."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from progress.models import LessonProgress, ProgressEvent
from tests.conftest import client_for
from tests.factories import LearnerFactory, UserFactory, enroll, make_course
from tests.progress_helpers import Player, send

pytestmark = pytest.mark.django_db

EVENTS_URL = "/api/v1/progress/events/"


def calls_to(monkeypatch, owner, name: str) -> list[tuple]:
    """Record the positional arguments of every call to ``owner.name``, which still runs."""
    calls, original = [], getattr(owner, name)

    def recording(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(owner, name, recording)
    return calls


@pytest.fixture
def lesson(learner):
    course = make_course(lessons=1, duration=600)
    enroll(learner, course)
    return course.lessons.get()


# --- who may write and read -------------------------------------------------------------------


def test_anonymous_callers_are_refused_everywhere(api, lesson):
    assert api.post(EVENTS_URL, {"events": [Player(lesson.pk).play(0, 0)]}, format="json").status_code == 401
    assert api.get(f"/api/v1/progress/lessons/{lesson.pk}/").status_code == 401
    assert api.get(f"/api/v1/progress/courses/{lesson.course_id}/").status_code == 401
    assert not ProgressEvent.objects.exists()


def test_a_user_without_a_learner_profile_is_refused(db, lesson):
    staff = client_for(UserFactory(username="clerk", is_staff=True))
    response = send(staff, [Player(lesson.pk).play(0, 0)])
    assert response.status_code == 403
    assert response.json()["detail"]
    assert staff.get(f"/api/v1/progress/lessons/{lesson.pk}/").status_code == 403


def test_events_for_a_lesson_not_enrolled_or_unknown_are_rejected(learner_api, lesson):
    other = make_course(lessons=1).lessons.get()
    p = Player(other.pk)
    response = send(learner_api, [p.play(0, 0), Player(999999).play(0, 0), Player(lesson.pk).play(0, 0)])
    assert [r.get("reason", r["status"]) for r in response.json()["results"]] == [
        "not enrolled",
        "unknown lesson",
        "accepted",
    ]
    assert not LessonProgress.objects.filter(lesson=other).exists()


def test_a_learner_reads_only_their_own_progress(learner, learner_api, lesson):
    send(learner_api, Player(lesson.pk).watch(0, 60, at=0))
    stranger = LearnerFactory()
    stranger_api = client_for(stranger.user)
    # Not enrolled in that course: refused, and nothing of the first learner leaks.
    response = stranger_api.get(f"/api/v1/progress/lessons/{lesson.pk}/")
    assert response.status_code == 403
    assert "credited_seconds" not in response.json()
    assert stranger_api.get(f"/api/v1/progress/courses/{lesson.course_id}/").status_code == 403
    # Enrolled in the same course: sees their own zero, not the other's 60 s.
    enroll(stranger, lesson.course)
    assert stranger_api.get(f"/api/v1/progress/lessons/{lesson.pk}/").json()["credited_seconds"] == 0
    assert learner_api.get(f"/api/v1/progress/lessons/{lesson.pk}/").json()["credited_seconds"] == 60


def test_a_session_id_of_another_learner_cannot_be_written_into(learner_api, lesson):
    intruder = LearnerFactory()
    enroll(intruder, lesson.course)
    p = Player(lesson.pk)
    send(learner_api, [p.play(0, 0)])
    hijack = p.beat(20, 20)
    response = send(client_for(intruder.user), [hijack])
    assert response.json()["results"][0]["reason"] == "invalid event"
    assert not LessonProgress.objects.filter(learner=intruder).exclude(credited_seconds=0).exists()


def test_unknown_lesson_and_course_reads_are_404(learner_api):
    assert learner_api.get("/api/v1/progress/lessons/999999/").status_code == 404
    assert learner_api.get("/api/v1/progress/courses/999999/").status_code == 404


# --- malformed input: 400/413 with a message, never a 500 -------------------------------------


@pytest.mark.parametrize(
    "body",
    [[], {}, {"events": "x"}, {"events": {}}, {"evts": []}, {"events": []}, "text", 12, None],
)
def test_a_body_that_is_not_a_batch_is_a_400(learner_api, body):
    response = learner_api.post(EVENTS_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_body_that_is_not_json_is_a_400(learner_api):
    response = learner_api.post(EVENTS_URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_nan_and_infinity_are_not_json_and_are_a_400(learner_api, lesson):
    event = Player(lesson.pk).play(0, 0)
    for literal in ("NaN", "Infinity"):
        raw = (
            '{"events": ['
            + str(event).replace("'", '"').replace('"position": 0', f'"position": {literal}')
            + "]}"
        )
        response = learner_api.post(EVENTS_URL, raw, content_type="application/json")
        assert response.status_code == 400
    assert not ProgressEvent.objects.exists()


def test_more_than_500_events_is_a_413_and_records_nothing(learner_api, lesson):
    p = Player(lesson.pk)
    response = send(learner_api, [p.beat(i, i) for i in range(501)])
    assert response.status_code == 413
    assert "500" in response.json()["detail"]
    assert not ProgressEvent.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"id": "not-a-uuid"},
        {"session": 5},
        {"lesson": "1"},
        {"lesson": True},
        {"channel": "tv"},
        {"type": "rewind"},
        {"position": "12"},
        {"position": None},
        {"at": "2026-11-26T10:00:00"},  # no time zone
        {"at": "yesterday"},
        {"rate": 0},
        {"rate": -1},
        {"lesson": 10**30},
    ],
)
def test_a_malformed_event_is_rejected_alone_and_the_rest_counts(learner, learner_api, lesson, change):
    p = Player(lesson.pk)
    bad = {**p.play(0, 0), **change}
    good = Player(lesson.pk).play(0, 5)
    response = learner_api.post(EVENTS_URL, {"events": [bad, good]}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["status"] == "rejected"
    assert results[0]["reason"] == "invalid event"
    assert results[1]["status"] == "accepted"
    assert ProgressEvent.objects.filter(status="rejected", reason="invalid event").count() == 1


def test_a_seek_without_from_and_a_non_object_event_are_invalid(learner_api, lesson):
    p = Player(lesson.pk)
    seek = p.event("seek", 100, 10)
    response = send(learner_api, [seek, "event", [1, 2]])
    assert [r["reason"] for r in response.json()["results"]] == ["invalid event"] * 3


# --- reads and the hot path ---------------------------------------------------------------------


def test_course_progress_lists_every_lesson(learner, learner_api):
    course = make_course(lessons=3, duration=100)
    enroll(learner, course)
    first = course.lessons.order_by("sort_order").first()
    send(learner_api, Player(first.pk).watch(0, 100, at=0))
    body = learner_api.get(f"/api/v1/progress/courses/{course.pk}/").json()
    assert body["course"] == course.pk
    assert body["total_lessons"] == 3
    assert body["completed_lessons"] == 1
    assert body["completed"] is False
    assert body["required_seconds"] == 252  # 0.07 h: 3 × 100 s at the 90 % share, floored
    assert body["credited_seconds"] == 100
    assert body["missing_seconds"] == 152
    assert body["missing_lessons"] == 2
    assert [item["lesson"] for item in body["lessons"]] == list(
        course.lessons.order_by("sort_order").values_list("pk", flat=True)
    )
    assert set(body["lessons"][0]) == {
        "lesson",
        "duration",
        "position",
        "credited_seconds",
        "completed",
        "completed_at",
        "last_channel",
        "updated_at",
    }


def test_a_heartbeat_costs_a_fixed_small_number_of_queries(
    learner, learner_api, lesson, django_assert_num_queries
):
    # token with its user and the learner's id, savepoint, then the reads — learner row lock
    # (PostgreSQL: SQLite's IMMEDIATE transactions need none), duplicate ids, the lessons' facts
    # with the enrolment, sessions, progress rows, credited spans — and the writes — update
    # session, update progress, update span, insert event —, release savepoint. On PostgreSQL the
    # reads go as one query string and the writes as another (the next test).
    expected = 5 if connection.vendor == "postgresql" else 12
    p = Player(lesson.pk)
    with django_assert_num_queries(expected):  # the first: inserts instead of the three updates
        send(learner_api, [p.play(0, 0), p.beat(20, 20)])
    with django_assert_num_queries(expected):
        response = send(learner_api, [p.beat(40, 40)])
    assert response.json()["results"][0]["status"] == "accepted"
    with django_assert_num_queries(expected):
        send(learner_api, [p.beat(60, 60)])


@pytest.mark.postgres
def test_on_postgresql_a_heartbeat_is_three_round_trips(learner_api, lesson, monkeypatch):
    """The token, then the six reads in one query string, then the four writes in another."""
    from common import sql as store

    calls = calls_to(monkeypatch, store, "_run_together")
    p = Player(lesson.pk)
    send(learner_api, [p.play(0, 0), p.beat(20, 20)])
    # The first batch inserts the session, the progress row and the credited span with its writes.
    assert [statement.sql.split()[:3] for statement in calls[1][1]] == [
        ["INSERT", "INTO", '"progress_playbacksession"'],
        ["INSERT", "INTO", '"progress_lessonprogress"'],
        ["INSERT", "INTO", '"progress_creditedspan"'],
        ["SET", "LOCAL", "synchronous_commit"],
        ["INSERT", "INTO", '"progress_progressevent"'],
    ]
    calls.clear()
    with CaptureQueriesContext(connection) as queries:
        assert send(learner_api, [p.beat(40, 40)]).json()["results"][0]["status"] == "accepted"
    together = [[statement.sql.split()[0] for statement in statements] for _, statements in calls]
    assert together == [["SELECT"] * 6, ["UPDATE", "UPDATE", "UPDATE", "SET", "INSERT"]]
    sent = [query["sql"].split()[0] for query in queries.captured_queries]
    assert sent == ["SELECT", "SAVEPOINT", "SELECT", "UPDATE", "RELEASE"]


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_on_postgresql_a_heartbeat_commits_without_waiting_for_the_disk(learner_api, lesson):
    """``SET LOCAL`` lasts until the transaction ends; the test's transaction ends after it."""
    assert synchronous_commit() == "on"
    p = Player(lesson.pk)
    assert send(learner_api, [p.play(0, 0), p.beat(20, 20)]).json()["results"][1]["status"] == "accepted"
    assert synchronous_commit() == "off"


@pytest.mark.postgres
def test_on_postgresql_a_batch_that_completes_a_lesson_waits_for_the_disk(learner, learner_api):
    course = make_course(lessons=1, duration=100)
    enroll(learner, course)
    response = send(learner_api, Player(course.lessons.get().pk).watch(0, 100, at=0))
    assert response.json()["progress"][0]["completed"] is True
    assert synchronous_commit() == "on"


@pytest.mark.postgres
def test_on_postgresql_every_batch_waits_for_the_disk_when_async_commit_is_off(learner_api, lesson, settings):
    settings.PROGRESS = {**settings.PROGRESS, "ASYNC_COMMIT": False}
    p = Player(lesson.pk)
    send(learner_api, [p.play(0, 0), p.beat(20, 20)])
    assert synchronous_commit() == "on"


@pytest.mark.postgres
def test_on_postgresql_a_failing_statement_stops_the_rest_and_raises_djangos_error(learner, lesson):
    """Statements sent together still run in order, and an error in one (here the unique accepted
    event id) comes out as Django's IntegrityError, leaving nothing of the statements after it."""
    from django.db import IntegrityError, transaction

    from progress import store

    def logged(event_id):
        return ProgressEvent(
            event_id=event_id,
            learner=learner,
            lesson_ref=lesson.pk,
            status="accepted",
            received_at=timezone.now(),
        )

    first, later = uuid.uuid4(), uuid.uuid4()
    log = store.table(ProgressEvent)
    store.run([log.insert([logged(first)])])
    with pytest.raises(IntegrityError), transaction.atomic():
        store.run([log.insert([logged(first)]), log.insert([logged(later)])])
    found = store.run([store.accepted_event_ids([first]), store.accepted_event_ids([later])])
    assert found == [{first}, set()]


def test_a_batch_of_fifty_costs_the_same_queries_as_one(
    learner, learner_api, lesson, django_assert_max_num_queries
):
    p = Player(lesson.pk, "app")
    send(learner_api, [p.play(0, 0)])
    backlog = [p.beat(20 * i, 20 * i) for i in range(1, 26)]
    # As a heartbeat (above); the 25 evidence rows go in with COPY on PostgreSQL, which
    # Django's query counter does not see, and in one bulk INSERT on SQLite.
    with django_assert_max_num_queries(5 if connection.vendor == "postgresql" else 12):
        response = send(learner_api, backlog)
    assert {r["status"] for r in response.json()["results"]} == {"accepted"}


# --- a change to a lesson, a course or an enrolment counts from the next event ------------------


def test_a_lesson_saved_with_a_new_duration_is_judged_by_it_at_once(learner_api, lesson):
    p = Player(lesson.pk)
    send(learner_api, [p.play(0, 0), p.beat(20, 20)])
    lesson.duration = 30
    lesson.save()
    result = send(learner_api, [p.beat(40, 40)]).json()["results"][0]
    assert result == {"id": result["id"], "status": "rejected", "reason": "invalid position"}


def test_a_course_saved_with_a_new_completion_share_completes_by_it_at_once(learner_api, lesson):
    p = Player(lesson.pk)
    send(learner_api, [p.play(0, 0), p.beat(20, 20)])
    course = lesson.course.specific
    course.completion_share = Decimal("0.20")
    course.save()
    beats = [p.beat(position, position) for position in (40, 60, 80, 100, 120)]
    progress = send(learner_api, beats).json()["progress"][0]
    assert progress["credited_seconds"] == 120
    assert progress["completed"] is True  # 120 s of 600 s is a 20 % share


def test_a_removed_enrolment_stops_crediting_at_once(learner, learner_api, lesson):
    p = Player(lesson.pk)
    send(learner_api, [p.play(0, 0), p.beat(20, 20)])
    learner.enrollments.get(course_id=lesson.course_id).delete()
    result = send(learner_api, [p.beat(40, 40)]).json()["results"][0]
    assert result["reason"] == "not enrolled"


def test_a_new_enrolment_counts_at_once_even_after_a_refusal(learner, learner_api):
    other = make_course(lessons=1, duration=600)
    lesson = other.lessons.get()
    p = Player(lesson.pk)
    assert send(learner_api, [p.play(0, 0)]).json()["results"][0]["reason"] == "not enrolled"
    enroll(learner, other)
    assert send(learner_api, [p.beat(20, 20)]).json()["results"][0]["status"] == "accepted"


def test_an_event_id_is_a_uuid_the_client_made(learner_api, lesson):
    event = Player(lesson.pk).play(0, 0)
    assert uuid.UUID(event["id"])
    assert send(learner_api, [event]).json()["results"][0]["id"] == event["id"]


def test_the_web_pages_session_records_events_as_the_token_does(learner, lesson):
    from rest_framework.test import APIClient

    web = APIClient()
    web.force_login(learner.user)
    p = Player(lesson.pk)
    body = send(web, [p.play(0, 0), p.beat(20, 20)]).json()
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"]
    assert body["progress"][0]["credited_seconds"] == 20


def test_a_backlogs_evidence_log_keeps_every_field_of_every_event(learner, learner_api, lesson):
    """Backlogs are written with COPY on PostgreSQL, single events with INSERT: the same rows."""
    p = Player(lesson.pk, "app")
    events = [p.play(0, 0)] + [p.beat(20 * i, 20 * i) for i in range(1, 7)] + [p.beat(9999, 140)]
    events.append({"id": "not-a-uuid", "type": "heartbeat"})
    response = learner_api.post(
        EVENTS_URL, {"events": events}, format="json", HTTP_USER_AGENT="ZiboApp/2.1", REMOTE_ADDR="10.0.0.7"
    )
    assert response.status_code == 200
    rows = {str(row.event_id): row for row in ProgressEvent.objects.filter(learner=learner)}
    assert len(rows) == 9 and rows["None"].reason == "invalid event"  # the malformed one has no id
    first, last_beat, bad = rows[events[0]["id"]], rows[events[6]["id"]], rows[events[7]["id"]]
    assert (first.type, first.status, first.channel, first.position) == ("play", "accepted", "app", 0)
    assert str(first.session) == p.session and first.lesson_ref == lesson.pk
    assert first.client_at == parse_datetime(events[0]["at"])
    assert (last_beat.credited_seconds, last_beat.segment) == (20, "credited")
    assert (bad.status, bad.reason, bad.credited_seconds) == ("rejected", "invalid position", 0)
    assert {row.ip for row in rows.values()} == {"10.0.0.7"}
    assert {row.user_agent for row in rows.values()} == {"ZiboApp/2.1"}


def test_an_event_dated_years_back_is_rejected_without_reading_years_of_rows(
    learner_api, lesson, monkeypatch
):
    from progress import store

    asked = calls_to(monkeypatch, store, "spans_for")
    p = Player(lesson.pk)
    send(learner_api, [p.play(0, 0), p.beat(20, 20)])
    asked.clear()
    ancient = {**p.beat(40, 40), "at": "2001-01-01T08:00:00+08:00"}
    result = send(learner_api, [ancient, p.beat(40, 40)]).json()["results"]
    assert [r.get("reason", r["status"]) for r in result] == ["too old", "accepted"]
    [(_, days, start, _)] = asked
    assert len(days) <= 2 and start.year > 2001  # today's spans (and yesterday's), not 25 years'


def test_progress_never_needs_the_cache(learner_api, lesson, monkeypatch):
    """Redis down (the cache raising) must not stop study time from being recorded."""
    from django.core.cache import caches

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    # Patched on the backend's class, not through django.core.cache.cache: that proxy may name
    # another instance at teardown (caches are per thread and reset when settings change).
    backend = type(caches["default"])
    for method in ("get", "get_many", "set", "set_many", "delete", "delete_many", "add", "incr"):
        monkeypatch.setattr(backend, method, down)
    p = Player(lesson.pk)
    body = send(learner_api, [p.play(0, 0), p.beat(20, 20)]).json()
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"]
    assert body["progress"][0]["credited_seconds"] == 20


def test_a_backlog_from_a_client_without_address_is_logged_with_none(learner, learner_api, lesson):
    """gunicorn on a unix socket gives no REMOTE_ADDR: the log stores NULL, as for one event."""
    p = Player(lesson.pk, "app")
    backlog = [p.play(0, 0)] + [p.beat(20 * i, 20 * i) for i in range(1, 8)]
    response = learner_api.post(EVENTS_URL, {"events": backlog}, format="json", REMOTE_ADDR="")
    assert response.status_code == 200
    assert set(ProgressEvent.objects.filter(learner=learner).values_list("ip", flat=True)) == {None}


def test_credited_seconds_is_always_a_decimal_number(learner_api, lesson):
    """Clients with typed decoders read a number with a fraction; a new row's 0 is sent as 0.0."""
    response = send(learner_api, [Player(lesson.pk).play(0, 0)])
    credited = response.json()["progress"][0]["credited_seconds"]
    assert credited == 0 and isinstance(credited, float)


def test_the_event_schema_is_the_description_the_engine_parses_with(client):
    """EVENT is described once (progress.events.EVENT_FIELDS): the OpenAPI schema shows exactly
    its fields, required as the parser requires them."""
    from progress.events import EVENT_FIELDS

    schema = client.get("/api/schema/", {"format": "json"}).json()
    event = schema["components"]["schemas"]["ProgressEventRequest"]
    assert list(event["properties"]) == [field.name for field in EVENT_FIELDS]
    assert set(event["required"]) == {field.name for field in EVENT_FIELDS if field.required}
    assert event["properties"]["grant"]["maxLength"] == 64
