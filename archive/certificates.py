"""Writing certificates (docs/certificates.md): the platform's 培训合格证书 issued on completion,
its revocation by the bureau, and the certificates issued elsewhere that institution staff
record. Each is attested by a record of the archive log, appended in the same transaction, so
the next signed head covers it.

Log contents (canonical JSON, archive.chain), personal data by internal id only:

- ``certificate_issued`` (refers to the entry's completion record): ``certificate`` (number),
  ``type``, ``entry``, ``learner``, ``issued_at``, ``credential_sha256`` (of the signed
  credential, which binds it to the log);
- ``certificate_revoked`` (refers to the issue): ``certificate``, ``reason``, ``by``,
  ``revoked_at``;
- ``external_certificate`` (refers to the entry's completion record when there is one):
  ``type``, ``number``, ``issuer``, ``issued_on``, ``learner``, ``entry``, ``scan_sha256``,
  ``by``.
"""

import hashlib
import logging
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from archive import chain, credentials
from archive.models import ArchiveEntry, Certificate, CertificateRevocation, ExternalCertificate
from archive.tasks import certificate_pdf_prepare_soon
from common.storage_errors import STORAGE_ERRORS
from learners.models import Learner
from vocabulary.identity import mask_name
from vocabulary.training import EXTERNAL_CERTIFICATE_TYPES, CertificateType, Level

