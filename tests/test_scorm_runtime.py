# ruff: noqa: F811  (the fixtures media and imported come from tests.scorm_factories)
"""The SCORM runtime data API used by the app and WeChat: permissions, saving, completion (split
from test_scorm.py)."""

import json

import pytest

from courses.models import LessonKind
from progress.models import LessonProgress
from scorm.models import ScormAttempt
from scorm.services import package_import
from tests.conftest import client_for
from tests.factories import LearnerFactory, UserFactory, enroll, make_course
from tests.scorm_factories import (  # noqa: F401  (media, imported: fixtures)
    CMI_COMPLETED,
    GOLF_12,
    GOLF_2004,
    MANIFEST_12,
    imported,
    make_zip,
    media,
    minimal_package,
    scorm_course,
)

pytestmark = pytest.mark.django_db


# --- runtime data API -------------------------------------------------------------------------


def runtime_url(lesson) -> str:
    return f"/api/v1/scorm/lessons/{lesson.pk}/"


def test_anonymous_callers_get_a_401(api, imported):
    assert api.get(runtime_url(imported)).status_code == 401
    assert api.put(runtime_url(imported), {"cmi": CMI_COMPLETED}, format="json").status_code == 401
    assert not ScormAttempt.objects.exists()


def test_learners_not_enrolled_and_users_without_a_learner_profile_get_a_403(imported, other_learner):
    for user in (other_learner.user, UserFactory(username="clerk", is_staff=True)):
        client = client_for(user)
        response = client.put(runtime_url(imported), {"cmi": CMI_COMPLETED}, format="json")
        assert response.status_code == 403 and response.json()["detail"]
        assert client.get(runtime_url(imported)).status_code == 403
    assert not ScormAttempt.objects.exists()


def test_a_lesson_that_is_not_scorm_or_not_imported_is_a_404(learner_api, learner):
    course = make_course(lessons=2)
    enroll(learner, course)
    video, pending = course.lessons.order_by("sort_order")
    pending.kind = LessonKind.SCORM
    pending.save()
    for lesson_id in (video.pk, pending.pk, 999999):
        response = learner_api.get(f"/api/v1/scorm/lessons/{lesson_id}/")
        assert response.status_code == 404 and response.json()["detail"]


def test_before_any_commit_the_state_is_empty(learner_api, imported):
    body = learner_api.get(runtime_url(imported)).json()
    assert body == {
        "lesson": imported.pk,
        "version": "1.2",
        "cmi": {},
        "lesson_status": "",
        "completion_status": "",
        "success_status": "",
        "score": None,
        "suspend_data": "",
        "completed": False,
        "completed_at": None,
        "last_channel": "",
        "updated_at": None,
    }


def test_a_learner_saves_cmi_and_reads_it_back(learner_api, learner, imported):
    saved = learner_api.put(runtime_url(imported), {"cmi": CMI_COMPLETED}, format="json")
    assert saved.status_code == 200

    body = learner_api.get(runtime_url(imported)).json()
    assert body["cmi"] == CMI_COMPLETED
    assert body["lesson_status"] == "completed"
    assert body["score"] == {"raw": 85.0, "min": 0.0, "max": 100.0, "scaled": None}
    assert body["suspend_data"] == "viewed=1,2,3"
    assert body["completed"] is True and body["last_channel"] == "pc"
    attempt = ScormAttempt.objects.get(learner=learner, lesson=imported)
    assert (attempt.lesson_status, attempt.score_raw) == ("completed", 85.0)


def test_another_learner_cannot_read_my_data(learner_api, imported, django_assert_max_num_queries):
    learner_api.put(runtime_url(imported), {"cmi": CMI_COMPLETED}, format="json")
    other = LearnerFactory()
    enroll(other, imported.course)
    theirs = client_for(other.user)

    # token with user, their learner, the lesson with its package, the enrolment, their attempt
    with django_assert_max_num_queries(5):
        body = theirs.get(runtime_url(imported)).json()

    assert body["cmi"] == {} and body["completed"] is False
    assert ScormAttempt.objects.count() == 1


