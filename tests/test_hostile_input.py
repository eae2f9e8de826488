"""Any input a client can send gets a 4xx with a message a person can act on, never a 500
(issue 15): event fields of the wrong type or size, dates at the ends of the calendar, JSON nested
too deep, bodies too large, ids too large for the database."""

import datetime as dt
import json
import uuid

import pytest
from django.utils import timezone

from progress.models import ProgressEvent
from tests.factories import enroll, make_course

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/progress/events/"


@pytest.fixture
def lesson(learner):
    course = make_course(lessons=1, duration=600)
    enroll(learner, course)
    return course.lessons.get()


def event(the_lesson, **overrides):
    body = {
        "id": str(uuid.uuid4()),
        "session": str(uuid.uuid4()),
        "lesson": the_lesson.pk,
        "channel": "pc",
        "type": "play",
        "position": 0,
        "at": (timezone.now() - dt.timedelta(seconds=5)).isoformat(),
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    "overrides",
    [
        {"type": {}},
        {"type": []},
        {"channel": ["pc"]},
        {"channel": {"pc": 1}},
        {"position": int("9" * 400)},
        {"rate": int("9" * 400)},
        {"from": -int("9" * 400), "type": "seek"},
        {"at": "9999-12-31T23:59:59-12:00"},
        {"at": "0001-01-01T00:00:00+14:00"},
        {"at": "2026-13-45T99:99:99+08:00"},
        {"lesson": int("9" * 40)},
        {"id": {"$ne": None}},
        {"grant": {"x": 1}},
    ],
)
def test_a_hostile_event_is_rejected_on_its_own_never_a_500(learner_api, lesson, overrides):
    good = event(lesson)
    response = learner_api.post(EVENTS, {"events": [event(lesson, **overrides), good]}, format="json")
    assert response.status_code == 200, response.content
    bad_result, good_result = response.json()["results"]
    assert bad_result["status"] == "rejected" and bad_result["reason"] == "invalid event"
    assert good_result["status"] == "accepted"
    assert ProgressEvent.objects.filter(status="rejected", reason="invalid event").count() == 1


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [100, 1000, 100_000])
def test_json_nested_too_deep_is_a_400_on_every_json_endpoint(api, learner_api, depth):
    body = '{"events": ' + nested(depth) + "}"
    response = learner_api.post(EVENTS, body, content_type="application/json")
    assert response.status_code == 400
    assert "嵌套过深" in response.json()["detail"]
    # The token endpoint answers anonymous clients: the same parser guards it.
    body = '{"username": ' + nested(depth) + ', "password": "x"}'
    response = api.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400 and "嵌套过深" in response.json()["detail"]
    response = api.post(
        "/api/v1/auth/token/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.json()["detail"] == "The JSON is nested too deeply (at most 32 levels)."


def test_a_normal_body_still_parses(learner_api, lesson):
    response = learner_api.post(
        EVENTS, json.dumps({"events": [event(lesson)]}), content_type="application/json"
    )
    assert response.status_code == 200


def test_a_body_over_the_limit_is_a_json_413(learner_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"events": [{"padding": "x" * 2000}]})
    response = learner_api.post(EVENTS, body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "1000" in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/courses/99999999999999999999/",
        "/api/v1/progress/courses/99999999999999999999/",
        "/api/v1/progress/lessons/99999999999999999999/",
    ],
)
def test_ids_too_large_for_the_database_are_a_404(learner_api, url):
    response = learner_api.get(url)
    assert response.status_code == 404
    assert response.json()["detail"]


def test_enrolling_in_a_course_id_too_large_is_a_404(learner_api):
    response = learner_api.post("/api/v1/courses/99999999999999999999/enroll/")
    assert response.status_code == 404


def test_an_attention_check_at_the_end_of_the_calendar_is_a_400(learner_api, lesson):
    response = learner_api.post(
        "/api/v1/progress/attention/",
        {
            "lesson": lesson.pk,
            "session": str(uuid.uuid4()),
            "channel": "pc",
            "outcome": "missed",
            "at": "9999-12-31T23:59:59-12:00",
        },
        format="json",
    )
    assert response.status_code == 400 and response.json()["detail"]


@pytest.mark.parametrize("query", ['"', "\x00", "'", "*", "a OR", "NEAR(", '"unterminated', "(", "^"])
def test_search_takes_any_text(client, query):
    make_course(title="陶瓷成型施釉工 OR NEAR 技能", summary='带 "引号" 的简介')
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200


def test_djangos_own_400_is_json_on_the_api(client, settings):
    """A request Django refuses before any view (here: a host not allowed) still gets JSON."""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["px.zibo.example"]
    response = client.get("/api/v1/courses/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    page = client.get("/courses/", HTTP_HOST="evil.example")
    assert page.status_code == 400 and not page["Content-Type"].startswith("application/json")


def test_djangos_own_403_is_json_on_the_api(rf):
    from config.urls import handler403

    response = handler403(rf.get("/api/v1/me/"))
    assert response.status_code == 403 and b"detail" in response.content


def test_an_event_from_year_632_is_logged_and_read_back_as_a_valid_time(learner_api, lesson):
    """Found by the fuzzer: a rejected event keeps its client time; the audit log shows it in UTC
    (before 1901 Asia/Shanghai's offset is +08:05:43, no valid RFC 3339 time)."""
    from tests.conftest import client_for
    from tests.institutions_factories import in_group

    response = learner_api.post(EVENTS, {"events": [event(lesson, at="0632-10-03T02:30:49Z")]}, format="json")
    assert response.json()["results"][0]["reason"] == "too old"
    auditor = in_group("Auditors")
    rows = client_for(auditor).get("/api/v1/audit/progress-events/").json()["results"]
    assert rows[0]["client_at"] == "0632-10-03T02:30:49Z"


def test_a_post_to_an_unknown_api_url_with_a_session_answers_json(client, learner):
    """Found by the fuzzer: it reached Wagtail's catch-all route, whose CSRF page was HTML."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(learner.user)
    response = browser.post(
        "/api/v1/classes/%C2%84/members/", {"learner": 1}, content_type="application/json"
    )
    assert response.status_code in (403, 404)
    assert response["Content-Type"].startswith("application/json") and response.json()["detail"]


def test_a_malformed_event_without_a_time_reads_back_with_a_null_time(learner_api, lesson):
    from tests.conftest import client_for
    from tests.institutions_factories import in_group

    learner_api.post(EVENTS, {"events": [{"type": "ended"}]}, format="json")
    rows = client_for(in_group("Auditors")).get("/api/v1/audit/progress-events/").json()["results"]
    assert rows[0]["client_at"] is None and rows[0]["reason"] == "invalid event"
