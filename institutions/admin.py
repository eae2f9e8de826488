"""Django admin (/django-admin/) for institutions, enterprises and classes.

Querysets follow ``institutions.roles``: staff see only their institution and its classes,
district officials their district's, the bureau and auditors everything. Learners appear only
through ``Learner.__str__``, which masks the ID number; no list shows an ID number or phone.
Django's model permissions still apply on top (a user needs is_staff and the permissions).
"""

from django.contrib import admin

from institutions import roles
from institutions.models import (
    Assignment,
    ClassMembership,
    DistrictOfficial,
    Employment,
    Enterprise,
    EnterpriseHR,
    Institution,
    InstitutionStaff,
    TrainingClass,
)


class ScopedAdmin(admin.ModelAdmin):
    """Shows nothing outside the user's scope; only the bureau and auditors see every row."""

    def scope_queryset(self, request, queryset):
        return queryset.none()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if roles.scope_of(request.user).reads_everything:
            return queryset
        return self.scope_queryset(request, queryset)


class MembershipInline(admin.TabularInline):
    model = ClassMembership
    extra = 0
    raw_id_fields = ["learner"]  # shows Learner.__str__: name and masked ID number
    fields = ["learner", "joined_at"]


class AssignmentInline(admin.StackedInline):
    model = Assignment
    extra = 0
    fields = ["course", "lessons", "opens_at", "due_at", "note"]
    raw_id_fields = ["course"]
    filter_horizontal = ["lessons"]


@admin.register(Institution)
class InstitutionAdmin(ScopedAdmin):
    list_display = ["name", "credit_code", "type", "district", "contact_person", "active"]
    list_filter = ["type", "district", "active"]
    search_fields = ["name", "credit_code"]
    filter_horizontal = ["occupations"]

    def scope_queryset(self, request, queryset):
        scope = roles.scope_of(request.user)
        return queryset.filter(pk=scope.institution_id) if scope.institution_id else queryset.none()


@admin.register(Enterprise)
class EnterpriseAdmin(ScopedAdmin):
    list_display = ["name", "credit_code", "district"]
    list_filter = ["district"]
    search_fields = ["name", "credit_code"]

    def scope_queryset(self, request, queryset):
        scope = roles.scope_of(request.user)
        return queryset.filter(pk=scope.enterprise_id) if scope.enterprise_id else queryset.none()


@admin.register(TrainingClass)
class TrainingClassAdmin(ScopedAdmin):
    list_display = ["name", "institution", "course", "district", "mode", "capacity", "starts_on", "ends_on"]
    list_filter = ["district", "level", "mode"]
    search_fields = ["name", "institution__name"]
    raw_id_fields = ["course"]
    filter_horizontal = ["teachers"]
    list_select_related = ["institution", "course"]
    inlines = [MembershipInline, AssignmentInline]

    def get_queryset(self, request):
        return roles.classes_visible_to(request.user).select_related("institution", "course")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = roles.scope_of(request.user)
        if db_field.name == "institution" and not scope.reads_everything:
            kwargs["queryset"] = Institution.objects.filter(pk=scope.institution_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(InstitutionStaff)
class InstitutionStaffAdmin(ScopedAdmin):
    list_display = ["user", "institution", "role"]
    raw_id_fields = ["user"]


@admin.register(EnterpriseHR)
class EnterpriseHRAdmin(ScopedAdmin):
    list_display = ["user", "enterprise"]
    raw_id_fields = ["user"]


@admin.register(Employment)
class EmploymentAdmin(ScopedAdmin):
    list_display = ["learner", "enterprise", "started_on"]
    raw_id_fields = ["learner"]

    def scope_queryset(self, request, queryset):
        scope = roles.scope_of(request.user)
        return queryset.filter(enterprise_id=scope.enterprise_id) if scope.enterprise_id else queryset.none()


@admin.register(DistrictOfficial)
class DistrictOfficialAdmin(ScopedAdmin):
    list_display = ["user", "district"]
    raw_id_fields = ["user"]
