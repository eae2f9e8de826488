from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WechatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wechat"
    verbose_name = _("微信公众号")

    def ready(self):
        # Deferred, Django's idiom: receivers are connected once the apps are ready.
        from wechat import (
            notification_receivers,  # noqa: F401  (notifications: wechat/notification_receivers.py)
            receivers,  # noqa: F401  (a login binds the pending openid)
        )
