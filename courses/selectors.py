"""Reads of published course content, shared by pages and the API."""

from django.db.models import Prefetch, QuerySet

from courses.covers import with_covers
from courses.models import CoursePage, Lesson
from teachers.selectors import approved_teachers, live_materials


def published_courses() -> QuerySet[CoursePage]:
    """Live, publicly visible courses, in a stable order (for stable pagination)."""
    return CoursePage.objects.live().public().select_related("occupation").order_by("path", "id")


def published_course_with_lessons(course_id: int) -> CoursePage:
    """One published course with its lessons in order, its approved teachers and its published
    materials prefetched (as ``approved_teachers`` and ``live_materials``); raises DoesNotExist."""
    return (
        with_covers(published_courses())
        .prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.order_by("sort_order", "id")),
            Prefetch("teachers", queryset=approved_teachers().order_by("id"), to_attr="approved_teachers"),
            Prefetch("materials", queryset=live_materials().order_by("id"), to_attr="live_materials"),
        )
        .get(pk=course_id)
    )
