"""Choices of the four catalogs (四个目录). ``Industry`` lives in ``vocabulary.training`` (courses use it too)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CatalogKind(models.TextChoices):
    """The four catalogs of the Vocational Skills Improvement Action; values are URL slugs."""

    KEY_INDUSTRY = "key-industry", _("重点产业职业技能培训指导目录")
    GENERAL = "general", _("一般性职业技能培训目录")
    DEMAND = "demand", _("劳动者职业技能培训需求目录")
    INSTITUTION = "institution", _("职业技能培训机构目录")


class InstitutionType(models.TextChoices):
    PUBLIC = "public", _("公办培训机构")
    PRIVATE = "private", _("民办培训机构")
    ENTERPRISE = "enterprise", _("企业培训中心")
    COLLEGE = "college", _("高等院校")
    TECHNICAL_SCHOOL = "technical-school", _("技工院校")
