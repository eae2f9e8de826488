# ruff: noqa: F811  (the fixtures media and imported come from tests.scorm_factories)
"""SCORM packages: validation of an upload, import to storage, and the demo packages (split from
test_scorm.py; the player is in test_scorm_player.py, the runtime data API in
test_scorm_runtime.py)."""

import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import override

from courses.models import CoursePage, Lesson, LessonKind
from scorm.models import ScormAttempt, ScormPackage
from scorm.package import validate_package
from scorm.services import package_import
from tests.factories import LearnerFactory, make_course
from tests.scorm_factories import (  # noqa: F401  (media, imported: fixtures)
    GOLF_12,
    GOLF_2004,
    MANIFEST_12,
    imported,
    make_zip,
    media,
    minimal_package,
    scorm_course,
)

pytestmark = pytest.mark.django_db


def validated(data: bytes):
    return validate_package(io.BytesIO(data))


CHINESE = re.compile(r"[\u4e00-\u9fff]")


def refusal(data: bytes, language: str = "en") -> str:
    """Why the package is refused, in ``language`` (the request's: one language at a time)."""
    with override(language), pytest.raises(ValidationError) as caught:
        validated(data)
    return " ".join(caught.value.messages)


# --- validation -------------------------------------------------------------------------------


def test_it_accepts_the_real_golf_scorm_12_package():
    info = validate_package(GOLF_12.open("rb"))
    assert info.version == "1.2"
    assert info.title == "Golf Explained - Run-time Basic Calls"
    assert info.launch == "shared/launchpage.html"
    assert info.file_count == 44
    assert info.sha256 == "79d0aac544aaf912bb1bdd4d9092f9ad277dbf27409881fcbc13e2469fef4c06"


def test_it_accepts_the_real_golf_scorm_2004_package():
    info = validate_package(GOLF_2004.open("rb"))
    assert info.version == "2004"
    assert info.launch == "shared/launchpage.html"
    assert info.identifier == "com.scorm.golfsamples.runtime.basicruntime.20043rd"


def test_it_accepts_a_minimal_authored_package_and_leaves_the_file_rewound():
    upload = io.BytesIO(minimal_package())
    info = validate_package(upload)
    assert (info.version, info.title, info.launch, info.file_count) == (
        "1.2",
        "安全生产小课件",
        "index.html",
        2,
    )
    assert upload.tell() == 0


def _manifest(**replacements) -> str:
    return MANIFEST_12.format(href=replacements.get("href", "index.html"))


BAD_PACKAGES = {
    "parent segment": (
        lambda: minimal_package(**{"../evil.html": "x"}),
        ["不安全", "unsafe path"],
    ),
    "absolute path": (lambda: minimal_package(**{"/etc/cron.d/evil": "x"}), ["unsafe path"]),
    "drive letter": (lambda: minimal_package(**{"C:/Windows/evil.dll": "x"}), ["unsafe path"]),
    "backslash escape": (lambda: minimal_package(**{"media\\..\\..\\evil.html": "x"}), ["unsafe path"]),
    "symlink": (
        lambda: make_zip(
            {"imsmanifest.xml": _manifest(), "index.html": "x"}, symlinks={"link": "/etc/passwd"}
        ),
        ["符号链接", "symbolic link"],
    ),
    "no manifest": (
        lambda: make_zip({"index.html": "x"}),
        ["SCORM 包缺少 imsmanifest.xml。", "The SCORM package has no imsmanifest.xml at its root."],
    ),
    "manifest in a folder": (
        lambda: make_zip({"course/imsmanifest.xml": _manifest(), "course/index.html": "x"}),
        ["根目录", "not in the folder “course/”"],
    ),
    "corrupt": (lambda: b"PK\x03\x04 this is not really a zip", ["不是有效的 zip", "corrupt"]),
    "truncated": (lambda: minimal_package()[:200], ["corrupt"]),
    "dtd": (
        lambda: make_zip(
            {
                "imsmanifest.xml": '<?xml version="1.0"?>\n<!DOCTYPE manifest SYSTEM "http://example.com/x.dtd">\n'
                + _manifest().split("\n", 1)[1],
                "index.html": "x",
            }
        ),
        ["DTD", "refused for safety"],
    ),
    "entities": (
        lambda: make_zip(
            {
                "imsmanifest.xml": '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n<manifest>&lol2;</manifest>',
                "index.html": "x",
            }
        ),
        ["实体", "entities"],
    ),
    "malformed manifest": (
        lambda: make_zip({"imsmanifest.xml": "<manifest><oops></manifest>", "index.html": "x"}),
        ["格式正确", "not well-formed"],
    ),
    "unknown version": (
        lambda: make_zip(
            {
                "imsmanifest.xml": '<manifest identifier="m"><metadata><schemaversion>9.9</schemaversion>'
                "</metadata></manifest>",
                "index.html": "x",
            }
        ),
        ["无法识别 SCORM 版本", "Unknown SCORM version"],
    ),
    "launch file missing": (
        lambda: make_zip({"imsmanifest.xml": _manifest(href="start.html"), "index.html": "x"}),
        ["start.html", "is not in the zip"],
    ),
    "external launch": (
        lambda: make_zip(
            {"imsmanifest.xml": _manifest(href="https://evil.example/x.html"), "index.html": "x"}
        ),
        ["external"],
    ),
    "zip bomb": (lambda: minimal_package(**{"zeros.bin": b"\0" * (3 * 1024 * 1024)}), ["zip bomb"]),
}


