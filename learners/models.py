"""Learners (real-name trainees) and their enrolments."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from learners.crypto import EncryptedTextField, blind_index
from vocabulary.identity import (
    birth_date_from_id,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    sex_from_id,
    validate_id_number,
)
from vocabulary.people import District, Education, TargetGroup, phone_validator


class LearnerQuerySet(models.QuerySet):
    # Look-ups go through the keyed hashes: the encrypted columns cannot be compared.
    def with_id_number(self, id_number: str):
        return self.filter(id_number_hash=blind_index(normalize_id_number(id_number)))

    def with_phone(self, phone: str):
        return self.filter(phone_hash=blind_index(phone))


class VerificationStatus(models.TextChoices):
    """The outcome of the real-name check of a learner (learners.verification)."""

    PENDING = "pending", _("待核验")
    VERIFIED = "verified", _("已核验")
    REJECTED = "rejected", _("核验未通过")
    UNAVAILABLE = "unavailable", _("核验服务暂不可用")


class Learner(models.Model):
    """A real-name trainee, tied one-to-one to a user account.

    The ID number and phone are stored encrypted (learners.crypto); ``id_number_hash`` and
    ``phone_hash`` are keyed hashes for look-ups, and the unique hash makes one person one account.
    Never filter on ``id_number`` or ``phone``: use ``Learner.objects.with_id_number(...)``.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learner")
    real_name = models.CharField(_("real name"), max_length=50)
    id_number = EncryptedTextField(_("ID number"), validators=[validate_id_number])
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    phone = EncryptedTextField(_("mobile phone"), validators=[phone_validator])
    phone_hash = models.CharField(max_length=64, db_index=True, editable=False)
    birth_date = models.DateField(_("birth date"), null=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=[("M", _("男")), ("F", _("女"))], editable=False)
    education = models.CharField(_("education"), max_length=20, choices=Education.choices, blank=True)
    district = models.CharField(_("district"), max_length=10, choices=District.choices)
    target_group = models.CharField(
        _("target group"), max_length=30, choices=TargetGroup.choices, default=TargetGroup.OTHER
    )
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    verified = models.BooleanField(_("identity verified"), default=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verification_method = models.CharField(_("verification method"), max_length=30, blank=True)
    # The last outcome of the real-name check (learners.verification) or of staff confirmation:
    # ``verified`` is True exactly when this is "verified"; a rejection or an unavailable service
    # leaves the learner unverified until staff confirm them in person.
    verification_status = models.CharField(
        _("verification status"),
        max_length=12,
        choices=VerificationStatus.choices,
        default=VerificationStatus.PENDING,
    )
    verification_detail = models.CharField(_("verification detail"), max_length=200, blank=True)
    verification_checked_at = models.DateTimeField(_("verification checked at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LearnerQuerySet.as_manager()

    class Meta:
        verbose_name = _("learner")
        verbose_name_plural = _("learners")

    def __str__(self):
        return f"{self.real_name} ({self.masked_id_number})"

    def save(self, *args, **kwargs):
        # The hashes and what the ID number says (birth date, sex) always follow the values.
        self.id_number = normalize_id_number(self.id_number)
        self.id_number_hash = blind_index(self.id_number)
        self.phone_hash = blind_index(self.phone or "")
        try:
            self.birth_date = birth_date_from_id(self.id_number)
            self.sex = sex_from_id(self.id_number)
        except (ValueError, IndexError):
            pass  # an invalid number never passes validation; nothing to derive
        # ``verified`` and the status agree whoever saves the row (staff, a provider, a seed, the
        # admin taking a verification back).
        if self.verified:
            self.verification_status = VerificationStatus.VERIFIED
        elif self.verification_status == VerificationStatus.VERIFIED:
            self.verification_status = VerificationStatus.PENDING
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"id_number", "phone"} & set(update_fields):
            kwargs["update_fields"] = set(update_fields) | {
                "id_number_hash",
                "phone_hash",
                "birth_date",
                "sex",
            }
        if kwargs.get("update_fields") is not None and "verified" in kwargs["update_fields"]:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"verification_status"}
        super().save(*args, **kwargs)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Enrollment(models.Model):
    """A learner's enrolment in a course."""

    class Source(models.TextChoices):
        SELF = "self", _("self-enrolment")
        CLASS = "class", _("class assignment")
        STAFF = "staff", _("staff")

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="enrollments")
    course = models.ForeignKey("courses.CoursePage", on_delete=models.CASCADE, related_name="enrollments")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SELF)
    enrolled_at = models.DateTimeField(_("enrolled at"), auto_now_add=True)
    completed_at = models.DateTimeField(
        _("completed at"),
        null=True,
        blank=True,
        help_text=_("Set once, when the course is first completed."),
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], name="one_enrollment_per_course")
        ]
        ordering = ["-enrolled_at"]

    def __str__(self):
        return f"{self.learner} → {self.course_id}"


class RevealLog(models.Model):
    """Every time someone saw a learner's full ID number or phone: who, whose, what, why, when."""

    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey(Learner, on_delete=models.PROTECT, related_name="reveals")
    field = models.CharField(max_length=20)
    reason = models.CharField(max_length=200)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("personal data reveal")
        verbose_name_plural = _("personal data reveals")

    def __str__(self):
        return f"{self.viewer_id} saw {self.field} of {self.learner_id}"
