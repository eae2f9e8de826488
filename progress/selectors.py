"""Reads of progress, in the contract's LESSON_PROGRESS shape, shared by the API and the pushes."""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet

from courses.models import CoursePage, Lesson
from learners.models import Learner
from progress import store
from progress.completion import CourseStanding
from progress.facts import lesson_minimum
from progress.models import LessonProgress, ProgressEvent


def lesson_progress_data(
    lesson: Lesson | None, progress: LessonProgress | None, *, duration: int | None = None
) -> dict:
    """LESSON_PROGRESS for a lesson (``progress`` may be None: nothing recorded yet)."""
    if progress is None:
        return {
            "lesson": lesson.pk,
            "duration": lesson.duration,
            "position": 0.0,
            "credited_seconds": 0.0,
            "completed": False,
            "completed_at": None,
            "last_channel": None,
            "updated_at": None,
        }
    return {
        "lesson": progress.lesson_id,
        "duration": duration if duration is not None else lesson.duration,
        "position": progress.position,
        "credited_seconds": round(float(progress.credited_seconds), 3),
        "completed": progress.completed_at is not None,
        "completed_at": progress.completed_at.isoformat() if progress.completed_at else None,
        "last_channel": progress.last_channel or None,
        "updated_at": progress.updated_at.isoformat() if progress.updated_at else None,
    }


def learner_lesson_progress(learner: Learner, lesson: Lesson) -> LessonProgress | None:
    return LessonProgress.objects.filter(learner=learner, lesson=lesson).first()


def progress_for_lessons(learner: Learner, lessons: list[Lesson]) -> list[dict]:
    records = {p.lesson_id: p for p in LessonProgress.objects.filter(learner=learner, lesson__in=lessons)}
    return [lesson_progress_data(lesson, records.get(lesson.pk)) for lesson in lessons]


def course_progress_data(learner: Learner, course: CoursePage) -> dict:
    """The course's progress with what is still missing: completion needs every required lesson
    and the credited time to reach the required hours (``progress.completion``)."""
    lessons = list(course.lessons.order_by("sort_order", "id"))
    per_lesson = progress_for_lessons(learner, lessons)
    required = {lesson.pk for lesson in lessons if lesson.required}
    enrollment = learner.enrollments.filter(course=course).first()
    standing = CourseStanding(
        required_lessons=len(required),
        completed_required_lessons=sum(
            1 for item in per_lesson if item["completed"] and item["lesson"] in required
        ),
        credited_seconds=sum(item["credited_seconds"] for item in per_lesson),
        required_seconds=course.required_seconds,
    )
    return {
        "course": course.pk,
        "credited_seconds": round(standing.credited_seconds, 3),
        "required_seconds": course.required_seconds,
        "completed_lessons": sum(1 for item in per_lesson if item["completed"]),
        "total_lessons": len(lessons),
        "required_lessons": len(required),
        "missing_seconds": round(standing.missing_seconds, 3),
        "missing_lessons": standing.missing_lessons,
        "completed": bool(enrollment and enrollment.completed_at),
        "completed_at": enrollment.completed_at.isoformat()
        if enrollment and enrollment.completed_at
        else None,
        "lessons": per_lesson,
    }


def study_clock_start(progress: LessonProgress | None) -> float:
    """Where a study clock (document, SCORM, quiz) starts: at the end of the time already
    credited from the beginning, so the clock's seconds are new study time (rule 3 credits a
    second once) and a position moved by an uncredited backlog cannot skip the rest."""
    if progress is None or not progress.intervals:
        return 0.0
    start, end = progress.intervals[0]
    return float(end) if start <= 0.5 else 0.0


def study_clock_context(learner: Learner, lesson: Lesson) -> dict:
    """What ``templates/progress/study_clock.html`` shows and the player needs."""
    record = learner_lesson_progress(learner, lesson)
    credited = float(record.credited_seconds) if record else 0.0
    minimum = lesson_minimum(
        lesson.kind, lesson.duration, lesson.course.completion_fraction(), lesson.minimum_seconds
    )
    return {
        "start": study_clock_start(record),
        "heartbeat_seconds": settings.PLAYER_HEARTBEAT_SECONDS,
        "credited_display": f"{clock_text(credited)} / {clock_text(lesson.duration)}",
        "minimum": minimum,
        "waiting_for_time": bool(record and record.content_completed_at and not record.completed_at),
    }


def clock_text(seconds: float) -> str:
    """``m:ss``, as the player shows durations."""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def progress_percent(credited_seconds: float, required_seconds: float, completed: bool) -> int:
    """A course's progress bar: credited against required time, rounded down, so the bar is full
    only for a completed course."""
    if completed:
        return 100
    if not required_seconds:
        return 0
    return min(99, int(100 * credited_seconds / required_seconds))


def learner_keys(user, learner_pk: int | None = None) -> Learner | None:
    """The user's learner with only its keys loaded; its other fields load if something reads
    them, as with ``.only()``. The events endpoint needs no more, and reading the whole row (its
    encrypted ID number and phone) on every heartbeat was a tenth of the request's time. Token
    authentication has read the id already (``learner_pk``); a session costs one query. None
    for a user who is not a learner."""
    learner_id = learner_pk or store.learner_id_for_user(user.pk)
    if learner_id is None:
        return None
    learner = Learner.from_db(DEFAULT_DB_ALIAS, ["id", "user_id"], [learner_id, user.pk])
    Learner.user.field.set_cached_value(learner, user)
    return learner


def event_log(*, learner_id: int | None = None, lesson_id: int | None = None) -> QuerySet[ProgressEvent]:
    """Every progress event received, accepted or rejected, with its evidence, newest first;
    one learner's or one lesson's only, if given."""
    events = ProgressEvent.objects.order_by("-received_at", "-id")
    if learner_id is not None:
        events = events.filter(learner_id=learner_id)
    if lesson_id is not None:
        events = events.filter(lesson_ref=lesson_id)
    return events
