"""Learners (real-name trainees) and their enrolments."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learner", verbose_name=_("用户账号")
    )
    real_name = models.CharField(_("真实姓名"), max_length=50)
    id_number = EncryptedTextField(_("身份证号"), validators=[validate_id_number])
    id_number_hash = models.CharField(_("身份证号索引"), max_length=64, unique=True, editable=False)
    phone = EncryptedTextField(_("手机号"), validators=[phone_validator])
    phone_hash = models.CharField(_("手机号索引"), max_length=64, db_index=True, editable=False)
    birth_date = models.DateField(_("出生日期"), null=True, editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=[("M", _("男")), ("F", _("女"))], editable=False)
    education = models.CharField(_("文化程度"), max_length=20, choices=Education.choices, blank=True)
    district = models.CharField(_("所在区县"), max_length=10, choices=District.choices)
    target_group = models.CharField(
        _("人员类别"), max_length=30, choices=TargetGroup.choices, default=TargetGroup.OTHER
    )
    employer = models.CharField(_("工作单位"), max_length=200, blank=True)
    verified = models.BooleanField(_("已实名核验"), default=False)
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("核验人"),
    )
    verification_method = models.CharField(_("核验方式"), max_length=30, blank=True)
    # The last outcome of the real-name check (learners.verification) or of staff confirmation:
    # ``verified`` is True exactly when this is "verified"; a rejection or an unavailable service
    # leaves the learner unverified until staff confirm them in person.
    verification_status = models.CharField(
        _("核验状态"),
        max_length=12,
        choices=VerificationStatus.choices,
        default=VerificationStatus.PENDING,
    )
    verification_detail = models.CharField(_("核验说明"), max_length=200, blank=True)
    verification_checked_at = models.DateTimeField(_("最近核验时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = LearnerQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("model", "学员")
        verbose_name_plural = pgettext_lazy("model plural", "学员")

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
        SELF = "self", _("自主报名")
        CLASS = "class", _("班级布置")
        STAFF = "staff", _("工作人员代为报名")

    learner = models.ForeignKey(
        Learner, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("学员")
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.CASCADE,
        related_name="enrollments",
        verbose_name=pgettext_lazy("field", "课程"),
    )
    source = models.CharField(_("报名方式"), max_length=10, choices=Source.choices, default=Source.SELF)
    enrolled_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    completed_at = models.DateTimeField(
        _("结业时间"),
        null=True,
        blank=True,
        help_text=_("课程首次完成时记录，之后不再改变。"),
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "报名记录")
        verbose_name_plural = pgettext_lazy("model plural", "报名记录")
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], name="one_enrollment_per_course")
        ]
        ordering = ["-enrolled_at"]

    def __str__(self):
        return f"{self.learner} → {self.course_id}"


class RevealLog(models.Model):
    """Every time someone saw a learner's full ID number or phone: who, whose, what, why, when."""

    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("查看人")
    )
    learner = models.ForeignKey(
        Learner, on_delete=models.PROTECT, related_name="reveals", verbose_name=_("学员")
    )
    field = models.CharField(_("查看的信息"), max_length=20)
    reason = models.CharField(_("查看原因"), max_length=200)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    at = models.DateTimeField(_("查看时间"), auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = pgettext_lazy("model", "个人信息查看记录")
        verbose_name_plural = pgettext_lazy("model plural", "个人信息查看记录")

    def __str__(self):
        return f"{self.viewer_id} saw {self.field} of {self.learner_id}"
