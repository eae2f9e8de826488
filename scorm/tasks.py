"""Background work: importing a lesson's SCORM package (unpacking can take a while)."""

import logging

from django.core.exceptions import ValidationError

from common.background import background_task
from courses.models import Lesson, LessonKind
from scorm.services import package_import

logger = logging.getLogger(__name__)


@background_task()
def package_import_task(lesson_id: int) -> str:
    """Import the lesson's package if it is still a SCORM lesson with a zip; return the outcome.

    Idempotent: ``package_import`` keys the unpacked files by the zip's content hash, so a second
    run of the same zip finds them and changes nothing; a run cut short leaves files that the
    next run overwrites before the lesson points at them. A storage failure (``OSError``) raises,
    so the attempt is retried and, at the last, shows on /ops/tasks/."""
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
        raise
    return package.storage_prefix
