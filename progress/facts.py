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

# Video, audio and documents are credited by playback (reading time); a quiz or a SCORM
# package completes by its own rule, so playback events never credit or complete them.
PLAYBACK_KINDS = frozenset({LessonKind.VIDEO, LessonKind.AUDIO, LessonKind.DOCUMENT})


@dataclass(frozen=True)
class LessonInfo:
    id: int
    course_id: int
    duration: int
    completion_share: float
    enrolled: bool
    playable: bool = True


def lesson_facts(learner_id: int, lesson_ids) -> Statement:
    """The lessons among ``lesson_ids`` that exist, with the learner's enrolment in their
    course: a statement whose result is ``{lesson id: LessonInfo}``."""
    lesson_ids = list(lesson_ids) or [None]
    return Statement(_facts_query(len(lesson_ids)), [learner_id, *lesson_ids], _infos)


@functools.cache
def _facts_query(lesson_count: int) -> str:
    """The statement's SQL, for so many lessons (built once: every heartbeat sends it)."""
    quote = connection.ops.quote_name
    lessons, courses = quote(Lesson._meta.db_table), quote(CoursePage._meta.db_table)
    enrolments = quote(Enrollment._meta.db_table)
    return (
        f"SELECT {lessons}.id, {lessons}.course_id, {lessons}.duration, {lessons}.kind, "  # noqa: S608
        f"{courses}.completion_share, EXISTS (SELECT 1 FROM {enrolments} WHERE "
        f"{enrolments}.learner_id = %s AND {enrolments}.course_id = {lessons}.course_id) "
        f"FROM {lessons} INNER JOIN {courses} ON {courses}.{quote(CoursePage._meta.pk.column)} = "
        f"{lessons}.course_id WHERE {lessons}.id IN ({placeholders(range(lesson_count))})"
    )


def _infos(rows) -> dict[int, LessonInfo]:
    default_share = float(settings.PROGRESS["DEFAULT_COMPLETION_SHARE"])
    return {
        pk: LessonInfo(
            id=pk,
            course_id=course_id,
            duration=duration,
            completion_share=float(share if share is not None else default_share),
            enrolled=bool(enrolled),
            playable=kind in PLAYBACK_KINDS,
        )
        for pk, course_id, duration, kind, share, enrolled in rows
    }
