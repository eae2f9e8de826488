"""Who may do what with training demand, built on ``institutions.roles`` (the one module that
says who a user is and what they reach); the pages and the API both ask here.

- **learner**: state and read their own demands (``/me/training-demands/``, page 我要培训);
- **enterprise HR**: submit and read their enterprise's bulk demand (page 培训需求);
- **district official**: read and aggregate the demands of their district;
- **bureau** (superusers count) and **auditor**: read and aggregate every district's;
- **institution staff, editor**: nothing (403).

A role that may never use a page or an endpoint gets a 403 before any look-up
(docs/permissions.md, "404 before 403").
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from demand.models import TrainingDemand
from institutions import roles

Role = roles.Role
DEMAND_READERS = frozenset({Role.DISTRICT_OFFICIAL, Role.BUREAU, Role.AUDITOR})


def can_submit_own(user) -> bool:
    """A worker states their own demand: learners."""
    return Role.LEARNER in roles.roles_of(user)


def can_submit_for_enterprise(user) -> bool:
    """Bulk demand for an enterprise: its HR."""
    return roles.scope_of(user).enterprise_id is not None


def can_read_demands(user) -> bool:
    """Read other people's demands, aggregated and listed: district officials, bureau, auditors."""
    return bool(roles.roles_of(user) & DEMAND_READERS)


def demands_visible_to(user) -> QuerySet[TrainingDemand]:
    """The demands a reader may see: bureau and auditors all; a district official their
    district's (a worker's by the district they registered in, an enterprise's by the
    enterprise's district). Anyone else: none (their own are read through the selectors)."""
    scope = roles.scope_of(user)
    if scope.reads_everything:
        return TrainingDemand.objects.all()
    if scope.district:
        return TrainingDemand.objects.filter(district=scope.district)
    return TrainingDemand.objects.none()


def reader_district(user) -> str:
    """The district a reader is confined to, or "" for the whole city."""
    scope = roles.scope_of(user)
    return "" if scope.reads_everything else scope.district


# ---------------------------------------------------------------- DRF permissions


class CanSubmitOwn(BasePermission):
    message = _("只有注册学员可以提交培训需求。")

    def has_permission(self, request, view):
        return can_submit_own(request.user)


class CanReadDemands(BasePermission):
    message = _("只有区县人社、市人社局和审计人员可以查看培训需求汇总。")

    def has_permission(self, request, view):
        return can_read_demands(request.user)
