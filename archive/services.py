"""Writing the training archive: an entry (and a certificate) for each completed course, each
entry attested by a completion record of the archive log (archive.chain); corrections as new
records; signed heads recorded."""

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from archive import chain
from archive.certificates import certificate_issue
from archive.models import ArchiveEntry, ArchiveHead, Certificate, LogRecord
from courses.models import CoursePage
from learners.models import Enrollment, Learner
from progress.models import LessonProgress
from vocabulary.training import CertificateType


def archive_entry_record(*, learner: Learner, course_id: int, completed_at) -> ArchiveEntry:
    """Archive the learner's completion of a course, with a 培训合格证书 if the course gives a
    certificate and the learner's identity is verified: the completion is a fact and is always archived, but
    only a real-name verified learner is certified (the certificate is issued when they become
    verified: ``certificates_issue_held``). The entry is attested by a completion record
    appended to the archive log in the same transaction. Idempotent: a second call for the same
    enrolment returns the entry the first one wrote.

    ``completed_at`` is the completion date that counts (docs/archive.md): the time the learner
    finished, as the progress engine decided it, not when the record is written."""
    enrollment = Enrollment.objects.get(learner=learner, course_id=course_id)
    existing = ArchiveEntry.objects.filter(enrollment=enrollment).select_related("certificate").first()
    if existing is not None:
        return existing
    course = CoursePage.objects.select_related("occupation").get(pk=course_id)
    credited = LessonProgress.objects.filter(learner=learner, lesson__course_id=course_id).aggregate(
        total=Sum("credited_seconds")
    )["total"]
    completed_at = chain.moment(completed_at)
    with transaction.atomic():
        # Read under the learner's row lock (which learner_verify's UPDATE also takes): a
        # verification committed meanwhile is seen here, or waits and then sees this entry.
        verified, real_name = (
            Learner.objects.select_for_update()
            .filter(pk=learner.pk)
            .values_list("verified", "real_name")
            .get()
        )
        values = {
            "course_title": course.title,
            "occupation_code": course.occupation.code,
            "occupation_name": course.occupation.name,
            "level": course.level,
            "required_hours": course.required_hours,
            "credited_seconds": round(credited or 0.0, 3),
            "completed_at": completed_at,
        }
        # The log's append lock is taken last, after the learner's row lock.
        record = chain.chain_append(
            chain.Kind.COMPLETION,
            chain.completion_content(
                learner_id=learner.pk, enrollment_id=enrollment.pk, course_id=course.pk, **values
            ),
        )
        entry = ArchiveEntry.objects.create(
            learner=learner, enrollment=enrollment, course=course, record=record, **values
        )
        if verified and course.certificate_type != CertificateType.NONE:
            certificate_issue(entry, issued_at=entry.completed_at, holder_name=real_name)
    return entry


class CorrectionRefused(ValueError):
    """A correction that names no field of an entry, changes nothing or gives no reason."""


def archive_entry_correct(*, entry: ArchiveEntry, changes: dict, reason: str, by=None) -> LogRecord:
    """Correct an archive entry: never by editing it (the database refuses), but by appending a
    ``correction`` record that names the entry's completion record (``refers_to``) and states the
    corrected values (as canonical content), the reason and who made it. Reads apply the
    corrections in order (``archive.selectors.corrections_apply``). ``changes`` maps fields of
    the entry (``archive.chain.COMPLETION_FIELDS``) to their corrected values."""
    unknown = set(changes) - set(chain.COMPLETION_FIELDS)
    if unknown or not changes:
        raise CorrectionRefused(
            f"a correction changes some of {', '.join(chain.COMPLETION_FIELDS)}; not {sorted(unknown)}"
        )
    if not reason.strip():
        raise CorrectionRefused("a correction gives its reason")
    content = {
        "by": by.pk if by is not None else None,
        "changes": {field: chain.field_text(field, value) for field, value in changes.items()},
        "entry": entry.pk,
        "reason": reason.strip(),
    }
    return chain.chain_append(chain.Kind.CORRECTION, content, refers_to=entry.record)


def archive_head_record() -> ArchiveHead:
    """Sign the log's current head and keep it (``manage.py archive_record_head``, scheduled:
    docs/archive.md): a later rewrite of the records it covers no longer matches it."""
    head = chain.head_sign()
    return ArchiveHead.objects.create(
        size=head["size"],
        hash=head["hash"],
        signed_at=chain.moment(head["signed_at"]),
        jws=head["jws"],
        kid=head["kid"],
    )


def certificates_issue_held(*, learner: Learner) -> list[Certificate]:
    """Issue the certificates held back while the learner was not verified: one for each of
    their archive entries whose course gives a certificate and that has none yet, dated now
    (the day it is issued). Called when the learner becomes verified (archive.receivers), in
    that transaction; a learner still unverified gets nothing. Idempotent."""
    verified = (
        Learner.objects.filter(pk=learner.pk, verified=True).values_list("real_name", flat=True).first()
    )
    if verified is None:
        return []
    held = (
        ArchiveEntry.objects.filter(learner_id=learner.pk, certificate__isnull=True)
        .exclude(course__certificate_type=CertificateType.NONE)
        .select_related("record")
        .order_by("completed_at", "pk")
    )
    now = timezone.now()
    with transaction.atomic():
        return [certificate_issue(entry, issued_at=now, holder_name=verified) for entry in held]


def archive_backfill() -> int:
    """Archive completions recorded before the archive existed (or while it was off); return
    how many entries were written. Safe to run any number of times."""
    written = 0
    missing = Enrollment.objects.filter(
        completed_at__isnull=False, archive_entry__isnull=True
    ).select_related("learner")
    for enrollment in missing:
        archive_entry_record(
            learner=enrollment.learner, course_id=enrollment.course_id, completed_at=enrollment.completed_at
        )
        written += 1
    return written