@pytest.mark.parametrize("case", BAD_PACKAGES, ids=list(BAD_PACKAGES))
def test_it_refuses_a_bad_package_with_a_clear_error_in_one_language_and_stores_nothing(case):
    make, expected = BAD_PACKAGES[case]
    data = make()
    chinese, english = refusal(data, "zh-hans"), refusal(data, "en")
    for part in expected:
        assert part in (chinese if CHINESE.search(part) else english)
    assert CHINESE.search(chinese) and not re.search(r"[A-Za-z]+ [a-z]+ [a-z]+", chinese)
    assert not CHINESE.search(english)
    # Through the import too: the lesson's zip is refused and nothing is unpacked or recorded.
    _, lesson = scorm_course(data)
    with pytest.raises(ValidationError):
        package_import(lesson=lesson)
    assert not default_storage.exists("scorm")
    assert not ScormPackage.objects.exists()


def test_it_refuses_a_package_over_the_upload_size_setting(settings):
    settings.SCORM_MAX_UPLOAD_BYTES = 100
    message = refusal(minimal_package())
    assert "too large" in message and "SCORM 包过大" in refusal(minimal_package(), "zh-hans")


def test_it_refuses_too_many_files_and_too_much_unpacked_data(settings):
    settings.SCORM_MAX_FILES = 3
    assert "too many files" in refusal(minimal_package(**{"a.txt": "a", "b.txt": "b"}))
    settings.SCORM_MAX_FILES = 100
    settings.SCORM_MAX_UNPACKED_BYTES = 2000
    assert "unpacks to more than" in refusal(minimal_package(**{"big.txt": "x" * 3000}))


