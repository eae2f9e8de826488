"""Reads of the training archive."""

import json
from contextlib import suppress
from decimal import Decimal

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime

from archive import chain
from archive.models import ArchiveEntry, Certificate, ExternalCertificate, LogRecord
from institutions.models import TrainingClass
from institutions.roles import Role, can_see_learner, learners_visible_to, roles_of, scope_of
from learners.models import Learner
from vocabulary.identity import mask_name

# How long the signed head is served from the cache (it is forgotten at once when a record is
# appended): a head is signed at most this often per cache, however often it is asked for.
HEAD_CACHE_SECONDS = 30


def learner_archive(learner: Learner) -> QuerySet[ArchiveEntry]:
    return (
        ArchiveEntry.objects.filter(learner=learner)
        .select_related("certificate__revocation", "record")
        .prefetch_related("external_certificates")
    )


def corrections_apply(entries) -> list[ArchiveEntry]:
    """The entries as corrected: each correction record (``archive_entry_correct``) naming an
    entry's completion record sets the values it states, in log order, on the entry object in
    memory (``corrected_by`` lists their seqs); the rows themselves are never changed. One query,
    whatever the number of entries."""
    entries = list(entries)
    by_record = {entry.record_id: entry for entry in entries}
    for entry in entries:
        entry.corrected_by = []
    if not by_record:
        return entries
    corrections = LogRecord.objects.filter(kind=chain.Kind.CORRECTION, refers_to__in=by_record).order_by(
        "seq"
    )
    for seq, refers_to, content in corrections.values_list("seq", "refers_to_id", "content"):
        entry = by_record[refers_to]
        for field, text in json.loads(content)["changes"].items():
            setattr(entry, field, _field_value(field, text))
        entry.corrected_by.append(seq)
    return entries


def _field_value(field: str, text: str):
    if field == "completed_at":
        return parse_datetime(text)
    if field == "credited_seconds":
        return float(text)
    if field == "required_hours":
        return Decimal(text)
    return text


def archive_head() -> dict:
    """The log's current head, signed (``archive.chain.head_sign``), served from the cache for
    up to HEAD_CACHE_SECONDS; without a cache, signed on each call."""
    try:
        head = cache.get(chain.HEAD_CACHE_KEY)
    except Exception:  # noqa: BLE001 — the cache down: sign afresh
        head = None
    if head is None:
        head = chain.head_sign()
        with suppress(Exception):  # the cache down: the next call signs again
            cache.set(chain.HEAD_CACHE_KEY, head, HEAD_CACHE_SECONDS)
    return head


def certificate_find(number: str) -> Certificate | None:
    """A platform certificate by its number (as typed: spaces around and lowercase forgiven),
    with its entry, holder and revocation; None for a number never issued."""
    number = (number or "").strip().upper()
    if not number or len(number) > 32 or "\x00" in number:  # PostgreSQL refuses NUL in text
        return None
    return Certificate.objects.select_related("entry__learner", "revocation").filter(number=number).first()


def certificate_public(number: str) -> dict | None:
    """What the public verification page and its JSON twin show of a certificate: the masked
    name is the only personal data."""
    certificate = certificate_find(number)
    if certificate is None:
        return None
    (entry,) = corrections_apply([certificate.entry])
    revocation = certificate.revocation if certificate.revoked else None
    return {
        "certificate": certificate,
        "entry": entry,
        "holder_name": mask_name(entry.learner.real_name),
        "status": "revoked" if revocation else "valid",
        "revocation": revocation,
    }


def certificate_pdf_allowed(user, certificate: Certificate) -> bool:
    """The holder, and staff whose role reaches the holder (institutions.roles.can_see_learner)."""
    return can_see_learner(user, certificate.entry.learner)


def external_certificates_visible_to(user) -> QuerySet[ExternalCertificate]:
    """The external certificates the user may see: those of the learners their role reaches
    (their own, for a learner)."""
    return (
        ExternalCertificate.objects.filter(learner__in=learners_visible_to(user))
        .select_related("learner", "entry", "recorded_by")
        .order_by("-recorded_at", "-pk")
    )


def may_record_external(user) -> bool:
    """Institution staff record certificates issued elsewhere for the learners of their classes."""
    return Role.INSTITUTION_STAFF in roles_of(user)


def learner_for_staff(user, id_number: str) -> Learner | None:
    """The learner with this ID number among those in the staff member's institution's classes."""
    scope = scope_of(user)
    if scope.institution_id is None:
        return None
    return (
        Learner.objects.with_id_number(id_number)
        .filter(class_memberships__training_class__institution_id=scope.institution_id)
        .first()
    )


def entry_leading_to(learner: Learner, certificate_type: str, institution_id: int) -> ArchiveEntry | None:
    """The learner's latest archive entry whose course leads to this kind of certificate and was
    taught in one of the institution's classes the learner belongs to: the training an external
    certificate followed. Staff never attach a certificate to another institution's training."""
    taught = TrainingClass.objects.filter(institution_id=institution_id, memberships__learner=learner)
    return (
        ArchiveEntry.objects.filter(
            learner=learner,
            course__certificate_type=certificate_type,
            course_id__in=taught.values("course_id"),
        )
        .select_related("record")
        .order_by("-completed_at", "-pk")
        .first()
    )


def may_revoke(user) -> bool:
    """Only the bureau revokes certificates (superusers count as the bureau)."""
    return Role.BUREAU in roles_of(user)
