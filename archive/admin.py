"""Read-only admin lists of the archive: entries are written by completions, never by hand."""

from django.contrib import admin

from archive.models import ArchiveEntry, Certificate


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ArchiveEntry)
class ArchiveEntryAdmin(ReadOnlyAdmin):
    list_display = ["course_title", "occupation_name", "level", "completed_at"]
    list_filter = ["level"]
    date_hierarchy = "completed_at"


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["number", "type", "issued_at"]
    search_fields = ["number"]
