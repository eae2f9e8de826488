"""Read-only admin lists of the archive: entries are written by completions, records by the
archive log's one append (archive.chain), heads by ``archive_record_head``; never by hand (the
database refuses changes to all three)."""

from django.contrib import admin

from archive.models import (
    ArchiveEntry,
    ArchiveHead,
    Certificate,
    CertificateRevocation,
    ExternalCertificate,
    LogRecord,
)
from common.admin import ReadOnlyModelAdmin


@admin.register(ArchiveEntry)
class ArchiveEntryAdmin(ReadOnlyModelAdmin):
    list_display = ["course_title", "occupation_name", "level", "completed_at", "record"]
    list_filter = ["level"]
    list_select_related = ["record"]
    date_hierarchy = "completed_at"


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyModelAdmin):
    list_display = ["number", "type", "issued_at", "record"]
    search_fields = ["=number"]
    exclude = ["credential"]


@admin.register(CertificateRevocation)
class CertificateRevocationAdmin(ReadOnlyModelAdmin):
    list_display = ["certificate", "revoked_at", "reason", "record"]
    list_select_related = ["certificate", "record"]


@admin.register(ExternalCertificate)
class ExternalCertificateAdmin(ReadOnlyModelAdmin):
    list_display = ["type", "number", "issuer", "issued_on", "recorded_at"]
    list_filter = ["type"]
    search_fields = ["=number"]
    exclude = ["scan"]


@admin.register(LogRecord)
class LogRecordAdmin(ReadOnlyModelAdmin):
    list_display = ["seq", "kind", "recorded_at", "refers_to", "hash"]
    list_filter = ["kind"]
    search_fields = ["=seq", "=hash"]
    show_full_result_count = False


@admin.register(ArchiveHead)
class ArchiveHeadAdmin(ReadOnlyModelAdmin):
    list_display = ["signed_at", "size", "hash", "kid"]
