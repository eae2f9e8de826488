"""The real-name training archive (电子档案): the append-only, hash-chained log, the entries it
attests (one per completed course), their certificates, and the signed heads of the log.

- ``LogRecord`` is the platform's one archive log: records numbered 1, 2, 3, … (``seq``), each
  of a ``kind`` (completion, correction, and the kinds the certificates add), with its
  canonical content and the SHA-256 ``hash`` that chains it to the record before it
  (``archive.chain``; docs/archive.md). The database refuses UPDATE and DELETE on it (triggers,
  migration 0005).
- ``ArchiveEntry`` keeps what the course was when the learner completed it (title, occupation,
  level, required hours) and the study time credited to them, so a later edit of the course page
  never rewrites a person's record. Each entry points to the completion record that attests it;
  its columns are the record's content, and ``archive_verify`` checks that they still are. The
  database refuses UPDATE and DELETE on entries too: a correction is a new record.
- ``ArchiveHead`` is a signed head (size and last hash, signed with the platform's Ed25519 key)
  recorded by ``manage.py archive_record_head``: a later rewrite of the records it covers no
  longer matches it.
"""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vocabulary.training import EXTERNAL_CERTIFICATE_TYPES, CertificateType, Level


class LogRecord(models.Model):
    """One record of the archive log. Written only by ``archive.chain.chain_append``."""

    seq = models.BigIntegerField(_("序号"), primary_key=True)
    # completion, correction; the certificates add certificate_issued, certificate_revoked,
    # external_certificate (archive.chain.Kind). Not a choices field: a new kind needs no
    # migration, chain_append checks its form.
    kind = models.CharField(_("记录类型"), max_length=40)
    # The earlier record this one is about: the one a correction corrects (and, for the
    # certificates, the issue a revocation revokes).
    refers_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referred_by",
        verbose_name=_("所涉记录"),
    )
    # The canonical JSON text of the content, exactly the bytes that are hashed (sorted keys, no
    # spaces, UTF-8): a text column, never JSON, which would not keep the bytes.
    content = models.TextField(_("内容"))
    recorded_at = models.DateTimeField(_("记录时间"))
    prev_hash = models.CharField(_("前一条记录的哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        verbose_name = pgettext_lazy("model", "档案日志记录")
        verbose_name_plural = pgettext_lazy("model plural", "档案日志记录")
        ordering = ["seq"]
        indexes = [models.Index(fields=["kind", "seq"], name="archive_log_kind_seq")]

    def __str__(self):
        return f"#{self.seq} {self.kind} {self.hash[:12]}"


class ArchiveEntry(models.Model):
    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="archive_entries", verbose_name=_("学员")
    )
    # One entry per enrolment: the database itself keeps a completion from being archived twice.
    enrollment = models.OneToOneField(
        "learners.Enrollment",
        on_delete=models.PROTECT,
        related_name="archive_entry",
        verbose_name=_("报名记录"),
    )
    # The completion record that attests this entry (its seq and hash are the entry's).
    record = models.OneToOneField(
        LogRecord, on_delete=models.PROTECT, related_name="entry", verbose_name=_("结业记录")
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=pgettext_lazy("field", "课程"),
    )
    course_title = models.CharField(_("课程名称"), max_length=255)
    occupation_code = models.CharField(_("职业编码"), max_length=12)
    occupation_name = models.CharField(_("职业（工种）"), max_length=100)
    level = models.CharField(_("等级"), max_length=10, choices=Level.choices)
    required_hours = models.DecimalField(_("要求学时（小时）"), max_digits=6, decimal_places=2)
    credited_seconds = models.FloatField(_("获得学时（秒）"))
    completed_at = models.DateTimeField(_("结业时间"))
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "档案条目")
        verbose_name_plural = pgettext_lazy("model plural", "档案条目")
        ordering = ["-completed_at", "-pk"]
        indexes = [models.Index(fields=["learner", "completed_at"])]

    def __str__(self):
        return f"{self.learner_id} {self.course_title} {self.completed_at:%Y-%m-%d}"

    @property
    def credited_hours(self) -> float:
        return self.credited_seconds / 3600

    @property
    def required_seconds(self) -> int:
        return int(self.required_hours * 3600)

    @property
    def seq(self) -> int:
        return self.record_id

    @property
    def issued_certificate(self) -> "Certificate | None":
        """The platform certificate of this entry, or None (without the exception Django raises
        for a missing reverse one-to-one)."""
        try:
            return self.certificate
        except Certificate.DoesNotExist:
            return None

    @property
    def hash(self) -> str:
        return self.record.hash


def private_storage():
    """Files only the views that check who asks may hand out (settings.STORAGES["private"])."""
    return storages["private"]


