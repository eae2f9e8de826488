"""Training demand (提单, the first step of 五单式): what training workers want, and what
enterprises want for their employees.

A row is either a worker's own demand (``learner``, one person) or one line of an enterprise's
bulk demand (``enterprise``, a head count). Each carries its district (the worker's or the
enterprise's, copied when it is submitted) so that the aggregation by district and occupation is
one indexed look-up, and the worker's target group (blank for an enterprise's line).

The status only moves forward (``demand.services.demands_advance``): submitted → listed (an
offer of the bureau covers it, 列单) → matched (a class answering it opened, 接单) → closed.
A worker has at most one open demand (submitted or listed) per occupation: a database
constraint, behind the service's look-up.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vocabulary.people import District, TargetGroup

NOTE_MAX_LENGTH = 500
HEAD_COUNT_MAX = 10_000


class DemandStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    LISTED = "listed", _("已列入培训项目")
    MATCHED = "matched", _("已有培训班")
    CLOSED = "closed", _("已结束")


# The order the status moves in (never backwards), and the demands still waiting for a class.
STATUS_ORDER = (DemandStatus.SUBMITTED, DemandStatus.LISTED, DemandStatus.MATCHED, DemandStatus.CLOSED)
OPEN_STATUSES = (DemandStatus.SUBMITTED, DemandStatus.LISTED)
IS_OPEN = Q(status__in=OPEN_STATUSES)


class TrainingDemand(models.Model):
    """One demand: a worker's own (``learner``, head count 1) or a line of an enterprise's bulk
    demand (``enterprise``, its head count); never both."""

    learner = models.ForeignKey(  # indexed by the one-open-demand constraint (learner first)
        "learners.Learner",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="training_demands",
        verbose_name=_("学员"),
        db_index=False,
    )
    enterprise = models.ForeignKey(
        "institutions.Enterprise",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="training_demands",
        verbose_name=_("企业"),
    )
    occupation = models.ForeignKey(
        "courses.Occupation", on_delete=models.PROTECT, related_name="+", verbose_name=_("职业（工种）")
    )
    head_count = models.PositiveIntegerField(
        _("人数"), default=1, validators=[MinValueValidator(1), MaxValueValidator(HEAD_COUNT_MAX)]
    )
    note = models.CharField(_("说明"), max_length=NOTE_MAX_LENGTH, blank=True)
    district = models.CharField(_("区县"), max_length=10, choices=District.choices)
    target_group = models.CharField(_("人员类别"), max_length=20, choices=TargetGroup.choices, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=DemandStatus.choices, default=DemandStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提交人")
    )
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model", "培训需求")
        verbose_name_plural = pgettext_lazy("model plural", "培训需求")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["district", "occupation"], name="demand_district_occupation"),
            models.Index(fields=["status"], name="demand_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(learner__isnull=False, enterprise__isnull=True)
                | Q(learner__isnull=True, enterprise__isnull=False),
                name="demand_learner_or_enterprise",
            ),
            models.CheckConstraint(condition=Q(head_count__gte=1), name="demand_head_count_positive"),
            models.CheckConstraint(
                condition=Q(learner__isnull=True) | Q(head_count=1), name="demand_worker_counts_one"
            ),
            models.UniqueConstraint(
                fields=["learner", "occupation"],
                condition=IS_OPEN & Q(learner__isnull=False),
                name="demand_one_open_per_learner_occupation",
            ),
        ]

    def __str__(self):
        return f"{self.occupation_id} · {self.district} · {self.head_count}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