def test_completion_reaches_lesson_progress_exactly_once(learner_api, learner, imported):
    incomplete = {"core": {"lesson_status": "incomplete"}}
    learner_api.put(runtime_url(imported), {"cmi": incomplete}, format="json")
    assert not LessonProgress.objects.filter(learner=learner, completed_at__isnull=False).exists()

    learner_api.put(runtime_url(imported), {"cmi": CMI_COMPLETED, "channel": "app"}, format="json")
    progress = LessonProgress.objects.get(learner=learner, lesson=imported)
    first = progress.completed_at
    assert first is not None and progress.last_channel == "app"

    learner_api.put(runtime_url(imported), {"cmi": {"core": {"lesson_status": "passed"}}}, format="json")
    learner_api.put(runtime_url(imported), {"cmi": incomplete}, format="json")
    progress.refresh_from_db()
    assert progress.completed_at == first
    assert LessonProgress.objects.filter(learner=learner, lesson=imported).count() == 1
    assert ScormAttempt.objects.get(learner=learner).completed_at == first


@pytest.mark.parametrize(
    ("cmi", "completes"),
    [
        ({"completion_status": "completed", "success_status": "unknown"}, True),
        ({"completion_status": "incomplete", "success_status": "passed"}, True),
        ({"completion_status": "incomplete", "success_status": "failed"}, False),
        ({"completion_status": "completed", "success_status": "failed", "score": {"scaled": "0.4"}}, True),
    ],
)
def test_scorm_2004_completes_on_completed_or_passed(learner_api, learner, cmi, completes):
    course, lesson = scorm_course(GOLF_2004.read_bytes())
    package_import(lesson=lesson)
    enroll(learner, course)

    response = learner_api.put(runtime_url(lesson), {"cmi": cmi}, format="json")

    assert response.status_code == 200
    assert response.json()["completion_status"] == cmi["completion_status"]
    done = LessonProgress.objects.filter(learner=learner, lesson=lesson, completed_at__isnull=False).exists()
    assert done is completes


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        {"cmi": "completed"},
        {"cmi": {"core": {"lesson_status": "finished"}}},
        {"cmi": {"core": {"score": {"raw": "eighty"}}}},
        {"cmi": {"core": "x"}},
        {"cmi": {"suspend_data": "x" * 64001}},
        {"cmi": {"suspend_data": 12}},
        {"cmi": {"core": {"lesson_status": "completed"}}, "channel": "fax"},
    ],
)
def test_bad_commits_are_a_400_with_a_detail_and_save_nothing(learner_api, learner, imported, body):
    response = learner_api.put(runtime_url(imported), body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not ScormAttempt.objects.exists()
    assert not LessonProgress.objects.filter(learner=learner).exists()


def test_malformed_or_oversized_bodies_are_refused_without_a_500(learner_api, imported, settings):
    url = runtime_url(imported)
    nested = '{"cmi": ' + '{"a": ' * 5000 + "1" + "}" * 5001
    for raw in ("{not json", nested, '{"cmi": {"core": {"score": {"raw": NaN}}}}'):
        response = learner_api.generic("PUT", url, raw, content_type="application/json")
        assert response.status_code == 400 and response.json()["detail"]
    settings.SCORM_MAX_COMMIT_BYTES = 1000
    response = learner_api.put(url, {"cmi": {"suspend_data": "x" * 2000}}, format="json")
    assert response.status_code == 413 and response.json()["detail"]
    assert not ScormAttempt.objects.exists()


def test_session_commits_need_the_csrf_header(learner, imported):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(learner.user)
    page = browser.get(f"/scorm/lessons/{imported.pk}/launch/")
    token = page.cookies["csrftoken"].value
    body = json.dumps({"cmi": CMI_COMPLETED})

    refused = browser.put(runtime_url(imported), body, content_type="application/json")
    accepted = browser.put(
        runtime_url(imported), body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200 and accepted.json()["completed"] is True


def test_post_is_accepted_like_put_and_total_time_is_kept_between_commits(learner_api, imported):
    final = {"core": {"lesson_status": "incomplete", "total_time": "00:05:00"}}
    assert learner_api.post(runtime_url(imported), {"cmi": final}, format="json").status_code == 200
    learner_api.put(runtime_url(imported), {"cmi": {"core": {"lesson_status": "incomplete"}}}, format="json")
    assert ScormAttempt.objects.get().cmi["core"]["total_time"] == "00:05:00"
