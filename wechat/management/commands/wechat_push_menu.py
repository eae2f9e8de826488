"""Push the official account's custom menu (Wagtail: Settings → 微信公众号菜单, or the default
menu when editors left it empty) to WeChat, and print what was pushed.

    .venv/bin/python manage.py wechat_push_menu

Run it after editors change the menu (WeChat shows a new menu to followers within minutes).
It exits non-zero with the reason when the WeChat end is off, the menu breaks WeChat's limits,
or WeChat refuses it or cannot be reached.
"""

import json

import requests
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from wechatpy.exceptions import WeChatException

from wechat.client import enabled
from wechat.credentials import CredentialUnavailable
from wechat.menu import MenuInvalid, menu_push


class Command(BaseCommand):
    help = "Push the custom menu defined in Wagtail settings to the WeChat official account."

    def handle(self, *args, **options):
        if not enabled():
            raise CommandError(_("微信未启用：WECHAT_APP_ID 未设置，菜单没有推送。"))
        try:
            payload, default = menu_push()
        except MenuInvalid as error:
            raise CommandError(_("菜单不符合微信的限制，没有推送：%(error)s") % {"error": error}) from None
        except WeChatException as error:
            code = getattr(error, "errcode", None)
            raise CommandError(
                _("微信拒绝了菜单：errcode %(code)s，%(message)s")
                % {"code": code, "message": getattr(error, "errmsg", "")}
            ) from None
        except (requests.RequestException, CredentialUnavailable) as error:
            raise CommandError(_("无法连接微信：%(error)s") % {"error": error}) from None
        origin = "the default menu (none set in Wagtail)" if default else "the menu set in Wagtail"
        self.stdout.write(self.style.SUCCESS(f"Pushed {origin} to WeChat:"))
        self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
