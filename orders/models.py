"""五单式 列单 and 接单: the bureau's training offers (培训清单) and institutions' applications to
run them (接单申请). 选单 (a worker enrolling in an offer's class) writes no model of its own: it
is a class membership and an enrolment (``institutions``, ``learners``).

An offer names an occupation and level, the subsidy it pays (the city's standard, copied when it
is published), the districts and target groups it serves (empty: the whole city, every eligible
group) and the period institutions may apply in. The demands it answers are kept with it
(``demands``): listed when it is published, matched when a class is approved.

An application, once approved by the district, becomes a ``institutions.TrainingClass``
(``training_class``); the writes and rules are ``orders.services``.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from institutions.models import MAX_CAPACITY, TrainingMode
from vocabulary.people import District, TargetGroup
from vocabulary.training import Level


class OfferStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    CLOSED = "closed", _("已关闭")


class TrainingOffer(models.Model):
    """列单: a training the bureau lists and will pay for."""

    occupation = models.ForeignKey(
        "courses.Occupation",
        on_delete=models.PROTECT,
        related_name="training_offers",
        verbose_name=_("职业（工种）"),
    )
    level = models.CharField(_("等级"), max_length=10, choices=Level.choices, default=Level.FIVE)
    subsidy_amount = models.DecimalField(
        _("补贴标准（元/人）"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("发布时取本市该职业（工种）和等级的补贴标准。"),
    )
    districts = models.JSONField(_("服务区县"), default=list, blank=True, help_text=_("留空则面向全市。"))
    target_groups = models.JSONField(
        _("服务人员类别"), default=list, blank=True, help_text=_("留空则面向所有符合条件的人员。")
    )
    opens_on = models.DateField(_("接单开始日期"))
    closes_on = models.DateField(_("接单截止日期"))
    note = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=OfferStatus.choices, default=OfferStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人")
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    demands = models.ManyToManyField(
        "demand.TrainingDemand",
        blank=True,
        related_name="training_offers",
        verbose_name=_("对应的培训需求"),
    )
    catalog_entries = models.ManyToManyField(
        "catalogs.DemandEntry",
        blank=True,
        related_name="training_offers",
        verbose_name=_("需求目录条目"),
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "培训清单")
        verbose_name_plural = pgettext_lazy("model plural", "培训清单")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="orders_offer_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(status=OfferStatus.DRAFT) | Q(subsidy_amount__isnull=False),
                name="orders_offer_published_has_amount",
            ),
        ]
        indexes = [models.Index(fields=["status", "occupation"], name="orders_offer_status_occupation")]

    def __str__(self):
        return f"{self.occupation} · {self.get_level_display()}"

    def get_districts_display(self) -> list[str]:
        labels = dict(District.choices)
        return [str(labels.get(value, value)) for value in self.districts or []]

    def get_target_groups_display(self) -> list[str]:
        labels = dict(TargetGroup.choices)
        return [str(labels.get(value, value)) for value in self.target_groups or []]

    def serves(self, *, district: str, target_group: str) -> bool:
        """Whether a worker of this district and target group is among those the offer serves."""
        return (not self.districts or district in self.districts) and (
            not self.target_groups or target_group in self.target_groups
        )


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交，待区县审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")


class OrderApplication(models.Model):
    """接单: an institution applies to run an offer as a class; the district decides."""

    offer = models.ForeignKey(
        TrainingOffer, on_delete=models.PROTECT, related_name="applications", verbose_name=_("培训清单")
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="order_applications",
        verbose_name=_("培训机构"),
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.PROTECT,
        related_name="order_applications",
        verbose_name=pgettext_lazy("field", "课程"),
    )
    name = models.CharField(_("班级名称"), max_length=200)
    starts_on = models.DateField(_("开班日期"))
    ends_on = models.DateField(_("结业日期"))
    mode = models.CharField(
        _("授课方式"), max_length=10, choices=TrainingMode.choices, default=TrainingMode.OFFLINE
    )
    place = models.CharField(
        _("上课地点"), max_length=200, blank=True, help_text=_("线下或线上线下结合授课时必填。")
    )
    capacity = models.PositiveIntegerField(
        _("班额"), validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    teachers = models.ManyToManyField(
        "teachers.Teacher",
        blank=True,
        related_name="order_applications",
        verbose_name=_("授课教师"),
        limit_choices_to={"state": "approved"},
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提交人")
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reason = models.TextField(_("审核意见"), blank=True)
    training_class = models.OneToOneField(
        "institutions.TrainingClass",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order_application",
        verbose_name=_("班级"),
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "接单申请")
        verbose_name_plural = pgettext_lazy("model plural", "接单申请")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ApplicationStatus.REJECTED) | ~Q(reason=""),
                name="orders_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=ApplicationStatus.APPROVED) | Q(training_class__isnull=False),
                name="orders_approval_has_class",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="orders_application_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="orders_application_queue")]

    def __str__(self):
        return f"{self.institution} · {self.name}"
