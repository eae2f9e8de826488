"""The catalogs' entries: one model per catalog kind, as moderated snippets (the package's
docstring, ``catalogs.models``, says why)."""

import datetime as dt
from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.models import DraftStateMixin, LockableMixin, RevisionMixin, WorkflowMixin

from catalogs.choices import CatalogKind, InstitutionType
from catalogs.fields import LevelListField
from catalogs.validators import normalize_credit_code, validate_contact_phone, validate_credit_code
from courses.models import Occupation
from vocabulary.people import District, TargetGroup
from vocabulary.training import Industry, Level


def current_year() -> int:
    return dt.date.today().year


class CatalogEntry(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, models.Model):
    """What every catalog entry has: the catalog year and Wagtail's draft/publish/review state."""

    kind: ClassVar[str]

    year = models.PositiveSmallIntegerField(
        _("年度"), default=current_year, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )

    class Meta:
        abstract = True


class OccupationEntry(CatalogEntry):
    """An entry about one occupation at one skill level."""

    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="catalog_%(class)s", verbose_name=_("职业（工种）")
    )
    level = models.CharField(_("等级"), max_length=10, choices=Level.choices, default=Level.FIVE)

    class Meta:
        abstract = True

    def __str__(self):
        occupation = self.occupation if self.occupation_id else "—"
        return f"{self.year} · {occupation} · {self.get_level_display()}"


class GuideEntry(OccupationEntry):
    """An entry of a guide catalog (指导目录): what training of an occupation is subsidised."""

    subsidy_amount = models.DecimalField(
        _("补贴标准（元/人）"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        abstract = True


class KeyIndustryEntry(GuideEntry):
    kind = CatalogKind.KEY_INDUSTRY

    industry = models.CharField(_("产业"), max_length=20, choices=Industry.choices)

    panels = [
        FieldPanel("industry"),
        FieldPanel("occupation"),
        FieldPanel("level"),
        FieldPanel("year"),
        FieldPanel("subsidy_amount"),
    ]

    class Meta:
        verbose_name = _("重点产业目录条目")
        verbose_name_plural = _("重点产业职业技能培训指导目录")
        constraints = [
            models.UniqueConstraint(
                fields=["occupation", "level", "year"], name="catalogs_key_industry_one_per_level_year"
            )
        ]


class GeneralEntry(GuideEntry):
    kind = CatalogKind.GENERAL

    panels = [FieldPanel("occupation"), FieldPanel("level"), FieldPanel("year"), FieldPanel("subsidy_amount")]

    class Meta:
        verbose_name = _("一般性目录条目")
        verbose_name_plural = _("一般性职业技能培训目录")
        constraints = [
            models.UniqueConstraint(
                fields=["occupation", "level", "year"], name="catalogs_general_one_per_level_year"
            )
        ]


class DemandEntry(OccupationEntry):
    """Training that workers of one group in one district asked for (需求目录)."""

    kind = CatalogKind.DEMAND

    district = models.CharField(_("区县"), max_length=10, choices=District.choices)
    target_group = models.CharField(_("人员类别"), max_length=30, choices=TargetGroup.choices)
    demand_count = models.PositiveIntegerField(_("需求人数"), validators=[MinValueValidator(1)])

    panels = [
        FieldPanel("occupation"),
        FieldPanel("level"),
        FieldPanel("year"),
        MultiFieldPanel(
            [FieldPanel("district"), FieldPanel("target_group"), FieldPanel("demand_count")],
            heading=_("需求"),
        ),
    ]

    class Meta:
        verbose_name = _("需求目录条目")
        verbose_name_plural = _("劳动者职业技能培训需求目录")
        constraints = [
            models.UniqueConstraint(
                fields=["occupation", "level", "year", "district", "target_group"],
                name="catalogs_demand_one_per_group",
            )
        ]


class InstitutionEntry(CatalogEntry, ClusterableModel):
    """A training institution approved for some occupations and levels (机构目录).

    A catalog entry only; a fuller Institution model comes later. ClusterableModel so that the
    approved occupations (a ParentalManyToManyField) are kept in the entry's revisions.
    """

    kind = CatalogKind.INSTITUTION

    name = models.CharField(_("机构名称"), max_length=100)
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        validators=[validate_credit_code],
        help_text=_("18位，含校验位。"),
    )
    district = models.CharField(_("区县"), max_length=10, choices=District.choices)
    institution_type = models.CharField(_("机构类型"), max_length=20, choices=InstitutionType.choices)
    occupations = ParentalManyToManyField(
        Occupation, related_name="catalog_institutions", verbose_name=_("培训职业（工种）")
    )
    levels = LevelListField(_("培训等级"))
    contact_phone = models.CharField(_("联系电话"), max_length=20, validators=[validate_contact_phone])

    panels = [
        FieldPanel("name"),
        FieldPanel("credit_code"),
        FieldPanel("district"),
        FieldPanel("institution_type"),
        FieldPanel("occupations"),
        FieldPanel("levels"),
        FieldPanel("contact_phone"),
        FieldPanel("year"),
    ]

    class Meta:
        verbose_name = _("培训机构目录条目")
        verbose_name_plural = _("职业技能培训机构目录")
        constraints = [
            models.UniqueConstraint(fields=["credit_code", "year"], name="catalogs_institution_once_a_year")
        ]

    def __str__(self):
        return f"{self.year} · {self.name}"

    def clean(self):
        super().clean()
        self.credit_code = normalize_credit_code(self.credit_code)
        self.levels = sorted(set(self.levels or []), key=Level.values.index)

    def get_levels_display(self) -> list[str]:
        labels = dict(Level.choices)
        return [str(labels[level]) for level in self.levels if level in labels]


ENTRY_MODELS: dict[str, type[models.Model]] = {
    CatalogKind.KEY_INDUSTRY: KeyIndustryEntry,
    CatalogKind.GENERAL: GeneralEntry,
    CatalogKind.DEMAND: DemandEntry,
    CatalogKind.INSTITUTION: InstitutionEntry,
}
