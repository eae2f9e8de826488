"""Training institutions, enterprises, district officials, and the classes institutions run.

Who may see what is decided in one place, ``institutions.roles``; writes are in
``institutions.services``. Learners' personal data never lives here: a class only links to
``learners.Learner``, whose ID number and phone are shown masked everywhere.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalogs.validators import normalize_credit_code, validate_contact_phone, validate_credit_code
from vocabulary.people import District
from vocabulary.training import Level


class InstitutionType(models.TextChoices):
    PUBLIC = "public", _("公办")
    PRIVATE = "private", _("民办")
    ENTERPRISE = "enterprise", _("企业")
    COLLEGE = "college", _("院校")
    TECHNICAL_SCHOOL = "technical-school", _("技工院校")


class Institution(models.Model):
    """A training institution (培训机构) approved to train for some occupations."""

    name = models.CharField(_("机构名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    licence_number = models.CharField(_("办学许可证号"), max_length=50, blank=True)
    type = models.CharField(_("机构类型"), max_length=20, choices=InstitutionType.choices)
    district = models.CharField(_("所在区县"), max_length=10, choices=District.choices)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(
        _("联系电话"), max_length=20, blank=True, validators=[validate_contact_phone]
    )
    occupations = models.ManyToManyField(
        "courses.Occupation", verbose_name=_("核准培训职业（工种）"), blank=True, related_name="institutions"
    )
    active = models.BooleanField(_("有效"), default=True, help_text=_("停用后，其工作人员不再具有机构权限。"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = pgettext_lazy("model", "培训机构")
        verbose_name_plural = pgettext_lazy("model plural", "培训机构")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.credit_code = normalize_credit_code(self.credit_code)
        super().save(*args, **kwargs)


class InstitutionStaff(models.Model):
    """A user working for one institution (a user is staff of at most one)."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("机构管理员")
        TEACHER = "teacher", _("教务/教师")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="institution_staff",
        verbose_name=_("用户账号"),
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="staff", verbose_name=_("培训机构")
    )
    role = models.CharField(_("岗位"), max_length=10, choices=Role.choices, default=Role.ADMIN)

    class Meta:
        verbose_name = pgettext_lazy("model", "机构工作人员")
        verbose_name_plural = pgettext_lazy("model plural", "机构工作人员")

    def __str__(self):
        return f"{self.user} @ {self.institution}"


