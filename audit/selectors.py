"""Reading the audit trail (操作记录): the entries newest first under the auditor's filters, for
the /audit/ page and ``GET /api/v1/audit/actions/``. Who may read it is asked of
``institutions.roles.can_read_logs`` by the callers."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry

CHINA = ZoneInfo("Asia/Shanghai")

# The days an auditor may ask for: a year such as 0001 or 9999 is a slip or a probe, and its
# bounds in China's time would not convert to UTC.
YEARS = (2000, 2099)

# What the page shows beside a subject's dotted name: the app it belongs to.
SUBJECT_APPS = {
    "archive": _("证书"),
    "demand": _("培训需求"),
    "evaluation": _("机构评估"),
    "integrity": _("诚信审查"),
    "orders": _("培训清单与接单"),
    "reports": _("统计报表"),
    "rosters": _("班级学习情况"),
    "subsidies": _("补贴申领"),
}

ROLE_LABELS = {
    "learner": _("学员"),
    "institution_staff": _("培训机构工作人员"),
    "enterprise_hr": _("企业人力资源"),
    "editor": _("内容编辑"),
    "district_official": _("区县人社"),
    "bureau": _("市人社局"),
    "auditor": _("审计人员"),
}


@dataclass(frozen=True)
class AuditFilters:
    """The filters of the trail; empty ones filter nothing. ``since`` and ``until`` are days in
    China's time, both included."""

    action: str = ""
    subject: str = ""
    actor: str = ""
    object_id: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def day_start(day: dt.date) -> dt.datetime:
    """The first instant of ``day`` in China's time."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=CHINA)


def audit_entries(filters: AuditFilters = AuditFilters()) -> QuerySet[AuditEntry]:
    """The entries under ``filters``, newest first. ``subject`` matches the dotted name itself
    and every name under it ("subsidies" finds "subsidies.claims"); ``actor`` is the account's
    username, exactly (the name kept as text: a deleted account's entries are still found)."""
    entries = AuditEntry.objects.all()
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.subject:
        entries = entries.filter(Q(subject=filters.subject) | Q(subject__startswith=f"{filters.subject}."))
    if filters.actor:
        entries = entries.filter(actor_name=filters.actor)
    if filters.object_id:
        entries = entries.filter(object_id=filters.object_id)
    if filters.since is not None:
        entries = entries.filter(at__gte=day_start(filters.since))
    if filters.until is not None:
        entries = entries.filter(at__lt=day_start(filters.until + dt.timedelta(days=1)))
    return entries.order_by("-at", "-id")


def subject_label(subject: str) -> str:
    """The app a subject belongs to, in words ("subsidies.claims" → 补贴申领), or ""."""
    return str(SUBJECT_APPS.get(subject.partition(".")[0], ""))


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))
