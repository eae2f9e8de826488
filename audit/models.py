"""The audit trail (审计日志): every view of a report with personal data, every decision and
every export, with who, when and what. Written by ``audit.services.audit_record``; read by
auditors (and the bureau) at /audit/. Append-only: the application never edits a row."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditAction(models.TextChoices):
    VIEW = "view", _("查看")
    EXPORT = "export", _("导出")
    DECISION = "decision", _("决定")


class AuditEntry(models.Model):
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    # Kept as text as well: the trail still says who it was if the account is deleted.
    actor_name = models.CharField(_("操作人账号"), max_length=150)
    role = models.CharField(_("身份"), max_length=30, blank=True)
    action = models.CharField(_("操作"), max_length=10, choices=AuditAction.choices)
    # What was viewed, exported or decided: a short dotted name, e.g. "reports.training",
    # "integrity.case", "subsidies.claim".
    subject = models.CharField(_("对象"), max_length=60)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "审计记录")
        verbose_name_plural = pgettext_lazy("model plural", "审计记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["at"], name="audit_entry_at"),
            models.Index(fields=["subject", "at"], name="audit_entry_subject_at"),
            models.Index(fields=["actor", "at"], name="audit_entry_actor_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.subject} {self.object_id}"
