"""Writes: importing a lesson's SCORM zip into storage, saving a learner's runtime data."""

import logging
import zipfile

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Lesson, LessonKind
from learners.models import Learner
from progress.completion import lesson_content_complete
from scorm import cmi as cmi_model
from scorm.models import ScormAttempt, ScormPackage
from scorm.package import PackageInfo, refuse, validate_package

logger = logging.getLogger(__name__)


def storage_prefix(lesson: Lesson, sha256: str) -> str:
    return f"scorm/{lesson.pk}/{sha256[:12]}"


def package_import(*, lesson: Lesson) -> ScormPackage:
    """Unpack the lesson's zip (``lesson.media``) to the default storage and record it.

    The zip is validated again (it may have been replaced since upload). Importing the same
    zip again (same SHA-256) does nothing. A new zip goes to a new folder; once it is recorded,
    the previous folder is deleted. If writing fails halfway, what was written is removed.
    """
    if lesson.kind != LessonKind.SCORM or not lesson.media:
        raise refuse(_("该课时不是 SCORM 课时，或未上传 SCORM 包。"), "no_package")
    with lesson.media.open("rb") as upload:
        info = validate_package(upload)
        existing = ScormPackage.objects.filter(lesson=lesson).first()
        if existing is not None and existing.sha256 == info.sha256:
            return existing
        prefix = storage_prefix(lesson, info.sha256)
        _unpack(upload, info, prefix)
    fields = {
        "version": info.version,
        "title": info.title,
        "identifier": info.identifier,
        "launch": info.launch,
        "storage_prefix": prefix,
        "sha256": info.sha256,
        "file_count": info.file_count,
        "total_size": info.total_size,
        "mastery_score": info.mastery_score,
        "launch_data": info.launch_data,
    }
    try:
        with transaction.atomic():
            package, _created = ScormPackage.objects.update_or_create(lesson=lesson, defaults=fields)
    except IntegrityError:  # a concurrent import of the same lesson created it first
        package = ScormPackage.objects.get(lesson=lesson)
        for name, value in fields.items():
            setattr(package, name, value)
        package.save()
    if existing is not None and existing.storage_prefix != prefix:
        old_prefix = existing.storage_prefix
        transaction.on_commit(lambda: storage_tree_delete(old_prefix))
    logger.info("Imported SCORM %s package for lesson %s into %s", info.version, lesson.pk, prefix)
    return package


def _unpack(upload, info: PackageInfo, prefix: str) -> None:
    written: list[str] = []
    try:
        with zipfile.ZipFile(upload) as archive:
            for path in info.files:
                name = f"{prefix}/{path}"
                if default_storage.exists(name):  # left by an interrupted import of this zip
                    default_storage.delete(name)
                with archive.open(info.members[path]) as member:
                    saved = default_storage.save(name, File(member, name=path.rsplit("/", 1)[-1]))
                written.append(saved)
                if saved != name:
                    raise ValidationError(f"Storage renamed {name} to {saved}.")
    except Exception:
        for name in written:
            default_storage.delete(name)
        raise
    finally:
        upload.seek(0)


def storage_tree_delete(prefix: str) -> int:
    """Delete every file under ``prefix`` in the default storage; return how many."""
    deleted = 0
    try:
        folders, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return 0
    for folder in folders:
        deleted += storage_tree_delete(f"{prefix}/{folder}")
    for file_name in files:
        default_storage.delete(f"{prefix}/{file_name}")
        deleted += 1
    return deleted


def attempt_save(*, learner: Learner, lesson: Lesson, version: str, cmi: dict, channel: str) -> ScormAttempt:
    """Save the runtime's commit as the learner's attempt; complete the lesson the first time
    its status says completed/passed. ``cmi`` must already be checked (``cmi.summarise``)."""
    summary = cmi_model.summarise(version, cmi)
    now = timezone.now()
    with transaction.atomic():
        attempt = _attempt_locked(learner, lesson, version)
        attempt.cmi = cmi_model.total_time_carried(version, attempt.cmi or {}, cmi)
        attempt.version = version
        attempt.lesson_status = summary.lesson_status
        attempt.completion_status = summary.completion_status
        attempt.success_status = summary.success_status
        attempt.score_raw = summary.score_raw
        attempt.score_min = summary.score_min
        attempt.score_max = summary.score_max
        attempt.score_scaled = summary.score_scaled
        attempt.last_channel = channel
        newly_completed = summary.is_completed() and attempt.completed_at is None
        if newly_completed:
            attempt.completed_at = now
        attempt.save()
        if newly_completed:
            lesson_content_complete(learner=learner, lesson=lesson, channel=channel, now=now)
    return attempt


def _attempt_locked(learner: Learner, lesson: Lesson, version: str) -> ScormAttempt:
    """The learner's attempt, row-locked, created if needed (two devices may race to create)."""
    attempt = ScormAttempt.objects.select_for_update().filter(learner=learner, lesson=lesson).first()
    if attempt is not None:
        return attempt
    try:
        with transaction.atomic():
            return ScormAttempt.objects.create(learner=learner, lesson=lesson, version=version)
    except IntegrityError:
        return ScormAttempt.objects.select_for_update().get(learner=learner, lesson=lesson)
