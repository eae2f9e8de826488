"""Who may see and decide what in the fraud review and the dishonesty records, built on
``institutions.roles``; the pages and the API ask here.

- **bureau** (superusers count) and **auditor**: every district's review cases, and they decide
  them; the dishonesty records (失信记录). Only the bureau enters a record by hand or lifts one;
- **district official**: the review cases of their district (``ReviewCase.district``), and
  decides them; no dishonesty records;
- **learner, institution staff, enterprise HR, editor**: nothing (403).

A role that may never use a page gets a 403 before any look-up; a case outside the user's
reach is a 404 (docs/permissions.md, "404 before 403"). Personal data is masked everywhere.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from institutions import roles
from integrity.models import ReviewCase

Role = roles.Role
# The issue: "Reviewers (bureau, district, auditor) see a queue … decide".
REVIEWERS = frozenset({Role.DISTRICT_OFFICIAL, Role.BUREAU, Role.AUDITOR})
RECORD_READERS = frozenset({Role.BUREAU, Role.AUDITOR})

REVIEW_DENIED = _("只有市人社局、审计人员和区县人社可以查看异常复核。")
RECORDS_DENIED = _("只有市人社局和审计人员可以查看失信记录。")
RECORD_WRITE_DENIED = _("只有市人社局可以登记或撤销失信记录。")


def can_review(user) -> bool:
    return bool(roles.roles_of(user) & REVIEWERS)


def reads_every_district(user) -> bool:
    return roles.scope_of(user).reads_everything


def cases_visible_to(user) -> QuerySet[ReviewCase]:
    """The cases the user reviews: bureau and auditors all, a district official their
    district's, anyone else none."""
    scope = roles.scope_of(user)
    if scope.reads_everything:
        return ReviewCase.objects.all()
    if Role.DISTRICT_OFFICIAL in scope.roles and scope.district:
        return ReviewCase.objects.filter(district=scope.district)
    return ReviewCase.objects.none()


def can_decide(user, case: ReviewCase) -> bool:
    """Every reviewer who reaches the case decides it."""
    scope = roles.scope_of(user)
    if scope.reads_everything:
        return True
    return Role.DISTRICT_OFFICIAL in scope.roles and bool(scope.district) and scope.district == case.district


def can_read_records(user) -> bool:
    return bool(roles.roles_of(user) & RECORD_READERS)


def can_write_records(user) -> bool:
    """Enter a record by hand, lift one: the bureau only."""
    return Role.BUREAU in roles.roles_of(user)


# ---------------------------------------------------------------- DRF permissions


class CanReview(BasePermission):
    message = REVIEW_DENIED

    def has_permission(self, request, view):
        return can_review(request.user)


class CanReadRecords(BasePermission):
    message = RECORDS_DENIED

    def has_permission(self, request, view):
        return can_read_records(request.user)
