"""Fraud signals, their review, and dishonesty records (docs/integrity.md).

- ``FraudSignal``: one finding of a detector (``integrity.detectors``) about one learner on one
  day (China's time), naming its evidence: the ids of the rows behind it. Detection only
  (检测): a signal punishes no one.
- ``ReviewCase``: a learner's open signals, gathered for a reviewer; ordered by ``weight``.
- ``CaseDecision``: what a reviewer decided on a case (dismiss, warn, invalidate credit, refer)
  and why. Invalidating credit appends a correction to the archive log (``CreditInvalidation``
  names it): the archive is never edited.
- ``DishonestyRecord`` (失信记录): a person, an enterprise or an institution, with a reason and
  a time limit, from a decided case or entered by hand. While active it bars claims and orders.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

REASON_MAX_LENGTH = 1000


class SignalKind(models.TextChoices):
    PARALLEL_LESSONS = "parallel-lessons", _("同时在两个课时上计时")
    DAILY_CAP = "daily-cap", _("多次达到每日学时上限")
    SHARED_ADDRESS = "shared-address", _("同一 IP 或设备同时有多名学员")
    TOO_FAST = "too-fast", _("多次快于真实时间播放被拒")
    MISSED_CHECKS = "missed-checks", _("防挂机点名未作答")
    BARE_MINIMUM = "bare-minimum", _("学时刚够且无在场证据")


# What a signal says, per kind, with its figures (``FraudSignal.evidence["summary_args"]``): kept
# as text in Chinese (``summary``, for the admin and exports) and shown in the reader's language.
SUMMARY_TEXTS = {
    SignalKind.PARALLEL_LESSONS: gettext_noop(
        "%(begins)s–%(ends)s 在 %(lessons)s 个课时上同时计时，重叠共 %(minutes)s 分 %(seconds)s 秒（%(pairs)s 处）"
    ),
    SignalKind.DAILY_CAP: gettext_noop(
        "近 30 天内有 %(days)s 天达到每日学时上限（含当日），超出上限的事件 %(events)s 个"
    ),
    SignalKind.SHARED_ADDRESS: gettext_noop(
        "同一 IP %(ip)s 在 %(begins)s–%(ends)s 有 %(learners)s 名学员同时学习，当日共 %(windows)s 个时段"
        "（机构教室共用出口 IP 属正常情况，仅供复核）"
    ),
    SignalKind.TOO_FAST: gettext_noop("当日有 %(count)s 个播放片段快于真实时间，未予计时"),
    SignalKind.MISSED_CHECKS: gettext_noop("当日有 %(count)s 次防挂机点名未作答"),
    SignalKind.BARE_MINIMUM: gettext_noop(
        "《%(course)s》等 %(trainings)s 项培训获得学时 %(hours)s 小时，为要求 %(required)s 小时的 %(share)s，"
        "且无点名确认在场的记录；已发证书或申领补贴"
    ),
}


def signal_summary(kind: str, args: dict) -> str:
    """The summary of a signal of ``kind`` with its figures, in the active language."""
    return gettext(SUMMARY_TEXTS[kind]) % args


class FraudSignal(models.Model):
    kind = models.CharField(_("信号类型"), max_length=20, choices=SignalKind.choices)
    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.CASCADE, related_name="+", verbose_name=_("学员")
    )
    day = models.DateField(_("日期"), help_text=_("信号所依据的学习日期（北京时间）。"))
    weight = models.PositiveIntegerField(_("权重"))
    # {"events": [ids of progress events], "spans": [...], "lapses": [...], "entries": [...],
    #  "claims": [...], "certificates": [...]} — whichever the detector used — plus its figures.
    evidence = models.JSONField(_("证据"), default=dict)
    summary = models.CharField(_("摘要"), max_length=300)
    detected_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    case = models.ForeignKey(
        "ReviewCase",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="signals",
        verbose_name=_("复核案件"),
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "异常信号")
        verbose_name_plural = pgettext_lazy("model plural", "异常信号")
        constraints = [
            # A re-run of the scan of a day finds the same signals: it refreshes them, never adds.
            models.UniqueConstraint(fields=["kind", "learner", "day"], name="one_signal_per_kind_learner_day")
        ]
        indexes = [models.Index(fields=["day", "kind"], name="fraud_signal_day_kind")]

    def __str__(self):
        return f"{self.day} {self.kind} {self.learner_id} ({self.weight})"

    @property
    def description(self) -> str:
        """The summary in the reader's language (the stored ``summary`` when no figures were kept,
        as for signals entered before the figures were)."""
        args = (self.evidence or {}).get("summary_args")
        if self.kind in SUMMARY_TEXTS and isinstance(args, dict):
            try:
                return signal_summary(self.kind, args)
            except (KeyError, TypeError, ValueError):
                pass
        return self.summary


class CaseStatus(models.TextChoices):
    OPEN = "open", _("待复核")
    DECIDED = "decided", _("已处理")


class ReviewCase(models.Model):
    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.CASCADE, related_name="+", verbose_name=_("学员")
    )
    # The learner's district when the case opened: a district's reviewers see their own.
    district = models.CharField(_("区县"), max_length=10)
    status = models.CharField(_("状态"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    weight = models.PositiveIntegerField(_("权重"), default=0, help_text=_("案件中信号权重之和。"))
    opened_at = models.DateTimeField(_("立案时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "复核案件")
        verbose_name_plural = pgettext_lazy("model plural", "复核案件")
        constraints = [
            # New signals of a learner join their open case; a decided case stays as decided.
            models.UniqueConstraint(
                fields=["learner"], condition=Q(status="open"), name="one_open_case_per_learner"
            )
        ]
        indexes = [models.Index(fields=["status", "-weight"], name="review_case_queue")]

    def __str__(self):
        return f"#{self.pk} {self.learner_id} {self.status} ({self.weight})"


class DecisionKind(models.TextChoices):
    DISMISS = "dismiss", _("排除（无问题）")
    WARN = "warn", _("警告")
    INVALIDATE = "invalidate", _("认定学时无效")
    REFER = "refer", _("移交处理")


class CaseDecision(models.Model):
    case = models.OneToOneField(
        ReviewCase, on_delete=models.PROTECT, related_name="decision", verbose_name=_("案件")
    )
    kind = models.CharField(_("处理决定"), max_length=12, choices=DecisionKind.choices)
    reason = models.TextField(_("理由"), max_length=REASON_MAX_LENGTH)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("处理人")
    )
    decided_at = models.DateTimeField(_("处理时间"), default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model", "复核决定")
        verbose_name_plural = pgettext_lazy("model plural", "复核决定")

    def __str__(self):
        return f"{self.case_id}: {self.kind}"


class CreditInvalidation(models.Model):
    """An archive entry whose credit a decision invalidated: the correction record in the log
    that sets its credited time to zero, and the (learner, course) the reports leave out."""

    entry = models.OneToOneField(
        "archive.ArchiveEntry",
        on_delete=models.PROTECT,
        related_name="invalidation",
        verbose_name=_("档案条目"),
    )
    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("学员")
    )
    course = models.ForeignKey(
        "courses.CoursePage", on_delete=models.PROTECT, related_name="+", verbose_name=_("课程")
    )
    correction = models.OneToOneField(
        "archive.LogRecord", on_delete=models.PROTECT, related_name="+", verbose_name=_("更正记录")
    )
    decision = models.ForeignKey(
        CaseDecision, on_delete=models.PROTECT, related_name="invalidations", verbose_name=_("复核决定")
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "学时无效认定")
        verbose_name_plural = pgettext_lazy("model plural", "学时无效认定")
        indexes = [models.Index(fields=["learner", "course"], name="credit_invalidation_lc")]

    def __str__(self):
        return f"{self.entry_id} ({self.decision_id})"


class SubjectKind(models.TextChoices):
    PERSON = "person", _("个人")
    ENTERPRISE = "enterprise", _("企业")
    INSTITUTION = "institution", _("培训机构")


class DishonestyRecord(models.Model):
    subject_kind = models.CharField(_("对象类型"), max_length=12, choices=SubjectKind.choices)
    learner = models.ForeignKey(
        "learners.Learner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("个人"),
    )
    enterprise = models.ForeignKey(
        "institutions.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("企业"),
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("培训机构"),
    )
    reason = models.TextField(_("失信事由"), max_length=REASON_MAX_LENGTH)
    starts_on = models.DateField(_("生效日期"))
    ends_on = models.DateField(_("截止日期"), help_text=_("当日仍有效，次日起失效。"))
    decision = models.ForeignKey(
        CaseDecision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dishonesty_records",
        verbose_name=_("来源复核决定"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    # Ended early (a record entered by mistake, or overturned): kept, with who and why.
    lifted_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("撤销人"),
    )
    lift_reason = models.TextField(_("撤销理由"), max_length=REASON_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "失信记录")
        verbose_name_plural = pgettext_lazy("model plural", "失信记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Exactly the subject its kind names.
            models.CheckConstraint(
                condition=(
                    Q(
                        subject_kind="person",
                        learner__isnull=False,
                        enterprise__isnull=True,
                        institution__isnull=True,
                    )
                    | Q(
                        subject_kind="enterprise",
                        learner__isnull=True,
                        enterprise__isnull=False,
                        institution__isnull=True,
                    )
                    | Q(
                        subject_kind="institution",
                        learner__isnull=True,
                        enterprise__isnull=True,
                        institution__isnull=False,
                    )
                ),
                name="dishonesty_record_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="dishonesty_record_period"
            ),
        ]

    def __str__(self):
        subject = self.learner_id or self.enterprise_id or self.institution_id
        return f"{self.subject_kind} {subject} {self.starts_on}–{self.ends_on}"