# No 0/O, 1/I/L: a number is read aloud and typed in by people checking a certificate.
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SCAN_MAX_BYTES = 10 * 1024 * 1024
SCAN_SIGNATURES = {b"%PDF-": "pdf", b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


logger = logging.getLogger(__name__)


class CertificateRefused(ValueError):
    """A revocation or an external certificate that cannot be recorded: the message says why."""


class StorageUnavailable(Exception):
    """The file storage failed (the S3 server down, a disk full): nothing was recorded, and the
    same form may be sent again later."""


def certificate_number_new(year: int) -> str:
    """``ZB2026-XXXX-XXXX``: 31^8 (about 8.5 × 10^11) numbers a year, drawn at random."""
    body = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"ZB{year}-{body[:4]}-{body[4:]}"


def certificate_credential(entry: ArchiveEntry, number: str, issued_at, holder_name: str) -> str:
    payload = credentials.credential_payload(
        number=number,
        type_name=str(CertificateType.TRAINING.label),
        issued_at=issued_at,
        holder=mask_name(holder_name),
        course_id=entry.course_id,
        course_title=entry.course_title,
        occupation_code=entry.occupation_code,
        occupation_name=entry.occupation_name,
        level=entry.level,
        level_name=str(Level(entry.level).label) if entry.level in Level.values else entry.level,
        hours=chain.hours_text(entry.required_hours),
    )
    return credentials.credential_sign(payload)


def certificate_issue(entry: ArchiveEntry, *, issued_at, holder_name: str) -> Certificate:
    """Issue the platform's 培训合格证书 for an archive entry: a random number carrying the year
    (in China) of issue, the signed credential, and a ``certificate_issued`` record of the log.
    Runs inside the caller's transaction (the completion's, or the verification's)."""
    issued_at = chain.moment(issued_at)
    for attempt in range(5):
        number = certificate_number_new(timezone.localtime(issued_at).year)
        try:
            with transaction.atomic():  # a savepoint: a clash of numbers is retried, not fatal
                if Certificate.objects.filter(number=number).exists():
                    raise IntegrityError(number)
                credential = certificate_credential(entry, number, issued_at, holder_name)
                record = chain.chain_append(
                    chain.Kind.CERTIFICATE_ISSUED,
                    {
                        "certificate": number,
                        "credential_sha256": hashlib.sha256(credential.encode("ascii")).hexdigest(),
                        "entry": entry.pk,
                        "issued_at": chain.utc_text(issued_at),
                        "learner": entry.learner_id,
                        "type": CertificateType.TRAINING.value,
                    },
                    refers_to=entry.record,
                )
                certificate = Certificate.objects.create(
                    entry=entry,
                    number=number,
                    type=CertificateType.TRAINING,
                    issued_at=issued_at,
                    record=record,
                    credential=credential,
                )
            certificate_pdf_prepare_soon(certificate)  # the PDF rendered ahead, after the commit
            return certificate
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def certificate_revoke(*, certificate: Certificate, reason: str, by) -> CertificateRevocation:
    """Revoke a platform certificate (the bureau's decision, with its reason): a
    ``certificate_revoked`` record referring to the issue. The verification page, the public
    JSON and the next signed head show it; a revoked certificate no longer supports a subsidy
    claim. A certificate is revoked once."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateRefused(_("请写明撤销原因。"))
    if len(reason) > 500:
        raise CertificateRefused(_("撤销原因不能超过 500 个字。"))
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if CertificateRevocation.objects.filter(certificate=locked).exists():
            raise CertificateRefused(_("这个证书已经撤销。"))
        now = timezone.now()
        record = chain.chain_append(
            chain.Kind.CERTIFICATE_REVOKED,
            {
                "by": by.pk if by is not None else None,
                "certificate": locked.number,
                "reason": reason,
                "revoked_at": chain.utc_text(now),
            },
            refers_to=locked.record,
        )
        return CertificateRevocation.objects.create(
            certificate=locked, record=record, reason=reason, revoked_by=by, revoked_at=now
        )


def scan_checked(upload) -> str:
    """The kind of an uploaded scan (pdf, png or jpg) by its first bytes; CertificateRefused for
    anything else or a file that is too large or empty."""
    if upload is None:
        raise CertificateRefused(_("请上传证书扫描件（PDF、PNG 或 JPG）。"))
    if upload.size > SCAN_MAX_BYTES:
        raise CertificateRefused(_("扫描件不能超过 10 MB。"))
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, kind in SCAN_SIGNATURES.items():
        if head.startswith(signature):
            return kind
    raise CertificateRefused(_("扫描件须为 PDF、PNG 或 JPG 文件。"))


def _file_sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def external_certificate_record(
    *,
    learner: Learner,
    type: str,
    number: str,
    issuer: str,
    issued_on,
    scan,
    by,
    entry: ArchiveEntry | None = None,
) -> ExternalCertificate:
    """Record a certificate issued elsewhere, with its scan in private storage and an
    ``external_certificate`` record of the log holding the scan's SHA-256. A type and number
    already recorded is refused (one certificate is recorded once)."""
    if type not in EXTERNAL_CERTIFICATE_TYPES:
        raise CertificateRefused(
            _("证书类型须为职业资格证书、职业技能等级证书、专项职业能力证书或特种作业操作证书。")
        )
    number, issuer = (number or "").strip(), (issuer or "").strip()
    if not number or not issuer:
        raise CertificateRefused(_("请填写证书编号和发证机构。"))
    if issued_on is None or issued_on > timezone.localdate():
        raise CertificateRefused(_("发证日期不能晚于今天。"))
    if entry is not None and entry.learner_id != learner.pk:
        raise CertificateRefused(_("所选培训不是这位学员的。"))
    kind = scan_checked(scan)
    scan.name = f"{secrets.token_hex(12)}.{kind}"
    certificate = ExternalCertificate(
        learner=learner, entry=entry, type=type, number=number, issuer=issuer, issued_on=issued_on, scan=scan
    )
    try:
        return _external_insert(certificate, by)
    except IntegrityError:  # the same certificate recorded at the same moment by someone else
        raise CertificateRefused(_("这个证书（类型和编号）已经登记过。")) from None
    except STORAGE_ERRORS:
        logger.exception("the scan of external certificate %s could not be stored", number)
        raise StorageUnavailable(_("文件存储暂时不可用，证书没有登记。请稍后重新提交。")) from None


def _external_insert(certificate: ExternalCertificate, by) -> ExternalCertificate:
    """Insert the certificate and its log record in one transaction. The scan is stored on the
    way (the field's pre_save), before the row: if the transaction then fails, the stored scan
    is deleted again, so that no file is left that no row points to."""
    try:
        with transaction.atomic():
            _external_insert_rows(certificate, by)
    except BaseException:
        if certificate.scan._committed:  # stored, but its row was not
            _discard_scan(certificate.scan)
        raise
    return certificate


def _discard_scan(scan) -> None:
    try:
        scan.storage.delete(scan.name)
    except STORAGE_ERRORS:
        logger.exception("orphan scan %s left in storage: delete it by hand", scan.name)


def _external_insert_rows(certificate: ExternalCertificate, by) -> None:
    if ExternalCertificate.objects.filter(type=certificate.type, number=certificate.number).exists():
        raise CertificateRefused(_("这个证书（类型和编号）已经登记过。"))
    entry = certificate.entry
    certificate.record = chain.chain_append(
        chain.Kind.EXTERNAL_CERTIFICATE,
        {
            "by": by.pk,
            "entry": entry.pk if entry is not None else None,
            "issued_on": certificate.issued_on.isoformat(),
            "issuer": certificate.issuer,
            "learner": certificate.learner_id,
            "number": certificate.number,
            "scan_sha256": _file_sha256(certificate.scan),
            "type": certificate.type,
        },
        refers_to=entry.record if entry is not None else None,
    )
    certificate.recorded_by = by
    certificate.recorded_at = certificate.record.recorded_at
    certificate.save(force_insert=True)
