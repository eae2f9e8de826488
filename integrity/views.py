"""Pages of the fraud review and the dishonesty records:

- 异常复核 (``/integrity/cases/``): the review cases the user reaches, heaviest first, filtered by
  status (open by default) and, for the bureau and auditors, district; names masked;
- a case (``/integrity/cases/<id>/``): its signals with their evidence, the learner's timeline
  around the signals' days, and the decision form (POST to the same address); each view of a
  case and each decision is written to the audit trail;
- 失信记录 (``/integrity/records/``, bureau and auditors), a record entered by hand
  (``/integrity/records/new/``, bureau) and lifted (``/integrity/records/<id>/lift/``, bureau).

Anonymous visitors go to the login page (?next=). A role that may never use a page gets a 403
before any look-up; a case outside the user's reach is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from audit.models import AuditAction
from audit.services import audit_record
from institutions.models import Enterprise, Institution
from integrity import permissions, selectors, services
from integrity.forms import CaseFilterForm, DecisionForm, LiftForm, RecordFilterForm, RecordForm
from integrity.models import CaseStatus, DecisionKind, DishonestyRecord, SubjectKind
from learners.models import Learner
from vocabulary.identity import mask_id_number, mask_name
from vocabulary.people import District

PAGE_SIZE = 50


def _reviewer(request):
    if not permissions.can_review(request.user):
        raise PermissionDenied(permissions.REVIEW_DENIED)


# ---------------------------------------------------------------- the queue and a case


@login_required
@require_GET
def case_list(request):
    _reviewer(request)
    every_district = permissions.reads_every_district(request.user)
    form = CaseFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status", CaseStatus.OPEN) if "status" in request.GET else CaseStatus.OPEN
    district = data.get("district", "") if every_district else ""
    cases = selectors.case_queue(permissions.cases_visible_to(request.user), status=status, district=district)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    districts = dict(District.choices)
    for case in page:
        case.masked_name = mask_name(case.learner.real_name)
        case.district_label = districts.get(case.district, case.district)
    return render(
        request,
        "integrity/case_list.html",
        {
            "page": page,
            "status": status,
            "district": district,
            "every_district": every_district,
            "form": CaseFilterForm(initial={"status": status, "district": district}),
            "can_read_records": permissions.can_read_records(request.user),
        },
    )


def _case_in_reach(request, case_id: int):
    _reviewer(request)
    case = permissions.cases_visible_to(request.user).select_related("learner").filter(pk=case_id).first()
    if case is None:
        raise Http404(_("没有这个复核案件。"))
    return case


def _entry_choices(entries) -> list[tuple[int, str]]:
    return [
        (
            entry.pk,
            f"{entry.course_title} · {entry.completed_at.astimezone(selectors.CHINA):%Y-%m-%d}"
            + (f" · {_('已认定无效')}" if entry.invalidated else ""),
        )
        for entry in entries
    ]


def _case_page(request, case, *, form=None, status=200):
    signals = selectors.case_signals(case)
    for signal in signals:
        signal.items = selectors.evidence_items(signal)
    line = selectors.timeline(case, signals)
    decision = selectors.case_decision(case)
    may_decide = case.status == CaseStatus.OPEN and permissions.can_decide(request.user, case)
    if may_decide and form is None:
        suggested = selectors.suggested_entry_ids(case.learner_id, signals)
        form = DecisionForm(
            entries=_entry_choices(line.entries), initial={"entries": [str(pk) for pk in suggested]}
        )
    learner = case.learner
    return render(
        request,
        "integrity/case_detail.html",
        {
            "case": case,
            "learner_name": mask_name(learner.real_name),
            "learner_id_number": mask_id_number(learner.id_number),
            "case_district": dict(District.choices).get(case.district, case.district),
            "signals": signals,
            "timeline": line,
            "decision": decision,
            "form": form if may_decide else None,
            "window_days": selectors.WINDOW_DAYS,
            "limits": {"events": selectors.TIMELINE_EVENTS, "rows": selectors.TIMELINE_ROWS},
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_detail(request, case_id: int):
    case = _case_in_reach(request, case_id)
    if request.method == "GET":
        audit_record(request, action=AuditAction.VIEW, subject="integrity.case", object_id=case.pk)
        return _case_page(request, case)
    return _decide(request, case)


def _decide(request, case):
    if not permissions.can_decide(request.user, case):
        raise PermissionDenied(_("您不能处理这个案件。"))
    entries = selectors.learner_entries(case.learner_id)
    form = DecisionForm(request.POST, entries=_entry_choices(entries))
    if not form.is_valid():
        return _case_page(request, case, form=form, status=400)
    try:
        decision = services.case_decide(
            case_id=case.pk,
            user=request.user,
            kind=form.cleaned_data["kind"],
            reason=form.cleaned_data["reason"],
            entry_ids=form.entry_ids(),
            dishonesty_days=form.days(),
            request=request,
        )
    except services.DecisionRefused as refused:
        if refused.status == 409:
            messages.error(request, refused.detail)
            case.refresh_from_db()
            return _case_page(request, case, status=409)
        form.add_error(refused.field if refused.field in form.fields else None, refused.detail)
        return _case_page(request, case, form=form, status=refused.status)
    done = {
        DecisionKind.DISMISS: _("已排除，案件已处理。"),
        DecisionKind.WARN: _("已作出警告，案件已处理。"),
        DecisionKind.INVALIDATE: _("已认定学时无效：档案日志已追加更正记录。"),
        DecisionKind.REFER: _("已移交处理，案件已处理。"),
    }
    messages.success(request, done[decision.kind])
    if form.days():
        messages.success(request, _("已登记失信记录。"))
    return redirect("integrity:case", case_id=case.pk)


# ---------------------------------------------------------------- dishonesty records


def _subject_label(record: DishonestyRecord) -> str:
    if record.subject_kind == SubjectKind.PERSON and record.learner is not None:
        return mask_name(record.learner.real_name) + _("（%(number)s）") % {
            "number": mask_id_number(record.learner.id_number)
        }
    if record.subject_kind == SubjectKind.ENTERPRISE and record.enterprise is not None:
        return record.enterprise.name
    if record.institution is not None:
        return record.institution.name
    return ""


@login_required
@require_GET
def record_list(request):
    if not permissions.can_read_records(request.user):
        raise PermissionDenied(permissions.RECORDS_DENIED)
    form = RecordFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    kind, active = data.get("kind", ""), data.get("active", "")
    records = selectors.records_listed(kind=kind, active={"1": True, "0": False}.get(active))
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    today = selectors.today()
    for record in page:
        record.subject_label = _subject_label(record)
        record.state = selectors.record_state(record, today)
        record.state_label = selectors.RECORD_STATES[record.state]
    return render(
        request,
        "integrity/record_list.html",
        {
            "page": page,
            "form": RecordFilterForm(initial={"kind": kind, "active": active}),
            "kind": kind,
            "active": active,
            "can_write": permissions.can_write_records(request.user),
        },
    )


def _writer(request):
    if not permissions.can_write_records(request.user):
        raise PermissionDenied(permissions.RECORD_WRITE_DENIED)


def _record_subject(form: RecordForm):
    """The Learner, Enterprise or Institution the form names, or None with the field's error."""
    kind = form.cleaned_data["subject_kind"]
    if kind == SubjectKind.PERSON:
        number = form.cleaned_data.get("id_number", "").strip()
        found = Learner.objects.with_id_number(number).first() if number and "\x00" not in number else None
        if found is None:
            form.add_error("id_number", _("没有这个身份证号的学员。"))
        return found
    if kind == SubjectKind.ENTERPRISE:
        code = form.cleaned_data.get("credit_code", "").strip().upper()
        found = Enterprise.objects.filter(credit_code=code).first() if code and "\x00" not in code else None
        if found is None:
            form.add_error("credit_code", _("没有这个统一社会信用代码的企业。"))
        return found
    found = form.cleaned_data.get("institution")
    if found is None:
        form.add_error("institution", _("请选择培训机构。"))
    return found


