"""Reads of the training archive."""

import json
from contextlib import suppress
from decimal import Decimal

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime

from archive import chain
from archive.models import ArchiveEntry, Certificate, LogRecord
from learners.models import Learner
from vocabulary.identity import mask_id_number, mask_name

# How long the signed head is served from the cache (it is forgotten at once when a record is
# appended): a head is signed at most this often per cache, however often it is asked for.
HEAD_CACHE_SECONDS = 30


def learner_archive(learner: Learner) -> QuerySet[ArchiveEntry]:
    return ArchiveEntry.objects.filter(learner=learner).select_related("certificate", "record")


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


def certificate_public(number: str) -> dict | None:
    """What the public verification page shows of a certificate: never unmasked personal data."""
    certificate = (
        Certificate.objects.select_related("entry__learner").filter(number=number.strip().upper()).first()
    )
    if certificate is None:
        return None
    entry = certificate.entry
    return {
        "certificate": certificate,
        "entry": entry,
        "holder_name": mask_name(entry.learner.real_name),
        "holder_id_number": mask_id_number(entry.learner.id_number),
    }
