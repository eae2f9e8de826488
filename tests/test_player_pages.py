"""The web pages around the player: the lesson page's data for the player (resume position,
credited frontier, heartbeat, attention checks), "我的学习", and the installable app's manifest
and service worker."""

import json
import re

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.utils import timezone

from progress.models import LessonProgress
from tests.factories import LearnerFactory, enroll, make_course, site_home
from tests.institutions_factories import AssignmentFactory, TrainingClassFactory, member

pytestmark = pytest.mark.django_db


def lesson_url(course, lesson) -> str:
    return f"{course.url}lessons/{lesson.pk}/"


def data_attributes(html: str) -> dict:
    section = re.search(r'<section id="lesson"(.*?)>', html, re.S).group(1)
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', section))


def give_progress(learner, lesson, intervals, **fields):
    return LessonProgress.objects.create(
        learner=learner,
        lesson=lesson,
        intervals=intervals,
        credited_seconds=sum(end - start for start, end in intervals),
        **fields,
    )


def test_the_lesson_page_gives_the_player_the_resume_position_and_credited_frontier(
    client, learner, settings
):
    settings.PLAYER_HEARTBEAT_SECONDS = 15
    course = make_course(block_seek_ahead=True)
    lesson = course.lessons.first()
    lesson.media.name = "lessons/care-1.mp4"
    lesson.save()
    enroll(learner, course)
    give_progress(learner, lesson, [[0, 40.5], [100, 130]], position=120.25)
    client.force_login(learner.user)
    data = data_attributes(client.get(lesson_url(course, lesson)).content.decode())
    assert data["position"] == "120.250"
    assert data["frontier"] == "130.000"
    assert data["block-seek"] == "1"
    assert data["heartbeat"] == "15"
    assert data["attention"] == "0"
    assert data["user"] == str(learner.user.pk)


def test_attention_checks_are_given_in_seconds_and_may_be_overridden(client, learner, settings):
    course = make_course(attention_check_minutes=20, attention_timeout_seconds=45)
    lesson = course.lessons.first()
    lesson.media.name = "lessons/care-1.mp4"
    lesson.save()
    enroll(learner, course)
    client.force_login(learner.user)
    settings.ATTENTION_CHECK_SECONDS_OVERRIDE = 0
    html = client.get(lesson_url(course, lesson)).content.decode()
    data = data_attributes(html)
    assert (data["attention"], data["attention-timeout"], data["block-seek"]) == ("1200", "45", "0")
    assert 'id="attention"' in html and 'role="dialog"' in html
    settings.ATTENTION_CHECK_SECONDS_OVERRIDE = 5
    assert data_attributes(client.get(lesson_url(course, lesson)).content.decode())["attention"] == "5"


def test_a_course_without_attention_checks_has_no_dialog_even_with_the_override(client, learner, settings):
    settings.ATTENTION_CHECK_SECONDS_OVERRIDE = 5
    course = make_course()
    lesson = course.lessons.first()
    lesson.media.name = "lessons/care-1.mp4"
    lesson.save()
    enroll(learner, course)
    client.force_login(learner.user)
    html = client.get(lesson_url(course, lesson)).content.decode()
    assert data_attributes(html)["attention"] == "0"
    assert 'id="attention"' not in html


