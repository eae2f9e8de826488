"""Who may do what with subsidy claims, built on ``institutions.roles`` (the one module that says
who a user is and what they reach); the pages and the API both ask here.

- **learner**: their own claims only (claim, list);
- **institution staff**: claim in bulk for their own institution's classes, and read the claims
  of their classes' members for the class's course;
- **district official**: read and review (approve or reject) the claims of learners of their
  district; other claims are 404s;
- **bureau** (superusers count): read all, approve or reject what the districts approved, mark
  paid, export, import the social-insurance roster, edit the standards;
- **auditor**: read all, decide nothing;
- **enterprise HR, editor**: nothing (403).

A role that may never take a step gets a 403 before any look-up; a claim outside the user's
reach is a 404 (docs/permissions.md, "404 before 403").
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from institutions import roles
from institutions.models import ClassMembership, TrainingClass
from subsidies.models import SubsidyClaim

Role = roles.Role
CLAIM_READERS = frozenset({Role.INSTITUTION_STAFF, Role.DISTRICT_OFFICIAL, Role.BUREAU, Role.AUDITOR})
# The cross-check against the social-insurance roster shows an employer: reviewers and auditors.
INSURANCE_READERS = frozenset({Role.DISTRICT_OFFICIAL, Role.BUREAU, Role.AUDITOR})


def can_read_claims(user) -> bool:
    """Whether the user reads other people's claims at all (the review lists)."""
    return bool(roles.roles_of(user) & CLAIM_READERS)


def claims_visible_to(user) -> QuerySet[SubsidyClaim]:
    """The claims the user may read: bureau and auditors all; a district official their
    district's learners'; staff those of their institution's class members for the class's
    course; a learner their own. A user with several roles reads the union."""
    scope = roles.scope_of(user)
    if scope.reads_everything:
        return SubsidyClaim.objects.all()
    parts = []
    if scope.learner_id is not None:
        parts.append(Q(learner_id=scope.learner_id))
    if scope.institution_id is not None:
        parts.append(
            Exists(
                ClassMembership.objects.filter(
                    learner_id=OuterRef("learner_id"),
                    training_class__institution_id=scope.institution_id,
                    training_class__course_id=OuterRef("archive_entry__course_id"),
                )
            )
        )
    if scope.district:
        parts.append(Q(learner__district=scope.district))
    if not parts:
        return SubsidyClaim.objects.none()
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return SubsidyClaim.objects.filter(condition)


def is_district_official(user) -> bool:
    return bool(roles.scope_of(user).district)


def can_district_decide(user, claim: SubsidyClaim) -> bool:
    """Review a claim at the district step: officials of the claimant's district only."""
    district = roles.scope_of(user).district
    return bool(district) and claim.learner.district == district


def is_bureau(user) -> bool:
    """The bureau's steps: approve after the district, mark paid, export, import the roster."""
    return Role.BUREAU in roles.roles_of(user)


def can_see_insurance_check(user) -> bool:
    return bool(roles.roles_of(user) & INSURANCE_READERS)


def can_bulk_claim(user, training_class: TrainingClass) -> bool:
    """Claim for a class's members: staff of the class's institution (``can_manage_class``)."""
    return roles.can_manage_class(user, training_class)


# ---------------------------------------------------------------- DRF permissions


class CanReadClaims(BasePermission):
    message = _("只有培训机构、区县人社、市人社局和审计人员可以查看补贴申领。")

    def has_permission(self, request, view):
        return can_read_claims(request.user)


class IsDistrictOfficial(BasePermission):
    message = _("只有区县人社工作人员可以做区县审核。")

    def has_permission(self, request, view):
        return is_district_official(request.user)


class IsBureau(BasePermission):
    message = _("只有市人社局可以审批、登记发放。")

    def has_permission(self, request, view):
        return is_bureau(request.user)
