"""The admin list every evidence table uses: rows written by the platform's own services only."""

from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Lists and shows rows; nobody adds, changes or deletes one through the admin (the services
    that write them keep their rules and their audit trail)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
