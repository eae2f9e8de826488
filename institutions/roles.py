"""Who may see what: the one place that answers it (the matrix is in docs/permissions.md).

Roles, and what each may reach:

- **learner** (``user.learner``): themself only;
- **institution staff** (``InstitutionStaff`` of an active institution): the classes of their
  institution and those classes' members; they manage those classes, verify the members'
  identity and may reveal their full ID number and phone (they check them against the ID card);
- **enterprise HR** (``EnterpriseHR``): their enterprise's employees (``Employment``) only;
- **editor** (groups "Editors" and "Moderators"): content only, no personal data;
- **district official** (``DistrictOfficial``): learners and classes of their district;
- **bureau** (group "Bureau"; superusers count as bureau): reads everything;
- **auditor** (group "Auditors"): reads everything, plus the event and reveal logs.

A user may hold several roles (a staff member who is also a learner); what they may see is
the union. Personal data is masked for every role; only ``can_reveal_personal_data`` lets a
caller show it in full (and the reveal service logs it).

All the user's roles are read in one query and kept on the user object for the request.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from institutions.models import (
    ClassMembership,
    DistrictOfficial,
    Employment,
    EnterpriseHR,
    InstitutionStaff,
    TrainingClass,
)
from learners.models import Learner

BUREAU_GROUP = "Bureau"
AUDITORS_GROUP = "Auditors"
CONTENT_GROUPS = ("Editors", "Moderators")


class Role(StrEnum):
    LEARNER = "learner"
    INSTITUTION_STAFF = "institution_staff"
    ENTERPRISE_HR = "enterprise_hr"
    EDITOR = "editor"
    DISTRICT_OFFICIAL = "district_official"
    BUREAU = "bureau"
    AUDITOR = "auditor"


# role_of() names the broadest role a user holds, in this order.
PRECEDENCE = (
    Role.AUDITOR,
    Role.BUREAU,
    Role.DISTRICT_OFFICIAL,
    Role.INSTITUTION_STAFF,
    Role.ENTERPRISE_HR,
    Role.EDITOR,
    Role.LEARNER,
)

# Roles that read classes with their member lists.
CLASS_READERS = frozenset({Role.INSTITUTION_STAFF, Role.DISTRICT_OFFICIAL, Role.BUREAU, Role.AUDITOR})


@dataclass(frozen=True)
class Scope:
    """What a user's roles reach: ids of their learner record, institution, enterprise, district."""

    roles: frozenset
    learner_id: int | None = None
    institution_id: int | None = None
    enterprise_id: int | None = None
    district: str = ""

    @property
    def reads_everything(self) -> bool:
        return bool(self.roles & {Role.BUREAU, Role.AUDITOR})


_NOBODY = Scope(roles=frozenset())
_CACHE_ATTR = "_institutions_scope"


