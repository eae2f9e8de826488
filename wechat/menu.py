"""The official account's custom menu: defined by editors in Wagtail (Settings → 微信公众号菜单,
``wechat.models.WechatMenu``), checked against WeChat's limits, pushed by
``manage.py wechat_push_menu``.

WeChat's limits (its custom-menu API refuses a menu beyond them):

- at most 3 buttons at the top, each either a button or a sub-menu of 1 to 5 buttons;
- a top-level name at most 16 bytes (UTF-8: 5 Chinese characters), a sub-menu button's at most
  60 bytes;
- a ``click`` button carries a key (at most 128 bytes; here one of ``wechat.menu_keys``, which
  the message endpoint answers), a ``view`` button a web address (at most 1024 bytes). Editors
  may give a path (``/courses/``): it is made absolute with ``SITE_URL`` when pushed.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import blocks

from wechat import menu_keys

MAX_BUTTONS = 3
MAX_SUB_BUTTONS = 5
NAME_BYTES = 16
SUB_NAME_BYTES = 60
KEY_BYTES = 128
URL_BYTES = 1024

KEY_CHOICES = [
    (menu_keys.STUDY, gettext_lazy("学习（我的课程）")),
    (menu_keys.PROGRESS, gettext_lazy("进度（学时）")),
    (menu_keys.CERTIFICATES, gettext_lazy("证书")),
    (menu_keys.HELP, gettext_lazy("帮助")),
]
KEYS = {key for key, _label in KEY_CHOICES}


@deconstructible
class MaxUtf8Bytes:
    """WeChat counts a name's length in UTF-8 bytes (a Chinese character is 3)."""

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, value):
        if len((value or "").encode("utf-8")) > self.limit:
            raise ValidationError(
                gettext_lazy("太长：微信限 %(limit)d 字节（一个汉字 3 字节，约 %(chars)d 个汉字）。"),
                params={"limit": self.limit, "chars": self.limit // 3},
                code="max_bytes",
            )

    def __eq__(self, other):
        return isinstance(other, MaxUtf8Bytes) and other.limit == self.limit


def absolute_url(url: str) -> str:
    return settings.SITE_URL + url if url.startswith("/") else url


def validate_menu_url(value: str) -> None:
    value = (value or "").strip()
    if not value.startswith(("/", "http://", "https://")) or value.startswith("//"):
        raise ValidationError(
            gettext_lazy("请填写以 / 开头的站内路径，或 http(s):// 开头的网址。"), code="menu_url"
        )
    if len(absolute_url(value).encode("utf-8")) > URL_BYTES:
        raise ValidationError(gettext_lazy("网址太长：微信限 1024 字节。"), code="menu_url")


# --- The blocks editors fill in ------------------------------------------------------------------
def _click(name_bytes: int) -> blocks.StructBlock:
    return blocks.StructBlock(
        [
            ("name", blocks.CharBlock(label=gettext_lazy("名称"), validators=[MaxUtf8Bytes(name_bytes)])),
            ("key", blocks.ChoiceBlock(choices=KEY_CHOICES, label=gettext_lazy("回复"))),
        ],
        label=gettext_lazy("点击：公众号回复"),
        icon="comment",
    )


def _view(name_bytes: int) -> blocks.StructBlock:
    return blocks.StructBlock(
        [
            ("name", blocks.CharBlock(label=gettext_lazy("名称"), validators=[MaxUtf8Bytes(name_bytes)])),
            (
                "url",
                blocks.CharBlock(
                    label=gettext_lazy("网址"),
                    validators=[validate_menu_url],
                    help_text=gettext_lazy("站内路径（如 /courses/）或完整网址。"),
                ),
            ),
        ],
        label=gettext_lazy("链接：打开网页"),
        icon="link",
    )


def _sub_menu() -> blocks.StructBlock:
    return blocks.StructBlock(
        [
            ("name", blocks.CharBlock(label=gettext_lazy("名称"), validators=[MaxUtf8Bytes(NAME_BYTES)])),
            (
                "sub_buttons",
                blocks.StreamBlock(
                    [("click", _click(SUB_NAME_BYTES)), ("view", _view(SUB_NAME_BYTES))],
                    min_num=1,
                    max_num=MAX_SUB_BUTTONS,
                    label=gettext_lazy("子菜单（1–5 个）"),
                ),
            ),
        ],
        label=gettext_lazy("子菜单"),
        icon="list-ul",
    )


MENU_BLOCKS = [("click", _click(NAME_BYTES)), ("view", _view(NAME_BYTES)), ("sub_menu", _sub_menu())]


def menu_default_stream() -> list[dict]:
    """The menu until editors change it: 学习 · 进度 · 更多 (证书, 帮助, 全部课程, 我的学习, 我要培训)."""
    with translation.override(settings.LANGUAGE_CODE):

        def click(name, key):
            return {"type": "click", "value": {"name": name, "key": key}}

        def view(name, url):
            return {"type": "view", "value": {"name": name, "url": url}}

        return [
            click(_("学习"), menu_keys.STUDY),
            click(_("进度"), menu_keys.PROGRESS),
            {
                "type": "sub_menu",
                "value": {
                    "name": _("更多"),
                    "sub_buttons": [
                        click(_("我的证书"), menu_keys.CERTIFICATES),
                        view(_("全部课程"), "/courses/"),
                        view(_("我的学习"), "/wechat/oauth/?next=/me/learning/"),
                        view(_("我要培训"), "/wechat/oauth/?next=/demand/"),
                        click(_("帮助"), menu_keys.HELP),
                    ],
                },
            },
        ]


# --- What WeChat is sent -------------------------------------------------------------------------
def _button(block_type: str, value) -> dict:
    if block_type == "click":
        return {"type": "click", "name": value["name"], "key": value["key"]}
    if block_type == "view":
        return {"type": "view", "name": value["name"], "url": absolute_url(value["url"].strip())}
    return {
        "name": value["name"],
        "sub_button": [_button(child["type"], child["value"]) for child in _raw(value["sub_buttons"])],
    }


def _raw(stream) -> list[dict]:
    """A StreamValue or its raw JSON as a list of ``{"type", "value"}`` with plain values."""
    raw = stream.get_prep_value() if hasattr(stream, "get_prep_value") else stream
    return list(raw or [])


def menu_payload(stream) -> dict:
    """WeChat's menu JSON for the blocks (a StreamValue or its raw list)."""
    return {"button": [_button(child["type"], child["value"]) for child in _raw(stream)]}


def current_menu() -> tuple[dict, bool]:
    """The menu to push and show: the editors' (from the Wagtail setting), or the default when
    they have left it empty; and whether it is the default."""
    from wechat.models import WechatMenu

    stream = WechatMenu.load().buttons
    if not _raw(stream):
        return menu_payload(menu_default_stream()), True
    return menu_payload(stream), False


def menu_errors(payload: dict) -> list[str]:
    """Everything in a menu JSON that WeChat would refuse (the blocks refuse it in the editor
    already; this checks what is pushed, whatever its origin)."""
    errors = []
    buttons = payload.get("button") or []
    if not buttons:
        errors.append(_("菜单至少要有一个按钮。"))
    if len(buttons) > MAX_BUTTONS:
        errors.append(
            _("一级菜单最多 %(n)d 个按钮，现有 %(count)d 个。") % {"n": MAX_BUTTONS, "count": len(buttons)}
        )
    for button in buttons:
        errors += _button_errors(button, NAME_BYTES)
        if "sub_button" in button:
            subs = button["sub_button"]
            if not 1 <= len(subs) <= MAX_SUB_BUTTONS:
                errors.append(
                    _("“%(name)s”的子菜单须有 1 至 %(n)d 个按钮，现有 %(count)d 个。")
                    % {"name": button.get("name", ""), "n": MAX_SUB_BUTTONS, "count": len(subs)}
                )
            for sub in subs:
                if "sub_button" in sub:
                    errors.append(_("子菜单里不能再有子菜单。"))
                errors += _button_errors(sub, SUB_NAME_BYTES)
    return errors


def _button_errors(button: dict, name_bytes: int) -> list[str]:
    name = button.get("name") or ""
    errors = []
    if not name.strip():
        errors.append(_("按钮名称不能为空。"))
    elif len(name.encode("utf-8")) > name_bytes:
        errors.append(_("按钮名称“%(name)s”超过 %(limit)d 字节。") % {"name": name, "limit": name_bytes})
    kind = button.get("type")
    if "sub_button" in button:
        return errors
    if kind == "click":
        key = button.get("key") or ""
        if key not in KEYS or len(key.encode("utf-8")) > KEY_BYTES:
            errors.append(_("按钮“%(name)s”的回复“%(key)s”无效。") % {"name": name, "key": key})
    elif kind == "view":
        url = button.get("url") or ""
        if not url.startswith(("http://", "https://")) or len(url.encode("utf-8")) > URL_BYTES:
            errors.append(_("按钮“%(name)s”的网址无效。") % {"name": name})
    else:
        errors.append(_("按钮“%(name)s”的类型“%(type)s”不受支持。") % {"name": name, "type": kind})
    return errors


class MenuInvalid(Exception):
    pass


def menu_push() -> tuple[dict, bool]:
    """Push the current menu to WeChat through the platform's client; what was pushed and
    whether it is the default. Raises MenuInvalid, or wechatpy's / requests' errors."""
    from wechat.client import wechat_client

    payload, default = current_menu()
    errors = menu_errors(payload)
    if errors:
        raise MenuInvalid("; ".join(errors))
    wechat_client().menu.create(payload)
    return payload, default
