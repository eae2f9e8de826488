"""Writes concerning learners and enrolments."""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from common.background import enqueue_now
from common.text import enumeration
from courses.models import CoursePage
from learners.models import Enrollment, Learner, RevealLog, VerificationStatus
from learners.signals import learner_verified


class EnrollmentRefused(Exception):
    """The learner may not enrol in this course; the message says why."""


def enrollment_create(*, learner: Learner, course: CoursePage, source: str = Enrollment.Source.SELF):
    """Enrol the learner; return (enrollment, created). Self-enrolment needs an open course.

    Idempotent and race-safe: two concurrent calls create one row (the unique constraint
    decides, and the loser reads the winner's row).
    """
    if source == Enrollment.Source.SELF and not course.open_enrolment:
        raise EnrollmentRefused(_("此课程不开放自主选课，请通过培训机构报名。"))
    existing = Enrollment.objects.filter(learner=learner, course=course).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return Enrollment.objects.create(learner=learner, course=course, source=source), True
    except IntegrityError:
        return Enrollment.objects.get(learner=learner, course=course), False


def learner_register(
    *,
    username: str,
    password: str,
    real_name: str,
    id_number: str,
    phone: str,
    district: str,
    target_group: str,
    employer: str = "",
    education: str = "",
) -> Learner:
    """Create the account and its real-name learner profile together (validated by
    learners.forms.RegistrationForm). One person, one account: a concurrent second registration
    with the same ID number loses on the unique hash and gets the same clear error.

    The real-name check (``learners.verification``) runs once the learner is committed, so a
    slow or unavailable provider never blocks or undoes a registration; a roster import that
    calls this in its own transaction has its learners checked after it commits."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, password=password)
            learner = Learner.objects.create(
                user=user,
                real_name=real_name,
                id_number=id_number,
                phone=phone,
                district=district,
                target_group=target_group,
                employer=employer,
                education=education,
            )
            identity_check_after_commit(learner)
            return learner
    except IntegrityError:
        if User.objects.filter(username=username).exists():
            raise ValidationError({"username": [_("该用户名已被使用。")]}) from None
        raise ValidationError({"id_number": [_("该身份证号已注册。")]}) from None


# Stored in the source language (gettext_noop) and translated where it is shown.
STAFF_DETAIL = gettext_noop("培训机构工作人员现场核验身份证。")


def learner_verify(
    *, learner: Learner, verified_by: User | None, method: str = "staff", note: str = ""
) -> Learner:
    """Record that the learner's identity was confirmed (by institution staff against the ID
    card, or by an external provider: see learners.verification), and send ``learner_verified``
    in the same transaction (the archive then issues the certificates it held back).

    The UPDATE takes the learner's row lock, which the archive also takes before it decides
    whether a new completion gets its certificate: so a completion and a verification racing
    each other never leave a certificate unissued."""
    now = timezone.now()
    learner.verified = True
    learner.verified_at = now
    learner.verified_by = verified_by
    learner.verification_method = method[:30]
    learner.verification_status = VerificationStatus.VERIFIED
    learner.verification_detail = (note or "").strip()[:200] or (
        STAFF_DETAIL if verified_by is not None else ""
    )
    learner.verification_checked_at = now
    with transaction.atomic():
        learner.save(
            update_fields=[
                "verified",
                "verified_at",
                "verified_by",
                "verification_method",
                "verification_status",
                "verification_detail",
                "verification_checked_at",
            ]
        )
        learner_verified.send(sender=Learner, learner=learner, method=learner.verification_method)
    return learner


def learner_verification_record(*, learner: Learner, status: str, method: str, detail: str = "") -> Learner:
    """Store the outcome of an automatic real-name check. "verified" verifies the learner
    (``learner_verify``); "rejected" or "unavailable" is kept for staff to see, and never takes
    back a verification already made (staff confirmation in person stays the fallback)."""
    if status == VerificationStatus.VERIFIED:
        return learner_verify(learner=learner, verified_by=None, method=method, note=detail)
    now = timezone.now()
    fields = {
        "verification_status": status,
        "verification_method": method[:30],
        "verification_detail": (detail or "").strip()[:200],
        "verification_checked_at": now,
    }
    # Conditional: a staff confirmation that landed meanwhile is not overwritten.
    if Learner.objects.filter(pk=learner.pk, verified=False).update(**fields):
        for name, value in fields.items():
            setattr(learner, name, value)
    return learner


def identity_check_after_commit(learner: Learner) -> None:
    """Queue the learner's real-name check for when the current transaction commits (at once
    outside one). A queueing failure is logged and never fails the caller: the learner stays
    pending, and staff can still confirm them in person."""
    learner_id = learner.pk

    def enqueue():
        # Named exception (docs/architecture.md, "Known tangles"): learners.verification imports
        # this module at its top (it records a check's outcome with learner_verification_record),
        # and a queued task is named by its module path, so the task stays where it is. The way
        # out: the verification writes (learner_verify, learner_verification_record) in a module
        # of their own, which both this module and learners.verification import.
        from learners.verification import identity_check_task

        enqueue_now(identity_check_task, learner_id)

    transaction.on_commit(enqueue, robust=True)


USERNAME_TAKEN = gettext_lazy("该用户名已被使用。")


def learner_activate(*, learner: Learner, password: str, username: str = "") -> Learner:
    """The owner of an account created from a roster sets their password and, if they chose one,
    their username (learners.forms.ActivationForm checked who they are and the username). A
    learner whose real-name check has not answered yet (pending, or the provider was
    unavailable) is checked again. A username taken meanwhile raises ValidationError."""
    user = learner.user
    fields, previous = ["password"], user.username
    username = (username or "").strip()
    if username and username != user.username:
        user.username = username
        fields.append("username")
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save(update_fields=fields)
    except IntegrityError:
        user.username = previous
        raise ValidationError({"username": [USERNAME_TAKEN]}) from None
    identity_check_if_unanswered(learner)
    return learner


def identity_check_if_unanswered(learner: Learner) -> None:
    """Queue the real-name check again for a learner it has not answered for yet (pending, or
    the provider was unavailable): at activation, or a first password set by a reset."""
    if not learner.verified and learner.verification_status in (
        VerificationStatus.PENDING,
        VerificationStatus.UNAVAILABLE,
    ):
        identity_check_after_commit(learner)


REVEALABLE_FIELDS = ("id_number", "phone")


def learner_reveal(
    *, viewer: User, learner: Learner, field: str, reason: str, permitted: bool, ip: str | None = None
) -> str:
    """The full value of a learner's ID number or phone, for a viewer whose role needs it; every
    reveal is logged (who, whose, which field, why, from where). ``permitted``: whether the
    viewer's role may see it, which the caller asks the roles (``institutions.roles.
    can_reveal_personal_data``): who may is the institutions side's to say, above this app."""
    if field not in REVEALABLE_FIELDS:
        raise ValidationError(
            {"field": [_("只能查看 %(fields)s。") % {"fields": enumeration(REVEALABLE_FIELDS)}]}
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("请说明查看原因。")]})
    if not permitted:
        raise PermissionDenied(_("您的角色无权查看完整个人信息。"))
    RevealLog.objects.create(viewer=viewer, learner=learner, field=field, reason=reason.strip()[:200], ip=ip)
    return getattr(learner, field)
