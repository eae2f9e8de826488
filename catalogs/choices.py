"""Choices of the four catalogs (四个目录). ``Industry`` is shared with courses."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CatalogKind(models.TextChoices):
    """The four catalogs of the Vocational Skills Improvement Action; values are URL slugs."""

    KEY_INDUSTRY = "key-industry", _("重点产业职业技能培训指导目录")
    GENERAL = "general", _("一般性职业技能培训目录")
    DEMAND = "demand", _("劳动者职业技能培训需求目录")
    INSTITUTION = "institution", _("职业技能培训机构目录")


class Industry(models.TextChoices):
    """Zibo's key industries (重点产业) named by the key-industry catalog."""

    CERAMICS = "ceramics", _("陶瓷")
    GLASS = "glass", _("玻璃")
    CHEMICAL = "chemical", _("化工")
    PHARMACEUTICAL = "pharmaceutical", _("医药")
    MACHINERY = "machinery", _("机械装备")
    NEW_MATERIALS = "new-materials", _("新材料")
    HOUSEKEEPING = "housekeeping", _("家政服务")
    ELDERLY_CARE = "elderly-care", _("养老服务")
    CATERING = "catering", _("餐饮")
    ELECTRONICS = "electronics", _("电子信息")
    OTHER = "other", _("其他")


class InstitutionType(models.TextChoices):
    PUBLIC = "public", _("公办培训机构")
    PRIVATE = "private", _("民办培训机构")
    ENTERPRISE = "enterprise", _("企业培训中心")
    COLLEGE = "college", _("高等院校")
    TECHNICAL_SCHOOL = "technical-school", _("技工院校")
