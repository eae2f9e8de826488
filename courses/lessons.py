"""A course's lessons as learners see them: numbered 1..N across the whole course, grouped into
chapters, each with its previous and next lesson, and durations written as the player writes
them. Pure functions over lessons already in course order (``sort_order``): no queries."""

from collections.abc import Sequence
from dataclasses import dataclass, field


def clock_text(seconds) -> str:
    """``m:ss``, as the player shows durations (static/js/player.js ``formatSeconds``): whole
    seconds rounded down, minutes not wrapped into hours (a 65-minute video is 65:00)."""
    minutes, secs = divmod(max(0, int(float(seconds))), 60)
    return f"{minutes}:{secs:02d}"


def iso_duration(seconds) -> str:
    """The same duration for a ``<time datetime>``: PT5M30S."""
    minutes, secs = divmod(max(0, int(float(seconds))), 60)
    return f"PT{minutes}M{secs}S"


@dataclass
class Chapter:
    title: str
    lessons: list = field(default_factory=list)


def numbered(lessons: Sequence) -> list:
    """The lessons with ``number`` set to their place in the course, from 1: numbering runs on
    across chapters."""
    lessons = list(lessons)
    for number, lesson in enumerate(lessons, start=1):
        lesson.number = number
    return lessons


def chapters(lessons: Sequence) -> list[Chapter]:
    """Adjacent lessons of the same chapter name as one chapter (an empty name is a chapter
    without a heading), the lessons numbered across the course."""
    result: list[Chapter] = []
    for lesson in numbered(lessons):
        if not result or result[-1].title != lesson.chapter:
            result.append(Chapter(title=lesson.chapter))
        result[-1].lessons.append(lesson)
    return result


def neighbours(lessons: Sequence, lesson) -> tuple:
    """The lessons before and after ``lesson`` in the course (None at either end)."""
    ids = [item.pk for item in lessons]
    try:
        at = ids.index(lesson.pk)
    except ValueError:
        return None, None
    previous = lessons[at - 1] if at > 0 else None
    following = lessons[at + 1] if at + 1 < len(lessons) else None
    return previous, following


def resume_lesson(lesson_ids: Sequence[int], completed: set, last: int) -> int:
    """Where "继续学习" leads in a course not yet finished: the lesson last studied if it is not
    complete; else the first incomplete lesson after it in course order, or before it; else (every
    lesson complete, the hours not yet covered) the lesson last studied."""
    if last not in completed or last not in lesson_ids:
        return last
    at = list(lesson_ids).index(last)
    for lesson_id in [*lesson_ids[at + 1 :], *lesson_ids[:at]]:
        if lesson_id not in completed:
            return lesson_id
    return last
