"""Operators see every WeChat notification and its result; nothing here is edited by hand."""

from django.contrib import admin

from common.admin import ReadOnlyModelAdmin
from wechat.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyModelAdmin):
    list_display = ("kind", "learner", "status", "attempts", "last_error", "created_at", "sent_at")
    list_filter = ("status", "kind")
    date_hierarchy = "created_at"
    list_select_related = ("learner",)
