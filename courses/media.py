"""Validation and inspection of lesson uploads: type, size, and what the file itself says
(a video's duration, a document's page count). Nothing is stored when a check fails.

Uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to a temporary file by Django and
from there to the media storage in chunks, so a 1 GB video never sits in memory.
"""

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

import mutagen
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from mutagen.mp4 import Atoms
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from common.text import enumeration

MB = 1024 * 1024

# Extensions allowed per lesson kind. Video is MP4 (H.264) only: it is what every end plays,
# WeChat's browser on iOS included.
ALLOWED_EXTENSIONS = {
    "video": {".mp4", ".m4v"},
    "audio": {".mp3", ".m4a", ".aac", ".ogg", ".oga", ".wav"},
    "document": {".pdf", ".docx", ".pptx", ".xlsx", ".doc", ".ppt", ".xls"},
    "scorm": {".zip"},
}
DEFAULT_MAX_BYTES = {"video": 2048 * MB, "audio": 300 * MB, "document": 100 * MB, "scorm": 200 * MB}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc/.ppt/.xls


@dataclass(frozen=True)
class MediaInfo:
    duration: int = 0  # seconds of media, or of estimated reading for a document
    pages: int = 0


# The check of a courseware package (a SCORM zip) is the courseware app's: it registers it at
# start-up (scorm.apps), so the content pool imports no app that runs courseware
# (docs/architecture.md).
_package_validators: dict[str, Callable] = {}


def package_validator_register(kind: str, validator: Callable) -> None:
    """Have ``validator(upload)`` check every package uploaded for a lesson of ``kind``; it raises
    ValidationError for one it refuses."""
    _package_validators[kind] = validator


def package_validate(kind: str, upload) -> None:
    try:
        validator = _package_validators[kind]
    except KeyError:
        raise ImproperlyConfigured(f"No package validator is registered for {kind} lessons.") from None
    validator(upload)


def max_bytes(kind: str) -> int:
    limits = getattr(settings, "LESSON_UPLOAD_MAX_BYTES", {})
    return int(limits.get(kind, DEFAULT_MAX_BYTES.get(kind, 100 * MB)))


def reading_seconds(pages: int) -> int:
    """Reading-time estimate of a document: a set time per page (default 2 minutes)."""
    return max(60, pages * int(getattr(settings, "DOCUMENT_SECONDS_PER_PAGE", 120)))


def inspect_upload(kind: str, upload) -> MediaInfo:
    """Check an uploaded file for a lesson of ``kind``; return what it holds.

    Raises ValidationError with a message the editor can act on.
    """
    name = getattr(upload, "name", "") or ""
    extension = PurePosixPath(name.lower()).suffix
    allowed = ALLOWED_EXTENSIONS.get(kind)
    if allowed is None:
        raise ValidationError(_("这类课时不上传文件。"), code="no_file")
    if extension not in allowed:
        raise ValidationError(
            _("文件类型 %(extension)s 不适用于此类课时，允许：%(allowed)s。")
            % {"extension": extension or _("（无）"), "allowed": enumeration(sorted(allowed))},
            code="file_type",
        )
    limit = max_bytes(kind)
    if upload.size > limit:
        raise ValidationError(
            _("文件过大（%(size)s），上限 %(limit)s。")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="file_size",
        )
    upload.seek(0)
    try:
        if kind in ("video", "audio"):
            return _inspect_media(kind, upload)
        if kind == "document":
            return _inspect_document(extension, upload)
        if kind == "scorm":
            package_validate(kind, upload)
            return MediaInfo()
    finally:
        upload.seek(0)
    return MediaInfo()


def _inspect_media(kind: str, upload) -> MediaInfo:
    try:
        parsed = mutagen.File(upload)
    except mutagen.MutagenError:
        parsed = None
    length = getattr(getattr(parsed, "info", None), "length", 0) or 0
    if parsed is None or length <= 0:
        message = (
            _("无法读取这个视频文件的时长，文件可能已损坏或不是视频。")
            if kind == "video"
            else _("无法读取这个音频文件的时长，文件可能已损坏或不是音频。")
        )
        raise ValidationError(message, code="unreadable")
    if kind == "video" and not _mp4_has_video_track(upload):
        raise ValidationError(_("这个文件没有视频画面，请作为音频课时上传。"), code="no_video")
    return MediaInfo(duration=round(length))


def _mp4_has_video_track(upload) -> bool:
    """Whether an MP4 has a track whose handler is ``vide`` (an .m4a renamed .mp4 has not)."""
    upload.seek(0)
    try:
        atoms = Atoms(upload)
        moov = atoms.path(b"moov")[-1]
        for trak in moov.findall(b"trak"):
            for mdia in trak.findall(b"mdia"):
                for handler in mdia.findall(b"hdlr"):
                    ok, data = handler.read(upload)
                    if ok and data[8:12] == b"vide":
                        return True
    except (KeyError, mutagen.MutagenError, IndexError):
        return False
    return False


def _inspect_document(extension: str, upload) -> MediaInfo:
    head = upload.read(8)
    upload.seek(0)
    if extension == ".pdf":
        if not head.startswith(b"%PDF"):
            raise ValidationError(_("这不是 PDF 文件。"), code="not_pdf")
        try:
            reader = PdfReader(upload)
            if reader.is_encrypted:
                raise ValidationError(_("PDF 已加密，无法在线阅读。"), code="encrypted")
            pages = len(reader.pages)
        except (PdfReadError, ValueError, KeyError, OSError) as error:
            raise ValidationError(
                _("PDF 文件已损坏，无法读取（%(error)s）。") % {"error": type(error).__name__}
            ) from None
    elif extension in (".docx", ".pptx", ".xlsx"):
        pages = _office_pages(upload)
    else:
        if head != OLE_MAGIC:
            raise ValidationError(_("这不是 Office 文档。"), code="not_office")
        pages = max(1, upload.size // (40 * 1024))  # old binary formats: estimate from the size
    return MediaInfo(duration=reading_seconds(pages), pages=pages)


def _office_pages(upload) -> int:
    """Pages (Word), slides (PowerPoint) or sheets (Excel) from an Office Open XML file."""
    try:
        with zipfile.ZipFile(io.BytesIO(upload.read())) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                raise zipfile.BadZipFile
            app = (
                archive.read("docProps/app.xml").decode("utf-8", "replace")
                if "docProps/app.xml" in names
                else ""
            )
            sheets = sum(1 for n in names if n.startswith("xl/worksheets/sheet"))
            slides = sum(1 for n in names if re.match(r"ppt/slides/slide\d+\.xml$", n))
    except zipfile.BadZipFile:
        raise ValidationError(_("Office 文档已损坏，无法读取。"), code="bad_office") from None
    for tag in ("Pages", "Slides"):
        match = re.search(rf"<{tag}>(\d+)</{tag}>", app)
        if match and int(match.group(1)) > 0:
            return int(match.group(1))
    return max(1, slides or sheets or 1)
