"""Background work of the archive: certificate PDFs rendered ahead, and signed heads recorded.

- ``certificate_pdf_prepare``: queued when a certificate is issued, it renders the PDF (about
  50 ms of reportlab) into the cache, so the holder's download (``/api/v1/certificates/<n>/pdf/``)
  is served without rendering. The cache key is a fingerprint of everything the PDF shows (the
  entry after its corrections, revocation, the verify URL), so a correction or a revocation
  simply misses and the download renders afresh (the fallback that never fails).
- ``archive_head_record_task``: the scheduled ``archive_record_head --enqueue`` hands the
  signing of a head to the worker (retried on failure, visible on /ops/tasks/).
"""

import hashlib
import json
import logging
from contextlib import suppress

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from archive import certificate_pdf, chain
from archive.models import ArchiveHead, Certificate, LogRecord
from common.background import background_task, enqueue, runs_inline

logger = logging.getLogger(__name__)

PDF_CACHE_SECONDS = 30 * 24 * 3600
PDF_LAYOUT_VERSION = 1  # bump when certificate_pdf changes what it draws


def certificate_pdf_key(certificate: Certificate, *, verify_url: str) -> str:
    entry = certificate.entry
    shown = [
        PDF_LAYOUT_VERSION,
        certificate.number,
        certificate.type,
        certificate.issued_at.isoformat(),
        bool(certificate.revoked),
        entry.learner.real_name,
        entry.course_title,
        entry.occupation_code,
        entry.occupation_name,
        entry.level,
        str(entry.required_hours),
        verify_url,
    ]
    digest = hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()
    return f"archive:certificate-pdf:{digest}"


def certificate_pdf_bytes(certificate: Certificate, *, verify_url: str) -> bytes:
    """The certificate's PDF from the cache, or rendered now (and kept) when it is not there.
    ``certificate.entry`` must have its corrections applied (``selectors.corrections_apply``)."""
    key = certificate_pdf_key(certificate, verify_url=verify_url)
    pdf = None
    with suppress(Exception):  # the cache down: render
        pdf = cache.get(key)
    if pdf is None:
        pdf = certificate_pdf.render(certificate, verify_url=verify_url)
        with suppress(Exception):
            cache.set(key, pdf, PDF_CACHE_SECONDS)
    return pdf


def verify_url_of(number: str) -> str:
    return settings.SITE_URL + reverse("certificate-verify", args=[number])


@background_task()
def certificate_pdf_prepare(number: str) -> str:
    """Render the certificate's PDF into the cache.

    Idempotent: the same certificate renders the same PDF under the same key; a second run
    overwrites it with itself."""
    from archive.selectors import corrections_apply

    certificate = Certificate.objects.select_related("entry__learner").filter(number=number).first()
    if certificate is None:
        return "gone"
    corrections_apply([certificate.entry])
    certificate_pdf_bytes(certificate, verify_url=verify_url_of(number))
    return "ready"


def certificate_pdf_prepare_soon(certificate: Certificate) -> None:
    """After the issue commits, have a worker render the PDF. With the immediate backend it is
    left to the first download (rendering it inline would only slow the completion down)."""
    if not runs_inline(certificate_pdf_prepare):
        enqueue(certificate_pdf_prepare, certificate.number)


@background_task()
def archive_head_record_task() -> dict:
    """Sign and record the log's head, unless the last recorded head already covers the log.

    Idempotent: a second run finds the log's size and hash recorded and records nothing."""
    from archive.services import archive_head_record

    size, last_hash = LogRecord.objects.order_by("-seq").values_list("seq", "hash").first() or (
        0,
        chain.GENESIS,
    )
    last = ArchiveHead.objects.order_by("-size", "-signed_at").values_list("size", "hash").first()
    if last == (size, last_hash):
        return {"size": size, "recorded": False}
    head = archive_head_record()
    return {"size": head.size, "recorded": True}
