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

from django.db import models
from django.utils.translation import gettext_lazy as _

from vocabulary.training import CertificateType, Level


class LogRecord(models.Model):
    """One record of the archive log. Written only by ``archive.chain.chain_append``."""

    seq = models.BigIntegerField(_("sequence number"), primary_key=True)
    # completion, correction; the certificates add certificate_issued, certificate_revoked,
    # external_certificate (archive.chain.Kind). Not a choices field: a new kind needs no
    # migration, chain_append checks its form.
    kind = models.CharField(_("kind"), max_length=40)
    # The earlier record this one is about: the one a correction corrects (and, for the
    # certificates, the issue a revocation revokes).
    refers_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="referred_by"
    )
    # The canonical JSON text of the content, exactly the bytes that are hashed (sorted keys, no
    # spaces, UTF-8): a text column, never JSON, which would not keep the bytes.
    content = models.TextField(_("content"))
    recorded_at = models.DateTimeField(_("recorded at"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("archive log record")
        verbose_name_plural = _("archive log records")
        ordering = ["seq"]
        indexes = [models.Index(fields=["kind", "seq"], name="archive_log_kind_seq")]

    def __str__(self):
        return f"#{self.seq} {self.kind} {self.hash[:12]}"


class ArchiveEntry(models.Model):
    learner = models.ForeignKey("learners.Learner", on_delete=models.PROTECT, related_name="archive_entries")
    # One entry per enrolment: the database itself keeps a completion from being archived twice.
    enrollment = models.OneToOneField(
        "learners.Enrollment", on_delete=models.PROTECT, related_name="archive_entry"
    )
    # The completion record that attests this entry (its seq and hash are the entry's).
    record = models.OneToOneField(LogRecord, on_delete=models.PROTECT, related_name="entry")
    course = models.ForeignKey("courses.CoursePage", on_delete=models.PROTECT, related_name="+")
    course_title = models.CharField(_("course"), max_length=255)
    occupation_code = models.CharField(_("occupation code"), max_length=12)
    occupation_name = models.CharField(_("occupation"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    required_hours = models.DecimalField(_("required study hours"), max_digits=6, decimal_places=2)
    credited_seconds = models.FloatField(_("credited study time (seconds)"))
    completed_at = models.DateTimeField(_("completed at"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("archive entry")
        verbose_name_plural = _("archive entries")
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
    def hash(self) -> str:
        return self.record.hash


class Certificate(models.Model):
    """A certificate issued on completion. Its number is random (it cannot be guessed from
    another one) and is what the public verification page is looked up by."""

    entry = models.OneToOneField(ArchiveEntry, on_delete=models.PROTECT, related_name="certificate")
    number = models.CharField(_("certificate number"), max_length=32, unique=True)
    type = models.CharField(_("certificate type"), max_length=20, choices=CertificateType.choices)
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self):
        return self.number


class ArchiveHead(models.Model):
    """A signed head of the log: its size and last hash at ``signed_at``, and the compact JWS
    (EdDSA) over exactly ``{"size", "hash", "signed_at"}``. Recorded periodically; the database
    refuses UPDATE and DELETE on heads as on the log."""

    size = models.BigIntegerField(_("size"))
    hash = models.CharField(_("hash"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"))
    jws = models.TextField(_("JWS"))
    kid = models.CharField(_("key id"), max_length=100)

    class Meta:
        verbose_name = _("signed archive head")
        verbose_name_plural = _("signed archive heads")
        ordering = ["-signed_at", "-pk"]
        indexes = [models.Index(fields=["size"], name="archive_head_size")]

    def __str__(self):
        return f"{self.size} {self.hash[:12]} {self.signed_at:%Y-%m-%d %H:%M}"
