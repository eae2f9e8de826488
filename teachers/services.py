"""Teacher vetting (师资审核): the one function that moves a teacher between states.

A new teacher starts as ``submitted``. The allowed transitions, who may make them, and whether
a reason is required:

==============  ============  ============================  ========  =====================
from            to            who                           reason    audit-log action
==============  ============  ============================  ========  =====================
submitted       under_review  reviewer                      optional  teachers.start_review
under_review    approved      reviewer                      optional  teachers.approve
under_review    rejected      reviewer                      required  teachers.reject
rejected        submitted     editor (after fixing)         optional  teachers.resubmit
approved        suspended     reviewer                      required  teachers.suspend
approved        under_review  reviewer (re-check)           optional  teachers.start_review
suspended       under_review  reviewer (to reinstate)       optional  teachers.start_review
==============  ============  ============================  ========  =====================

"editor" is a member of the Django group "Editors", "reviewer" a member of "Moderators" (both
created by Wagtail); a superuser (the bureau, 市人社局) is both. Anyone else — anonymous,
learners, institution staff — may make no transition. A reinstated teacher goes through review
again rather than straight back to approved, so every approval has a reviewer's name on it.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from teachers.models import Teacher, TeacherState

EDITORS_GROUP = "Editors"
REVIEWERS_GROUP = "Moderators"


class Role:
    EDITOR = "editor"
    REVIEWER = "reviewer"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    role: str
    action: str
    reason_required: bool = False
    label: str = ""  # a lazy translation: shown in the request's language


S = TeacherState
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        S.SUBMITTED, S.UNDER_REVIEW, Role.REVIEWER, "teachers.start_review", label=gettext_lazy("开始审核")
    ),
    Transition(S.UNDER_REVIEW, S.APPROVED, Role.REVIEWER, "teachers.approve", label=gettext_lazy("审核通过")),
    Transition(
        S.UNDER_REVIEW, S.REJECTED, Role.REVIEWER, "teachers.reject", True, label=gettext_lazy("驳回")
    ),
    Transition(S.REJECTED, S.SUBMITTED, Role.EDITOR, "teachers.resubmit", label=gettext_lazy("重新提交")),
    Transition(S.APPROVED, S.SUSPENDED, Role.REVIEWER, "teachers.suspend", True, label=gettext_lazy("暂停")),
    Transition(
        S.APPROVED, S.UNDER_REVIEW, Role.REVIEWER, "teachers.start_review", label=gettext_lazy("重新审核")
    ),
    Transition(
        S.SUSPENDED, S.UNDER_REVIEW, Role.REVIEWER, "teachers.start_review", label=gettext_lazy("重新审核")
    ),
)
_BY_STATES = {(t.source, t.target): t for t in TRANSITIONS}

# Audit-log actions with their labels (registered in wagtail_hooks.py).
LOG_ACTIONS = {
    "teachers.start_review": gettext_lazy("师资：开始审核"),
    "teachers.approve": gettext_lazy("师资：审核通过"),
    "teachers.reject": gettext_lazy("师资：驳回"),
    "teachers.resubmit": gettext_lazy("师资：重新提交"),
    "teachers.suspend": gettext_lazy("师资：暂停"),
}


class TransitionRefused(Exception):
    """A transition that may not be made; ``code`` says why, the message is in the request's language."""

    code = "refused"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransitionNotAllowed(TransitionRefused):
    code = "not_allowed"


class TransitionForbidden(TransitionRefused):
    code = "forbidden"


class ReasonRequired(TransitionRefused):
    code = "reason_required"


def user_roles(user) -> frozenset[str]:
    """The vetting roles of a user, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_teacher_vetting_roles", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        roles = frozenset({Role.EDITOR, Role.REVIEWER})
    else:
        names = set(
            user.groups.filter(name__in=[EDITORS_GROUP, REVIEWERS_GROUP]).values_list("name", flat=True)
        )
        roles = frozenset(
            role
            for role, group in ((Role.EDITOR, EDITORS_GROUP), (Role.REVIEWER, REVIEWERS_GROUP))
            if group in names
        )
    user._teacher_vetting_roles = roles
    return roles


def transition_for(source: str, target: str) -> Transition | None:
    return _BY_STATES.get((source, target))


def allowed_transitions(*, teacher: Teacher, user) -> list[Transition]:
    """The transitions from the teacher's current state that this user may make."""
    roles = user_roles(user)
    return [t for t in TRANSITIONS if t.source == teacher.state and t.role in roles]


def teacher_transition(*, teacher: Teacher, to_state: str, user, reason: str = "") -> Teacher:
    """Move ``teacher`` to ``to_state`` on behalf of ``user`` and record it in the audit log.

    Raises TransitionNotAllowed (no such transition from the current state), TransitionForbidden
    (the user may not make it) or ReasonRequired (rejecting or suspending without a reason).
    The row is locked while the current state is re-read, so two reviewers acting at once
    cannot both move the same teacher from the same state.
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        current = Teacher.objects.select_for_update().only("id", "state").get(pk=teacher.pk)
        move = transition_for(current.state, to_state)
        if move is None:
            raise TransitionNotAllowed(
                _("不能从“%(source)s”变为“%(target)s”。")
                % {"source": TeacherState(current.state).label, "target": _label(to_state)}
            )
        if move.role not in user_roles(user):
            message = (
                _("只有编辑可以执行“%(action)s”。")
                if move.role == Role.EDITOR
                else _("只有审核员可以执行“%(action)s”。")
            )
            raise TransitionForbidden(message % {"action": move.label})
        if move.reason_required and not reason:
            raise ReasonRequired(_("“%(action)s”必须填写原因。") % {"action": move.label})
        now = timezone.now()
        Teacher.objects.filter(pk=current.pk).update(
            state=move.target, state_reason=reason, state_changed_at=now, updated_at=now
        )
        teacher.state, teacher.state_reason, teacher.state_changed_at = move.target, reason, now
        log(
            instance=teacher,
            action=move.action,
            user=user,
            data={"reason": reason, "from": move.source, "to": move.target},
        )
    return teacher


def _label(state: str) -> str:
    try:
        return TeacherState(state).label
    except ValueError:
        return state
