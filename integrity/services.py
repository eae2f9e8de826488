"""Writes of the fraud review and the dishonesty records (docs/integrity.md).

- ``case_decide``: a reviewer's decision on a review case (dismiss, warn, invalidate credit,
  refer), with a reason; invalidating credit appends a correction record to the archive log for
  each entry (its credited time becomes 0, so the subsidy rules refuse it) and keeps a
  ``CreditInvalidation``; a dishonesty record (失信记录) of the person may be entered with it.
- ``record_create`` (the bureau, by hand) and ``record_lift`` (end a record early).

Each write is recorded in the audit trail (``audit.services.audit_record``) in its own
transaction. The caller decides who may act (``integrity.permissions``).
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from archive.models import ArchiveEntry
from archive.services import CorrectionRefused, archive_entry_correct
from audit.models import AuditAction
from audit.services import audit_record
from integrity import selectors
from integrity.models import (
    REASON_MAX_LENGTH,
    CaseDecision,
    CaseStatus,
    CreditInvalidation,
    DecisionKind,
    DishonestyRecord,
    ReviewCase,
    SubjectKind,
)

# A record lasts at least a day and at most five years.
RECORD_DAYS = (1, 1825)


class DecisionRefused(Exception):
    """A decision or record the rules refuse; ``field`` names the input at fault ("" for none),
    ``status`` the HTTP status a client gets (400, or 409 for a case already decided)."""

    def __init__(self, detail: str, *, field: str = "", status: int = 400, code: str = "invalid"):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.status = status
        self.code = code


def _reason(reason, field: str = "reason") -> str:
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise DecisionRefused(_("请填写理由。"), field=field)
    if len(reason) > REASON_MAX_LENGTH:
        raise DecisionRefused(_("理由最多 %(n)s 字。") % {"n": REASON_MAX_LENGTH}, field=field)
    if "\x00" in reason:
        raise DecisionRefused(_("理由含有无效字符。"), field=field)
    return reason


def _days(days) -> int | None:
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not RECORD_DAYS[0] <= days <= RECORD_DAYS[1]:
        raise DecisionRefused(
            _("失信记录的期限应为 %(min)s 至 %(max)s 天。") % {"min": RECORD_DAYS[0], "max": RECORD_DAYS[1]},
            field="dishonesty_days",
        )
    return days


def _entries_to_invalidate(case: ReviewCase, entry_ids) -> list[ArchiveEntry]:
    """The learner's entries named (or, when none are, those the signals point at), never
    another learner's; those already invalidated left out."""
    ids = list(entry_ids or ())
    if any(isinstance(pk, bool) or not isinstance(pk, int) for pk in ids):
        raise DecisionRefused(_("档案条目编号无效。"), field="entries")
    if not ids:
        ids = selectors.suggested_entry_ids(case.learner_id, selectors.case_signals(case))
        if not ids:
            raise DecisionRefused(
                _("异常信号没有指向任何档案条目，请选择要认定学时无效的档案条目。"), field="entries"
            )
    entries = list(
        ArchiveEntry.objects.filter(pk__in=set(ids), learner_id=case.learner_id)
        .select_related("record")
        .order_by("completed_at", "pk")
    )
    if len(entries) != len(set(ids)):
        raise DecisionRefused(_("所选档案条目不属于本案学员。"), field="entries")
    done = set(CreditInvalidation.objects.filter(entry__in=entries).values_list("entry_id", flat=True))
    return [entry for entry in entries if entry.pk not in done]


