"""Institutions' evaluation and exit (评估和退出机制, docs/evaluation.md): learners' ratings of the
courses they completed, and the bureau's decisions on institutions.

The yearly scorecard itself is not stored: ``evaluation.selectors.scorecards`` computes it from
the classes, the archive, the certificates, the ratings and the subsidy claims, for every
institution at once.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

STARS = (1, 5)
COMMENT_MAX_LENGTH = 200
REASON_MAX_LENGTH = 1000


class CourseRating(models.Model):
    """A learner's rating of a course they completed (an archive entry of theirs is for it): 1–5
    stars and an optional short comment, once per learner and course. It may be changed for
    ``settings.EVALUATION_RATING_EDIT_DAYS`` days after it was first given, then it is final.

    ``institution`` (and ``training_class``) are those of the class the learner studied the
    course in, taken when the rating is first given (none if they studied it on their own): the
    rating counts for that institution in the year it was given (China's time)."""

    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="course_ratings", verbose_name=_("学员")
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=pgettext_lazy("field", "课程"),
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="course_ratings",
        verbose_name=_("培训机构"),
    )
    training_class = models.ForeignKey(
        "institutions.TrainingClass",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("班级"),
    )
    stars = models.PositiveSmallIntegerField(
        _("评分"), validators=[MinValueValidator(STARS[0]), MaxValueValidator(STARS[1])]
    )
    comment = models.CharField(
        _("评价"),
        max_length=COMMENT_MAX_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(COMMENT_MAX_LENGTH)],
    )
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model", "课程评价")
        verbose_name_plural = pgettext_lazy("model plural", "课程评价")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], name="evaluation_one_rating_per_course"),
            models.CheckConstraint(
                condition=Q(stars__gte=STARS[0], stars__lte=STARS[1]), name="evaluation_rating_stars_1_5"
            ),
        ]
        indexes = [models.Index(fields=["institution", "created_at"], name="evaluation_rating_inst_year")]

    def __str__(self):
        return f"{self.course_id} · {self.stars}★"


class DecisionKind(models.TextChoices):
    WARNING = "warning", _("警告")
    SUSPENSION = "suspension", _("暂停接单")
    REMOVAL = "removal", _("移出培训机构目录")
    LIFTED = "lifted", _("解除")


# The decisions that restrict an institution (and the one that ends a restriction).
RESTRICTIVE_KINDS = (DecisionKind.SUSPENSION, DecisionKind.REMOVAL, DecisionKind.LIFTED)


class EvaluationDecision(models.Model):
    """The bureau's decision on an institution, on the scorecard of ``year``, with its reason.
    Append-only: a decision is never changed or deleted; a later one (``lifted``) ends a
    suspension or a removal. ``until`` (the last day, inclusive) is only for a suspension;
    without it the suspension lasts until lifted."""

    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="evaluation_decisions",
        verbose_name=_("培训机构"),
    )
    year = models.PositiveSmallIntegerField(
        _("评估年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    kind = models.CharField(_("处理决定"), max_length=20, choices=DecisionKind.choices)
    reason = models.TextField(_("理由"), max_length=REASON_MAX_LENGTH)
    until = models.DateField(_("暂停至"), null=True, blank=True, help_text=_("留空则至解除为止。"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("决定人")
    )
    decided_at = models.DateTimeField(_("决定时间"), default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model", "机构评估处理决定")
        verbose_name_plural = pgettext_lazy("model plural", "机构评估处理决定")
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="evaluation_decision_has_reason"),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(kind=DecisionKind.SUSPENSION),
                name="evaluation_until_only_for_suspension",
            ),
        ]
        indexes = [models.Index(fields=["institution", "decided_at"], name="evaluation_decision_inst")]

    def __str__(self):
        return f"{self.institution_id} {self.year} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("处理决定一经作出不能修改；如需变更，请作出新的决定。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("处理决定一经作出不能删除。"))
