"""Django admin: the audit trail, read-only, for those who read the logs
(``institutions.roles.can_read_logs``: auditors). Entries are written by ``audit_record`` only;
nobody adds, edits or deletes one here."""

from django.contrib import admin

from audit.models import AuditEntry
from common.admin import ReadOnlyModelAdmin
from institutions.roles import can_read_logs


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    list_display = ["at", "actor_name", "role", "action", "subject", "object_id", "ip"]
    list_filter = ["action", "role"]
    search_fields = ["=actor_name", "=subject", "=object_id"]
    date_hierarchy = "at"
    exclude = ["actor"]  # the username is shown; the account itself is not a choice to browse
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name not in self.exclude]

    def has_module_permission(self, request):
        return can_read_logs(request.user)

    def has_view_permission(self, request, obj=None):
        return can_read_logs(request.user)
