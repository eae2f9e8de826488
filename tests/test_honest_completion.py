"""No certificate without the hours (contract rule 8) and honest crediting on every lesson kind:
documents, SCORM packages and quizzes are credited only from heartbeats; a SCORM package saying
"completed" completes its lesson only once its minimum study time is credited; a missed attention
check stops the session's credit until the learner confirms."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from archive.models import ArchiveEntry, Certificate
from courses.models import Lesson, LessonKind
from learners.models import Enrollment
from progress.models import LessonProgress, ProgressEvent
from scorm.services import package_import
from tests.factories import enroll, make_course
from tests.progress_helpers import Player, send
from tests.scorm_factories import minimal_package, scorm_course

pytestmark = pytest.mark.django_db


def credited(learner, lesson) -> float:
    progress = LessonProgress.objects.filter(learner=learner, lesson=lesson).first()
    return round(progress.credited_seconds, 3) if progress else 0.0


def completed_at(learner, course):
    return Enrollment.objects.get(learner=learner, course=course).completed_at


# --- a course needs its hours ------------------------------------------------------------------


@pytest.fixture
def short_of_hours(learner):
    """Two required 600 s lessons and one optional 600 s lesson; the course requires 0.5 h
    (1,800 s), more than the required lessons hold."""
    course = make_course(lessons=3, duration=600, required_hours=Decimal("0.5"))
    Lesson.objects.filter(course=course, sort_order=2).update(required=False)
    enroll(learner, course)
    return course


def test_all_lessons_completed_but_hours_short_is_not_completed_archived_or_certified(
    learner, learner_api, short_of_hours
):
    first, second, _optional = short_of_hours.lessons.order_by("sort_order")
    send(learner_api, Player(first.pk).watch(0, 600, at=0))
    send(learner_api, Player(second.pk).watch(0, 600, at=700))
    assert LessonProgress.objects.filter(learner=learner, completed_at__isnull=False).count() == 2
    assert completed_at(learner, short_of_hours) is None
    assert not ArchiveEntry.objects.exists() and not Certificate.objects.exists()
    body = learner_api.get(f"/api/v1/progress/courses/{short_of_hours.pk}/").json()
    assert body["completed"] is False
    assert body["credited_seconds"] == 1200 and body["required_seconds"] == 1800
    assert body["missing_seconds"] == 600 and body["missing_lessons"] == 0


def test_the_course_completes_when_the_credited_time_reaches_its_hours(learner, learner_api, short_of_hours):
    first, second, optional = short_of_hours.lessons.order_by("sort_order")
    send(learner_api, Player(first.pk).watch(0, 600, at=0))
    send(learner_api, Player(second.pk).watch(0, 600, at=700))
    send(learner_api, Player(optional.pk).watch(0, 500, at=1400))
    assert completed_at(learner, short_of_hours) is None  # 1,700 of 1,800 s
    send(learner_api, Player(optional.pk).watch(500, 600, at=2000))
    assert completed_at(learner, short_of_hours) is not None
    entry = ArchiveEntry.objects.get(learner=learner)
    assert entry.credited_seconds >= 1800
    body = learner_api.get(f"/api/v1/progress/courses/{short_of_hours.pk}/").json()
    assert body["completed"] is True and body["missing_seconds"] == 0


def test_the_last_tenth_of_a_completed_lesson_can_complete_the_course(learner, learner_api):
    """Lessons complete at 90 %; the course's hours may need the rest of their time."""
    course = make_course(lessons=1, duration=600, required_hours=Decimal("0.16"))  # 576 s
    enroll(learner, course)
    lesson = course.lessons.get()
    send(learner_api, Player(lesson.pk).watch(0, 550, at=0))
    progress = LessonProgress.objects.get(learner=learner, lesson=lesson)
    assert progress.completed_at is not None and completed_at(learner, course) is None
    send(learner_api, Player(lesson.pk).watch(550, 600, at=700))
    assert completed_at(learner, course) is not None


def test_the_learning_page_shows_what_is_missing(client, learner, learner_api, short_of_hours):
    first = short_of_hours.lessons.order_by("sort_order").first()
    send(learner_api, Player(first.pk).watch(0, 600, at=0))
    client.force_login(learner.user)
    html = client.get("/me/learning/").content.decode()
    assert "10 分钟" in html  # credited
    assert "30 分钟" in html  # required
    assert "还差" in html
    assert 'aria-valuenow="33"' in html  # 600 of 1,800 s


