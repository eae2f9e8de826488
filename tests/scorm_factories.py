"""SCORM test data: zips built in memory (a minimal package we author, and broken ones), the
real Golf samples in tests/data/scorm/, and SCORM lessons in a published course."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from courses.models import CoursePage, Lesson, LessonKind
from scorm.services import package_import
from tests.factories import enroll, make_course

DATA = Path(__file__).resolve().parent / "data" / "scorm"
GOLF_12 = DATA / "golf_runtime_basic_calls_scorm12.zip"
GOLF_2004 = DATA / "golf_runtime_basic_calls_scorm2004_3rd.zip"

MANIFEST_12 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="zibo.test.minimal12" version="1"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>安全生产小课件</title>
      <item identifier="item1" identifierref="res1"><title>第一节</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res1" type="webcontent" adlcp:scormtype="sco" href="{href}">
      <file href="index.html"/>
    </resource>
  </resources>
</manifest>
"""

# A SCO that finds the API the standard way, completes itself and finishes at once.
INDEX_HTML = """<!DOCTYPE html>
<html lang="zh-hans"><head><meta charset="utf-8"><title>安全生产小课件</title>
<script>
function findAPI(win) {
  var tries = 0;
  while (!win.API && win.parent && win.parent !== win && tries++ < 7) { win = win.parent; }
  return win.API || null;
}
window.onload = function () {
  var out = document.getElementById("out");
  var api = findAPI(window);
  if (!api) { out.textContent = "no API"; return; }
  api.LMSInitialize("");
  api.LMSSetValue("cmi.core.lesson_status", "completed");
  var committed = api.LMSCommit("");
  api.LMSFinish("");
  out.textContent = "done " + committed;
};
</script></head>
<body><p id="out">loading</p></body></html>
"""


def make_zip(files: dict[str, str | bytes], *, symlinks: dict[str, str] | None = None) -> bytes:
    """A zip holding ``files`` (name → content) and ``symlinks`` (name → target)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=zipfile.ZIP_DEFLATED)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = 0o120777 << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def minimal_package(**extra_files) -> bytes:
    """The minimal SCORM 1.2 package: a manifest and an index.html that completes itself."""
    return make_zip(
        {"imsmanifest.xml": MANIFEST_12.format(href="index.html"), "index.html": INDEX_HTML, **extra_files}
    )


def scorm_course(
    zip_bytes: bytes, *, name: str = "package.zip", lessons: int = 2
) -> tuple[CoursePage, Lesson]:
    """A published course whose first lesson is a SCORM lesson holding ``zip_bytes`` (stored)."""
    course = make_course(lessons=lessons, title="安全生产（SCORM）")
    lesson = course.lessons.order_by("sort_order").first()
    lesson.kind = LessonKind.SCORM
    lesson.duration = 0
    lesson.media.save(name, ContentFile(zip_bytes), save=False)
    lesson.save()
    return course, lesson


# A SCORM 1.2 commit that completes the lesson.
CMI_COMPLETED = {
    "core": {
        "lesson_status": "completed",
        "lesson_location": "page-3",
        "score": {"raw": "85", "min": "0", "max": "100"},
        "exit": "suspend",
    },
    "suspend_data": "viewed=1,2,3",
}


# Fixtures shared by the SCORM test modules (each imports them by name).


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Every test writes to its own media folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def imported(learner, settings):
    """An imported SCORM 1.2 lesson in a course the learner is enrolled in; package files served
    from this site, in an opaque sandbox (no SCORM_CONTENT_ORIGIN)."""
    settings.SCORM_CONTENT_ORIGIN = ""
    course, lesson = scorm_course(minimal_package(**{"js/app.js": "var x = 1;", "img/a.png": b"\x89PNG"}))
    package_import(lesson=lesson)
    enroll(learner, course)
    lesson.refresh_from_db()
    return lesson
