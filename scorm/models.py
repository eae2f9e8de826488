"""SCORM courseware: the unpacked package of a SCORM lesson, and each learner's run-time data.

- ``ScormPackage``: what was imported for a lesson of kind "scorm" (its zip unpacked to the
  default storage under ``scorm/<lesson id>/<sha256[:12]>/``) and how to launch it.
- ``ScormAttempt``: one learner's CMI data for one lesson, as the runtime last committed it, with
  the status fields pulled out of it. One per learner and lesson, shared by every end.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScormVersion(models.TextChoices):
    V12 = "1.2", "SCORM 1.2"
    V2004 = "2004", "SCORM 2004"


class ScormPackage(models.Model):
    lesson = models.OneToOneField(
        "courses.Lesson", on_delete=models.CASCADE, related_name="scorm_package", verbose_name=_("lesson")
    )
    version = models.CharField(_("SCORM version"), max_length=4, choices=ScormVersion.choices)
    title = models.CharField(_("title"), max_length=255, blank=True)
    identifier = models.CharField(_("manifest identifier"), max_length=255, blank=True)
    launch = models.CharField(
        _("launch file"),
        max_length=1000,
        help_text=_("Path inside the package of the default organization's first item, with parameters."),
    )
    storage_prefix = models.CharField(
        _("storage prefix"), max_length=255, help_text=_("Folder in the default storage, no trailing slash.")
    )
    sha256 = models.CharField(_("zip SHA-256"), max_length=64)
    file_count = models.PositiveIntegerField(_("files"))
    total_size = models.PositiveBigIntegerField(_("unpacked size (bytes)"))
    mastery_score = models.CharField(_("mastery score"), max_length=10, blank=True)
    launch_data = models.TextField(_("launch data"), blank=True)
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)

    class Meta:
        verbose_name = _("SCORM package")
        verbose_name_plural = _("SCORM packages")

    def __str__(self):
        return f"{self.title} (SCORM {self.version})"

    def storage_name(self, path: str) -> str:
        """Name in the default storage of a file of the package (path already checked)."""
        return f"{self.storage_prefix}/{path}"


class ScormAttempt(models.Model):
    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.CASCADE, related_name="scorm_attempts", verbose_name=_("learner")
    )
    lesson = models.ForeignKey(
        "courses.Lesson", on_delete=models.CASCADE, related_name="scorm_attempts", verbose_name=_("lesson")
    )
    version = models.CharField(_("SCORM version"), max_length=4, choices=ScormVersion.choices)
    cmi = models.JSONField(_("CMI data"), default=dict, help_text=_("The runtime's last commit."))
    lesson_status = models.CharField(_("lesson status (1.2)"), max_length=20, blank=True)
    completion_status = models.CharField(_("completion status (2004)"), max_length=20, blank=True)
    success_status = models.CharField(_("success status (2004)"), max_length=20, blank=True)
    score_raw = models.FloatField(null=True, blank=True)
    score_min = models.FloatField(null=True, blank=True)
    score_max = models.FloatField(null=True, blank=True)
    score_scaled = models.FloatField(null=True, blank=True)
    last_channel = models.CharField(_("last channel"), max_length=10, blank=True)
    completed_at = models.DateTimeField(
        _("completed at"), null=True, blank=True, help_text=_("When the status first said completed/passed.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SCORM attempt")
        verbose_name_plural = _("SCORM attempts")
        constraints = [
            models.UniqueConstraint(fields=["learner", "lesson"], name="one_scorm_attempt_per_lesson")
        ]

    def __str__(self):
        return f"{self.learner_id}/{self.lesson_id}: {self.lesson_status or self.completion_status}"