def test_my_learning_redirects_an_anonymous_visit_to_login_with_next(client):
    response = client.get("/me/learning/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/me/learning/"


def test_a_user_who_is_not_a_learner_cannot_see_my_learning(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("staff-y", password="x-pass-123"))
    assert client.get("/me/learning/").status_code == 403


def test_my_learning_shows_courses_progress_resume_and_assignments(client, learner):
    first = make_course(title="养老护理员（五级）", lessons=2, duration=600, required_hours=1)
    second = make_course(title="中式烹调师（五级）", lessons=3, duration=600)
    enroll(learner, first)
    enroll(learner, second)
    a1, a2 = first.lessons.order_by("sort_order")
    give_progress(learner, a1, [[0, 600]], completed_at=timezone.now())
    give_progress(learner, a2, [[0, 1200]])
    later = give_progress(learner, second.lessons.order_by("sort_order")[1], [[0, 30]], position=30)
    training_class = TrainingClassFactory(course=first, name="2026年养老护理员第3期")
    member(training_class, learner)
    AssignmentFactory(training_class=training_class)
    other = LearnerFactory()
    enroll(other, make_course(title="别人的课程"))
    client.force_login(learner.user)

    response = client.get("/me/learning/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "养老护理员（五级）" in html and "中式烹调师（五级）" in html and "别人的课程" not in html
    assert "已计学时 30 分钟 / 要求 1 小时 0 分钟" in html  # 1800 s of 3600 s required
    assert 'aria-valuenow="50"' in html
    assert "距结业还差 学时 30 分钟， 1 个必修课时" in html
    assert "课时 1 / 2" in html and "课时 0 / 3" in html
    assert "2026年养老护理员第3期" in html
    resume = re.search(r'<a class="button" id="resume" href="([^"]+)"', html).group(1)
    assert resume == lesson_url(second, later.lesson)
    assert "我的学习" in client.get("/").content.decode()


def test_resume_never_leads_into_a_finished_course_and_skips_completed_lessons(client, learner):
    finished = make_course(title="已结业的课程", lessons=1)
    going = make_course(title="在学的课程", lessons=3)
    enroll(learner, going)
    enrollment = enroll(learner, finished)
    first, second, _third = going.lessons.order_by("sort_order")
    give_progress(learner, first, [[0, 600]], completed_at=timezone.now())
    # The latest study is in the finished course: 继续学习 does not lead there.
    give_progress(learner, finished.lessons.get(), [[0, 600]], completed_at=timezone.now())
    enrollment.completed_at = timezone.now()
    enrollment.save()
    client.force_login(learner.user)

    html = client.get("/me/learning/").content.decode()

    resume = re.search(r'<a class="button" id="resume" href="([^"]+)">([^<]+)</a>', html)
    # The first lesson of the course in progress is complete: on to the second.
    assert resume.group(1) == lesson_url(going, second)
    assert second.title in resume.group(2)


def test_no_resume_when_every_studied_course_is_finished(client, learner):
    finished = make_course(lessons=1)
    enrollment = enroll(learner, finished)
    give_progress(learner, finished.lessons.get(), [[0, 600]], completed_at=timezone.now())
    enrollment.completed_at = timezone.now()
    enrollment.save()
    client.force_login(learner.user)
    assert 'id="resume"' not in client.get("/me/learning/").content.decode()


def test_my_learning_query_count_does_not_grow_with_enrolments(
    client, learner, django_assert_max_num_queries
):
    def add_course():
        course = make_course(lessons=2)
        enroll(learner, course)
        give_progress(learner, course.lessons.first(), [[0, 60]])
        training_class = TrainingClassFactory(course=course)
        member(training_class, learner)
        AssignmentFactory(training_class=training_class)

    add_course()
    client.force_login(learner.user)
    client.get("/me/learning/")  # warm the site-root cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get("/me/learning/").status_code == 200
    for _ in range(4):
        add_course()
    with django_assert_max_num_queries(len(one)):
        assert client.get("/me/learning/").status_code == 200


def test_the_manifest_is_installable_metadata_in_chinese(client):
    site_home()
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["name"] == "淄博技能在线"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix(django_settings.STATIC_URL)), icon["src"]
    assert 'rel="manifest"' in client.get("/").content.decode()


def test_the_service_worker_is_served_from_the_root_and_caches_only_the_shell(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    assert "/offline/" in body and "css/site.css" in body and "js/player.js" in body
    assert '"/api/"' in body  # API requests are never answered from the cache
    offline = client.get("/offline/")
    assert offline.status_code == 200 and "网络已断开" in offline.content.decode()
