"""Operators see every WeChat notification and its result; nothing here is edited by hand."""

from django.contrib import admin

from wechat.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("kind", "learner", "status", "attempts", "last_error", "created_at", "sent_at")
    list_filter = ("status", "kind")
    date_hierarchy = "created_at"
    list_select_related = ("learner",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
