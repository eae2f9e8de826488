"""Django admin: the subsidy standards, edited by the bureau (auditors read them); the claims and
their history, read-only for the bureau and auditors (claims change only through the review
steps, each recorded). Who is who comes from ``institutions.roles``."""

from django.contrib import admin

from common.admin import ReadOnlyModelAdmin
from institutions import roles
from subsidies.models import ClaimEvent, SubsidyClaim, SubsidyStandard

READERS = frozenset({roles.Role.BUREAU, roles.Role.AUDITOR})


def _is_bureau(request) -> bool:
    return roles.Role.BUREAU in roles.roles_of(request.user)


def _reads(request) -> bool:
    return bool(roles.roles_of(request.user) & READERS)


@admin.register(SubsidyStandard)
class SubsidyStandardAdmin(admin.ModelAdmin):
    list_display = ["occupation", "level", "amount", "note", "updated_at"]
    list_filter = ["level"]
    search_fields = ["occupation__code", "occupation__name"]
    list_select_related = ["occupation"]

    def has_module_permission(self, request):
        return _reads(request)

    def has_view_permission(self, request, obj=None):
        return _reads(request)

    def has_add_permission(self, request):
        return _is_bureau(request)

    def has_change_permission(self, request, obj=None):
        return _is_bureau(request)

    def has_delete_permission(self, request, obj=None):
        return _is_bureau(request)


class ClaimEventInline(admin.TabularInline):
    model = ClaimEvent
    fields = ["at", "actor", "role", "from_status", "to_status", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SubsidyClaim)
class SubsidyClaimAdmin(ReadOnlyModelAdmin):
    list_display = ["pk", "occupation_code", "level", "completion_year", "amount", "status", "submitted_at"]
    list_filter = ["status", "completion_year", "level"]
    date_hierarchy = "submitted_at"
    inlines = [ClaimEventInline]
    exclude = ["learner", "archive_entry"]  # shown masked on the review page, not as raw choices

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name not in self.exclude]

    def has_module_permission(self, request):
        return _reads(request)

    def has_view_permission(self, request, obj=None):
        return _reads(request)
