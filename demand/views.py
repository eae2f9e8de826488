"""Pages of training demand (提单), one screen per role:

- 我要培训 (learner, ``/demand/``): state a wanted occupation, picked by name or code with
  suggestions (``/demand/occupations/?q=``), and follow one's demands; the same page is the
  WeChat H5 page (the WeChat login opens the session);
- 培训需求 (enterprise HR, ``/demand/enterprise/``): the enterprise's bulk demand, typed line by
  line or uploaded as the .xlsx template (``template.xlsx``); every line checked, all written
  or none;
- 需求汇总 (district official: their district; bureau and auditors: the city,
  ``/demand/overview/``): by occupation and by district, with counts and a bar chart, and the
  demands as .xlsx (``export.xlsx``).

Anonymous visitors go to the login page (?next=). A role that may never use a page gets a 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods

from audit.models import AuditAction
from audit.services import audit_record
from demand import bulk, permissions, selectors, services
from demand.charts import bar_chart
from demand.export import XLSX_CONTENT_TYPE, demands_xlsx
from demand.forms import DemandForm, EnterpriseDemandForm
from demand.models import DemandStatus
from institutions import roles
from vocabulary.people import District

PAGE_SIZE = 20

# ---------------------------------------------------------------- the worker


def _learner_id(request) -> int:
    if not permissions.can_submit_own(request.user):
        raise PermissionDenied(_("只有注册学员可以提交培训需求。"))
    return roles.scope_of(request.user).learner_id


@login_required
@require_http_methods(["GET", "POST"])
def mine(request):
    learner_id = _learner_id(request)
    form = DemandForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            occupation = form.cleaned_data["occupation"]
            demand, created = services.demand_submit(
                learner_id=learner_id,
                occupation_id=occupation.pk,
                note=form.cleaned_data["note"],
                user=request.user,
            )
            if created:
                messages.success(
                    request,
                    _("已提交：您想参加“%(name)s”培训。有对应的培训项目和班级时，会在这里和微信里通知您。")
                    % {"name": occupation.name},
                )
            else:
                messages.info(
                    request,
                    _("您已提交过“%(name)s”的培训需求（%(status)s），无需重复提交。")
                    % {"name": occupation.name, "status": demand.get_status_display()},
                )
            return redirect("demand:mine")
        status = 400
    page = Paginator(selectors.learner_demands(learner_id), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "demand/mine.html", {"form": form, "page": page}, status=status)


@login_required
@require_GET
def occupation_search(request):
    """Suggestions for the occupation field: ``{"results": [{"code", "name"}, ...]}``."""
    found = selectors.occupations_search(request.GET.get("q", ""))
    return JsonResponse({"results": [{"code": item.code, "name": item.name} for item in found]})


# ---------------------------------------------------------------- enterprise HR


def _enterprise(request):
    if not permissions.can_submit_for_enterprise(request.user):
        raise PermissionDenied(_("只有企业人力资源人员可以提交企业培训需求。"))
    enterprise = selectors.enterprise_by_id(roles.scope_of(request.user).enterprise_id)
    if enterprise is None:  # the enterprise was deleted within the request
        raise Http404(_("没有这个企业。"))
    return enterprise


def _enterprise_page(request, enterprise, form, *, errors=(), status=200):
    page = Paginator(selectors.enterprise_demands(enterprise.pk), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"enterprise": enterprise, "form": form, "errors": list(errors), "page": page}
    return render(request, "demand/enterprise.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def enterprise(request):
    company = _enterprise(request)
    if request.method == "GET":
        return _enterprise_page(request, company, EnterpriseDemandForm())
    form = EnterpriseDemandForm(request.POST, request.FILES)
    if not form.is_valid():
        return _enterprise_page(request, company, form, status=400)
    upload = form.cleaned_data.get("file")
    try:
        if upload:
            if upload.size > bulk.MAX_BYTES:
                raise bulk.BulkFileError(
                    _("文件过大（上限 %(kb)s KB）。") % {"kb": bulk.MAX_BYTES // 1024}, 413
                )
            lines = bulk.lines_from_file(upload.read(bulk.MAX_BYTES + 1))
        else:
            lines = bulk.lines_from_text(form.cleaned_data["lines"])
    except bulk.BulkFileError as error:
        return _enterprise_page(request, company, form, errors=[error.message], status=error.status)
    rows, errors = bulk.check_lines(lines)
    if errors:
        return _enterprise_page(request, company, form, errors=errors, status=400)
    try:
        services.enterprise_demands_submit(enterprise=company, rows=rows, user=request.user)
    except services.EnterpriseBarred as refusal:
        return _enterprise_page(request, company, form, errors=[refusal.detail], status=403)
    messages.success(
        request,
        _("已提交 %(rows)s 个职业、共 %(people)s 人的培训需求。")
        % {"rows": len(rows), "people": sum(row.head_count for row in rows)},
    )
    return redirect("demand:enterprise")


@login_required
@require_GET
def enterprise_template(request):
    _enterprise(request)
    response = HttpResponse(bulk.bulk_template_xlsx(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, pgettext("file name", "培训需求模板") + ".xlsx"
    )
    return response


# ---------------------------------------------------------------- readers


def _reader(request):
    if not permissions.can_read_demands(request.user):
        raise PermissionDenied(_("只有区县人社、市人社局和审计人员可以查看培训需求汇总。"))


def _filtered(request) -> tuple:
    """The demands in the reader's scope under the page's filters, and the filters."""
    district = permissions.reader_district(request.user)
    wanted_district = request.GET.get("district", "")
    if district or wanted_district not in District.values:
        wanted_district = ""
    wanted_status = request.GET.get("status", "")
    if wanted_status not in DemandStatus.values:
        wanted_status = ""
    demands = permissions.demands_visible_to(request.user)
    if wanted_district:
        demands = demands.filter(district=wanted_district)
    if wanted_status:
        demands = demands.filter(status=wanted_status)
    return demands, {"district": wanted_district, "status": wanted_status, "scope_district": district}


@login_required
@require_GET
def overview(request):
    _reader(request)
    demands, filters = _filtered(request)
    district_names = {value: str(label) for value, label in District.choices}  # in the page's language
    group = request.GET.get("group", "occupation")
    if group not in ("occupation", "district"):
        group = "occupation"
    if group == "occupation":
        page = Paginator(selectors.by_occupation(demands), 30).get_page(request.GET.get("page"))
        rows = [
            {**row, "districts": sorted(district_names.get(value, value) for value in row["districts"])}
            for row in selectors.with_districts(page, demands)
        ]
        chart = bar_chart(rows, label="name", value="people")
    else:
        page = Paginator(selectors.by_district(demands), 30).get_page(request.GET.get("page"))
        rows = [
            {**row, "district_name": district_names.get(row["district"], row["district"])} for row in page
        ]
        chart = bar_chart(rows, label="district_name", value="people")
    context = {
        "group": group,
        "page": page,
        "rows": rows,
        "chart": chart,
        "totals": selectors.totals(demands),
        "statuses": DemandStatus.choices,
        "districts": District.choices,
        **filters,
        "scope_district_name": district_names.get(filters["scope_district"], filters["scope_district"]),
    }
    return render(request, "demand/overview.html", context)


@login_required
@require_GET
def export(request):
    _reader(request)
    demands, filters = _filtered(request)
    audit_record(request, action=AuditAction.EXPORT, subject="demand.training_demands", detail=filters)
    response = StreamingHttpResponse(
        demands_xlsx(selectors.export_rows(demands)), content_type=XLSX_CONTENT_TYPE
    )
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = content_disposition_header(
        True, pgettext("file name", "培训需求-%(date)s") % {"date": stamp} + ".xlsx"
    )
    response["Cache-Control"] = "no-store"
    return response
