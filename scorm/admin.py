from django.contrib import admin

from scorm.models import ScormAttempt, ScormPackage


@admin.register(ScormPackage)
class ScormPackageAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "lesson", "file_count", "imported_at"]
    list_filter = ["version"]
    search_fields = ["title", "identifier", "sha256"]
    readonly_fields = [field.name for field in ScormPackage._meta.fields]


@admin.register(ScormAttempt)
class ScormAttemptAdmin(admin.ModelAdmin):
    list_display = ["learner", "lesson", "lesson_status", "completion_status", "success_status", "updated_at"]
    list_filter = ["version", "lesson_status", "completion_status", "success_status"]
    raw_id_fields = ["learner", "lesson"]
    readonly_fields = [field.name for field in ScormAttempt._meta.fields]