def scope_of(user) -> Scope:
    """The user's roles and their reach, read in one query and cached on the user object."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated or not user.is_active:
        return _NOBODY
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached

    def in_group(*names):
        return Exists(Group.objects.filter(user=OuterRef("pk"), name__in=names))

    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            r_learner=Subquery(Learner.objects.filter(user=OuterRef("pk")).values("pk")[:1]),
            r_institution=Subquery(
                InstitutionStaff.objects.filter(user=OuterRef("pk"), institution__active=True).values(
                    "institution_id"
                )[:1]
            ),
            r_enterprise=Subquery(
                EnterpriseHR.objects.filter(user=OuterRef("pk")).values("enterprise_id")[:1]
            ),
            r_district=Subquery(DistrictOfficial.objects.filter(user=OuterRef("pk")).values("district")[:1]),
            r_bureau=in_group(BUREAU_GROUP),
            r_auditor=in_group(AUDITORS_GROUP),
            r_editor=in_group(*CONTENT_GROUPS),
        )
        .values(
            "r_learner", "r_institution", "r_enterprise", "r_district", "r_bureau", "r_auditor", "r_editor"
        )
        .first()
    )
    if row is None:
        return _NOBODY
    roles = set()
    if row["r_learner"] is not None:
        roles.add(Role.LEARNER)
    if row["r_institution"] is not None:
        roles.add(Role.INSTITUTION_STAFF)
    if row["r_enterprise"] is not None:
        roles.add(Role.ENTERPRISE_HR)
    if row["r_district"]:
        roles.add(Role.DISTRICT_OFFICIAL)
    if row["r_bureau"] or user.is_superuser:
        roles.add(Role.BUREAU)
    if row["r_auditor"]:
        roles.add(Role.AUDITOR)
    if row["r_editor"]:
        roles.add(Role.EDITOR)
    scope = Scope(
        roles=frozenset(roles),
        learner_id=row["r_learner"],
        institution_id=row["r_institution"],
        enterprise_id=row["r_enterprise"],
        district=row["r_district"] or "",
    )
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_roles(user) -> None:
    """Drop the cached scope (after changing a user's roles within one request or test)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user) -> frozenset:
    """Every role the user holds (empty for anonymous users)."""
    return scope_of(user).roles


def role_of(user) -> Role | None:
    """The broadest role the user holds, or None."""
    roles = roles_of(user)
    return next((role for role in PRECEDENCE if role in roles), None)


def _learner_filter(scope: Scope) -> Q | None:
    """A filter on Learner for what the scope reaches (None: nothing)."""
    parts = []
    if scope.learner_id is not None:
        parts.append(Q(pk=scope.learner_id))
    if scope.institution_id is not None:
        members = ClassMembership.objects.filter(training_class__institution_id=scope.institution_id)
        parts.append(Q(pk__in=members.values("learner_id")))
    if scope.enterprise_id is not None:
        parts.append(
            Q(pk__in=Employment.objects.filter(enterprise_id=scope.enterprise_id).values("learner_id"))
        )
    if scope.district:
        parts.append(Q(district=scope.district))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return combined


def learners_visible_to(user) -> QuerySet[Learner]:
    """Learners whose (masked) profile and progress the user may read."""
    scope = scope_of(user)
    if scope.reads_everything:
        return Learner.objects.all()
    condition = _learner_filter(scope)
    return Learner.objects.none() if condition is None else Learner.objects.filter(condition)


def can_see_learner(user, learner: Learner) -> bool:
    scope = scope_of(user)
    if scope.reads_everything or (learner.pk is not None and learner.pk == scope.learner_id):
        return True
    return learners_visible_to(user).filter(pk=learner.pk).exists()


def classes_visible_to(user) -> QuerySet[TrainingClass]:
    """Classes whose details and member list the user may read: staff their institution's,
    district officials their district's, bureau and auditors all. Learners read their own
    classes only through their assignments (``learner_classes``), never the member list."""
    scope = scope_of(user)
    if scope.reads_everything:
        return TrainingClass.objects.all()
    parts = []
    if scope.institution_id is not None:
        parts.append(Q(institution_id=scope.institution_id))
    if scope.district:
        parts.append(Q(district=scope.district))
    if not parts:
        return TrainingClass.objects.none()
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return TrainingClass.objects.filter(combined)


def learner_classes(learner: Learner) -> QuerySet[TrainingClass]:
    """The classes a learner is a member of."""
    return TrainingClass.objects.filter(memberships__learner=learner)


def is_class_reader(user) -> bool:
    return bool(roles_of(user) & CLASS_READERS)


def can_create_class(user) -> bool:
    """Create classes, always for their own institution (never chosen): institution staff only."""
    return scope_of(user).institution_id is not None


def can_manage_class(user, training_class: TrainingClass) -> bool:
    """Edit the class, add members and assignments: staff of the class's institution only."""
    scope = scope_of(user)
    return scope.institution_id is not None and scope.institution_id == training_class.institution_id


def _is_member_of_staff_institution(scope: Scope, learner: Learner) -> bool:
    if scope.institution_id is None or learner.pk is None:
        return False
    return ClassMembership.objects.filter(
        learner_id=learner.pk, training_class__institution_id=scope.institution_id
    ).exists()


def can_verify_identity(user, learner: Learner) -> bool:
    """Confirm a learner's identity against their ID card: staff of an institution whose
    class the learner is in."""
    return _is_member_of_staff_institution(scope_of(user), learner)


def can_reveal_personal_data(user, learner: Learner) -> bool:
    """See the full ID number and phone: staff of an institution whose class the learner is in,
    the bureau and auditors. Nobody else: not HR, not district officials, not editors (and the
    learner sees their own data masked, as everyone does). Every reveal is logged by the
    caller (learners' reveal service)."""
    scope = scope_of(user)
    if scope.reads_everything:
        return True
    return _is_member_of_staff_institution(scope, learner)


def can_read_logs(user) -> bool:
    """The progress-event log and the reveal log: auditors only."""
    return Role.AUDITOR in roles_of(user)


def can_edit_content(user) -> bool:
    """Courses, catalogs, teachers and materials (Wagtail): editors and reviewers; a superuser,
    being a Wagtail administrator, too. The Bureau group itself only reads."""
    return Role.EDITOR in roles_of(user) or bool(getattr(user, "is_superuser", False) and user.is_active)
