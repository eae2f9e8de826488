"""Race safety on PostgreSQL: batches from three devices (and their resends) for the same
learner and lesson, sent at the same time from threads with their own connections."""

import threading

import pytest
from django.db import connection

from learners.models import Enrollment
from progress.models import LessonProgress, ProgressEvent
from progress.services import events_record
from progress.signals import course_completed
from tests.factories import LearnerFactory, enroll, make_course
from tests.progress_helpers import Player

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def run_threads(work: list) -> list[BaseException]:
    """Run each callable in its own thread, started together; return the errors raised."""
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def runner(job):
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as error:  # noqa: BLE001 — reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_three_devices_racing_lose_no_credit_and_double_none():
    learner = LearnerFactory()
    course = make_course(lessons=1, duration=900)
    enroll(learner, course)
    lesson = course.lessons.get()
    pc = Player(lesson.pk, "pc")
    # Three devices, one after another in wall-clock time, each covering new media: 0–200 s on
    # the pc, 200–400 s on the app, 400–600 s in WeChat.
    devices = [
        pc.watch(0, 200, at=0),
        Player(lesson.pk, "app", base=pc.base).watch(200, 400, at=200),
        Player(lesson.pk, "wechat", base=pc.base).watch(400, 600, at=400),
    ]
    batches = [[events[i : i + 3] for i in range(0, len(events), 3)] for events in devices]

    def device(device_batches):
        def send_all():
            for batch in device_batches:
                events_record(learner=learner, raw_events=batch)

        return send_all

    # Every device sends its batches twice at once (a flaky network resending), all six together.
    errors = run_threads([device(b) for b in batches] * 2)

    assert errors == []
    progress = LessonProgress.objects.get(learner=learner, lesson=lesson)
    assert progress.credited_seconds == pytest.approx(600)
    assert progress.intervals == [[0.0, 600.0]]
    total_events = sum(len(events) for events in devices)
    assert ProgressEvent.objects.filter(status="accepted").count() == total_events
    assert LessonProgress.objects.filter(learner=learner).count() == 1


def test_two_batches_completing_a_course_at_once_complete_it_once():
    learner = LearnerFactory()
    course = make_course(lessons=2, duration=100)
    enroll(learner, course)
    first, second = course.lessons.order_by("sort_order")
    a = Player(first.pk, "pc")
    b = Player(second.pk, "app", base=a.base)
    events_record(learner=learner, raw_events=a.watch(0, 95, at=0))
    events_record(learner=learner, raw_events=b.watch(0, 85, at=200))
    # Each of these finishes one lesson and so, in whichever order they land, the course.
    finish_a = [a.play(95, 400), a.beat(100, 405)]
    finish_b = [b.play(85, 500), b.beat(100, 515)]
    completions = []

    def listener(**kwargs):
        completions.append(kwargs["course_id"])

    course_completed.connect(listener)
    try:
        errors = run_threads(
            [
                lambda: events_record(learner=learner, raw_events=finish_a),
                lambda: events_record(learner=learner, raw_events=finish_b),
            ]
        )
    finally:
        course_completed.disconnect(listener)
    assert errors == []
    assert completions == [course.pk]
    assert Enrollment.objects.get(learner=learner, course=course).completed_at is not None
