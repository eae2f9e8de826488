"""The completion date that counts (issue 19): a lesson and a course complete at the client time
of the study that completed them — an offline backlog's own times, within the offline window —
never at the time the backlog was uploaded; bounded by what the completion rests on, and by the
batch that completed it (docs/archive.md, "The completion date that counts"). The archive entry,
the enrolment and the subsidy year carry that moment. (The plain backlog case:
tests/test_archive_head.py.)"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from archive.models import ArchiveEntry
from courses.models import CoursePage, Lesson
from learners.models import Enrollment
from progress.models import LessonProgress
from progress.services import events_record
from subsidies.rules import completion_year
from tests.factories import enroll, make_course
from tests.progress_helpers import Player, send

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]

SECOND = dt.timedelta(seconds=1)
CHINA = ZoneInfo("Asia/Shanghai")


def course_with(learner, *, lessons=2, duration=600, optional=(), **fields):
    """An enrolled course; the lessons at the indexes in ``optional`` are not required."""
    course = make_course(lessons=lessons, duration=duration, **fields)
    enroll(learner, course)
    ordered = list(course.lessons.order_by("sort_order"))
    Lesson.objects.filter(pk__in=[ordered[i].pk for i in optional]).update(required=False)
    return course, ordered


def lesson_completed_at(learner, lesson):
    return LessonProgress.objects.get(learner=learner, lesson=lesson).completed_at


def entry_of(learner, course) -> ArchiveEntry:
    entry = ArchiveEntry.objects.get(learner=learner, course=course)
    assert Enrollment.objects.get(learner=learner, course=course).completed_at == entry.completed_at
    return entry


def test_a_backlog_completes_its_lesson_and_course_at_the_event_that_reached_the_rule(learner_api, learner):
    course, (first, second) = course_with(learner)  # 600 s each; complete at 540 s; 0.3 h
    studied = timezone.now() - dt.timedelta(days=3)
    # Both lessons in one backlog; the second reaches its 90 % at the pause dated +1 h +540 s.
    backlog = Player(first.pk, "app", base=studied).watch(0, 600, at=0)
    backlog += Player(second.pk, "app", base=studied).watch(0, 540, at=3600)
    send(learner_api, backlog)
    assert lesson_completed_at(learner, first) == studied + 540 * SECOND
    assert lesson_completed_at(learner, second) == studied + (3600 + 540) * SECOND
    assert entry_of(learner, course).completed_at == studied + (3600 + 540) * SECOND


def test_study_after_the_completion_in_the_same_backlog_does_not_move_its_date(learner_api, learner):
    course, (first, second) = course_with(learner)
    studied = timezone.now() - dt.timedelta(days=3)
    backlog = Player(first.pk, "app", base=studied).watch(0, 600, at=0)
    backlog += Player(second.pk, "app", base=studied).watch(0, 540, at=3600)
    # The next day, in the same backlog: the rest of the second lesson, credited after the completion.
    backlog += Player(second.pk, "app", base=studied).watch(540, 600, at=86400)
    send(learner_api, backlog)
    entry = entry_of(learner, course)
    assert entry.completed_at == studied + (3600 + 540) * SECOND
    assert entry.credited_seconds == 1200  # the later study still counts as study time


def test_a_required_lesson_finished_online_later_dates_the_course(learner_api, learner):
    """The backlog arrives after the online study that came after it: the course was complete
    only once its last required lesson was, whatever arrived first."""
    course, (first, second) = course_with(learner, required_hours=Decimal("0.1"))  # not the bound
    yesterday = timezone.now() - dt.timedelta(days=1)
    send(learner_api, Player(second.pk, "pc", base=yesterday).watch(0, 600, at=0))
    assert lesson_completed_at(learner, second) == yesterday + 540 * SECOND
    studied = timezone.now() - dt.timedelta(days=3)
    send(learner_api, Player(first.pk, "app", base=studied).watch(0, 600, at=0))
    assert lesson_completed_at(learner, first) == studied + 540 * SECOND
    assert entry_of(learner, course).completed_at == yesterday + 540 * SECOND


def test_hours_credited_online_later_date_the_course_when_they_were_needed(learner_api, learner):
    # One required lesson and an optional one; 0.3 h needs both.
    course, (first, optional) = course_with(learner, optional=[1])
    yesterday = timezone.now() - dt.timedelta(days=1)
    send(learner_api, Player(optional.pk, "pc", base=yesterday).watch(0, 600, at=0))
    studied = timezone.now() - dt.timedelta(days=3)
    send(learner_api, Player(first.pk, "app", base=studied).watch(0, 600, at=0))
    # Three days ago the learner had the required lesson but not the hours: those came yesterday.
    # Credit saved before the batch counts at the end of its span (that session's study that day).
    assert entry_of(learner, course).completed_at == yesterday + 600 * SECOND


def test_hours_credited_online_later_do_not_date_the_course_when_it_did_not_need_them(learner_api, learner):
    course, (first, second, optional) = course_with(
        learner, lessons=3, optional=[2], required_hours=Decimal("0.3")
    )
    studied = timezone.now() - dt.timedelta(days=3)
    send(learner_api, Player(first.pk, "app", base=studied).watch(0, 600, at=0))
    yesterday = timezone.now() - dt.timedelta(days=1)
    send(learner_api, Player(optional.pk, "pc", base=yesterday).watch(0, 600, at=0))
    send(learner_api, Player(second.pk, "app", base=studied).watch(0, 600, at=3600))
    # The two required lessons hold the 0.3 h on their own: yesterday's optional study is extra.
    assert entry_of(learner, course).completed_at == studied + (3600 + 540) * SECOND


def test_a_lesson_that_needed_credit_saved_later_completes_no_earlier_than_it(learner_api, learner):
    course, (first, _second) = course_with(learner)
    yesterday = timezone.now() - dt.timedelta(days=1)
    send(learner_api, Player(first.pk, "pc", base=yesterday).watch(0, 300, at=0))
    studied = timezone.now() - dt.timedelta(days=3)
    send(learner_api, Player(first.pk, "app", base=studied).watch(300, 600, at=0))
    # The backlog's 300 s alone do not reach 540: the lesson was complete only once both halves were.
    assert lesson_completed_at(learner, first) == yesterday + 300 * SECOND


def test_a_backlog_across_new_year_counts_in_the_year_it_was_studied(learner):
    course, (lesson,) = course_with(learner, lessons=1)
    studied = dt.datetime(2026, 12, 31, 23, 0, tzinfo=CHINA)
    uploaded = dt.datetime(2027, 1, 2, 9, 0, tzinfo=CHINA)
    events_record(
        learner=learner, raw_events=Player(lesson.pk, "app", base=studied).watch(0, 600, at=0), now=uploaded
    )
    entry = entry_of(learner, course)
    assert entry.completed_at == studied + 540 * SECOND
    assert completion_year(entry.completed_at) == 2026


def test_an_event_dated_ahead_of_the_server_completes_no_later_than_the_batch_arrived(learner):
    course, (lesson,) = course_with(learner, lessons=1, duration=120)
    now = timezone.now()
    # The client's clock is 60 s fast (within the 5 minutes accepted): its last events are "future".
    events_record(
        learner=learner, raw_events=Player(lesson.pk, base=now - 60 * SECOND).watch(0, 120, at=0), now=now
    )
    assert lesson_completed_at(learner, lesson) == now
    assert entry_of(learner, course).completed_at == now


def test_a_course_whose_rule_was_met_before_completes_with_the_credit_of_this_batch(learner):
    """Lowering a course's hours does not backdate a completion: it comes with the next credit."""
    course, (first, optional) = course_with(learner, optional=[1], required_hours=Decimal("1"))
    now = timezone.now()
    studied = now - dt.timedelta(days=3)
    events_record(
        learner=learner,
        raw_events=Player(first.pk, base=studied).watch(0, 600, at=0),
        now=studied + dt.timedelta(minutes=11),
    )
    assert not Enrollment.objects.get(learner=learner, course=course).completed_at  # 600 s < 1 h
    CoursePage.objects.filter(pk=course.pk).update(required_hours=Decimal("0.1"))
    today = now - dt.timedelta(minutes=5)
    events_record(learner=learner, raw_events=Player(optional.pk, base=today).watch(0, 60, at=0), now=now)
    assert entry_of(learner, course).completed_at == today + 20 * SECOND  # its first credited segment
