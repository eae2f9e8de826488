"""Demo SCORM lessons: two small elderly-care packages of our own (public domain, CC0), one
SCORM 1.2 and one SCORM 2004 4th Edition, built from their sources in demo_packages/src/.

The zips are built when the demo is seeded (``package_zip``), not kept in the repository: the
sources are the only copy, so a zip can never drift from them, and the build is reproducible
(fixed order, dates and permissions), so the same sources always give the same SHA-256 and
seeding again imports nothing new. ``write_packages(folder)`` writes them out, e.g. to try them
in another LMS (see demo_packages/README.md).
"""

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from courses.models import CoursePage, Lesson, LessonKind
from progress.models import CreditedSpan, LessonProgress, PlaybackSession
from scorm.models import ScormAttempt, ScormPackage
from scorm.services import package_import, storage_tree_delete

PACKAGES_DIR = Path(__file__).resolve().parent / "demo_packages"
SOURCES_DIR = PACKAGES_DIR / "src"
COMMON = "common"  # files every package carries at its root (sco.js, style.css)
ZIP_DATE = (2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class DemoPackage:
    title: str  # the lesson's title
    source: str  # folder in demo_packages/src/
    duration: int  # seconds of expected study: SCORM study time is credited up to this
    chapter: str = "第四章 拓展学习（选学）"


DEMO_PACKAGES = (
    DemoPackage("第5课 老年人跌倒预防与应对（互动课件）", "fall-prevention-scorm12", 300),
    DemoPackage("第6课 协助老年人进食与饮水（互动课件）", "feeding-scorm2004", 300),
)
# Lessons an earlier demo seeded (Rustici's English "Golf Explained" samples): seeding again
# removes them, their stored zip and unpacked files, unless someone has studied them (then the
# learner's record is kept and so are they).
RETIRED_TITLES = (
    "SCORM 1.2 示例课件：高尔夫运动入门（Golf Explained）",
    "SCORM 2004 示例课件：高尔夫运动入门（Golf Explained）",
)


def package_files(source: str) -> dict[str, bytes]:
    """The files of a demo package (name in the zip → content): the shared files, then its own."""
    files: dict[str, bytes] = {}
    for folder in (SOURCES_DIR / COMMON, SOURCES_DIR / source):
        if not folder.is_dir():
            raise FileNotFoundError(folder)
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def package_zip(source: str) -> bytes:
    """The demo package ``source`` as a zip, byte for byte the same for the same sources."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in sorted(package_files(source).items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            archive.writestr(info, content, compresslevel=9)
    return buffer.getvalue()


def write_packages(folder) -> list[Path]:
    """Write every demo package's zip to ``folder``; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in DEMO_PACKAGES:
        path = folder / f"{spec.source}.zip"
        path.write_bytes(package_zip(spec.source))
        written.append(path)
    return written


def _stored_zip(source: str) -> str:
    """Store the package's zip in the media storage once per content; return its name."""
    data = package_zip(source)
    name = f"lessons/demo/scorm/{source}-{hashlib.sha256(data).hexdigest()[:12]}.zip"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(data, name=name.rsplit("/", 1)[-1]))
    return name


def _studied(lesson: Lesson) -> bool:
    return any(
        model.objects.filter(lesson=lesson).exists()
        for model in (LessonProgress, ScormAttempt, PlaybackSession, CreditedSpan)
    )


def _retire(page: CoursePage) -> tuple[int, list[str], list[str]]:
    """Take the retired demo lessons nobody has studied off the page (publishing it deletes
    them); return how many, their unpacked packages' storage folders and their stored zips."""
    removed, folders, files = 0, [], []
    for lesson in list(page.lessons.filter(kind=LessonKind.SCORM, title__in=RETIRED_TITLES)):
        if _studied(lesson):
            continue
        package = ScormPackage.objects.filter(lesson=lesson).first()
        if package is not None:
            folders.append(package.storage_prefix)
        name = lesson.media.name if lesson.media else ""
        shared = Lesson.objects.filter(media=name).exclude(pk=lesson.pk).exists()
        if name.startswith("lessons/demo/scorm/") and not shared:
            files.append(name)
        page.lessons.remove(lesson)
        removed += 1
    return removed, folders, files


def seed_scorm(course: CoursePage) -> list[ScormPackage]:
    """Add the two demo SCORM lessons to a published course (once), publish, import them.

    The lessons are optional (``required=False``), so they do not change when the course counts
    as completed, and each declares 300 s of study. Lessons are matched by title: running it
    again adds and imports nothing new. The Golf lessons of an earlier demo are removed (see
    ``RETIRED_TITLES``).
    """
    page = CoursePage.objects.get(pk=course.pk)  # the live version, not a pending draft
    removed, retired_folders, retired_files = _retire(page)
    existing = set(page.lessons.filter(kind=LessonKind.SCORM).values_list("title", flat=True))
    missing = [spec for spec in DEMO_PACKAGES if spec.title not in existing]
    position = max((lesson.sort_order or 0 for lesson in page.lessons.all()), default=-1) + 1
    for offset, spec in enumerate(missing):
        page.lessons.add(
            Lesson(
                title=spec.title,
                chapter=spec.chapter,
                kind=LessonKind.SCORM,
                media=_stored_zip(spec.source),
                duration=spec.duration,
                required=False,
                sort_order=position + offset,
            )
        )
    if missing or removed:
        page.save_revision().publish()
    for folder in retired_folders:
        transaction.on_commit(lambda folder=folder: storage_tree_delete(folder))
    for name in retired_files:
        transaction.on_commit(lambda name=name: default_storage.delete(name))
    titles = [spec.title for spec in DEMO_PACKAGES]
    lessons = Lesson.objects.filter(course=page, kind=LessonKind.SCORM, title__in=titles).order_by(
        "sort_order"
    )
    # The publish signal queues the imports; importing here too makes the seed's outcome certain
    # whatever the task backend (a re-import of the same zip is a no-op).
    return [package_import(lesson=lesson) for lesson in lessons]
