"""Pages of the unified reports (统一报表), thin views over ``reports.selectors``:

- 统一报表 (``/reports/``): a quarter's or a year's figures per district with the totals, the
  previous period beside them, each district's progress against its task, a chart, the same
  figures cut by target group, occupation, institution or channel, the two skill-share goals and
  the year's task progress; filters in the URL (``?year=&quarter=&cut=&district=``). The
  bureau and auditors read every district (and may narrow to one), a district official their own;
- its Excel download (``/reports/export.xlsx`` with the page's filters): the contract's workbook
  (``reports.export``, as ``/api/v1/reports/training/?...&format=xlsx`` answers it for the
  user's whole scope), streamed, but for the district the page is narrowed to;
- 任务与基数 (``/reports/tasks/``, the bureau): the year's task table and employment base, their
  xlsx imports (all lines or none) and the templates to fill in.

Anonymous visitors go to the login page (?next=); any other role gets a 403. A filter no report
can be made for is a 400 with the reason on the page. Every view of a report is audited.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods

from audit.models import AuditAction
from audit.services import audit_record
from common.replica import reading_from_replica
from institutions.roles import Role, roles_of
from reports import selectors, services
from reports.export import (
    XLSX_CONTENT_TYPE,
    employment_base_template,
    report_filename,
    training_report_xlsx,
    training_tasks_template,
)
from reports.forms import TableImportForm
from reports.models import FIRST_YEAR, EmploymentBase, TrainingTask
from vocabulary.people import District, TargetGroup

REPORT_SUBJECT = "reports.training"


def _district_label(value: str) -> str:
    try:
        return str(District(value).label)
    except ValueError:
        return value


def _percent(ratio) -> float | None:
    return None if ratio is None else round(float(ratio) * 100, 1)


def _scope(request) -> list[str]:
    districts = selectors.report_districts(request.user)
    if districts is None:
        raise PermissionDenied(_("只有市人社局、审计人员和区县人社可以查看统一报表。"))
    return districts


# ---------------------------------------------------------------- filters


class FilterInvalid(ValueError):
    """A filter of the URL that no report can be made for; the message says what to send."""


@dataclass(frozen=True)
class Filters:
    period: selectors.Period
    cut: str
    district: str  # "" for every district of the user's scope

    @property
    def detail(self) -> dict:
        return {
            "year": self.period.year,
            "quarter": self.period.quarter,
            "cut": self.cut,
            "district": self.district,
        }

    def query(self, **changes) -> str:
        values = {
            "year": self.period.year,
            "quarter": self.period.quarter or "",
            "cut": self.cut,
            "district": self.district,
            **changes,
        }
        return urlencode({key: value for key, value in values.items() if value not in ("", None)})


def _filters(request, scope: list[str]) -> Filters:
    """The report's filters from the query string: the year (default this year, China's time),
    the quarter (none: the whole year), the cut (default target group) and, for the bureau and
    auditors, one district. Raises ``FilterInvalid``."""
    year = request.GET.get("year", "") or selectors.current_period(quarterly=False).year
    try:
        period = selectors.period_of(year, request.GET.get("quarter", ""))
    except selectors.PeriodInvalid as invalid:
        raise FilterInvalid(str(invalid)) from None
    cut = request.GET.get("cut", "") or selectors.CUTS[0]
    if cut not in selectors.CUTS:
        raise FilterInvalid(_("分类方式须为：培训对象、职业、培训机构或学习渠道。"))
    district = request.GET.get("district", "")
    if district and district not in scope:
        if district in District.values:
            raise FilterInvalid(_("您只能查看本区县的报表。"))
        raise FilterInvalid(_("没有这个区县，请从列表中选择。"))
    if len(scope) == 1:
        district = ""  # a district official's report is their district's already
    return Filters(period=period, cut=cut, district=district)


def _year_choices() -> list[int]:
    return list(range(selectors.current_period(quarterly=False).year + 1, FIRST_YEAR - 1, -1))


# ---------------------------------------------------------------- 统一报表


def _cut_labels() -> list[tuple[str, str]]:
    # Looked up per request: the labels follow the page's language.
    return [
        ("target_group", pgettext("report cut", "培训对象")),
        ("occupation", pgettext("report cut", "职业")),
        ("institution", pgettext("report cut", "培训机构")),
        ("channel", pgettext("report cut", "学习渠道")),
    ]


def _district_rows(report, previous) -> list[dict]:
    before = {row.district: row for row in previous.rows}
    return [
        {
            "name": _district_label(row.district),
            "now": row,
            "prev": before.get(row.district),
            "percent": _percent(row.task_ratio),
        }
        for row in report.rows
    ]


def _quarter_series(year: int, districts: list[str]) -> dict:
    """Completions and trainees of each quarter of ``year`` that has begun."""
    now = timezone.now()
    labels, completions, trainees = [], [], []
    for quarter in range(1, 5):
        period = selectors.period_of(year, quarter)
        if period.start > now:
            break
        totals = selectors.training_report(period, districts).totals
        labels.append(_("第%(quarter)s季度") % {"quarter": quarter})
        completions.append(totals.completions)
        trainees.append(totals.trainees)
    return {
        "labels": labels,
        "completions": completions,
        "trainees": trainees,
        "names": {"completions": _("完成人次"), "trainees": _("培训人数")},
    }


def _chart_data(rows: list[dict], report, previous, year: int, districts: list[str]) -> dict:
    return {
        "districts": {
            "labels": [row["name"] for row in rows],
            "completions": [row["now"].completions for row in rows],
            "previous": [row["prev"].completions if row["prev"] else 0 for row in rows],
            "tasks": [row["now"].task for row in rows],
            "names": {
                "completions": _("%(period)s完成") % {"period": report.period.label},
                "previous": _("%(period)s完成") % {"period": previous.period.label},
                "tasks": _("%(year)s年度任务") % {"year": year},
                "noTask": _("未设年度任务"),
            },
        },
        "quarters": _quarter_series(year, districts),
    }


def _goal_rows(year: int, districts: list[str]) -> list[dict]:
    return [
        {
            "name": _district_label(row.district),
            "row": row,
            "skilled_percent": _percent(row.skilled_share),
            "high_percent": _percent(row.high_skilled_share),
        }
        for row in selectors.skill_goals(year, districts)
    ]


def _progress_rows(year: int, districts: list[str]) -> list[dict]:
    groups = {value: str(label) for value, label in TargetGroup.choices}
    return [
        {
            "name": _district_label(row.district),
            "group": groups.get(row.target_group, row.target_group)
            if row.target_group
            else _("全部培训对象"),
            "row": row,
            "percent": _percent(row.ratio),
        }
        for row in selectors.task_progress(year, districts)
    ]


def _invalid_page(request, scope: list[str], message: str):
    context = {
        "invalid": message,
        "years": _year_choices(),
        "districts": [(value, _district_label(value)) for value in scope] if len(scope) > 1 else [],
        "scope_district": scope[0] if len(scope) == 1 else "",
    }
    return render(request, "reports/training.html", context, status=400)


@login_required
@require_GET
def training(request):
    scope = _scope(request)
    try:
        filters = _filters(request, scope)
    except FilterInvalid as invalid:
        return _invalid_page(request, scope, str(invalid))
    districts = [filters.district] if filters.district else scope
    period = filters.period
    with reading_from_replica():
        report = selectors.training_report(period, districts)
        previous = selectors.training_report(period.previous(), districts)
        rows = _district_rows(report, previous)
        skilled_goal, high_goal = selectors.skill_goals_targets()
        goals = _goal_rows(period.year, districts)
        progress = _progress_rows(period.year, districts)
        cut_rows = selectors.report_cut(period, districts, filters.cut)
        chart = _chart_data(rows, report, previous, period.year, districts)
    audit_record(request, action=AuditAction.VIEW, subject=REPORT_SUBJECT, detail=filters.detail)
    context = {
        "filters": filters,
        "period": period,
        "previous_period": previous.period,
        "report": report,
        "previous": previous,
        "rows": rows,
        "totals_percent": _percent(report.totals.task_ratio),
        "cuts": [(key, label, filters.query(cut=key)) for key, label in _cut_labels()],
        "cut_label": dict(_cut_labels())[filters.cut],
        "cut_rows": cut_rows,
        "goals": goals,
        "goals_demo": any(goal["row"].is_demo for goal in goals),
        "skilled_goal": _percent(skilled_goal),
        "high_goal": _percent(high_goal),
        "progress": progress,
        "progress_demo": any(line["row"].is_demo for line in progress),
        "chart": chart,
        "years": _year_choices(),
        "districts": [(value, _district_label(value)) for value in scope] if len(scope) > 1 else [],
        "scope_district": scope[0] if len(scope) == 1 else "",
        "scope_district_name": _district_label(scope[0]) if len(scope) == 1 else "",
        "export_url": f"{reverse('reports:export')}?{filters.query()}",
        "can_manage_tasks": can_manage_tasks(request.user),
    }
    return render(request, "reports/training.html", context)


@login_required
@require_GET
def export(request):
    """The page's report (with its district filter) as the contract's workbook, streamed; the
    API's ``&format=xlsx`` answers the same for the whole of the user's scope."""
    scope = _scope(request)
    try:
        filters = _filters(request, scope)
    except FilterInvalid as invalid:
        return _invalid_page(request, scope, str(invalid))
    districts = [filters.district] if filters.district else scope
    with reading_from_replica():
        report = selectors.training_report(filters.period, districts)
    audit_record(
        request,
        action=AuditAction.EXPORT,
        subject=REPORT_SUBJECT,
        detail={**filters.detail, "districts": districts, "format": "xlsx"},
    )
    response = StreamingHttpResponse(training_report_xlsx(report), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, report_filename(filters.period, districts)
    )
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- 任务与基数 (the bureau)


def can_manage_tasks(user) -> bool:
    """The task table and the employment base are the bureau's (superusers count)."""
    return Role.BUREAU in roles_of(user)


