"""Lesson uploads: each kind's type and size checks, and what is read from the file."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import override
from pypdf import PdfWriter

from courses.media import inspect_upload
from courses.models import Lesson, LessonKind

ROOT = Path(__file__).resolve().parent.parent
VIDEO = ROOT / "demo" / "media" / "care-1.mp4"  # 120 s
AUDIO_M4A = ROOT / "tests" / "data" / "tone.m4a"  # 3 s
AUDIO_MP3 = ROOT / "tests" / "data" / "tone.mp3"  # 3 s


def upload(path_or_bytes, name: str) -> SimpleUploadedFile:
    content = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    return SimpleUploadedFile(name, content)


def pdf_bytes(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx_bytes(pages: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("docProps/app.xml", f"<Properties><Pages>{pages}</Pages></Properties>")
    return buffer.getvalue()


def messages(error: pytest.ExceptionInfo) -> str:
    return " ".join(error.value.messages)


def test_a_video_reports_its_duration_from_the_file():
    assert inspect_upload("video", upload(VIDEO, "lesson.mp4")).duration == 120


@pytest.mark.parametrize("path", [AUDIO_M4A, AUDIO_MP3])
def test_audio_reports_its_duration_from_the_file(path):
    assert inspect_upload("audio", upload(path, path.name)).duration == 3


def test_an_audio_file_renamed_mp4_is_not_a_video():
    with pytest.raises(ValidationError) as error:
        inspect_upload("video", upload(AUDIO_M4A, "lesson.mp4"))
    assert messages(error) == "这个文件没有视频画面，请作为音频课时上传。"  # the default language only
    with override("en"), pytest.raises(ValidationError) as error:
        inspect_upload("video", upload(AUDIO_M4A, "lesson.mp4"))
    assert messages(error) == "The file has no video track; upload it as an audio lesson."


@pytest.mark.parametrize(
    ("kind", "name"),
    [("video", "lesson.avi"), ("video", "lesson.exe"), ("audio", "talk.mp4"), ("document", "a.txt")],
)
def test_a_wrong_file_type_is_refused_naming_the_allowed_ones(kind, name):
    with override("en"), pytest.raises(ValidationError) as error:
        inspect_upload(kind, upload(b"data", name))
    assert error.value.code == "file_type"
    assert "is not allowed for this kind of lesson; allowed: " in messages(error)


def test_a_file_that_is_not_what_its_name_says_is_refused():
    with override("en"), pytest.raises(ValidationError) as error:
        inspect_upload("video", upload(b"\x00" * 2048, "lesson.mp4"))
    assert "cannot be read" in messages(error)
    with pytest.raises(ValidationError):
        inspect_upload("document", upload(b"GIF89a....", "notes.pdf"))


def test_an_oversized_file_is_refused_with_the_limit(settings):
    settings.LESSON_UPLOAD_MAX_BYTES = {"video": 50_000}
    with override("en"), pytest.raises(ValidationError) as error:
        inspect_upload("video", upload(VIDEO, "lesson.mp4"))
    assert error.value.code == "file_size"
    assert "the limit is 48.8" in messages(error)


def test_a_pdf_reports_pages_and_a_reading_time(settings):
    settings.DOCUMENT_SECONDS_PER_PAGE = 90
    info = inspect_upload("document", upload(pdf_bytes(3), "handbook.pdf"))
    assert (info.pages, info.duration) == (3, 270)


def test_a_word_document_reports_its_pages():
    assert inspect_upload("document", upload(docx_bytes(7), "guide.docx")).pages == 7


def test_a_damaged_office_document_is_refused():
    with pytest.raises(ValidationError):
        inspect_upload("document", upload(b"PK\x03\x04broken", "guide.docx"))


def test_the_lesson_takes_duration_and_pages_from_its_upload_not_from_the_editor():
    lesson = Lesson(title="第1课", kind=LessonKind.VIDEO, duration=5, media=upload(VIDEO, "a.mp4"))
    lesson.clean()
    assert lesson.duration == 120
    document = Lesson(title="手册", kind=LessonKind.DOCUMENT, media=upload(pdf_bytes(2), "a.pdf"))
    document.clean()
    assert document.pages == 2


def test_a_bad_upload_is_reported_on_the_media_field():
    lesson = Lesson(title="第1课", kind=LessonKind.VIDEO, media=upload(b"x", "a.exe"))
    with pytest.raises(ValidationError) as error:
        lesson.clean()
    assert "media" in error.value.message_dict


def test_a_video_lesson_needs_a_file_but_a_quiz_does_not():
    with pytest.raises(ValidationError):
        Lesson(title="第1课", kind=LessonKind.VIDEO).clean()
    Lesson(title="测验", kind=LessonKind.QUIZ).clean()


@pytest.mark.django_db
def test_the_page_editor_refuses_a_bad_upload_and_stores_nothing(client, settings, tmp_path):
    """Through Wagtail's editor: a file of the wrong kind is an error on the form, and neither
    the file nor the lesson is saved."""
    from django.contrib.auth.models import User
    from wagtail.test.utils.form_data import inline_formset, nested_form_data

    from tests.factories import make_course

    settings.MEDIA_ROOT = tmp_path
    admin = User.objects.create_superuser("root", "root@example.com", "pass-word-123")
    client.force_login(admin)
    course = make_course(lessons=0)
    lesson = {
        "chapter": "第一章",
        "title": "新课时",
        "kind": "video",
        "media": SimpleUploadedFile("virus.exe", b"MZ" + b"\x00" * 100),
        "duration": 0,
        "required": "on",
    }
    data = nested_form_data(
        {
            "title": course.title,
            "slug": course.slug,
            "summary": "",
            "occupation": course.occupation_id,
            "level": course.level,
            "required_hours": "8",
            "open_enrolment": "on",
            "certificate_type": "training",
            "lessons": inline_formset([lesson]),
        }
    )
    response = client.post(f"/admin/pages/{course.pk}/edit/", data)
    assert response.status_code == 200  # the form again, with the error
    assert "文件类型 .exe 不适用于此类课时" in response.content.decode()  # the editor's language
    assert not Lesson.objects.filter(course=course).exists()
    assert not any(tmp_path.rglob("*.exe"))
    good = dict(lesson, media=upload(VIDEO, "lesson.mp4"), title="好课时")
    data["lessons-0-media"] = good["media"]
    data["lessons-0-title"] = "好课时"
    response = client.post(f"/admin/pages/{course.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    course.refresh_from_db()
    saved = course.get_latest_revision_as_object().lessons.get()
    assert saved.duration == 120
    assert any(tmp_path.rglob("lesson*.mp4"))
