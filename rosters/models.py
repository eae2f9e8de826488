"""A roster upload between its preview and its confirmation.

The uploaded file itself is not kept: only the rows parsed from it, as JSON, encrypted at rest
(they hold full ID numbers and phones) and with a checksum, so that what is confirmed is exactly
what was previewed. An upload expires after ``ROSTER_UPLOAD_TTL`` (default 2 hours); once
confirmed, its rows are cleared and only the counts remain.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from learners.crypto import EncryptedTextField


class RosterUpload(models.Model):
    id = models.UUIDField(_("上传编号"), primary_key=True, default=uuid.uuid4, editable=False)
    training_class = models.ForeignKey(
        "institutions.TrainingClass",
        on_delete=models.CASCADE,
        related_name="roster_uploads",
        verbose_name=_("班级"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("上传人")
    )
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    payload = EncryptedTextField(_("解析结果"), blank=True, help_text=_("JSON 行数据，加密存储。"))
    checksum = models.CharField(_("校验和"), max_length=64)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    error_count = models.PositiveIntegerField(_("错误行数"), default=0)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), db_index=True)
    confirmed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("导入人"),
    )
    result = models.JSONField(_("导入结果"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = pgettext_lazy("model", "花名册上传")
        verbose_name_plural = pgettext_lazy("model plural", "花名册上传")

    def __str__(self):
        return f"{self.filename or self.pk} → {self.training_class_id}"
