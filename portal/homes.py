"""Where each role lands and what the header offers it: one answer per user, asked of
``institutions.roles`` (the one module that says who may see what).

Every link offered here opens for that user (no 403): a page that checks a role is offered only
to that role, the CMS only to users with Wagtail's ``access_admin``, the Django admin only to
staff users it shows at least one model to.
"""

from dataclasses import dataclass

from django.contrib import admin
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from institutions.roles import PRECEDENCE, Role, roles_of

# Roles that read the overview of a district or of the whole city.
OVERVIEW_ROLES = frozenset({Role.DISTRICT_OFFICIAL, Role.BUREAU, Role.AUDITOR})
# Roles the Django admin is scoped for (docs/permissions.md, "Django admin").
DJANGO_ADMIN_ROLES = frozenset({Role.INSTITUTION_STAFF, Role.BUREAU, Role.AUDITOR})
CLASS_PAGES = ("/institution/classes/", "/institution/rosters/")
# Readers of the dishonesty records (失信记录); the review queue is every overview role's.
RECORD_READERS = frozenset({Role.BUREAU, Role.AUDITOR})


@dataclass(frozen=True)
class Link:
    url: str
    label: str | Promise
    # Paths under these prefixes mark the link as the current page (aria-current).
    prefixes: tuple[str, ...] = ()
    # Only the URL itself is the current page (a link whose pages hold another link's).
    exact: bool = False

    def is_current(self, path: str) -> bool:
        if self.exact:
            return path == self.url
        return path.startswith(self.prefixes or (self.url,))


def can_see_overview(user) -> bool:
    return bool(roles_of(user) & OVERVIEW_ROLES)


def can_open_cms(user) -> bool:
    """Wagtail's admin (/admin/): editors and reviewers, and superusers."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return Role.EDITOR in roles_of(user) and user.has_perm("wagtailadmin.access_admin")


def can_open_django_admin(request) -> bool:
    """The Django admin (/django-admin/): staff users it shows at least one model to (an
    editor with only Wagtail's permissions would find an empty page there)."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or bool(admin.site.get_app_list(request))


def _home_of(user, role: Role) -> str | None:
    if role in OVERVIEW_ROLES:
        # The auditor's own tool is the logs; the district and the bureau read the overview.
        return reverse("portal:audit") if role == Role.AUDITOR else reverse("portal:overview")
    if role == Role.INSTITUTION_STAFF:
        return reverse("institutions:class-list")
    if role == Role.ENTERPRISE_HR:
        return reverse("portal:employees")
    if role == Role.EDITOR:
        return reverse("wagtailadmin_home") if can_open_cms(user) else None
    if role == Role.LEARNER:
        return reverse("me:learning")
    return None


def home_url(user) -> str:
    """The home of the user's broadest role (``institutions.roles.PRECEDENCE``): learner →
    我的学习, institution staff → 我的班级, HR → 员工学习, district official and bureau → 概览,
    auditor → 审计日志, editor and reviewer → the CMS. Anyone else: the site's home page."""
    if not (user.is_authenticated and user.is_active):
        return "/"
    roles = roles_of(user)
    for role in PRECEDENCE:
        if role in roles:
            url = _home_of(user, role)
            if url:
                return url
    if user.is_superuser:
        return reverse("wagtailadmin_home")
    return "/"


def role_links(request) -> list[Link]:
    """The tools the user's roles open, in the header's order (a user with several roles gets
    the union). Public pages (courses, catalogs, search) are the template's."""
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return []
    roles = roles_of(user)
    links = []
    if Role.LEARNER in roles:
        links += [
            Link(reverse("me:learning"), _("我的学习")),
            Link(reverse("my-archive"), _("我的档案")),
            Link(reverse("subsidies:mine"), _("我的补贴"), ("/subsidies/me/",)),
            Link(reverse("demand:mine"), _("我要培训")),
            Link(reverse("orders:open-classes"), _("可报名班级")),
        ]
    if Role.INSTITUTION_STAFF in roles:
        links.append(Link(reverse("institutions:class-list"), _("我的班级"), CLASS_PAGES))
        links.append(Link(reverse("external-certificates"), _("登记证书"), ("/certificates/external/",)))
        links.append(Link(reverse("orders:institution"), _("接单")))
    elif roles & OVERVIEW_ROLES:
        links.append(Link(reverse("institutions:class-list"), _("班级"), CLASS_PAGES))
    if Role.ENTERPRISE_HR in roles:
        links.append(Link(reverse("portal:employees"), _("员工学习")))
        links.append(Link(reverse("demand:enterprise"), _("培训需求")))
    if roles & OVERVIEW_ROLES:
        links.append(Link(reverse("portal:overview"), _("概览")))
        links.append(Link(reverse("subsidies:claims"), _("补贴审核"), ("/subsidies/claims/",)))
        links.append(Link(reverse("demand:overview"), _("需求汇总")))
        # 五单式 列单 (the bureau's offers) and 接单审核 (the district decides applications).
        if Role.BUREAU in roles:
            links.append(Link(reverse("orders:offers"), _("培训清单")))
        if Role.DISTRICT_OFFICIAL in roles:
            links.append(Link(reverse("orders:applications"), _("接单审核")))
    # 机构评估: every institution's scorecard in the user's scope, or the staff's own institution's.
    if roles & OVERVIEW_ROLES:
        links.append(Link(reverse("evaluation:list"), _("机构评估"), ("/evaluation/",)))
    elif Role.INSTITUTION_STAFF in roles:
        links.append(Link(reverse("evaluation:mine"), _("机构评估"), ("/evaluation/",)))
    # 统一报表 (reports), the fraud review queue (integrity) for every reader; the task table,
    # the employment base and the dishonesty records for the bureau (and the records for auditors).
    if roles & OVERVIEW_ROLES:
        links.append(Link(reverse("reports:training"), _("统一报表"), exact=True))
        if Role.BUREAU in roles:
            links.append(Link(reverse("reports:tasks"), _("目标任务")))
        links.append(Link(reverse("integrity:cases"), _("复核队列")))
        if roles & RECORD_READERS:
            links.append(Link(reverse("integrity:records"), _("失信记录")))
    if Role.AUDITOR in roles:
        links.append(Link(reverse("portal:audit"), _("审计日志")))
    if can_open_cms(user):
        links.append(Link(reverse("wagtailadmin_home"), _("内容管理"), ("/admin/",)))
    if roles & DJANGO_ADMIN_ROLES and can_open_django_admin(request):
        links.append(Link(reverse("admin:index"), _("系统管理"), ("/django-admin/",)))
    return links