def case_decide(
    *,
    case_id: int,
    user,
    kind: str,
    reason: str,
    entry_ids=(),
    dishonesty_days: int | None = None,
    request=None,
) -> CaseDecision:
    """Decide the case: one transaction under the case's row lock. ``DecisionRefused`` (with
    ``status`` 409) for a case already decided, (400) for an unknown kind, a missing or long
    reason, an entry that is not the learner's, or a record's days outside 1–1825.

    - INVALIDATE: for each entry (``entry_ids``, by default those the signals point at) a
      correction record setting its credited time to 0 (``archive_entry_correct``: the entry
      row is never edited) and a ``CreditInvalidation``; an entry already invalidated is skipped.
    - ``dishonesty_days``: a dishonesty record of the person, from today (China) for that many
      days, ``ends_on`` included.
    - WARN: the learner is not notified yet (WeChat has no template for it; docs/integrity.md).
    """
    if kind not in DecisionKind.values:
        raise DecisionRefused(_("请选择处理决定。"), field="kind")
    reason = _reason(reason)
    days = _days(dishonesty_days)
    with transaction.atomic():
        case = ReviewCase.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            raise DecisionRefused(_("没有这个复核案件。"), status=404, code="not_found")
        if case.status != CaseStatus.OPEN:
            raise DecisionRefused(_("这个案件已经处理过，不能重复处理。"), status=409, code="already_decided")
        entries = _entries_to_invalidate(case, entry_ids) if kind == DecisionKind.INVALIDATE else []
        now = timezone.now()
        decision = CaseDecision.objects.create(
            case=case, kind=kind, reason=reason, decided_by=user, decided_at=now
        )
        case.status = CaseStatus.DECIDED
        case.decided_at = now
        case.save(update_fields=["status", "decided_at"])
        for entry in entries:
            try:
                correction = archive_entry_correct(
                    entry=entry,
                    changes={"credited_seconds": 0},
                    reason=_("复核认定学时无效（案件 %(case)s）：%(reason)s")
                    % {"case": case.pk, "reason": reason},
                    by=user,
                )
            except CorrectionRefused as refused:  # not reachable with these changes: a 400, never a 500
                raise DecisionRefused(str(refused), field="entries") from None
            CreditInvalidation.objects.create(
                entry=entry,
                learner_id=case.learner_id,
                course_id=entry.course_id,
                correction=correction,
                decision=decision,
            )
        record = None
        if days is not None:
            starts = selectors.today()
            record = DishonestyRecord.objects.create(
                subject_kind=SubjectKind.PERSON,
                learner_id=case.learner_id,
                reason=reason,
                starts_on=starts,
                ends_on=starts + dt.timedelta(days=days - 1),
                decision=decision,
                created_by=user,
                created_at=now,
            )
        audit_record(
            request,
            action=AuditAction.DECISION,
            subject="integrity.case",
            object_id=case.pk,
            detail={
                "kind": kind,
                "reason": reason,
                "entries": [entry.pk for entry in entries],
                "days": days,
                "record": record.pk if record else None,
            },
            user=user,
        )
    return decision


def _period(starts_on, ends_on) -> tuple[dt.date, dt.date]:
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date):
        raise DecisionRefused(_("请填写生效日期和截止日期。"), field="ends_on")
    if ends_on < starts_on:
        raise DecisionRefused(_("截止日期不能早于生效日期。"), field="ends_on")
    if (ends_on - starts_on).days + 1 > RECORD_DAYS[1]:
        raise DecisionRefused(_("失信记录最长 %(max)s 天。") % {"max": RECORD_DAYS[1]}, field="ends_on")
    return starts_on, ends_on


def record_create(
    *, user, subject_kind: str, subject, reason: str, starts_on, ends_on, request=None
) -> DishonestyRecord:
    """Enter a dishonesty record by hand (the bureau): ``subject`` is the Learner, Enterprise
    or Institution the kind names. ``DecisionRefused`` for a missing reason or a wrong period."""
    fields = {
        SubjectKind.PERSON: "learner",
        SubjectKind.ENTERPRISE: "enterprise",
        SubjectKind.INSTITUTION: "institution",
    }
    if subject_kind not in fields or subject is None:
        raise DecisionRefused(_("请选择失信对象。"), field="subject_kind")
    reason = _reason(reason)
    starts_on, ends_on = _period(starts_on, ends_on)
    with transaction.atomic():
        record = DishonestyRecord.objects.create(
            subject_kind=subject_kind,
            reason=reason,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=user,
            **{fields[subject_kind]: subject},
        )
        audit_record(
            request,
            action=AuditAction.DECISION,
            subject="integrity.record",
            object_id=record.pk,
            detail={
                "action": "create",
                "subject_kind": subject_kind,
                "subject_id": subject.pk,
                "reason": reason,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
            },
            user=user,
        )
    return record


def record_lift(*, record_id: int, user, reason: str, request=None) -> DishonestyRecord:
    """End a record early, keeping it with who lifted it, when and why. ``DecisionRefused``
    (409) for a record already lifted or expired."""
    reason = _reason(reason, "lift_reason")
    with transaction.atomic():
        record = DishonestyRecord.objects.select_for_update().filter(pk=record_id).first()
        if record is None:
            raise DecisionRefused(_("没有这条失信记录。"), status=404, code="not_found")
        if record.lifted_at is not None:
            raise DecisionRefused(_("这条失信记录已经撤销。"), status=409, code="already_lifted")
        if record.ends_on < selectors.today():
            raise DecisionRefused(_("这条失信记录已经到期，无需撤销。"), status=409, code="expired")
        record.lifted_at = timezone.now()
        record.lifted_by = user
        record.lift_reason = reason
        record.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit_record(
            request,
            action=AuditAction.DECISION,
            subject="integrity.record",
            object_id=record.pk,
            detail={"action": "lift", "reason": reason},
            user=user,
        )
    return record