@login_required
@require_http_methods(["GET", "POST"])
def record_new(request):
    _writer(request)
    institutions = Institution.objects.order_by("name", "pk")
    today = selectors.today()
    if request.method == "GET":
        form = RecordForm(institutions=institutions, initial={"starts_on": today})
        return render(request, "integrity/record_form.html", {"form": form})
    form = RecordForm(request.POST, institutions=institutions)
    if form.is_valid():
        subject = _record_subject(form)
        if subject is not None:
            try:
                record = services.record_create(
                    user=request.user,
                    subject_kind=form.cleaned_data["subject_kind"],
                    subject=subject,
                    reason=form.cleaned_data["reason"],
                    starts_on=form.cleaned_data["starts_on"],
                    ends_on=form.cleaned_data["ends_on"],
                    request=request,
                )
            except services.DecisionRefused as refused:
                form.add_error(refused.field if refused.field in form.fields else None, refused.detail)
            else:
                messages.success(
                    request,
                    _("已登记失信记录，%(ends)s 前有效。") % {"ends": record.ends_on.isoformat()},
                )
                return redirect("integrity:records")
    return render(request, "integrity/record_form.html", {"form": form}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def record_lift(request, record_id: int):
    _writer(request)
    record = selectors.records_listed().filter(pk=record_id).first()
    if record is None:
        raise Http404(_("没有这条失信记录。"))
    form = LiftForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.record_lift(
                    record_id=record.pk,
                    user=request.user,
                    reason=form.cleaned_data["lift_reason"],
                    request=request,
                )
            except services.DecisionRefused as refused:
                form.add_error(None, refused.detail)
                status = refused.status
            else:
                messages.success(request, _("已撤销失信记录。"))
                return redirect(reverse("integrity:records"))
    record.subject_label = _subject_label(record)
    record.state = selectors.record_state(record)
    record.state_label = selectors.RECORD_STATES[record.state]
    return render(request, "integrity/record_lift.html", {"record": record, "form": form}, status=status)
