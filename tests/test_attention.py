"""Attention checks (防挂机点名): the player logs each check's outcome through
``POST /api/v1/progress/attention/``; the row is evidence only and credits nothing."""

import uuid

import pytest
from django.utils import timezone

from progress.models import LessonProgress, ProgressEvent
from tests.factories import LearnerFactory, enroll, make_course

pytestmark = pytest.mark.django_db

URL = "/api/v1/progress/attention/"


def payload(the_lesson, **overrides):
    body = {
        "lesson": the_lesson.pk,
        "session": str(uuid.uuid4()),
        "channel": "pc",
        "outcome": "missed",
        "at": timezone.now().isoformat(),
        "position": 42.5,
    }
    body.update(overrides)
    return body


@pytest.fixture
def enrolled(api):
    course = make_course(attention_check_minutes=10)
    learner = LearnerFactory()
    enroll(learner, course)
    api.force_authenticate(learner.user)
    return learner, course.lessons.first()


def test_an_enrolled_learner_can_log_a_missed_check(api, enrolled):
    learner, lesson = enrolled
    body = payload(lesson)
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["outcome"] == "missed"
    event = ProgressEvent.objects.get(pk=response.json()["id"])
    assert (event.learner, event.lesson_ref, event.type) == (learner, lesson.pk, "attention")
    assert (event.status, event.reason, event.segment) == ("accepted", "missed", "")
    assert str(event.session) == body["session"]
    assert event.position == 42.5 and event.credited_seconds == 0
    assert not LessonProgress.objects.filter(learner=learner).exists()


def test_a_passed_check_is_logged_too(api, enrolled):
    _, lesson = enrolled
    response = api.post(URL, payload(lesson, outcome="passed"), format="json")
    assert response.status_code == 201
    assert ProgressEvent.objects.get().reason == "passed"


@pytest.mark.parametrize(
    "change",
    [
        {"outcome": "asleep"},
        {"channel": "fax"},
        {"session": "not-a-uuid"},
        {"at": "yesterday"},
        {"lesson": "x"},
        {"position": -1},
    ],
)
def test_a_malformed_check_is_a_400_with_detail(api, enrolled, change):
    _, lesson = enrolled
    response = api.post(URL, payload(lesson, **change), format="json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not ProgressEvent.objects.exists()


def test_a_check_from_the_future_or_too_long_ago_is_a_400(api, enrolled):
    _, lesson = enrolled
    future = timezone.now() + timezone.timedelta(hours=1)
    past = timezone.now() - timezone.timedelta(days=30)
    for at in (future, past):
        response = api.post(URL, payload(lesson, at=at.isoformat()), format="json")
        assert response.status_code == 400
        assert "detail" in response.json()
    assert not ProgressEvent.objects.exists()


def test_an_anonymous_client_cannot_log_a_check(api):
    lesson = make_course().lessons.first()
    response = api.post(URL, payload(lesson), format="json")
    assert response.status_code in (401, 403)
    assert not ProgressEvent.objects.exists()


def test_a_user_who_is_not_a_learner_cannot_log_a_check(api, django_user_model):
    lesson = make_course().lessons.first()
    api.force_authenticate(django_user_model.objects.create_user("staff-x", password="x-pass-123"))
    response = api.post(URL, payload(lesson), format="json")
    assert response.status_code == 403
    assert not ProgressEvent.objects.exists()


def test_a_learner_not_enrolled_cannot_log_a_check(api):
    lesson = make_course().lessons.first()
    api.force_authenticate(LearnerFactory().user)
    response = api.post(URL, payload(lesson), format="json")
    assert response.status_code == 403
    assert "detail" in response.json()
    assert not ProgressEvent.objects.exists()


def test_an_unknown_lesson_is_a_404(api, enrolled):
    _, lesson = enrolled
    response = api.post(URL, payload(lesson, lesson=999999), format="json")
    assert response.status_code == 404
    assert not ProgressEvent.objects.exists()


def test_clients_still_cannot_send_attention_in_an_events_batch(api, enrolled):
    _, lesson = enrolled
    event = {
        "id": str(uuid.uuid4()),
        "session": str(uuid.uuid4()),
        "lesson": lesson.pk,
        "channel": "pc",
        "type": "attention",
        "position": 1,
        "at": timezone.now().isoformat(),
    }
    response = api.post("/api/v1/progress/events/", {"events": [event]}, format="json")
    assert response.status_code == 200
    assert response.json()["results"][0] == {
        "id": event["id"],
        "status": "rejected",
        "reason": "invalid event",
    }
