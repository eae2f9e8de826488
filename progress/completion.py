"""Completion of lessons and courses, shared by playback crediting and by lesson kinds that
complete by their own rule (a SCORM package's status, a passed quiz).

- A video, audio or document lesson completes when its credited time reaches the course's share
  of its duration (the crediting engine decides, ``progress.crediting``).
- A SCORM or quiz lesson completes when its own rule is met (``lesson_content_complete``) **and**
  its credited time reaches its minimum (``progress.facts.lesson_minimum``), whichever comes last.
- A course completes when all its required lessons are completed **and** the learner's credited
  time on the course reaches its required hours (contract rule 8); only then does it reach the
  archive, once.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from courses.models import CoursePage, Lesson
from learners.models import Enrollment, Learner
from progress.facts import lesson_minimum
from progress.models import LessonProgress
from progress.signals import course_completed


def course_completion_record(*, learner: Learner, course_id: int, completed_at) -> bool:
    """Mark the course completed for the learner, exactly once; return True the one time it
    happens. The conditional UPDATE is atomic, so racing callers cannot both succeed; the
    ``course_completed`` signal (which the archive listens to) is sent only by the winner, inside
    the caller's transaction. Callers check the rules first (``course_completion_check``)."""
    updated = Enrollment.objects.filter(
        learner=learner, course_id=course_id, completed_at__isnull=True
    ).update(completed_at=completed_at)
    if updated:
        course_completed.send(
            sender=Enrollment, learner=learner, course_id=course_id, completed_at=completed_at
        )
    return bool(updated)


@dataclass(frozen=True)
class CourseStanding:
    """Where a learner stands against a course's completion rule."""

    required_lessons: int
    completed_required_lessons: int
    credited_seconds: float
    required_seconds: int

    @property
    def missing_lessons(self) -> int:
        return self.required_lessons - self.completed_required_lessons

    @property
    def missing_seconds(self) -> float:
        return max(0.0, self.required_seconds - self.credited_seconds)

    @property
    def met(self) -> bool:
        # A course with no required lesson cannot be completed by study (nothing to study).
        return self.required_lessons > 0 and self.missing_lessons == 0 and self.missing_seconds <= 1e-6


def course_standing(*, learner: Learner, course_id: int) -> CourseStanding:
    """The learner's required lessons completed and credited time on the course, as saved."""
    required = set(Lesson.objects.filter(course_id=course_id, required=True).values_list("pk", flat=True))
    rows = LessonProgress.objects.filter(learner=learner, lesson__course_id=course_id).values_list(
        "lesson_id", "credited_seconds", "completed_at"
    )
    credited, done = 0.0, 0
    for lesson_id, seconds, completed_at in rows:
        credited += seconds
        if completed_at is not None and lesson_id in required:
            done += 1
    hours = CoursePage.objects.filter(pk=course_id).values_list("required_hours", flat=True).first() or 0
    return CourseStanding(
        required_lessons=len(required),
        completed_required_lessons=done,
        credited_seconds=credited,
        required_seconds=int(hours * 3600),
    )


def course_completion_check(*, learner: Learner, course_id: int, now) -> bool:
    """Record the course's completion if its rule is met (as saved): every required lesson
    completed and the credited time reaching the required hours."""
    return course_standing(learner=learner, course_id=course_id).met and course_completion_record(
        learner=learner, course_id=course_id, completed_at=now
    )


def lesson_content_complete(*, learner: Learner, lesson: Lesson, channel: str = "", now=None) -> bool:
    """A lesson's own rule is met (a SCORM package said completed/passed, a quiz was passed):
    record it, and complete the lesson if its minimum study time is credited too (otherwise the
    crediting engine completes it when the heartbeats reach the minimum); then the course, if
    its rule is met. Idempotent; returns True when the lesson is completed by this call.

    Takes the learner's row lock, like the crediting engine, so the two never race."""
    now = now or timezone.now()
    with transaction.atomic():
        Learner.objects.select_for_update().filter(pk=learner.pk).values_list("pk", flat=True).get()
        progress, _ = LessonProgress.objects.get_or_create(learner=learner, lesson=lesson)
        if progress.completed_at is not None:
            return False
        fields = []
        if progress.content_completed_at is None:
            progress.content_completed_at = now
            fields.append("content_completed_at")
        if channel:
            progress.last_channel = channel
            fields.append("last_channel")
        course = CoursePage.objects.only("completion_share").get(pk=lesson.course_id)
        minimum = lesson_minimum(
            lesson.kind, lesson.duration, course.completion_fraction(), lesson.minimum_seconds
        )
        completed = progress.credited_seconds >= minimum - 1e-6
        if completed:
            progress.completed_at = now
            fields.append("completed_at")
        if fields:
            progress.save(update_fields=[*fields, "updated_at"])
        if completed:
            course_completion_check(learner=learner, course_id=lesson.course_id, now=now)
    return completed
