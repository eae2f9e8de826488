"""Reads of progress, in the contract's LESSON_PROGRESS shape, shared by the API and the pushes."""

from courses.models import CoursePage, Lesson
from learners.models import Learner
from progress.models import LessonProgress


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
    lessons = list(course.lessons.order_by("sort_order", "id"))
    per_lesson = progress_for_lessons(learner, lessons)
    required = {lesson.pk for lesson in lessons if lesson.required}
    enrollment = learner.enrollments.filter(course=course).first()
    return {
        "course": course.pk,
        "credited_seconds": round(sum(item["credited_seconds"] for item in per_lesson), 3),
        "required_seconds": course.required_seconds,
        "completed_lessons": sum(1 for item in per_lesson if item["completed"]),
        "total_lessons": len(lessons),
        "required_lessons": len(required),
        "completed": bool(enrollment and enrollment.completed_at),
        "completed_at": enrollment.completed_at.isoformat()
        if enrollment and enrollment.completed_at
        else None,
        "lessons": per_lesson,
    }
