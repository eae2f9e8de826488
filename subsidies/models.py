"""Training subsidies (职业培训补贴): the city's standards, the claims and their history, and the
social-insurance roster the reviewers cross-check against (docs/subsidies.md).

The plan's rules are kept by ``subsidies.services`` (one service, under a lock on the person),
and two of them by the database as well: an archive entry has at most one claim that was not
rejected, and a person at most one such claim per occupation and level.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from vocabulary.training import Level


class SubsidyStandard(models.Model):
    """同类工种、同一等级、同等补贴: one amount per occupation and level for the whole city, set
    by the bureau. A claim takes the amount in force when it is submitted (a snapshot)."""

    occupation = models.ForeignKey(
        "courses.Occupation", on_delete=models.PROTECT, related_name="+", verbose_name=_("职业（工种）")
    )
    level = models.CharField(_("等级"), max_length=10, choices=Level.choices)
    amount = models.DecimalField(
        _("补贴标准（元/人）"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    note = models.CharField(_("依据"), max_length=200, blank=True, help_text=_("如文件名称、文号。"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "补贴标准")
        verbose_name_plural = pgettext_lazy("model plural", "补贴标准")
        ordering = ["occupation__code", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["occupation", "level"],
                name="subsidy_standard_one_per_occupation_level",
                violation_error_message=_("该职业（工种）和等级已有补贴标准，请修改原有标准。"),
            )
        ]

    def __str__(self):
        amount = gettext("%(amount)s 元") % {"amount": self.amount}
        return f"{self.occupation} · {self.get_level_display()} · {amount}"


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交，待区县审核")
    DISTRICT_APPROVED = "district_approved", _("区县已审核，待市人社局审批")
    APPROVED = "approved", _("已审批，待发放")
    PAID = "paid", _("已发放")
    REJECTED = "rejected", _("未通过")


# Claims that count against the rules: every status but rejected ("granted or pending").
OPEN_STATUSES = (ClaimStatus.SUBMITTED, ClaimStatus.DISTRICT_APPROVED, ClaimStatus.APPROVED, ClaimStatus.PAID)
NOT_REJECTED = ~Q(status=ClaimStatus.REJECTED)
IS_OPEN = Q(status__in=OPEN_STATUSES)  # the same claims, as an index look-up
PAYMENT_REFERENCE_MAX_LENGTH = 64


class SubsidyClaim(models.Model):
    """A claim of the training subsidy for one archive entry (one completed, certified training).

    ``occupation_code``, ``level`` and ``completion_year`` are copied from the entry when the
    claim is made: they are what the rules count by (the year is the calendar year of the
    completion in China's time), so each rule is one indexed look-up whatever the person's history.
    """

    learner = models.ForeignKey(  # indexed by (learner, status)
        "learners.Learner",
        on_delete=models.PROTECT,
        related_name="subsidy_claims",
        verbose_name=_("学员"),
        db_index=False,
    )
    archive_entry = models.ForeignKey(
        "archive.ArchiveEntry",
        on_delete=models.PROTECT,
        related_name="subsidy_claims",
        verbose_name=_("培训档案"),
    )
    occupation_code = models.CharField(_("职业编码"), max_length=12)
    level = models.CharField(_("等级"), max_length=10, choices=Level.choices)
    completion_year = models.PositiveSmallIntegerField(_("完成年度"))
    amount = models.DecimalField(_("补贴金额（元）"), max_digits=8, decimal_places=2)
    status = models.CharField(
        _("状态"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED
    )
    reason = models.TextField(_("未通过原因"), blank=True)
    submitted_at = models.DateTimeField(_("申领时间"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提交人")
    )
    district_decided_at = models.DateTimeField(_("区县审核时间"), null=True, blank=True)
    district_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("区县审核人"),
    )
    bureau_decided_at = models.DateTimeField(_("市人社局审批时间"), null=True, blank=True)
    bureau_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("市人社局审批人"),
    )
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发放登记人"),
    )
    payment_reference = models.CharField(_("支付凭证号"), max_length=PAYMENT_REFERENCE_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "补贴申领")
        verbose_name_plural = pgettext_lazy("model plural", "补贴申领")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            # already_claimed, kept by the database too.
            models.UniqueConstraint(
                fields=["archive_entry"], condition=NOT_REJECTED, name="subsidy_one_open_claim_per_entry"
            ),
            # same_occupation_level: never twice for the same occupation and level, any year.
            models.UniqueConstraint(
                fields=["learner", "occupation_code", "level"],
                condition=NOT_REJECTED,
                name="subsidy_one_open_claim_per_occupation_level",
            ),
            models.CheckConstraint(
                condition=~Q(status=ClaimStatus.REJECTED) | ~Q(reason=""), name="subsidy_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status=ClaimStatus.PAID) | ~Q(payment_reference=""),
                name="subsidy_payment_has_reference",
            ),
        ]
        indexes = [
            # A person's claims, and the rules' count of those not rejected (``status IN`` the open
            # statuses): a few index entries however many were rejected.
            models.Index(fields=["learner", "status"], name="subsidy_claim_learner_status"),
            models.Index(fields=["status", "submitted_at"], name="subsidy_claim_status_queue"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.occupation_code} {self.level} {self.get_status_display()}"


class ActorRole(models.TextChoices):
    """The role an actor acted in (``institutions.roles.Role`` values), for the history."""

    LEARNER = "learner", _("学员")
    INSTITUTION_STAFF = "institution_staff", _("培训机构")
    ENTERPRISE_HR = "enterprise_hr", _("企业人力资源")
    EDITOR = "editor", _("内容编辑")
    DISTRICT_OFFICIAL = "district_official", _("区县人社")
    BUREAU = "bureau", _("市人社局")
    AUDITOR = "auditor", _("审计")


class ClaimEvent(models.Model):
    """One step of a claim (submitted, decided, paid): who, when, from which status to which, and
    why. Written by the services in the transaction of the step; never edited."""

    claim = models.ForeignKey(
        SubsidyClaim, on_delete=models.PROTECT, related_name="events", verbose_name=_("补贴申领")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    role = models.CharField(_("身份"), max_length=20, choices=ActorRole.choices, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    from_status = models.CharField(_("原状态"), max_length=20, choices=ClaimStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=ClaimStatus.choices)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "补贴申领记录")
        verbose_name_plural = pgettext_lazy("model plural", "补贴申领记录")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"#{self.claim_id} {self.from_status or '—'} → {self.to_status}"


class InsuranceImport(models.Model):
    """One upload of the social-insurance roster (联网核查): who imported how many rows, when."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("导入人")
    )
    uploaded_at = models.DateTimeField(_("导入时间"), default=timezone.now)
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)

    class Meta:
        verbose_name = pgettext_lazy("model", "社保名单导入")
        verbose_name_plural = pgettext_lazy("model plural", "社保名单导入")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.filename} ({self.rows})"


class InsuranceRecord(models.Model):
    """A person on the social-insurance roster, by the keyed hash of their ID number (the
    learners' ``blind_index``; the number itself is never stored): their employer and since when
    they are insured. A later import replaces the person's row."""

    id_number_hash = models.CharField(_("身份证号摘要"), max_length=64, unique=True, editable=False)
    employer = models.CharField(_("参保单位"), max_length=200)
    insured_since = models.DateField(_("参保起始日期"))
    source = models.ForeignKey(
        InsuranceImport, on_delete=models.PROTECT, related_name="records", verbose_name=_("社保名单导入")
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "社保参保记录")
        verbose_name_plural = pgettext_lazy("model plural", "社保参保记录")

    def __str__(self):
        return f"{self.employer} · {self.insured_since:%Y-%m-%d}"
