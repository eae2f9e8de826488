"""What the crediting engine needs to know about lessons and enrolments, read through the cache.

Every heartbeat names a lesson, and the engine needs that lesson's course, duration, kind and
completion share, and whether the learner is enrolled in the course. These change rarely, so
they are kept in Django's cache (Redis in production, shared by every worker) and read with one
``get_many`` instead of a query that joins the lesson, its Wagtail course page and the
enrolments on every request.

Correctness does not rest on the cache:
- lesson facts are dropped when a lesson or a course page is saved or deleted, and expire
  after ``PROGRESS["FACTS_CACHE_SECONDS"]`` anyway (a change made with ``QuerySet.update``
  sends no signal);
- only "is enrolled" is cached, never "is not": a new enrolment counts at once, however it
  was made (``bulk_create`` sends no signal); a deleted enrolment drops its keys, at once and
  again when the deletion commits (a request reading the old row in between would put it back).
- if the cache is down, the facts are read from the database: progress never depends on Redis.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from courses.models import CoursePage, Lesson, LessonKind
from learners.models import Enrollment

# Video, audio and documents are credited by playback (reading time); a quiz or a SCORM
# package completes by its own rule, so playback events never credit or complete them.
PLAYBACK_KINDS = frozenset({LessonKind.VIDEO, LessonKind.AUDIO, LessonKind.DOCUMENT})

logger = logging.getLogger(__name__)


def _cache_get_many(keys: list[str]) -> dict:
    """The cache is a shortcut, never a dependency: if Redis is down, read the database."""
    try:
        return cache.get_many(keys)
    except Exception:
        logger.warning("cache unavailable: reading lesson facts from the database", exc_info=True)
        return {}


def _cache_set_many(values: dict, timeout: int) -> None:
    try:
        cache.set_many(values, timeout)
    except Exception:
        logger.warning("cache unavailable: lesson facts not cached", exc_info=True)


def _forget(keys: list[str]) -> None:
    """Drop keys now and again once the change commits: a request that reads the old row before
    the commit would otherwise put the old value back."""
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


@dataclass(frozen=True)
class LessonInfo:
    id: int
    course_id: int
    duration: int
    completion_share: float
    enrolled: bool
    playable: bool = True


def _lesson_key(lesson_id: int) -> str:
    return f"progress:lesson:{lesson_id}"


def _enrolled_key(learner_id: int, lesson_id: int) -> str:
    # By lesson, not by course: then one get_many reads a batch's lessons and enrolments at
    # once (a lesson's course is not known before its facts are read).
    return f"progress:enrolled:{learner_id}:{lesson_id}"


def lesson_infos(learner_id: int, lesson_ids) -> dict[int, LessonInfo]:
    """The lessons among ``lesson_ids`` that exist, with the learner's enrolment in their course.
    On a warm cache: one cache read, no query."""
    lesson_ids = set(lesson_ids)
    timeout = settings.PROGRESS["FACTS_CACHE_SECONDS"]
    cached = _cache_get_many(
        [_lesson_key(pk) for pk in lesson_ids] + [_enrolled_key(learner_id, pk) for pk in lesson_ids]
    )
    facts = {pk: cached[_lesson_key(pk)] for pk in lesson_ids if _lesson_key(pk) in cached}
    missing = lesson_ids - facts.keys()
    if missing:
        default_share = float(settings.PROGRESS["DEFAULT_COMPLETION_SHARE"])
        fresh = {
            row[0]: (row[1], row[2], row[3] in PLAYBACK_KINDS, float(row[4] or default_share))
            for row in Lesson.objects.filter(pk__in=missing).values_list(
                "id", "course_id", "duration", "kind", "course__completion_share"
            )
        }
        _cache_set_many({_lesson_key(pk): value for pk, value in fresh.items()}, timeout)
        facts.update(fresh)
    enrolled = {pk for pk in facts if _enrolled_key(learner_id, pk) in cached}
    unknown = facts.keys() - enrolled
    if unknown:
        courses = set(
            Enrollment.objects.filter(
                learner_id=learner_id, course_id__in={facts[pk][0] for pk in unknown}
            ).values_list("course_id", flat=True)
        )
        found = {pk for pk in unknown if facts[pk][0] in courses}
        _cache_set_many({_enrolled_key(learner_id, pk): True for pk in found}, timeout)
        enrolled |= found
    return {
        pk: LessonInfo(
            id=pk,
            course_id=course_id,
            duration=duration,
            completion_share=share,
            enrolled=pk in enrolled,
            playable=playable,
        )
        for pk, (course_id, duration, playable, share) in facts.items()
    }


@receiver([post_save, post_delete], sender=Lesson)
def _lesson_changed(sender, instance, **kwargs):
    _forget([_lesson_key(instance.pk)])


@receiver([post_save, post_delete], sender=CoursePage)
def _course_changed(sender, instance, **kwargs):
    # The completion share lives on the course; forget the facts of all its lessons.
    lesson_ids = Lesson.objects.filter(course_id=instance.pk).values_list("pk", flat=True)
    _forget([_lesson_key(pk) for pk in lesson_ids])


@receiver(post_delete, sender=Enrollment)
def _enrolment_deleted(sender, instance, **kwargs):
    lesson_ids = Lesson.objects.filter(course_id=instance.course_id).values_list("pk", flat=True)
    _forget([_enrolled_key(instance.learner_id, pk) for pk in lesson_ids])
