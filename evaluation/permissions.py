"""Who may see and decide what in the institutions' evaluation, built on ``institutions.roles``
(the one module that says who a user is and what they reach); the pages and the API ask here.

- **bureau** (superusers count): every institution's scorecard, the ratings' comments, the
  decisions, and it decides; the export;
- **auditor**: reads what the bureau reads (comments included), decides nothing, no export;
- **district official**: the scorecards and decisions of their district's institutions,
  read-only, without the ratings' comments;
- **institution staff**: their own institution's scorecard, its ratings' comments and the
  decisions on it (``/evaluation/mine/``);
- **learner, enterprise HR, editor**: nothing (403); a learner rates the courses they completed.

A role that may never use a page gets a 403 before any look-up; an institution outside the
user's reach is a 404 (docs/permissions.md, "404 before 403"). Comments are shown with the
rater's masked name only.
"""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from institutions import roles
from institutions.models import Institution

Role = roles.Role
# Roles that read the list of institutions' scorecards (/evaluation/).
LIST_READERS = frozenset({Role.DISTRICT_OFFICIAL, Role.BUREAU, Role.AUDITOR})
# Roles that read a scorecard at all (institution staff: their own).
SCORECARD_READERS = LIST_READERS | {Role.INSTITUTION_STAFF}


def can_read_scorecards(user) -> bool:
    return bool(roles.roles_of(user) & SCORECARD_READERS)


def can_list_scorecards(user) -> bool:
    return bool(roles.roles_of(user) & LIST_READERS)


def institutions_visible_to(user) -> QuerySet[Institution]:
    """The institutions whose scorecard the user reads: bureau and auditors all, a district
    official their district's, staff their own (the union for several roles)."""
    scope = roles.scope_of(user)
    if scope.reads_everything:
        return Institution.objects.all()
    parts = []
    if scope.institution_id is not None:
        parts.append(Q(pk=scope.institution_id))
    if scope.district:
        parts.append(Q(district=scope.district))
    if not parts:
        return Institution.objects.none()
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return Institution.objects.filter(condition)


def can_read_comments(user, institution_id: int) -> bool:
    """The ratings' comments (masked names): the bureau, auditors and the institution's staff."""
    scope = roles.scope_of(user)
    return scope.reads_everything or (
        scope.institution_id is not None and scope.institution_id == institution_id
    )


def can_decide(user) -> bool:
    """Warn, suspend, remove, lift: the bureau only."""
    return Role.BUREAU in roles.roles_of(user)


def can_export(user) -> bool:
    return Role.BUREAU in roles.roles_of(user)


def own_institution_id(user) -> int | None:
    return roles.scope_of(user).institution_id


# ---------------------------------------------------------------- DRF permissions


class CanReadScorecards(BasePermission):
    message = _("只有市人社局、审计人员、区县人社和培训机构可以查看机构评估。")

    def has_permission(self, request, view):
        return can_read_scorecards(request.user)


class IsLearner(BasePermission):
    message = _("只有注册学员可以评价课程。")

    def has_permission(self, request, view):
        return Role.LEARNER in roles.roles_of(request.user)
