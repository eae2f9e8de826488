"""What training is about: skill levels, certificate types and Zibo's key industries."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """Vocational skill levels (职业技能等级), plus special-skill training (专项能力)."""

    FIVE = "5", _("五级/初级工")
    FOUR = "4", _("四级/中级工")
    THREE = "3", _("三级/高级工")
    TWO = "2", _("二级/技师")
    ONE = "1", _("一级/高级技师")
    SPECIAL = "special", _("专项职业能力")


class CertificateType(models.TextChoices):
    """The certificates of the plan. The platform issues 培训合格证书 on completion; the other
    four are issued elsewhere (evaluation bodies, the safety authority) and recorded by
    institution staff with their number and a scan. A course's ``certificate_type`` names the
    certificate its training leads to (``NONE``: none)."""

    TRAINING = "training", _("培训合格证书")
    QUALIFICATION = "qualification", _("职业资格证书")
    SKILL_LEVEL = "skill-level", _("职业技能等级证书")
    SPECIAL_ABILITY = "special-ability", _("专项职业能力证书")
    SPECIAL_OPERATION = "special-operation", _("特种作业操作证书")
    NONE = "none", _("无证书")


# Issued elsewhere and recorded by institution staff (archive.models.ExternalCertificate).
EXTERNAL_CERTIFICATE_TYPES = (
    CertificateType.QUALIFICATION,
    CertificateType.SKILL_LEVEL,
    CertificateType.SPECIAL_ABILITY,
    CertificateType.SPECIAL_OPERATION,
)


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
