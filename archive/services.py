"""Writing the training archive: an entry (and a certificate) for each completed course."""

import secrets

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from archive.models import ArchiveEntry, Certificate
from courses.models import CoursePage
from learners.models import Enrollment, Learner
from progress.models import LessonProgress
from vocabulary.training import CertificateType

# No 0/O, 1/I/L: a number is read aloud and typed in by people checking a certificate.
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def certificate_number_new(year: int) -> str:
    """``ZB2026-XXXX-XXXX``: 31^8 (about 8.5 × 10^11) numbers a year, drawn at random."""
    body = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"ZB{year}-{body[:4]}-{body[4:]}"


def archive_entry_record(*, learner: Learner, course_id: int, completed_at) -> ArchiveEntry:
    """Archive the learner's completion of a course, with a certificate if the course gives one
    and the learner's identity is verified: the completion is a fact and is always archived, but
    only a real-name verified learner is certified (the certificate is issued when they become
    verified: ``certificates_issue_held``). Idempotent: a second call for the same enrolment
    returns the entry the first one wrote."""
    enrollment = Enrollment.objects.get(learner=learner, course_id=course_id)
    existing = ArchiveEntry.objects.filter(enrollment=enrollment).select_related("certificate").first()
    if existing is not None:
        return existing
    course = CoursePage.objects.select_related("occupation").get(pk=course_id)
    credited = LessonProgress.objects.filter(learner=learner, lesson__course_id=course_id).aggregate(
        total=Sum("credited_seconds")
    )["total"]
    with transaction.atomic():
        # Read under the learner's row lock (which learner_verify's UPDATE also takes): a
        # verification committed meanwhile is seen here, or waits and then sees this entry.
        verified = (
            Learner.objects.select_for_update().filter(pk=learner.pk).values_list("verified", flat=True).get()
        )
        entry = ArchiveEntry.objects.create(
            learner=learner,
            enrollment=enrollment,
            course=course,
            course_title=course.title,
            occupation_code=course.occupation.code,
            occupation_name=course.occupation.name,
            level=course.level,
            required_hours=course.required_hours,
            credited_seconds=round(credited or 0.0, 3),
            completed_at=completed_at,
        )
        if verified and course.certificate_type != CertificateType.NONE:
            _certificate_issue(entry, course.certificate_type, issued_at=entry.completed_at)
    return entry


def certificates_issue_held(*, learner: Learner) -> list[Certificate]:
    """Issue the certificates held back while the learner was not verified: one for each of
    their archive entries whose course gives a certificate and that has none yet, dated now
    (the day it is issued). Called when the learner becomes verified (archive.receivers), in
    that transaction; a learner still unverified gets nothing. Idempotent."""
    if not Learner.objects.filter(pk=learner.pk, verified=True).exists():
        return []
    held = (
        ArchiveEntry.objects.filter(learner_id=learner.pk, certificate__isnull=True)
        .exclude(course__certificate_type=CertificateType.NONE)
        .annotate(kind=F("course__certificate_type"))
        .order_by("completed_at", "pk")
    )
    now = timezone.now()
    with transaction.atomic():
        return [_certificate_issue(entry, entry.kind, issued_at=now) for entry in held]


def _certificate_issue(entry: ArchiveEntry, kind: str, *, issued_at) -> Certificate:
    """The number carries the year (in China) of issue."""
    for attempt in range(5):
        try:
            with transaction.atomic():  # a savepoint: a clash of numbers is retried, not fatal
                return Certificate.objects.create(
                    entry=entry,
                    number=certificate_number_new(timezone.localtime(issued_at).year),
                    type=kind,
                    issued_at=issued_at,
                )
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


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
