"""Learners (real-name trainees) and their enrolments."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from learners.identity import mask_id_number, mask_phone, validate_id_number


class District(models.TextChoices):
    """Zibo's 11 districts, counties and zones, as named in the policy."""

    ZHANGDIAN = "张店区", "张店区"
    ZICHUAN = "淄川区", "淄川区"
    BOSHAN = "博山区", "博山区"
    ZHOUCUN = "周村区", "周村区"
    LINZI = "临淄区", "临淄区"
    HUANTAI = "桓台县", "桓台县"
    GAOQING = "高青县", "高青县"
    YIYUAN = "沂源县", "沂源县"
    HIGH_TECH = "高新区", "高新区"
    ECONOMIC = "经济开发区", "经济开发区"
    WENCHANGHU = "文昌湖区", "文昌湖区"


class TargetGroup(models.TextChoices):
    ENTERPRISE_EMPLOYEE = "enterprise-employee", _("企业职工")
    COLLEGE_STUDENT = "college-student", _("高校学生")
    RURAL_WORKER = "rural-worker", _("农村转移就业劳动者")
    POOR_LABOUR = "poor-labour", _("贫困劳动力")
    UNEMPLOYED = "unemployed", _("失业人员")
    SCHOOL_LEAVER = "school-leaver", _("两后生")
    VETERAN = "veteran", _("退役军人")
    DISABLED = "disabled", _("残疾人")
    HIGH_RISK_WORKER = "high-risk-worker", _("高危行业从业人员")
    OTHER = "other", _("其他")


phone_validator = RegexValidator(
    r"^1[3-9]\d{9}$", _("Enter an 11-digit mainland mobile number, e.g. 13912345678.")
)


class Learner(models.Model):
    """A real-name trainee, tied one-to-one to a user account."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learner")
    real_name = models.CharField(_("real name"), max_length=50)
    id_number = models.CharField(_("ID number"), max_length=18, unique=True, validators=[validate_id_number])
    phone = models.CharField(_("mobile phone"), max_length=11, validators=[phone_validator])
    district = models.CharField(_("district"), max_length=10, choices=District.choices)
    target_group = models.CharField(
        _("target group"), max_length=30, choices=TargetGroup.choices, default=TargetGroup.OTHER
    )
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    verified = models.BooleanField(_("identity verified"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("learner")
        verbose_name_plural = _("learners")

    def __str__(self):
        return f"{self.real_name} ({self.masked_id_number})"

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