TABLES = ("tasks", "base")


def _importers() -> dict:
    return {
        "tasks": (services.training_tasks_import, _("年度目标任务")),
        "base": (services.employment_base_import, _("就业基数")),
    }


def _snippet_links(user) -> list[tuple[str, str]]:
    """The Wagtail editors of the two tables, for a bureau member who may open the admin."""
    if not (user.is_superuser or user.has_perm("wagtailadmin.access_admin")):
        return []
    links = []
    for model, label in ((TrainingTask, _("在后台编辑目标任务")), (EmploymentBase, _("在后台编辑就业基数"))):
        try:
            links.append(
                (reverse(f"wagtailsnippets_{model._meta.app_label}_{model._meta.model_name}:list"), label)
            )
        except NoReverseMatch:
            continue
    return links


def _tasks_page(request, year: int | None, *, forms=None, failed=None, invalid="", status=200):
    year = year or selectors.current_period(quarterly=False).year
    districts = list(District.values)
    context = {
        "year": year,
        "years": _year_choices(),
        "invalid": invalid,
        "progress": [] if invalid else _progress_rows(year, districts),
        "goals": [] if invalid else _goal_rows(year, districts),
        "forms": forms or {table: TableImportForm(prefix=table) for table in TABLES},
        "failed": failed,  # (table, ImportRefused) of the upload just refused
        "snippet_links": _snippet_links(request.user),
    }
    return render(request, "reports/tasks.html", context, status=status)


