"""Who may do what with offers, applications and offers' classes, built on ``institutions.roles``
(the one module that says who a user is and what they reach); the pages and the API both ask here.

- **bureau** (superusers count): draft, edit, publish and close offers; read every application and
  decide any (as the district would);
- **auditor**: read offers and applications, decide nothing;
- **institution staff** (of an active institution): read the open offers, apply to run one for
  their own institution, read their institution's applications;
- **district official**: read and decide the applications of institutions of their district;
  others are 404s;
- **learner**: the offers' classes open to them (可报名班级), and enrol;
- **enterprise HR, editor**: nothing (403).

A role that may never take a step gets a 403 before any look-up; an object outside the user's
reach is a 404 (docs/permissions.md, "404 before 403").
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from institutions import roles
from orders.models import OrderApplication

Role = roles.Role
OFFER_READERS = frozenset({Role.BUREAU, Role.AUDITOR})
APPLICATION_READERS = frozenset({Role.INSTITUTION_STAFF, Role.DISTRICT_OFFICIAL, Role.BUREAU, Role.AUDITOR})


def is_bureau(user) -> bool:
    return Role.BUREAU in roles.roles_of(user)


def can_read_offers(user) -> bool:
    """The offer list with its drafts: the bureau and auditors."""
    return bool(roles.roles_of(user) & OFFER_READERS)


def can_apply(user) -> bool:
    """Take orders (apply to run an offer) for their own institution: institution staff."""
    return roles.scope_of(user).institution_id is not None


def can_read_applications(user) -> bool:
    return bool(roles.roles_of(user) & APPLICATION_READERS)


def can_decide_any(user) -> bool:
    """Whether the user decides applications at all: district officials and the bureau."""
    scope = roles.scope_of(user)
    return bool(scope.district) or Role.BUREAU in scope.roles


def can_decide(user, application: OrderApplication) -> bool:
    """Approve or reject an application: the official of the institution's district, or the bureau."""
    scope = roles.scope_of(user)
    if Role.BUREAU in scope.roles:
        return True
    return bool(scope.district) and application.institution.district == scope.district


def is_learner(user) -> bool:
    return Role.LEARNER in roles.roles_of(user)


class IsLearnerChoosing(BasePermission):
    message = _("只有注册学员可以报名培训班。")

    def has_permission(self, request, view):
        return is_learner(request.user)
