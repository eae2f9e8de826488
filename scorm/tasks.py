"""Background work: importing a lesson's SCORM package (unpacking can take a while)."""

import logging

from django.core.exceptions import ValidationError
from django_tasks import task

from courses.models import Lesson, LessonKind
from scorm.services import package_import

logger = logging.getLogger(__name__)


@task()
def package_import_task(lesson_id: int) -> str:
    """Import the lesson's package if it is still a SCORM lesson with a zip; return the outcome."""
    lesson = Lesson.objects.filter(pk=lesson_id, kind=LessonKind.SCORM).exclude(media="").first()
    if lesson is None:
        return "skipped"
    try:
        package = package_import(lesson=lesson)
    except ValidationError as error:
        # Lesson.clean() refuses bad uploads, so this is a zip replaced behind the editor's back.
        logger.warning("SCORM package of lesson %s not imported: %s", lesson_id, "; ".join(error.messages))
        return "refused"
    except OSError:
        logger.exception("SCORM package of lesson %s could not be read or written", lesson_id)
        return "failed"
    return package.storage_prefix
