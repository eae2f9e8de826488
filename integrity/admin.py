"""Django admin: the signals, cases, decisions, invalidations and dishonesty records, read-only
for the bureau and auditors. They change only through the review pages (``integrity.views``),
where each decision is written to the audit trail; personal data stays masked (the learner is
shown by id)."""

from django.contrib import admin

from common.admin import ReadOnlyModelAdmin
from institutions import roles
from integrity.models import CaseDecision, CreditInvalidation, DishonestyRecord, FraudSignal, ReviewCase

READERS = frozenset({roles.Role.BUREAU, roles.Role.AUDITOR})


class ReadOnlyAdmin(ReadOnlyModelAdmin):
    def has_module_permission(self, request):
        return bool(roles.roles_of(request.user) & READERS)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(FraudSignal)
class FraudSignalAdmin(ReadOnlyAdmin):
    list_display = ["day", "kind", "learner_id", "weight", "summary", "case_id"]
    list_filter = ["kind", "day"]


@admin.register(ReviewCase)
class ReviewCaseAdmin(ReadOnlyAdmin):
    list_display = ["pk", "learner_id", "district", "status", "weight", "opened_at", "decided_at"]
    list_filter = ["status", "district"]
    ordering = ["-weight", "opened_at"]


@admin.register(CaseDecision)
class CaseDecisionAdmin(ReadOnlyAdmin):
    list_display = ["case_id", "kind", "decided_by", "decided_at"]
    list_filter = ["kind"]
    list_select_related = ["decided_by"]


@admin.register(CreditInvalidation)
class CreditInvalidationAdmin(ReadOnlyAdmin):
    list_display = ["entry_id", "learner_id", "course_id", "correction_id", "decision_id"]


@admin.register(DishonestyRecord)
class DishonestyRecordAdmin(ReadOnlyAdmin):
    list_display = ["pk", "subject_kind", "starts_on", "ends_on", "created_by", "lifted_at"]
    list_filter = ["subject_kind"]
    list_select_related = ["created_by"]
