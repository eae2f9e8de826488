"""Demo SCORM lessons: Rustici Software's "Golf Explained" samples (CC BY 3.0 US, see the
SOURCE.txt next to each zip in demo_packages/), one SCORM 1.2 and one SCORM 2004."""

from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage

from courses.models import CoursePage, Lesson, LessonKind
from scorm.models import ScormPackage
from scorm.services import package_import

PACKAGES_DIR = Path(__file__).resolve().parent / "demo_packages"


@dataclass(frozen=True)
class DemoPackage:
    title: str
    zip_name: str


DEMO_PACKAGES = (
    DemoPackage(
        "SCORM 1.2 示例课件：高尔夫运动入门（Golf Explained）", "golf_runtime_basic_calls_scorm12.zip"
    ),
    DemoPackage(
        "SCORM 2004 示例课件：高尔夫运动入门（Golf Explained）", "golf_runtime_basic_calls_scorm2004_3rd.zip"
    ),
)


def _stored_zip(zip_name: str) -> str:
    name = f"lessons/demo/scorm/{zip_name}"
    if not default_storage.exists(name):
        with (PACKAGES_DIR / zip_name).open("rb") as handle:
            name = default_storage.save(name, File(handle, name=zip_name))
    return name


def seed_scorm(course: CoursePage) -> list[ScormPackage]:
    """Add the two demo SCORM lessons to a published course (once), publish, import them.

    The lessons are optional (``required=False``), so they do not change when the course counts
    as completed. Running it again adds nothing and imports nothing new.
    """
    page = CoursePage.objects.get(pk=course.pk)  # the live version, not a pending draft
    existing = set(page.lessons.filter(kind=LessonKind.SCORM).values_list("title", flat=True))
    missing = [spec for spec in DEMO_PACKAGES if spec.title not in existing]
    if missing:
        position = max((lesson.sort_order or 0 for lesson in page.lessons.all()), default=-1) + 1
        for offset, spec in enumerate(missing):
            page.lessons.add(
                Lesson(
                    title=spec.title,
                    kind=LessonKind.SCORM,
                    media=_stored_zip(spec.zip_name),
                    duration=0,
                    required=False,
                    sort_order=position + offset,
                )
            )
        page.save_revision().publish()
    titles = [spec.title for spec in DEMO_PACKAGES]
    lessons = Lesson.objects.filter(course=page, kind=LessonKind.SCORM, title__in=titles).order_by(
        "sort_order"
    )
    # The publish signal queues the imports; importing here too makes the seed's outcome certain
    # whatever the task backend (a re-import of the same zip is a no-op).
    return [package_import(lesson=lesson) for lesson in lessons]