class Enterprise(models.Model):
    """An employer (企业) whose HR follows the training of its own employees."""

    name = models.CharField(_("企业名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    district = models.CharField(_("所在区县"), max_length=10, choices=District.choices)

    class Meta:
        ordering = ["id"]
        verbose_name = pgettext_lazy("model", "企业")
        verbose_name_plural = pgettext_lazy("model plural", "企业")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.credit_code = normalize_credit_code(self.credit_code)
        super().save(*args, **kwargs)


class EnterpriseHR(models.Model):
    """A user doing HR for one enterprise: sees that enterprise's employees only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enterprise_hr",
        verbose_name=_("用户账号"),
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="hr", verbose_name=_("企业")
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "企业人力资源")
        verbose_name_plural = pgettext_lazy("model plural", "企业人力资源")

    def __str__(self):
        return f"{self.user} @ {self.enterprise}"


class Employment(models.Model):
    """A learner's current employer (one at a time)."""

    learner = models.OneToOneField(
        "learners.Learner", on_delete=models.CASCADE, related_name="employment", verbose_name=_("学员")
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="employments", verbose_name=_("企业")
    )
    started_on = models.DateField(_("入职日期"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "任职")
        verbose_name_plural = pgettext_lazy("model plural", "任职")

    def __str__(self):
        return f"{self.learner} @ {self.enterprise}"


class DistrictOfficial(models.Model):
    """A user of a district's human-resources office: sees learners and classes of that district."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="district_official",
        verbose_name=_("用户账号"),
    )
    district = models.CharField(_("区县"), max_length=10, choices=District.choices)

    class Meta:
        verbose_name = pgettext_lazy("model", "区县人社工作人员")
        verbose_name_plural = pgettext_lazy("model plural", "区县人社工作人员")

    def __str__(self):
        return f"{self.user} @ {self.district}"


class TrainingMode(models.TextChoices):
    ONLINE = "online", _("线上")
    OFFLINE = "offline", _("线下")
    BLENDED = "blended", _("线上线下结合")


# The most learners a class may be given room for: a typo guard, not a policy.
MAX_CAPACITY = 10_000
# A class runs within these years: a date in year 1 or 9999 is a slip.
CLASS_YEARS = (2000, 2099)


class TrainingClass(models.Model):
    """A class (班级) an institution runs for a course; learners join through memberships.

    ``teachers`` are the class's teachers, all from the vetted pool (approved); ``teacher`` is
    the lead (主讲) among them, kept for the API's ``teacher`` field. ``capacity`` (班额), when
    set, caps the members (``services.class_member_add`` refuses the one too many).
    """

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="classes", verbose_name=_("培训机构")
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.PROTECT,
        related_name="training_classes",
        verbose_name=pgettext_lazy("field", "课程"),
    )
    occupation = models.ForeignKey(
        "courses.Occupation",
        on_delete=models.PROTECT,
        related_name="training_classes",
        verbose_name=_("职业（工种）"),
    )
    level = models.CharField(_("等级"), max_length=10, choices=Level.choices, default=Level.FIVE)
    teacher = models.ForeignKey(
        "teachers.Teacher",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="training_classes",
        verbose_name=_("主讲教师"),
        limit_choices_to={"state": "approved"},
        help_text=_("只能选择审核通过的师资。"),
    )
    teachers = models.ManyToManyField(
        "teachers.Teacher",
        blank=True,
        related_name="taught_classes",
        verbose_name=_("授课教师"),
        limit_choices_to={"state": "approved"},
        help_text=_("只能选择审核通过的师资；主讲教师也在其中。"),
    )
    name = models.CharField(_("班级名称"), max_length=200)
    starts_on = models.DateField(_("开班日期"))
    ends_on = models.DateField(_("结业日期"))
    district = models.CharField(
        _("区县"), max_length=10, choices=District.choices, blank=True, help_text=_("留空则取机构所在区县。")
    )
    capacity = models.PositiveIntegerField(
        _("班额"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)],
        help_text=_("班级最多容纳的学员人数；留空则不限。"),
    )
    mode = models.CharField(
        _("授课方式"), max_length=10, choices=TrainingMode.choices, default=TrainingMode.ONLINE
    )
    place = models.CharField(
        _("上课地点"), max_length=200, blank=True, help_text=_("线下或线上线下结合授课时必填。")
    )
    learners = models.ManyToManyField(
        "learners.Learner",
        through="ClassMembership",
        related_name="training_classes",
        blank=True,
        verbose_name=_("学员"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "id"]
        verbose_name = pgettext_lazy("model", "班级")
        verbose_name_plural = pgettext_lazy("model plural", "班级")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="class_ends_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True) | models.Q(capacity__gte=1),
                name="class_capacity_at_least_one",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.district and self.institution_id:
            self.district = self.institution.district
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        errors = {}
        first, last = CLASS_YEARS
        for field in ("starts_on", "ends_on"):
            day = getattr(self, field)
            if day and not first <= day.year <= last:
                errors[field] = _("日期须在 %(first)d 年至 %(last)d 年之间。") % {
                    "first": first,
                    "last": last,
                }
        if not errors and self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("结业日期不能早于开班日期，请改为开班日期当天或之后。")
        if self.teacher_id and not self.teacher.is_approved:
            errors["teacher"] = _("只能选择审核通过的师资。")
        if self.mode != TrainingMode.ONLINE and not self.place.strip():
            errors["place"] = _("线下或线上线下结合授课，请填写上课地点。")
        if errors:
            raise ValidationError(errors)


class ClassMembership(models.Model):
    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("班级")
    )
    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.CASCADE, related_name="class_memberships", verbose_name=_("学员")
    )
    joined_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model", "班级学员")
        verbose_name_plural = pgettext_lazy("model plural", "班级学员")
        constraints = [
            models.UniqueConstraint(fields=["training_class", "learner"], name="one_membership_per_class")
        ]

    def __str__(self):
        return f"{self.learner} @ {self.training_class}"


class Assignment(models.Model):
    """A module assigned to a class: a course, or only some of its lessons (none chosen: all)."""

    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("班级")
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.PROTECT,
        related_name="class_assignments",
        verbose_name=pgettext_lazy("field", "课程"),
    )
    lessons = models.ManyToManyField(
        "courses.Lesson",
        blank=True,
        related_name="assignments",
        verbose_name=_("指定课时"),
        help_text=_("不选则为整门课程。"),
    )
    opens_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    due_at = models.DateTimeField(_("截止时间"))
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = pgettext_lazy("model", "学习任务")
        verbose_name_plural = pgettext_lazy("model plural", "学习任务")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_at__gt=models.F("opens_at")), name="assignment_due_after_opens"
            ),
            # A course is assigned to a class once: a second row would count its hours twice
            # (the class dashboard sums its modules). Migration 0004 merged earlier duplicates.
            models.UniqueConstraint(
                fields=["training_class", "course"],
                name="one_assignment_per_class_and_course",
                violation_error_message=_("这门课程已布置给本班级，同一门课程只能布置一次。"),
            ),
        ]

    def __str__(self):
        return f"{self.training_class} · {self.course}"

    def clean(self):
        super().clean()
        if self.opens_at and self.due_at and self.due_at <= self.opens_at:
            raise ValidationError({"due_at": _("截止时间须晚于开始时间。")})
