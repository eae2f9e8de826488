"""What the crediting engine needs to know about a batch's lessons: each lesson's course,
duration, kind and completion share, and whether the learner is enrolled in that course.

One plain-SQL statement (``progress.store``) that travels with the batch's other reads, in the
same round trip on PostgreSQL: it costs the database a few index look-ups, and it is always
current — a lesson saved with a new duration, a course with a new share, an enrolment made or
removed count from the next event on, whatever way the change was made. (Until 2026-12 these
facts came from the cache, with invalidation by signals; reading them here is cheaper than the
Redis round trip was, and has no window in which a removed enrolment still credits.)
"""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from courses.models import CoursePage, Lesson, LessonKind
from learners.models import Enrollment
from progress.store import Statement, placeholders

# Video, audio and documents complete when enough of their media (or reading time) is credited;
# a SCORM package or a quiz completes by its own rule (the package's status, a passed attempt)
# once its minimum study time is credited too. Every kind is credited from heartbeats.
SHARE_KINDS = frozenset({LessonKind.VIDEO, LessonKind.AUDIO, LessonKind.DOCUMENT})


@dataclass(frozen=True)
class LessonInfo:
    id: int
    course_id: int
    duration: int
    completion_share: float
    enrolled: bool
    kind: str = LessonKind.VIDEO
    required: bool = True
    minimum: float = 0.0  # credited seconds the lesson needs to complete
    attention_checks: bool = False  # the course runs attention checks (防挂机点名)
    course_completed: bool = False  # the learner's enrolment in the course is already completed

    @property
    def own_rule(self) -> bool:
        """Whether the lesson also needs its own rule met (a package's status, a passed quiz)."""
        return self.kind not in SHARE_KINDS


def lesson_minimum(kind: str, duration: int, share: float, minimum_seconds: int | None) -> float:
    """The credited seconds a lesson needs to complete: the editor's minimum when set, else its
    duration × the completion share (a quiz: nothing beyond passing it)."""
    if minimum_seconds is not None and kind not in SHARE_KINDS:
        return float(min(minimum_seconds, duration)) if duration else float(minimum_seconds)
    if kind == LessonKind.QUIZ:
        return 0.0
    return share * duration


def lesson_facts(learner_id: int, lesson_ids) -> Statement:
    """The lessons among ``lesson_ids`` that exist, with the learner's enrolment in their
    course: a statement whose result is ``{lesson id: LessonInfo}``."""
    lesson_ids = list(lesson_ids) or [None]
    return Statement(_facts_query(len(lesson_ids)), [learner_id, *lesson_ids], _infos)


@functools.cache
def _facts_query(lesson_count: int) -> str:
    """The statement's SQL, for so many lessons (built once: every heartbeat sends it). The
    enrolment column is NULL (not enrolled), 1 (enrolled) or 2 (course completed)."""
    quote = connection.ops.quote_name
    lessons, courses = quote(Lesson._meta.db_table), quote(CoursePage._meta.db_table)
    enrolments = quote(Enrollment._meta.db_table)
    return (
        f"SELECT {lessons}.id, {lessons}.course_id, {lessons}.duration, {lessons}.kind, "  # noqa: S608
        f"{lessons}.required, {lessons}.minimum_seconds, {courses}.completion_share, "
        f"{courses}.attention_check_minutes, (SELECT CASE WHEN {enrolments}.completed_at IS NULL "
        f"THEN 1 ELSE 2 END FROM {enrolments} WHERE {enrolments}.learner_id = %s AND "
        f"{enrolments}.course_id = {lessons}.course_id) "
        f"FROM {lessons} INNER JOIN {courses} ON {courses}.{quote(CoursePage._meta.pk.column)} = "
        f"{lessons}.course_id WHERE {lessons}.id IN ({placeholders(range(lesson_count))})"
    )


def _infos(rows) -> dict[int, LessonInfo]:
    default_share = float(settings.PROGRESS["DEFAULT_COMPLETION_SHARE"])
    infos = {}
    for pk, course_id, duration, kind, required, minimum, share, attention, enrolment in rows:
        share = float(share if share is not None else default_share)
        infos[pk] = LessonInfo(
            id=pk,
            course_id=course_id,
            duration=duration,
            completion_share=share,
            enrolled=enrolment is not None,
            kind=kind,
            required=bool(required),
            minimum=lesson_minimum(kind, duration, share, minimum),
            attention_checks=bool(attention),
            course_completed=enrolment == 2,
        )
    return infos