def test_it_refuses_a_member_whose_checksum_does_not_match():
    data = bytearray(make_zip({"imsmanifest.xml": _manifest(), "index.html": "安全生产" * 500}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("index.html")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 5] ^= 0xFF  # damage the compressed bytes of index.html
    assert "corrupt" in refusal(bytes(data))


def test_a_windows_zip_with_backslash_separators_is_accepted():
    info = validated(
        make_zip({"imsmanifest.xml": _manifest(href="pages/index.html"), "pages\\index.html": "x"})
    )
    assert info.launch == "pages/index.html"


# --- import -----------------------------------------------------------------------------------


def test_import_unpacks_the_package_to_storage_and_records_it(media):
    _, lesson = scorm_course(GOLF_12.read_bytes(), name="golf12.zip")

    package = package_import(lesson=lesson)

    prefix = f"scorm/{lesson.pk}/79d0aac544aa"
    assert package.lesson == lesson
    assert (package.version, package.launch, package.storage_prefix) == (
        "1.2",
        "shared/launchpage.html",
        prefix,
    )
    assert package.sha256.startswith("79d0aac544aa")
    assert package.file_count == 44
    assert package.total_size == sum(f.stat().st_size for f in (media / prefix).rglob("*") if f.is_file())
    assert default_storage.exists(f"{prefix}/shared/launchpage.html")
    assert default_storage.exists(f"{prefix}/Etiquette/course.jpg")
    assert lesson.scorm_package == package


def test_reimporting_the_same_zip_changes_nothing(media, django_assert_max_num_queries):
    _, lesson = scorm_course(minimal_package())
    first = package_import(lesson=lesson)
    index = media / first.storage_prefix / "index.html"
    written = index.stat().st_mtime_ns

    # the package of the lesson; nothing is written
    with django_assert_max_num_queries(1):
        again = package_import(lesson=lesson)

    assert again.pk == first.pk and again.imported_at == first.imported_at
    assert index.stat().st_mtime_ns == written
    assert ScormPackage.objects.count() == 1


def test_a_new_zip_replaces_the_package_and_its_old_folder(media, django_capture_on_commit_callbacks):
    _, lesson = scorm_course(minimal_package())
    old = package_import(lesson=lesson)
    lesson.media.save("golf.zip", ContentFile(GOLF_12.read_bytes()))

    with django_capture_on_commit_callbacks(execute=True):
        new = package_import(lesson=lesson)

    assert new.pk == old.pk and new.version == "1.2" and new.launch == "shared/launchpage.html"
    assert new.storage_prefix != old.storage_prefix
    assert not default_storage.exists(f"{old.storage_prefix}/index.html")
    assert default_storage.exists(f"{new.storage_prefix}/shared/launchpage.html")


def test_publishing_a_course_imports_its_scorm_lessons(django_capture_on_commit_callbacks):
    course, lesson = scorm_course(GOLF_2004.read_bytes())
    assert not ScormPackage.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        course.save_revision().publish()

    package = ScormPackage.objects.get(lesson=lesson)
    assert package.version == "2004"
    assert default_storage.exists(package.storage_name("shared/launchpage.html"))


def test_a_lesson_that_is_not_scorm_is_not_imported():
    course = make_course(lessons=1)
    with pytest.raises(ValidationError):
        package_import(lesson=course.lessons.get())


# --- demo -------------------------------------------------------------------------------------


def test_seed_scorm_adds_the_two_demo_lessons_once(django_capture_on_commit_callbacks):
    from scorm.demo import DEMO_PACKAGES, seed_scorm

    course = make_course(lessons=2)
    with django_capture_on_commit_callbacks(execute=True):
        packages = seed_scorm(course)
        again = seed_scorm(course)

    assert [p.version for p in packages] == ["1.2", "2004"]
    assert [p.title for p in packages] == ["老年人跌倒预防与应对", "协助老年人进食与饮水"]
    assert [p.pk for p in again] == [p.pk for p in packages]
    course.refresh_from_db()
    assert course.lessons.count() == 4
    scorm = course.lessons.filter(kind=LessonKind.SCORM).order_by("sort_order")
    assert [(lesson.title, lesson.required, lesson.duration) for lesson in scorm] == [
        (spec.title, False, 300) for spec in DEMO_PACKAGES
    ]
    assert course.live and not course.has_unpublished_changes


@pytest.mark.parametrize("source", ["fall-prevention-scorm12", "feeding-scorm2004"])
def test_the_demo_packages_build_reproducibly_from_their_sources_and_validate(source):
    from scorm.demo import package_files, package_zip

    data = package_zip(source)
    assert package_zip(source) == data  # same sources, same bytes, same SHA-256
    assert len(data) < 32 * 1024
    info = validated(data)
    assert info.version == ("1.2" if source.endswith("12") else "2004")
    assert info.launch == "index.html"
    assert info.identifier.startswith("cn.zibo-skills.demo.")
    if info.version == "1.2":
        assert info.mastery_score == "60"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        manifest = archive.read("imsmanifest.xml").decode()
        pages = [archive.read(f"pages/{n}.html").decode() for n in range(1, 6)]
    assert names == set(package_files(source))
    listed = set(re.findall(r'<file href="([^"]+)"', manifest))
    assert listed == names - {"imsmanifest.xml", "SOURCE.txt"}, "the manifest lists every file"
    assert "CC0" in package_files(source)["SOURCE.txt"].decode()
    for page in pages:  # plain Chinese HTML for a phone, nothing fetched from elsewhere
        assert 'lang="zh-CN"' in page and 'name="viewport"' in page
        assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert pages[-1].count("<fieldset data-answer=") == 3


def test_seed_scorm_replaces_the_golf_lessons_of_an_earlier_demo_unless_studied(
    media, django_capture_on_commit_callbacks
):
    from scorm.demo import DEMO_PACKAGES, RETIRED_TITLES, seed_scorm

    studied_course, unstudied_course = make_course(lessons=1), make_course(lessons=1)
    learner = LearnerFactory()
    old = {}
    for course in (studied_course, unstudied_course):  # what the earlier seed made
        for position, (title, zip_path) in enumerate(zip(RETIRED_TITLES, (GOLF_12, GOLF_2004), strict=True)):
            stored = default_storage.save(
                f"lessons/demo/scorm/{zip_path.name}", ContentFile(zip_path.read_bytes())
            )
            course.lessons.add(
                Lesson(
                    title=title, kind=LessonKind.SCORM, media=stored, required=False, sort_order=2 + position
                )
            )
        course.save_revision().publish()
        for lesson in Lesson.objects.filter(course=course, kind=LessonKind.SCORM):
            old[lesson.pk] = package_import(lesson=lesson)
    studied = Lesson.objects.get(course=studied_course, title=RETIRED_TITLES[0])
    ScormAttempt.objects.create(learner=learner, lesson=studied, version="1.2")

    with django_capture_on_commit_callbacks(execute=True):
        seed_scorm(unstudied_course)
        seed_scorm(studied_course)

    new_titles = [spec.title for spec in DEMO_PACKAGES]
    scorm_titles = Lesson.objects.filter(course=unstudied_course, kind=LessonKind.SCORM).order_by(
        "sort_order"
    )
    assert list(scorm_titles.values_list("title", flat=True)) == new_titles
    removed = [pk for pk, package in old.items() if package.lesson.course_id == unstudied_course.pk]
    assert not ScormPackage.objects.filter(lesson_id__in=removed).exists()
    for pk in removed:
        assert not default_storage.exists(f"{old[pk].storage_prefix}/shared/launchpage.html")
    # The learner's record is kept: so is the lesson they studied (the other Golf lesson goes).
    titles = set(Lesson.objects.filter(course=studied_course).values_list("title", flat=True))
    assert RETIRED_TITLES[0] in titles and RETIRED_TITLES[1] not in titles
    assert set(new_titles) <= titles
    assert ScormAttempt.objects.filter(lesson=studied).exists()
    assert studied_course.live and not CoursePage.objects.get(pk=studied_course.pk).has_unpublished_changes
