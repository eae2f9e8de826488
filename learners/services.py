"""Writes concerning learners and enrolments."""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.models import CoursePage
from learners.models import Enrollment, Learner, RevealLog


class EnrollmentRefused(Exception):
    """The learner may not enrol in this course; the message says why."""


def enrollment_create(*, learner: Learner, course: CoursePage, source: str = Enrollment.Source.SELF):
    """Enrol the learner; return (enrollment, created). Self-enrolment needs an open course.

    Idempotent and race-safe: two concurrent calls create one row (the unique constraint
    decides, and the loser reads the winner's row).
    """
    if source == Enrollment.Source.SELF and not course.open_enrolment:
        raise EnrollmentRefused(
            "此课程不开放自主选课，请通过培训机构报名。This course is not open to self-enrolment."
        )
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
    with the same ID number loses on the unique hash and gets the same clear error."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, password=password)
            return Learner.objects.create(
                user=user,
                real_name=real_name,
                id_number=id_number,
                phone=phone,
                district=district,
                target_group=target_group,
                employer=employer,
                education=education,
            )
    except IntegrityError:
        if User.objects.filter(username=username).exists():
            raise ValidationError({"username": ["该用户名已被使用。This username is taken."]}) from None
        raise ValidationError(
            {"id_number": ["该身份证号已注册。This ID number is already registered."]}
        ) from None


def learner_verify(
    *, learner: Learner, verified_by: User | None, method: str = "staff", note: str = ""
) -> Learner:
    """Record that the learner's identity was confirmed (by institution staff against the ID
    card, or by an external provider: see learners.verification)."""
    learner.verified = True
    learner.verified_at = timezone.now()
    learner.verified_by = verified_by
    learner.verification_method = method[:30]
    learner.save(update_fields=["verified", "verified_at", "verified_by", "verification_method"])
    return learner


REVEALABLE_FIELDS = ("id_number", "phone")


def learner_reveal(*, viewer: User, learner: Learner, field: str, reason: str, ip: str | None = None) -> str:
    """The full value of a learner's ID number or phone, for a viewer whose role needs it; every
    reveal is logged (who, whose, which field, why, from where)."""
    from institutions.roles import can_reveal_personal_data

    if field not in REVEALABLE_FIELDS:
        raise ValidationError({"field": [f"只能查看 {', '.join(REVEALABLE_FIELDS)}。"]})
    if not (reason or "").strip():
        raise ValidationError({"reason": ["请说明查看原因。Give the reason for seeing this data."]})
    if not can_reveal_personal_data(viewer, learner):
        raise PermissionDenied("您的角色无权查看完整个人信息。Your role may not see this personal data.")
    RevealLog.objects.create(viewer=viewer, learner=learner, field=field, reason=reason.strip()[:200], ip=ip)
    return getattr(learner, field)
