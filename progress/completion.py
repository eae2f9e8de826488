"""Completion of lessons and courses, shared by playback crediting and by lesson kinds that
complete by their own rule (a SCORM package's status, a passed quiz)."""

from django.db import transaction
from django.utils import timezone

from courses.models import Lesson
from learners.models import Enrollment, Learner
from progress.models import LessonProgress
from progress.signals import course_completed


def course_completion_record(*, learner: Learner, course_id: int, completed_at) -> bool:
    """Mark the course completed for the learner, exactly once; return True the one time it
    happens. The conditional UPDATE is atomic, so racing callers cannot both succeed; the
    ``course_completed`` signal (which the archive listens to) is sent only by the winner, inside
    the caller's transaction."""
    updated = Enrollment.objects.filter(
        learner=learner, course_id=course_id, completed_at__isnull=True
    ).update(completed_at=completed_at)
    if updated:
        course_completed.send(
            sender=Enrollment, learner=learner, course_id=course_id, completed_at=completed_at
        )
    return bool(updated)


def course_completion_check(*, learner: Learner, course_id: int, now) -> bool:
    """Record the course's completion if every required lesson is completed (as saved)."""
    required = set(Lesson.objects.filter(course_id=course_id, required=True).values_list("pk", flat=True))
    done = set(
        LessonProgress.objects.filter(
            learner=learner, lesson_id__in=required, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )
    return (
        bool(required)
        and required <= done
        and course_completion_record(learner=learner, course_id=course_id, completed_at=now)
    )


def lesson_completion_record(*, learner: Learner, lesson: Lesson, channel: str = "", now=None) -> bool:
    """Mark a lesson completed by its own rule (e.g. SCORM ``completed``/``passed``, a passed
    quiz); then the course, if that was its last required lesson. Idempotent: True only the first
    time. Takes the learner's row lock, like the crediting engine, so the two never race."""
    now = now or timezone.now()
    with transaction.atomic():
        Learner.objects.select_for_update().filter(pk=learner.pk).values_list("pk", flat=True).get()
        progress, _ = LessonProgress.objects.get_or_create(learner=learner, lesson=lesson)
        if progress.completed_at is not None:
            return False
        progress.completed_at = now
        if channel:
            progress.last_channel = channel
        progress.save(update_fields=["completed_at", "last_channel", "updated_at"])
        course_completion_check(learner=learner, course_id=lesson.course_id, now=now)
    return True
