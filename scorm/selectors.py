"""Reads: SCORM lessons with their package, enrolment, a learner's saved state."""

from courses.models import Lesson, LessonKind
from learners.models import Learner
from scorm.models import ScormAttempt, ScormPackage


def scorm_lesson(lesson_id: int) -> Lesson | None:
    """The SCORM lesson with its imported package (one query), or None: unknown lesson, not
    of kind "scorm", or no package imported yet."""
    lesson = (
        Lesson.objects.filter(pk=lesson_id, kind=LessonKind.SCORM, scorm_package__isnull=False)
        .select_related("scorm_package")
        .first()
    )
    return lesson


def learner_is_enrolled(learner: Learner | None, lesson: Lesson) -> bool:
    return learner is not None and learner.enrollments.filter(course_id=lesson.course_id).exists()


def enrolled_learner(learner_id: int, lesson: Lesson) -> Learner | None:
    """The learner (with their user) if their account is active and they are enrolled in the
    lesson's course, else None (one query). Package files and commits, reached through a signed
    link rather than a session, check this at every request: an enrolment removed or an account
    deactivated ends access before the link expires."""
    return (
        Learner.objects.select_related("user")
        .filter(pk=learner_id, user__is_active=True, enrollments__course_id=lesson.course_id)
        .first()
    )


def learner_attempt(learner: Learner, lesson: Lesson) -> ScormAttempt | None:
    return ScormAttempt.objects.filter(learner=learner, lesson=lesson).first()


def attempt_data(lesson: Lesson, package: ScormPackage, attempt: ScormAttempt | None) -> dict:
    """The learner's saved state as the API returns it (empty values before the first commit)."""
    if attempt is None:
        return {
            "lesson": lesson.pk,
            "version": package.version,
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
    scores = {
        "raw": attempt.score_raw,
        "min": attempt.score_min,
        "max": attempt.score_max,
        "scaled": attempt.score_scaled,
    }
    suspend_data = attempt.cmi.get("suspend_data") if isinstance(attempt.cmi, dict) else ""
    return {
        "lesson": lesson.pk,
        "version": attempt.version or package.version,
        "cmi": attempt.cmi,
        "lesson_status": attempt.lesson_status,
        "completion_status": attempt.completion_status,
        "success_status": attempt.success_status,
        "score": scores if any(value is not None for value in scores.values()) else None,
        "suspend_data": suspend_data or "",
        "completed": attempt.completed_at is not None,
        "completed_at": attempt.completed_at,
        "last_channel": attempt.last_channel,
        "updated_at": attempt.updated_at,
    }