class Certificate(models.Model):
    """A 培训合格证书 the platform issued on completion (archive.certificates). Its number is random
    (it cannot be guessed from another one) and is what the public verification page is looked up
    by. Its issue is a ``certificate_issued`` record of the log, and ``credential`` the signed
    Open Badges 3.0 credential (compact JWS) issued with it. Append-only like the log: a
    revocation is a ``CertificateRevocation`` (and a ``certificate_revoked`` record)."""

    entry = models.OneToOneField(
        ArchiveEntry, on_delete=models.PROTECT, related_name="certificate", verbose_name=_("档案条目")
    )
    number = models.CharField(_("证书编号"), max_length=32, unique=True)
    type = models.CharField(_("证书类型"), max_length=20, choices=CertificateType.choices)
    issued_at = models.DateTimeField(_("颁发时间"))
    # Null only for certificates issued before the log recorded certificates.
    record = models.OneToOneField(
        LogRecord,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificate",
        verbose_name=_("颁发记录"),
    )
    credential = models.TextField(_("可验证凭证"), blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "证书")
        verbose_name_plural = pgettext_lazy("model plural", "证书")

    def __str__(self):
        return self.number

    @property
    def revoked(self) -> bool:
        try:
            return self.revocation is not None
        except CertificateRevocation.DoesNotExist:
            return False


class CertificateRevocation(models.Model):
    """The bureau's revocation of a platform certificate, with its reason; attested by a
    ``certificate_revoked`` record that refers to the certificate's issue."""

    certificate = models.OneToOneField(
        Certificate, on_delete=models.PROTECT, related_name="revocation", verbose_name=_("证书")
    )
    record = models.OneToOneField(
        LogRecord, on_delete=models.PROTECT, related_name="revocation", verbose_name=_("撤销记录")
    )
    reason = models.TextField(_("撤销原因"))
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("撤销人"),
    )
    revoked_at = models.DateTimeField(_("撤销时间"))

    class Meta:
        verbose_name = pgettext_lazy("model", "证书撤销")
        verbose_name_plural = pgettext_lazy("model plural", "证书撤销")

    def __str__(self):
        return f"{self.certificate_id} {self.revoked_at:%Y-%m-%d}"


class ExternalCertificate(models.Model):
    """A certificate issued elsewhere (职业资格证书, 职业技能等级证书, 专项职业能力证书, 特种作业操作证书),
    recorded by institution staff with the number it was issued under and a scan kept in private
    storage; attested by an ``external_certificate`` record of the log. ``entry`` is the
    training on the platform it followed, when there is one."""

    learner = models.ForeignKey(
        "learners.Learner",
        on_delete=models.PROTECT,
        related_name="external_certificates",
        verbose_name=_("学员"),
    )
    entry = models.ForeignKey(
        ArchiveEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="external_certificates",
        verbose_name=_("档案条目"),
    )
    type = models.CharField(
        _("证书类型"),
        max_length=20,
        choices=[
            (value, label) for value, label in CertificateType.choices if value in EXTERNAL_CERTIFICATE_TYPES
        ],
    )
    number = models.CharField(_("证书编号"), max_length=64)
    issuer = models.CharField(_("发证机构"), max_length=100)
    issued_on = models.DateField(_("发证日期"))
    scan = models.FileField(_("证书扫描件"), storage=private_storage, upload_to="certificates/%Y/%m/")
    record = models.OneToOneField(
        LogRecord, on_delete=models.PROTECT, related_name="external_certificate", verbose_name=_("登记记录")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    recorded_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = pgettext_lazy("model", "外部证书")
        verbose_name_plural = pgettext_lazy("model plural", "外部证书")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["type", "number"], name="external_certificate_type_number")
        ]

    def __str__(self):
        return f"{self.get_type_display()} {self.number}"


class ArchiveHead(models.Model):
    """A signed head of the log: its size and last hash at ``signed_at``, and the compact JWS
    (EdDSA) over exactly ``{"size", "hash", "signed_at"}``. Recorded periodically; the database
    refuses UPDATE and DELETE on heads as on the log."""

    size = models.BigIntegerField(_("记录条数"))
    hash = models.CharField(_("末条哈希"), max_length=64)
    signed_at = models.DateTimeField(_("签名时间"))
    jws = models.TextField(_("签名（JWS）"))
    kid = models.CharField(_("密钥标识"), max_length=100)

    class Meta:
        verbose_name = pgettext_lazy("model", "档案签名头")
        verbose_name_plural = pgettext_lazy("model plural", "档案签名头")
        ordering = ["-signed_at", "-pk"]
        indexes = [models.Index(fields=["size"], name="archive_head_size")]

    def __str__(self):
        return f"{self.size} {self.hash[:12]} {self.signed_at:%Y-%m-%d %H:%M}"
