"""Reads for the learner's own pages."""

from collections import defaultdict

from learners.models import Enrollment, Learner


def learning_overview(learner: Learner, request) -> dict:
    """ "我的学习": the learner's courses with their progress, where they last studied, and their
    classes' assignments — in a fixed number of queries, whatever the number of enrolments."""
    from courses.models import Lesson
    from institutions import selectors as institution_selectors
    from progress.completion import CourseStanding
    from progress.models import LessonProgress
    from progress.selectors import progress_percent

    enrollments = list(
        Enrollment.objects.filter(learner=learner).select_related("course").order_by("-enrolled_at", "-id")
    )
    course_ids = [e.course_id for e in enrollments]
    lessons: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for lesson_id, course_id, required in Lesson.objects.filter(course_id__in=course_ids).values_list(
        "id", "course_id", "required"
    ):
        lessons[course_id].append((lesson_id, required))
    records = list(
        LessonProgress.objects.filter(learner=learner, lesson__course_id__in=course_ids).values_list(
            "lesson_id",
            "lesson__course_id",
            "credited_seconds",
            "completed_at",
            "updated_at",
            "lesson__title",
        )
    )
    credited: dict[int, float] = defaultdict(float)
    done: dict[int, set] = defaultdict(set)
    for lesson_id, course_id, seconds, completed_at, _updated, _title in records:
        credited[course_id] += seconds
        if completed_at is not None:
            done[course_id].add(lesson_id)
    courses = []
    for enrollment in enrollments:
        course = enrollment.course
        required = course.required_seconds
        seconds = credited[course.pk]
        required_lessons = {pk for pk, is_required in lessons[course.pk] if is_required}
        standing = CourseStanding(
            required_lessons=len(required_lessons),
            completed_required_lessons=len(required_lessons & done[course.pk]),
            credited_seconds=seconds,
            required_seconds=required,
        )
        completed = enrollment.completed_at is not None
        courses.append(
            {
                "course": course,
                "url": course.get_url(request=request),
                # The same numbers as GET /api/v1/progress/courses/{id}/ (progress.selectors).
                "credited_seconds": seconds,
                "required_seconds": required,
                "missing_seconds": standing.missing_seconds,
                "missing_lessons": standing.missing_lessons,
                "percent": progress_percent(seconds, required, completed),
                "completed_lessons": len(done[course.pk]),
                "total_lessons": len(lessons[course.pk]),
                "completed": completed,
            }
        )
    resume = None
    latest = max(records, key=lambda row: row[4], default=None)
    if latest is not None:
        by_course = {e.course_id: e.course for e in enrollments}
        course = by_course[latest[1]]
        resume = {
            "title": latest[5],
            "course": course.title,
            "url": course.get_url(request=request) + course.reverse_subpage("lesson", args=[latest[0]]),
        }
    assignments = list(institution_selectors.learner_assignments(learner))
    progress = institution_selectors.assignments_progress(learner, assignments)
    rows = [{"assignment": a, **progress[a.pk]} for a in assignments]
    return {"courses": courses, "resume": resume, "assignments": rows}
