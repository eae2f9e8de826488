"""The task table (任务分解表) and the employment base the programme's goals are measured against.

The reports themselves are not stored: ``reports.selectors`` computes them in the database from
the credited spans, the archive, the certificates and the subsidy claims.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vocabulary.people import District, TargetGroup

FIRST_YEAR = 2019
LAST_YEAR = 2100
# A district's yearly target, or a figure of the statistics table: a typo guard, not a policy.
MAX_FIGURE = 10_000_000

year_validators = [MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)]
figure_validators = [MaxValueValidator(MAX_FIGURE)]


class TrainingTask(models.Model):
    """One line of the task table: a district's target number of subsidised trainings in a year,
    for every target group (``target_group`` empty) or for one of them."""

    year = models.PositiveSmallIntegerField(_("年度"), validators=year_validators)
    district = models.CharField(_("区县"), max_length=10, choices=District.choices)
    target_group = models.CharField(
        _("培训对象"),
        max_length=30,
        choices=TargetGroup.choices,
        blank=True,
        help_text=_("留空表示全部培训对象。"),
    )
    target = models.PositiveIntegerField(_("目标任务（人次）"), validators=figure_validators)
    is_demo = models.BooleanField(_("演示数据"), default=False, help_text=_("演示用的数字，不是真实任务。"))
    note = models.CharField(_("依据"), max_length=200, blank=True, help_text=_("如文件名称、文号。"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "年度目标任务")
        verbose_name_plural = pgettext_lazy("model plural", "年度目标任务")
        ordering = ["-year", "district", "target_group"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "district", "target_group"], name="one_task_per_year_district_group"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=FIRST_YEAR) & Q(year__lte=LAST_YEAR), name="training_task_year_range"
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.district} {self.target_group or '*'}: {self.target}"


class EmploymentBase(models.Model):
    """The statistics bureau's figures for a district and year, which the plan's two goals need:
    skilled workers ≥ 25 % of the employed, high-skilled workers ≥ 30 % of skilled workers."""

    year = models.PositiveSmallIntegerField(_("年度"), validators=year_validators)
    district = models.CharField(_("区县"), max_length=10, choices=District.choices)
    employed = models.PositiveIntegerField(_("就业人员"), validators=figure_validators)
    skilled = models.PositiveIntegerField(_("技能劳动者"), validators=figure_validators)
    high_skilled = models.PositiveIntegerField(_("高技能人才"), validators=figure_validators)
    is_demo = models.BooleanField(_("演示数据"), default=False, help_text=_("演示用的数字，不是真实统计。"))
    source = models.CharField(_("来源"), max_length=200, blank=True, help_text=_("如统计公报名称。"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "就业基数")
        verbose_name_plural = pgettext_lazy("model plural", "就业基数")
        ordering = ["-year", "district"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "district"], name="one_employment_base_per_year_district"
            ),
            models.CheckConstraint(
                condition=Q(skilled__lte=models.F("employed")), name="skilled_within_employed"
            ),
            models.CheckConstraint(
                condition=Q(high_skilled__lte=models.F("skilled")), name="high_skilled_within_skilled"
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.district}"
