"""Pages of the institutions' evaluation, one screen per role:

- 机构评估 (``/evaluation/``): the year's scorecards of the institutions the user reads, flagged
  first, filtered by year and district, paginated (bureau and auditors: all; a district official:
  their district's, read-only);
- an institution's scorecard (``/evaluation/institutions/<id>/``): its figures and flags, the
  ratings' comments (bureau, auditors, its staff; masked names), the decisions, and the
  bureau's decision form;
- 本机构评估 (``/evaluation/mine/``): the staff's own institution's scorecard and decisions;
- the learner's rating of a completed course (``POST /evaluation/ratings/``, from 我的档案);
- the year's scorecards as .xlsx (bureau, ``/evaluation/export.xlsx``).

Anonymous visitors go to the login page (?next=). A role that may never use a page gets a 403
before any look-up; an institution outside the user's reach is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from audit.models import AuditAction
from audit.services import audit_record
from common.text import ascii_int
from evaluation import permissions, selectors, services
from evaluation.export import XLSX_CONTENT_TYPE, scorecards_xlsx
from evaluation.forms import YEARS, DecisionForm, RatingForm, ScorecardFilterForm
from evaluation.models import DecisionKind
from institutions.models import Institution

PAGE_SIZE = 50

# ---------------------------------------------------------------- the learner's rating


@login_required
@require_POST
def rate(request):
    learner = getattr(request.user, "learner", None)
    if learner is None:
        raise PermissionDenied(_("只有注册学员可以评价课程。"))
    form = RatingForm(request.POST)
    course_id = form.data.get("course", "")
    back = reverse("my-archive") + (f"#rating-{course_id}" if str(course_id).isdigit() else "")
    if not form.is_valid():
        messages.error(request, _("请选择 1 到 5 星，评价最多 200 个字。"))
        return redirect(back)
    try:
        _rating, created = services.rating_submit(
            learner_id=learner.pk,
            course_id=form.cleaned_data["course"],
            stars=form.cleaned_data["stars"],
            comment=form.cleaned_data["comment"],
        )
    except services.NotCompleted as refused:
        raise PermissionDenied(refused.detail) from None
    except (services.RatingInvalid, services.RatingFinal) as refused:
        messages.error(request, refused.detail)
    else:
        messages.success(request, _("感谢评价。") if created else _("已修改评价。"))
    return redirect(back)


# ---------------------------------------------------------------- scorecards


def _year(value) -> int:
    """The year asked for, or this year (China's time) when none or not a year."""
    year = ascii_int(value)
    if year is not None and YEARS[0] <= year <= YEARS[1]:
        return year
    return selectors.current_year()


@login_required
@require_GET
def scorecard_list(request):
    if not permissions.can_list_scorecards(request.user):
        raise PermissionDenied(_("只有市人社局、审计人员和区县人社可以查看机构评估。"))
    form = ScorecardFilterForm(request.GET)
    form.is_valid()
    year = _year(request.GET.get("year"))
    district = form.cleaned_data.get("district", "") if form.is_valid() else ""
    institutions = permissions.institutions_visible_to(request.user)
    if district:
        institutions = institutions.filter(district=district)
    cards = selectors.scorecards(institutions, year)
    page = Paginator(cards, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/scorecard_list.html",
        {
            "page": page,
            "year": year,
            "district": district,
            "form": ScorecardFilterForm(initial={"year": year, "district": district}),
            "flagged": sum(1 for card in cards if card.flagged),
            "total": len(cards),
            "can_export": permissions.can_export(request.user),
            "thresholds": selectors.Thresholds.from_settings(),
        },
    )


def _detail(request, institution: Institution, year: int, *, status=200, decision_form=None, mine=False):
    user = request.user
    decide = permissions.can_decide(user)
    if decide and decision_form is None:
        decision_form = DecisionForm(initial={"year": year})
    return render(
        request,
        "evaluation/scorecard_detail.html",
        {
            "institution": institution,
            "year": year,
            "card": selectors.scorecard(institution, year),
            "comments": selectors.institution_comments(institution.pk, year)
            if permissions.can_read_comments(user, institution.pk)
            else None,
            "decisions": selectors.institution_decisions(institution.pk),
            "decision_form": decision_form if decide else None,
            "mine": mine,
            "can_list": permissions.can_list_scorecards(user),
            "thresholds": selectors.Thresholds.from_settings(),
        },
        status=status,
    )


def _institution_in_reach(request, institution_id: int) -> Institution:
    if not permissions.can_read_scorecards(request.user):
        raise PermissionDenied(_("只有市人社局、审计人员、区县人社和培训机构可以查看机构评估。"))
    institution = permissions.institutions_visible_to(request.user).filter(pk=institution_id).first()
    if institution is None:
        raise Http404(_("没有这个培训机构。"))
    return institution


@login_required
@require_GET
def scorecard_detail(request, institution_id: int):
    institution = _institution_in_reach(request, institution_id)
    return _detail(request, institution, _year(request.GET.get("year")))


@login_required
@require_GET
def mine(request):
    institution_id = permissions.own_institution_id(request.user)
    if institution_id is None:
        raise PermissionDenied(_("只有培训机构工作人员可以查看本机构的评估。"))
    institution = Institution.objects.get(pk=institution_id)
    return _detail(request, institution, _year(request.GET.get("year")), mine=True)


@login_required
@require_POST
def decide(request, institution_id: int):
    if not permissions.can_decide(request.user):
        raise PermissionDenied(_("只有市人社局可以对培训机构作出处理决定。"))
    institution = _institution_in_reach(request, institution_id)
    form = DecisionForm(request.POST)
    year = _year(request.POST.get("year"))
    if not form.is_valid():
        return _detail(request, institution, year, status=400, decision_form=form)
    try:
        decision = services.decision_record(
            institution=institution,
            year=form.cleaned_data["year"],
            kind=form.cleaned_data["kind"],
            reason=form.cleaned_data["reason"],
            until=form.cleaned_data["until"],
            user=request.user,
        )
    except services.DecisionInvalid as error:
        form.add_error(error.field if error.field in form.fields else None, error.detail)
        return _detail(request, institution, year, status=400, decision_form=form)
    audit_record(
        request,
        action=AuditAction.DECISION,
        subject="evaluation.institutions",
        object_id=institution.pk,
        detail={
            "decision": decision.pk,
            "kind": decision.kind,
            "year": decision.year,
            "reason": decision.reason,
            "until": decision.until.isoformat() if decision.until else None,
        },
    )
    done = {
        DecisionKind.WARNING: _("已作出警告，培训机构会看到它。"),
        DecisionKind.SUSPENSION: _("已暂停该机构接单。"),
        DecisionKind.REMOVAL: _("已将该机构移出培训机构目录，并暂停其接单。"),
        DecisionKind.LIFTED: _("已解除。"),
    }
    messages.success(request, done[decision.kind])
    return redirect(f"{reverse('evaluation:institution', args=[institution.pk])}?year={decision.year}")


@login_required
@require_GET
def export(request):
    if not permissions.can_export(request.user):
        raise PermissionDenied(_("只有市人社局可以导出机构评估。"))
    year = _year(request.GET.get("year"))
    form = ScorecardFilterForm(request.GET)
    district = form.cleaned_data.get("district", "") if form.is_valid() else ""
    institutions = permissions.institutions_visible_to(request.user)
    if district:
        institutions = institutions.filter(district=district)
    content = scorecards_xlsx(selectors.scorecards(institutions, year), year)
    audit_record(
        request,
        action=AuditAction.EXPORT,
        subject="evaluation.scorecards",
        detail={"year": year, "district": district},
    )
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"institution-scorecards-{year}.xlsx"
    )
    return response
