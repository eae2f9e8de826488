"""Who the platform serves: Zibo's districts, the plan's target groups, education levels, and
what a mainland mobile number looks like."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.TextChoices):
    """Zibo's 11 districts, counties and zones, as named in the policy."""

    ZHANGDIAN = "张店区", _("张店区")
    ZICHUAN = "淄川区", _("淄川区")
    BOSHAN = "博山区", _("博山区")
    ZHOUCUN = "周村区", _("周村区")
    LINZI = "临淄区", _("临淄区")
    HUANTAI = "桓台县", _("桓台县")
    GAOQING = "高青县", _("高青县")
    YIYUAN = "沂源县", _("沂源县")
    HIGH_TECH = "高新区", _("高新区")
    ECONOMIC = "经济开发区", _("经济开发区")
    WENCHANGHU = "文昌湖区", _("文昌湖区")


class TargetGroup(models.TextChoices):
    ENTERPRISE_EMPLOYEE = "enterprise-employee", _("企业职工")
    COLLEGE_STUDENT = "college-student", _("高校学生")
    RURAL_WORKER = "rural-worker", _("农村转移就业劳动者")
    POOR_LABOUR = "poor-labour", _("贫困劳动力")
    UNEMPLOYED = "unemployed", _("失业人员")
    SCHOOL_LEAVER = "school-leaver", _("两后生")
    VETERAN = "veteran", _("退役军人")
    DISABLED = "disabled", _("残疾人")
    HIGH_RISK_WORKER = "high-risk-worker", _("高危行业从业人员")
    OTHER = "other", _("其他")


class Education(models.TextChoices):
    PRIMARY = "primary", _("小学及以下")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中/中专/技校")
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科")
    POSTGRADUATE = "postgraduate", _("研究生")


phone_validator = RegexValidator(r"^1[3-9]\d{9}$", _("请填写11位大陆手机号码，如13912345678。"))
