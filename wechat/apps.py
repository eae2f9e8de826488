from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WechatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wechat"
    verbose_name = _("微信公众号")
