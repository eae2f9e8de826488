"""Pages of subsidy claims, one screen per role:

- 我的补贴 (learner): each training of their archive with its claim, or a claim button when it
  can be claimed, or why it cannot;
- 班级补贴申领 (institution staff): the class's members and their claims, and one button that
  claims for every member who completed the class's course;
- 补贴审核 (district official: their district's claims; bureau: what the districts approved,
  and what waits for payment; auditor: read-only), the claim with the learner's archive,
  credited time, evidence summary, insurance cross-check, the rules' re-check and its history;
- 导出待发放 (bureau): approved claims as a streamed .xlsx; 社保名单导入 (bureau).

Anonymous visitors go to the login page (?next=). A role that may never use a page gets a 403
before any look-up; a claim or class outside the user's reach is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.models import AuditAction
from audit.services import audit_record
from common.text import ascii_int
from institutions import roles
from institutions import selectors as institution_selectors
from subsidies import claim_limits, insurance, permissions, selectors, services
from subsidies.export import XLSX_CONTENT_TYPE, approved_claims_xlsx
from subsidies.forms import ClaimForm, DecisionForm, InsuranceRosterForm, PaymentForm
from subsidies.models import ClaimStatus, InsuranceImport
from subsidies.rules import ClaimRefused
from vocabulary.identity import mask_name

# ---------------------------------------------------------------- the learner


def _learner(request):
    learner = getattr(request.user, "learner", None)
    if learner is None:
        raise PermissionDenied(_("只有注册学员可以申领培训补贴。"))
    return learner


@login_required
@require_GET
def mine(request):
    return _mine_page(request, _learner(request))


def _mine_page(request, learner, status: int = 200):
    return render(
        request,
        "subsidies/mine.html",
        {"learner": learner, "rows": selectors.learner_entry_rows(learner)},
        status=status,
    )


@login_required
@require_POST
def claim_create(request):
    learner = _learner(request)
    if (wait := claim_limits.claim_wait(request)) is not None:
        messages.error(request, claim_limits.refusal_message(wait))
        response = _mine_page(request, learner, status=429)
        response["Retry-After"] = str(wait)
        return response
    form = ClaimForm(request.POST)
    if not form.is_valid():
        raise Http404(_("您的培训档案中没有这条记录。"))
    try:
        claim = services.claim_submit(
            learner_id=learner.pk, entry_id=form.cleaned_data["archive_entry"], user=request.user
        )
    except services.EntryNotFound:
        raise Http404(_("您的培训档案中没有这条记录。")) from None
    except ClaimRefused as refused:
        messages.error(request, refused.detail)
    else:
        messages.success(
            request,
            _("已提交补贴申领（%(amount)s 元），请等待区县人社部门审核。") % {"amount": claim.amount},
        )
    return redirect("subsidies:mine")


# ---------------------------------------------------------------- institution staff


def _class_for_claims(request, class_id: int):
    if not roles.is_class_reader(request.user):
        raise PermissionDenied(_("只有培训机构工作人员可以为班级申领补贴。"))
    training_class = institution_selectors.visible_class(request.user, class_id)
    if training_class is None:
        raise Http404(_("没有这个班级。"))
    if not permissions.can_bulk_claim(request.user, training_class):
        raise PermissionDenied(_("只有本机构工作人员可以为班级申领补贴。"))
    return training_class


@login_required
@require_http_methods(["GET", "POST"])
def class_claims(request, class_id: int):
    training_class = _class_for_claims(request, class_id)
    outcomes, wait = None, None
    if request.method == "POST" and (wait := claim_limits.claim_wait(request)) is not None:
        messages.error(request, claim_limits.refusal_message(wait))
    elif request.method == "POST":
        outcomes = services.claims_bulk_submit_for_class(training_class=training_class, user=request.user)
        claimed = sum(1 for outcome in outcomes if outcome.claim is not None)
        messages.success(
            request,
            _("批量申领完成：新提交 %(claimed)s 人，未提交 %(refused)s 人（原因见下表）。")
            % {"claimed": claimed, "refused": len(outcomes) - claimed},
        )
    response = render(
        request,
        "subsidies/class_claims.html",
        {
            "training_class": training_class,
            "members": selectors.class_claim_rows(training_class),
            "outcomes": outcomes,
        },
        status=200 if wait is None else 429,
    )
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response


# ---------------------------------------------------------------- review


def _reader(request):
    if not permissions.can_read_claims(request.user):
        raise PermissionDenied(_("只有培训机构、区县人社、市人社局和审计人员可以查看补贴申领。"))


def _default_status(user) -> str:
    """The queue a role works on: the district what was submitted, the bureau what the districts
    approved; others (staff, auditors) see every status."""
    if permissions.is_bureau(user):
        return ClaimStatus.DISTRICT_APPROVED
    if permissions.is_district_official(user):
        return ClaimStatus.SUBMITTED
    return ""


@login_required
@require_GET
def claim_list(request):
    _reader(request)
    wanted = request.GET.get("status", None)
    if wanted is None:
        wanted = _default_status(request.user)
    if wanted and wanted not in ClaimStatus.values:
        wanted = ""
    claims = selectors.claims_listed(permissions.claims_visible_to(request.user))
    if wanted:
        claims = claims.filter(status=wanted)
    page = Paginator(claims, 50).get_page(request.GET.get("page"))
    for claim in page:
        claim.learner_name = mask_name(claim.learner.real_name)
    return render(
        request,
        "subsidies/claim_list.html",
        {
            "page": page,
            "status": wanted,
            "statuses": ClaimStatus.choices,
            "is_bureau": permissions.is_bureau(request.user),
            "is_district": permissions.is_district_official(request.user),
        },
    )


def _claim_in_reach(request, claim_id: int):
    claim = selectors.claim_for_review(permissions.claims_visible_to(request.user), claim_id)
    if claim is None:
        raise Http404(_("没有这份补贴申领。"))
    return claim


def _detail(request, claim, *, status=200, **forms):
    user = request.user
    context = selectors.claim_review_context(claim, with_insurance=permissions.can_see_insurance_check(user))
    can_district = permissions.can_district_decide(user, claim) and claim.status == ClaimStatus.SUBMITTED
    bureau = permissions.is_bureau(user)
    context.update(
        {
            "district_form": forms.get("district_form") or (DecisionForm() if can_district else None),
            "bureau_form": forms.get("bureau_form")
            or (DecisionForm() if bureau and claim.status == ClaimStatus.DISTRICT_APPROVED else None),
            "payment_form": forms.get("payment_form")
            or (PaymentForm() if bureau and claim.status == ClaimStatus.APPROVED else None),
        }
    )
    return render(request, "subsidies/claim_detail.html", context, status=status)


@login_required
@require_GET
def claim_detail(request, claim_id: int):
    _reader(request)
    return _detail(request, _claim_in_reach(request, claim_id))


def _decide(request, claim, form_name: str, decide) -> object:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, claim, status=400, **{form_name: form})
    approve = form.cleaned_data["decision"] == "approve"
    reason = form.cleaned_data["reason"]
    try:
        decided = decide(claim_id=claim.pk, user=request.user, approve=approve, reason=reason)
    except ValueError as error:
        form.add_error("reason", str(error))
        return _detail(request, claim, status=400, **{form_name: form})
    except (ClaimRefused, services.ClaimStateError) as error:
        messages.error(request, error.detail)
        return _detail(request, _claim_in_reach(request, claim.pk), status=409)
    audit_record(
        request,
        action=AuditAction.DECISION,
        subject="subsidies.claims",
        object_id=claim.pk,
        detail={
            "step": form_name.removesuffix("_form"),
            "decision": "approve" if approve else "reject",
            "reason": reason,
            "status": decided.status,
        },
    )
    messages.success(request, _("已通过。") if approve else _("已退回，学员会看到原因。"))
    return redirect("subsidies:claim", claim_id=claim.pk)


@login_required
@require_POST
def district_decide(request, claim_id: int):
    if not permissions.is_district_official(request.user):
        raise PermissionDenied(_("只有区县人社工作人员可以做区县审核。"))
    claim = _claim_in_reach(request, claim_id)
    if not permissions.can_district_decide(request.user, claim):
        raise PermissionDenied(_("只有学员所在区县的人社工作人员可以审核这份申领。"))
    return _decide(request, claim, "district_form", services.claim_district_decide)


def _bureau(request):
    if not permissions.is_bureau(request.user):
        raise PermissionDenied(_("只有市人社局可以审批、登记发放、导出和导入社保名单。"))


@login_required
@require_POST
def bureau_decide(request, claim_id: int):
    _bureau(request)
    return _decide(request, _claim_in_reach(request, claim_id), "bureau_form", services.claim_bureau_decide)


@login_required
@require_POST
def pay(request, claim_id: int):
    _bureau(request)
    claim = _claim_in_reach(request, claim_id)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        return _detail(request, claim, status=400, payment_form=form)
    try:
        paid = services.claim_mark_paid(
            claim_id=claim.pk, user=request.user, reference=form.cleaned_data["reference"]
        )
    except ValueError as error:
        form.add_error("reference", str(error))
        return _detail(request, claim, status=400, payment_form=form)
    except services.ClaimStateError as error:
        messages.error(request, error.detail)
        return _detail(request, _claim_in_reach(request, claim.pk), status=409)
    audit_record(
        request,
        action=AuditAction.DECISION,
        subject="subsidies.claims",
        object_id=claim.pk,
        detail={"step": "payment", "reference": paid.payment_reference, "status": paid.status},
    )
    messages.success(request, _("已登记发放。"))
    return redirect("subsidies:claim", claim_id=claim.pk)


# ---------------------------------------------------------------- the bureau's tools


@login_required
@require_GET
def export(request):
    """Approved claims waiting for payment (``?year=`` the completion year), streamed."""
    _bureau(request)
    year = ascii_int(request.GET.get("year", ""))
    year = year if year is not None and 2000 <= year <= 2100 else None
    rows = selectors.approved_claims_rows(year=year)
    audit_record(
        request,
        action=AuditAction.EXPORT,
        subject="subsidies.claims",
        detail={"status": ClaimStatus.APPROVED, "year": year},
    )
    response = StreamingHttpResponse(approved_claims_xlsx(rows), content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = content_disposition_header(True, f"待发放补贴-{stamp}.xlsx")
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def insurance_import(request):
    _bureau(request)
    form = InsuranceRosterForm()
    context = {"form": form, "imports": InsuranceImport.objects.select_related("uploaded_by")[:10]}
    if request.method == "POST":
        form = InsuranceRosterForm(request.POST, request.FILES)
        context["form"] = form
        if not form.is_valid():
            return render(request, "subsidies/insurance_import.html", context, status=400)
        upload = form.cleaned_data["file"]
        max_bytes, _rows = insurance.limits()
        try:
            if upload.size > max_bytes:
                raise insurance.InsuranceFileError(
                    _("文件过大（上限 %(kb)s KB）。") % {"kb": max_bytes // 1024}, 413
                )
            batch = services.insurance_roster_import(
                content=upload.read(max_bytes + 1), filename=upload.name or "", user=request.user
            )
        except insurance.InsuranceFileError as error:
            context["file_error"] = error.message
            return render(request, "subsidies/insurance_import.html", context, status=error.status)
        messages.success(
            request,
            _("已导入 %(rows)s 人：新增 %(created)s，更新 %(updated)s。")
            % {"rows": batch.rows, "created": batch.created, "updated": batch.updated},
        )
        return redirect("subsidies:insurance")
    return render(request, "subsidies/insurance_import.html", context)
