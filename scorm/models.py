"""SCORM courseware: the unpacked package of a SCORM lesson, and each learner's run-time data.

- ``ScormPackage``: what was imported for a lesson of kind "scorm" (its zip unpacked to the
  default storage under ``scorm/<lesson id>/<sha256[:12]>/``) and how to launch it.
- ``ScormAttempt``: one learner's CMI data for one lesson, as the runtime last committed it, with
  the status fields pulled out of it. One per learner and lesson, shared by every end.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ScormVersion(models.TextChoices):
    V12 = "1.2", "SCORM 1.2"
    V2004 = "2004", "SCORM 2004"


class ScormPackage(models.Model):
    lesson = models.OneToOneField(
        "courses.Lesson",
        on_delete=models.CASCADE,
        related_name="scorm_package",
        verbose_name=pgettext_lazy("field", "课时"),
    )
    version = models.CharField(_("SCORM 版本"), max_length=4, choices=ScormVersion.choices)
    title = models.CharField(_("标题"), max_length=255, blank=True)
    identifier = models.CharField(_("清单标识"), max_length=255, blank=True)
    launch = models.CharField(
        _("启动文件"),
        max_length=1000,
        help_text=_("默认组织第一项在包内的路径，含参数。"),
    )
    storage_prefix = models.CharField(
        _("存储目录"), max_length=255, help_text=_("默认存储中的文件夹，末尾不带斜杠。")
    )
    sha256 = models.CharField(_("压缩包 SHA-256"), max_length=64)
    file_count = models.PositiveIntegerField(_("文件数"))
    total_size = models.PositiveBigIntegerField(_("解压后大小（字节）"))
    mastery_score = models.CharField(_("掌握分数"), max_length=10, blank=True)
    launch_data = models.TextField(_("启动数据"), blank=True)
    imported_at = models.DateTimeField(_("导入时间"), auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "SCORM 课件包")
        verbose_name_plural = pgettext_lazy("model plural", "SCORM 课件包")

    def __str__(self):
        return f"{self.title} (SCORM {self.version})"

    def storage_name(self, path: str) -> str:
        """Name in the default storage of a file of the package (path already checked)."""
        return f"{self.storage_prefix}/{path}"


class ScormAttempt(models.Model):
    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.CASCADE, related_name="scorm_attempts", verbose_name=_("学员")
    )
    lesson = models.ForeignKey(
        "courses.Lesson",
        on_delete=models.CASCADE,
        related_name="scorm_attempts",
        verbose_name=pgettext_lazy("field", "课时"),
    )
    version = models.CharField(_("SCORM 版本"), max_length=4, choices=ScormVersion.choices)
    cmi = models.JSONField(_("CMI 数据"), default=dict, help_text=_("运行时最近一次提交的数据。"))
    lesson_status = models.CharField(_("课时状态（1.2）"), max_length=20, blank=True)
    completion_status = models.CharField(_("完成状态（2004）"), max_length=20, blank=True)
    success_status = models.CharField(_("成功状态（2004）"), max_length=20, blank=True)
    score_raw = models.FloatField(_("原始得分"), null=True, blank=True)
    score_min = models.FloatField(_("最低分"), null=True, blank=True)
    score_max = models.FloatField(_("最高分"), null=True, blank=True)
    score_scaled = models.FloatField(_("标准化得分"), null=True, blank=True)
    last_channel = models.CharField(_("最近渠道"), max_length=10, blank=True)
    completed_at = models.DateTimeField(
        _("完成时间"), null=True, blank=True, help_text=_("状态首次报告完成或通过的时间。")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "SCORM 学习记录")
        verbose_name_plural = pgettext_lazy("model plural", "SCORM 学习记录")
        constraints = [
            models.UniqueConstraint(fields=["learner", "lesson"], name="one_scorm_attempt_per_lesson")
        ]

    def __str__(self):
        return f"{self.learner_id}/{self.lesson_id}: {self.lesson_status or self.completion_status}"