# --- documents ---------------------------------------------------------------------------------


def test_a_document_is_credited_from_its_reading_clock_up_to_its_reading_time(learner, learner_api):
    course = make_course(lessons=1, duration=360)
    Lesson.objects.filter(course=course).update(kind=LessonKind.DOCUMENT, pages=3)
    enroll(learner, course)
    document = course.lessons.get()
    send(learner_api, Player(document.pk).watch(0, 200, at=0))
    assert credited(learner, document) == 200
    # Reading faster than the clock allows (a forged position) is a skip, as for a video.
    player = Player(document.pk)
    send(learner_api, [player.play(200, at=500), player.beat(360, at=520)])
    assert credited(learner, document) == 200
    send(learner_api, Player(document.pk).watch(200, 360, at=700))
    assert credited(learner, document) == 360
    assert LessonProgress.objects.get(learner=learner, lesson=document).completed_at is not None


# --- SCORM -------------------------------------------------------------------------------------


@pytest.fixture
def scorm_lesson(learner):
    course, lesson = scorm_course(minimal_package(), lessons=1)
    lesson.duration = 300
    lesson.save()
    package_import(lesson=lesson)
    enroll(learner, course)
    return lesson


def runtime_put(client, lesson, status="completed", session_time="01:00:00"):
    return client.put(
        f"/api/v1/scorm/lessons/{lesson.pk}/",
        {"cmi": {"core": {"lesson_status": status, "session_time": session_time}}},
        format="json",
    )


def test_a_scorm_completed_with_no_time_spent_does_not_complete_the_lesson(
    learner, learner_api, scorm_lesson
):
    assert runtime_put(learner_api, scorm_lesson).status_code in (200, 204)
    progress = LessonProgress.objects.get(learner=learner, lesson=scorm_lesson)
    assert progress.content_completed_at is not None
    assert progress.completed_at is None
    assert progress.credited_seconds == 0  # the package's own session_time (1 hour) counts for nothing
    assert completed_at(learner, scorm_lesson.course) is None


def test_a_scorm_lesson_completes_once_its_heartbeats_cover_the_minimum(learner, learner_api, scorm_lesson):
    runtime_put(learner_api, scorm_lesson)
    send(learner_api, Player(scorm_lesson.pk).watch(0, 200, at=0))  # 200 of the 270 s minimum
    progress = LessonProgress.objects.get(learner=learner, lesson=scorm_lesson)
    assert progress.credited_seconds == 200 and progress.completed_at is None
    send(learner_api, Player(scorm_lesson.pk).watch(200, 280, at=300))
    progress.refresh_from_db()
    assert progress.completed_at is not None


def test_time_first_then_the_package_status_completes_the_lesson(learner, learner_api, scorm_lesson):
    send(learner_api, Player(scorm_lesson.pk).watch(0, 300, at=0))
    progress = LessonProgress.objects.get(learner=learner, lesson=scorm_lesson)
    assert progress.credited_seconds == 300 and progress.completed_at is None  # no status yet
    runtime_put(learner_api, scorm_lesson)
    progress.refresh_from_db()
    assert progress.completed_at is not None


def test_an_editor_sets_a_scorm_lessons_minimum(learner, learner_api, scorm_lesson):
    scorm_lesson.minimum_seconds = 60
    scorm_lesson.save()
    send(learner_api, Player(scorm_lesson.pk).watch(0, 60, at=0))
    runtime_put(learner_api, scorm_lesson)
    assert LessonProgress.objects.get(learner=learner, lesson=scorm_lesson).completed_at is not None


def test_a_scorm_lesson_must_declare_its_study_time():
    course = make_course(lessons=1)
    lesson = course.lessons.get()
    lesson.kind, lesson.duration, lesson.media = LessonKind.SCORM, 0, "lessons/x.zip"
    with pytest.raises(ValidationError) as error:
        lesson.clean()
    assert "duration" in error.value.message_dict


def test_the_scorm_page_runs_a_study_clock(client, learner, scorm_lesson):
    client.force_login(learner.user)
    html = client.get(f"/scorm/lessons/{scorm_lesson.pk}/launch/").content.decode()
    assert 'data-autostart="1"' in html and f'data-lesson="{scorm_lesson.pk}"' in html
    assert 'data-duration="300"' in html
    assert "js/player.js" in html


