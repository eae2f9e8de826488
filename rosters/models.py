"""A roster upload between its preview and its confirmation.

The uploaded file itself is not kept: only the rows parsed from it, as JSON, encrypted at rest
(they hold full ID numbers and phones) and with a checksum, so that what is confirmed is exactly
what was previewed. An upload expires after ``ROSTER_UPLOAD_TTL`` (default 2 hours); once
confirmed, its rows are cleared and only the counts remain.
"""

import uuid

from django.conf import settings
from django.db import models

from learners.crypto import EncryptedTextField


class RosterUpload(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    training_class = models.ForeignKey(
        "institutions.TrainingClass",
        on_delete=models.CASCADE,
        related_name="roster_uploads",
        verbose_name="班级",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="上传人"
    )
    filename = models.CharField("文件名", max_length=200, blank=True)
    payload = EncryptedTextField("解析结果", blank=True, help_text="JSON rows, encrypted at rest.")
    checksum = models.CharField("校验和", max_length=64)
    row_count = models.PositiveIntegerField("行数", default=0)
    error_count = models.PositiveIntegerField("错误行数", default=0)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    expires_at = models.DateTimeField("过期时间", db_index=True)
    confirmed_at = models.DateTimeField("导入时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="导入人",
    )
    result = models.JSONField("导入结果", default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "花名册上传"
        verbose_name_plural = "花名册上传"

    def __str__(self):
        return f"{self.filename or self.pk} → {self.training_class_id}"