def _bureau(request) -> None:
    if not can_manage_tasks(request.user):
        raise PermissionDenied(_("只有市人社局可以维护目标任务和就业基数。"))


@login_required
@require_http_methods(["GET", "POST"])
def tasks(request):
    _bureau(request)
    if request.method == "GET":
        try:
            year = selectors.period_of(
                request.GET.get("year", "") or selectors.current_period(False).year
            ).year
        except selectors.PeriodInvalid as invalid:
            return _tasks_page(request, None, invalid=str(invalid), status=400)
        return _tasks_page(request, year)
    table = request.POST.get("table", "")
    if table not in TABLES:
        return _tasks_page(request, None, invalid=_("请选择要导入的表格：目标任务或就业基数。"), status=400)
    forms = {name: TableImportForm(prefix=name) for name in TABLES}
    form = forms[table] = TableImportForm(request.POST, request.FILES, prefix=table)
    if not form.is_valid():
        too_large = any(error.code == "too_large" for error in form.errors.as_data().get("file", []))
        return _tasks_page(request, None, forms=forms, status=413 if too_large else 400)
    importer, label = _importers()[table]
    upload = form.cleaned_data["file"]
    try:
        result = importer(form.content, upload.name, request.user)
    except services.ImportRefused as refused:
        return _tasks_page(request, None, forms=forms, failed=(table, refused), status=refused.status)
    messages.success(
        request,
        _("已导入%(what)s %(rows)s 行：新增 %(created)s 行，更新 %(updated)s 行。")
        % {"what": label, "rows": result.rows, "created": result.created, "updated": result.updated},
    )
    year = result.years[0] if len(result.years) == 1 else selectors.current_period(False).year
    return redirect(f"{reverse('reports:tasks')}?year={year}")


@login_required
@require_GET
def tasks_template(request, table: str):
    """The xlsx to fill in for an import, with this year's (or ``?year=``) lines ready."""
    _bureau(request)
    try:
        year = selectors.period_of(request.GET.get("year", "") or selectors.current_period(False).year).year
    except selectors.PeriodInvalid:
        year = selectors.current_period(False).year
    if table == "tasks":
        content, name = training_tasks_template(year), pgettext("file name", "年度目标任务模板")
    else:
        content, name = employment_base_template(year), pgettext("file name", "就业基数模板")
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{name}-{year}.xlsx")
    return response
