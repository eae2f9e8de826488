"""The real-name training archive (电子档案): one entry per completed course, and its certificate.

An entry keeps what the course was when the learner completed it (title, occupation, level,
required hours) and the study time credited to them, so a later edit of the course page never
rewrites a person's record. Entries and certificates are written once and never edited by the
application.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from vocabulary.training import CertificateType, Level


class ArchiveEntry(models.Model):
    learner = models.ForeignKey("learners.Learner", on_delete=models.PROTECT, related_name="archive_entries")
    # One entry per enrolment: the database itself keeps a completion from being archived twice.
    enrollment = models.OneToOneField(
        "learners.Enrollment", on_delete=models.PROTECT, related_name="archive_entry"
    )
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