# --- quizzes -----------------------------------------------------------------------------------


def test_a_quiz_page_runs_a_study_clock_and_a_passed_quiz_completes_the_lesson(client, learner, learner_api):
    from progress.completion import lesson_content_complete

    course = make_course(lessons=1, duration=120)
    enroll(learner, course)
    quiz = course.lessons.get()
    Lesson.objects.filter(pk=quiz.pk).update(kind=LessonKind.QUIZ)
    quiz.refresh_from_db()
    client.force_login(learner.user)
    html = client.get(quiz.get_url_path()).content.decode()
    assert 'data-autostart="1"' in html and "js/player.js" in html
    send(learner_api, Player(quiz.pk).watch(0, 120, at=0))
    assert credited(learner, quiz) == 120  # the course requires 0.03 h (108 s)
    assert LessonProgress.objects.get(learner=learner, lesson=quiz).completed_at is None
    assert completed_at(learner, course) is None
    assert lesson_content_complete(learner=learner, lesson=quiz) is True  # a passed attempt
    assert completed_at(learner, course) is not None


# --- attention checks --------------------------------------------------------------------------


@pytest.fixture
def checked(learner):
    course = make_course(lessons=1, duration=600, attention_check_minutes=5)
    enroll(learner, course)
    return course.lessons.get()


def attention(client, lesson, session, outcome, at):
    response = client.post(
        "/api/v1/progress/attention/",
        {"lesson": lesson.pk, "session": session, "channel": "pc", "outcome": outcome, "at": at.isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_a_missed_check_removes_the_credit_until_the_learner_confirms(learner, learner_api, checked):
    base = timezone.now() - dt.timedelta(minutes=30)
    player = Player(checked.pk, base=base)
    # Missed at 60 s, confirmed at 120 s: a client that kept sending heartbeats in between
    # (the page pauses; a modified one would not) is credited nothing for that interval.
    attention(learner_api, checked, player.session, "missed", base + dt.timedelta(seconds=60))
    attention(learner_api, checked, player.session, "passed", base + dt.timedelta(seconds=120))
    send(learner_api, player.watch(0, 200, at=0, step=20))
    assert credited(learner, checked) == 140  # 0–60 and 120–200
    segments = list(ProgressEvent.objects.filter(segment="unattended").values_list("position", flat=True))
    assert segments == [80.0, 100.0, 120.0]


def test_an_unconfirmed_miss_stops_the_sessions_credit_but_not_a_new_play(learner, learner_api, checked):
    base = timezone.now() - dt.timedelta(minutes=30)
    player = Player(checked.pk, base=base)
    attention(learner_api, checked, player.session, "missed", base + dt.timedelta(seconds=60))
    send(learner_api, player.watch(0, 200, at=0))
    assert credited(learner, checked) == 60
    # Pressing play again is the learner's confirmation: a new session, credited.
    send(learner_api, Player(checked.pk, base=base).watch(200, 300, at=400))
    assert credited(learner, checked) == 160


def test_a_miss_counts_only_where_the_course_runs_checks(learner, learner_api):
    course = make_course(lessons=1, duration=600)  # checks off
    enroll(learner, course)
    lesson = course.lessons.get()
    base = timezone.now() - dt.timedelta(minutes=30)
    player = Player(lesson.pk, base=base)
    attention(learner_api, lesson, player.session, "missed", base + dt.timedelta(seconds=60))
    send(learner_api, player.watch(0, 200, at=0))
    assert credited(learner, lesson) == 200


def test_a_heartbeat_on_a_course_with_checks_costs_one_query_more(
    learner, learner_api, checked, django_assert_max_num_queries
):
    """The lapses are read only for lessons whose course runs checks (one more statement)."""
    base = timezone.now() - dt.timedelta(seconds=100)
    player = Player(checked.pk, base=base)
    send(learner_api, [player.play(0, at=0)])
    with django_assert_max_num_queries(13):  # a plain heartbeat: 12 on SQLite
        send(learner_api, [player.beat(20, at=20)])


def test_new_courses_default_to_checks_every_20_minutes_and_no_seeking_ahead():
    from courses.models import CoursePage

    course = CoursePage(title="新课程")
    assert course.attention_check_minutes == 20 and course.block_seek_ahead is True
