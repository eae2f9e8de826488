"""Import the SCORM packages of a course when it is published (handlers only hand off)."""

from common.background import enqueue
from scorm.tasks import package_import_task


def course_published(sender, instance, **kwargs):
    """On ``page_published`` for a CoursePage: queue an import of each SCORM lesson's zip once the
    publication is committed (re-importing an unchanged zip is a no-op)."""
    lesson_ids = list(instance.lessons.filter(kind="scorm").exclude(media="").values_list("pk", flat=True))
    for lesson_id in lesson_ids:
        enqueue(package_import_task, lesson_id)
