"""The portal: ``/home/`` sends each role to its own home, and the pages of the roles that had
none: the overview of a district or the city (district officials, the bureau, auditors), the
HR's employees with their progress, the auditor's logs (with the audit trail, 操作记录).

Anonymous visitors go to the login page (?next=); a role that may not open a page gets a 403
before any look-up; an employee outside the HR's enterprise is a 404 (docs/permissions.md).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET

from audit.models import AuditAction
from audit.serializers import AuditFilterSerializer
from institutions.roles import Role, can_read_logs, roles_of, scope_of
from institutions.selectors import learning_overview
from portal import selectors
from portal.homes import can_see_overview, home_url

LOG_PAGE_SIZE = 50


@login_required
@require_GET
def home(request):
    """The user's own home (``portal.homes.home_url``): LOGIN_REDIRECT_URL points here, so a
    login without ``next`` lands each role where its work is."""
    return redirect(home_url(request.user))


@login_required
@require_GET
def overview(request):
    if not can_see_overview(request.user):
        raise PermissionDenied(_("只有区县人社、市人社局和审计人员可以查看概览。"))
    scope = scope_of(request.user)
    context = {
        "figures": selectors.overview_figures(request.user),
        "district": "" if scope.reads_everything else scope.district,
        "by_district": selectors.figures_by_district() if scope.reads_everything else None,
        "is_auditor": Role.AUDITOR in scope.roles,
    }
    return TemplateResponse(request, "portal/overview.html", context)


def _enterprise(request):
    if Role.ENTERPRISE_HR not in roles_of(request.user):
        raise PermissionDenied(_("只有企业人力资源人员可以查看员工学习情况。"))
    enterprise = selectors.hr_enterprise(request.user)
    if enterprise is None:  # the enterprise was deleted within the request
        raise Http404(_("没有这个企业。"))
    return enterprise


@login_required
@require_GET
def employees(request):
    enterprise = _enterprise(request)
    rows = selectors.employees_progress(request.user, enterprise)
    return TemplateResponse(request, "portal/employees.html", {"enterprise": enterprise, "rows": rows})


@login_required
@require_GET
def employee_detail(request, learner_id: int):
    enterprise = _enterprise(request)
    learner = selectors.employee(request.user, enterprise, learner_id)
    if learner is None:
        raise Http404(_("没有这位员工。"))
    study = learning_overview(learner, request)
    context = {
        "enterprise": enterprise,
        "learner": learner,
        "courses": study["courses"],
        "assignments": study["assignments"],
    }
    return TemplateResponse(request, "portal/employee_detail.html", context)


def _number(request, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 9 else None


# The filters of the 操作记录 log (audit.serializers), kept in its pager links, with the words
# naming them in the page's error messages.
ACTION_FILTERS = {
    "action": gettext_lazy("操作"),
    "subject": gettext_lazy("对象"),
    "actor": gettext_lazy("操作人账号"),
    "object_id": gettext_lazy("对象编号"),
    "since": gettext_lazy("开始日期"),
    "until": gettext_lazy("结束日期"),
}


@login_required
@require_GET
def audit(request):
    """The reveal, progress-event and action logs (the same as ``GET /api/v1/audit/…``), newest
    first, 50 to a page (no count: the event log is the platform's largest table); the first
    two optionally for one learner id, the action log (操作记录: views of reports with personal
    data, exports, decisions) by action, subject, account, object and China's days."""
    if not can_read_logs(request.user):
        raise PermissionDenied(_("只有审计人员可以查看日志。"))
    log = request.GET.get("log")
    log = log if log in ("events", "actions") else "reveals"
    learner_id = _number(request, "learner") if log != "actions" else None
    number = max(1, _number(request, "page") or 1)
    kept, errors, status = {}, [], 200
    if log == "actions":
        query = AuditFilterSerializer(data=request.GET)
        if query.is_valid():
            rows = selectors.audit_actions(query.filters())
            kept = {
                name: request.GET[name].strip()
                for name in ACTION_FILTERS
                if request.GET.get(name, "").strip()
            }
        else:
            rows, status = selectors.audit_actions(None), 400
            errors = [
                f"{ACTION_FILTERS.get(name, '')}{pgettext('label separator', '：')}{error}"
                for name, messages in query.errors.items()
                for error in messages
            ]
    elif log == "events":
        rows = selectors.audit_events(learner_id=learner_id)
    else:
        rows = selectors.audit_reveals(learner_id=learner_id)
    start = (number - 1) * LOG_PAGE_SIZE
    found = list(rows[start : start + LOG_PAGE_SIZE + 1])

    def url(log: str, page: int = 1, filters: dict | None = None) -> str:
        query = {"log": log, **(filters or {})}
        if learner_id is not None:
            query["learner"] = learner_id
        if page > 1:
            query["page"] = page
        return f"{request.path}?{urlencode(query)}"

    context = {
        "log": log,
        "rows": found[:LOG_PAGE_SIZE]
        if log != "actions"
        else selectors.audit_action_rows(found[:LOG_PAGE_SIZE]),
        "number": number,
        "previous_url": url(log, number - 1, kept) if number > 1 else "",
        "next_url": url(log, number + 1, kept) if len(found) > LOG_PAGE_SIZE else "",
        "tabs": [
            {"label": _("信息查看记录"), "url": url("reveals"), "current": log == "reveals"},
            {"label": _("学习事件"), "url": url("events"), "current": log == "events"},
            {"label": _("操作记录"), "url": url("actions"), "current": log == "actions"},
        ],
        "learner_id": learner_id,
        "actions": AuditAction.choices,
        # What the auditor typed, shown back in the form (also when it was refused).
        "filters": {name: request.GET.get(name, "").strip() for name in ACTION_FILTERS},
        "filtered": bool(kept),
        "errors": errors,
    }
    return TemplateResponse(request, "portal/audit.html", context, status=status)
