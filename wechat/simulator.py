"""A simulator of the official account for development and demonstrations (DEBUG only: every
view here is a 404 when DEBUG is off).

The page (``/wechat/simulator/``) plays a follower's phone: pick an openid, follow the account,
send text, press the custom menu's buttons, and see the replies as chat bubbles. Every message
goes through the real endpoint ``/wechat/`` exactly as WeChat's servers send it: the page asks
``sign`` for the message as WeChat's XML with the query WeChat signs it with (``signature``,
``timestamp``, ``nonce``; in safe mode the body encrypted with ``encrypt_type=aes`` and
``msg_signature``), POSTs that to ``/wechat/``, and in safe mode asks ``open`` to decrypt the
reply. The token and the AES key never reach the browser.

The page also links to the web login from inside WeChat (``/wechat/oauth/``), which leads to the
stand-in's page for choosing who is "in WeChat" when ``make run`` runs the stand-in.
"""

import itertools
import json
import re
import secrets
import time
from urllib.parse import urlencode

from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from wechat.client import enabled
from wechat.standin import StandIn

# The official account's original id (gh_…) as WeChat puts it in ToUserName.
ACCOUNT = "gh_zibo_simulator"
OPENID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TEXT = 600
MAX_URL = 1024  # a menu link (VIEW event), as long as WeChat allows
EVENTS = {"subscribe": "subscribe", "unsubscribe": "unsubscribe", "click": "CLICK", "view": "VIEW"}
_msg_ids = itertools.count(int(time.time() * 1000) % 10**12 * 1000)


def _debug_only():
    if not settings.DEBUG:
        raise Http404


def followers() -> list[dict]:
    """Openids to pick from: the bound learners', then the stand-in's demo followers."""
    from wechat.models import WechatBinding

    bound = [
        {"openid": openid, "label": _("%(name)s（已绑定）") % {"name": name}}
        for openid, name in WechatBinding.objects.order_by("-bound_at").values_list(
            "openid", "learner__real_name"
        )[:20]
    ]
    taken = {item["openid"] for item in bound}
    demo = [
        {"openid": openid, "label": _("模拟关注者（未绑定）")}
        for openid in StandIn().followers
        if openid not in taken
    ]
    return bound + demo


def page(request):
    _debug_only()
    from wechat.menu import current_menu

    menu, _default = current_menu()
    context = {
        "wechat_enabled": enabled(),
        "safe_mode": bool(settings.WECHAT_ENCODING_AES_KEY),
        "followers": followers(),
        "menu": menu["button"],
        "config": {
            "endpoint": reverse("wechat:endpoint"),
            "sign": reverse("wechat:simulator-sign"),
            "open": reverse("wechat:simulator-open"),
        },
        "oauth_url": reverse("wechat:oauth-start") + "?" + urlencode({"next": "/me/learning/"}),
        # What a follower types: the account's keywords (wechat.replies), the same in every language.
        "keywords": ["学习", "进度", "证书", "帮助", "你好"],
        # What the script writes in the chat (translated here, as the page is).
        "messages_text": {
            "subscribe": _("[关注公众号]"),
            "unsubscribe": _("[取消关注]"),
            "menu": _("[菜单] %s"),
            "noReply": _("（公众号没有回复）"),
            "status": _("消息接口返回 HTTP %s"),
            "noOpenid": _("请先填写 openid。"),
            "failed": _("出错了："),
            "other": _("[%s 消息]"),
            "opened": _("已在新窗口打开：%s"),
        },
    }
    return render(request, "wechat/simulator.html", context)


# Characters XML 1.0 does not allow (a message with them could not be delivered by WeChat).
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _cdata(tag: str, text: str) -> str:
    """``<Tag><![CDATA[text]]></Tag>`` as WeChat writes it; a ``]]>`` in the text is split."""
    text = NOT_XML.sub("", text).replace("]]>", "]]]]><![CDATA[>")
    return f"<{tag}><![CDATA[{text}]]></{tag}>"


def _create_time(openid: str) -> int:
    """A CreateTime after the openid's last one: WeChat's retries of an event are recognised by
    openid + CreateTime, so two events in one second must not look like a retry."""
    key = f"wechat:simulator:{openid}:time"
    now = int(time.time())
    last = cache.get(key) or 0
    value = max(now, last + 1)
    cache.set(key, value, timeout=3600)
    return value


def message_xml(openid: str, kind: str, text: str = "") -> str:
    """The message or event as WeChat delivers it in plain mode."""
    parts = [
        _cdata("ToUserName", ACCOUNT),
        _cdata("FromUserName", openid),
        f"<CreateTime>{_create_time(openid)}</CreateTime>",
    ]
    if kind == "text":
        parts += [_cdata("MsgType", "text"), _cdata("Content", text), f"<MsgId>{next(_msg_ids)}</MsgId>"]
    else:
        parts += [_cdata("MsgType", "event"), _cdata("Event", EVENTS[kind])]
        if kind in ("click", "view"):
            parts.append(_cdata("EventKey", text))
    return "<xml>" + "".join(parts) + "</xml>"


def _signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def signed_request(xml: str) -> tuple[dict, str]:
    """The query string and body WeChat's servers would send for this message."""
    timestamp = str(int(time.time()))
    nonce = str(secrets.randbelow(10**10))
    query = {
        "signature": _signature(settings.WECHAT_TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    if not settings.WECHAT_ENCODING_AES_KEY:
        return query, xml
    crypto = WeChatCrypto(settings.WECHAT_TOKEN, settings.WECHAT_ENCODING_AES_KEY, settings.WECHAT_APP_ID)
    sealed = fromstring(crypto.encrypt_message(xml, nonce, timestamp))
    encrypted = sealed.findtext("Encrypt")
    query.update(
        encrypt_type="aes",
        msg_signature=_signature(settings.WECHAT_TOKEN, timestamp, nonce, encrypted),
    )
    return query, "<xml>" + _cdata("ToUserName", ACCOUNT) + _cdata("Encrypt", encrypted) + "</xml>"


def _json_body(request) -> dict:
    try:
        body = json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def sign(request):
    """POST ``{"openid", "type": text|subscribe|unsubscribe|click|view, "text"}`` →
    ``{"url", "query", "xml", "body"}``: what to POST to the endpoint (``xml`` is the plain
    message, shown to the developer; ``body`` is what is sent, encrypted in safe mode)."""
    _debug_only()
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not enabled() or not settings.WECHAT_TOKEN:
        return JsonResponse({"error": _("微信未启用：请设置 WECHAT_APP_ID 和 WECHAT_TOKEN。")}, status=409)
    body = _json_body(request)
    openid = str(body.get("openid") or "").strip()
    kind = str(body.get("type") or "")
    text = str(body.get("text") or "")
    if not OPENID.match(openid):
        return JsonResponse({"error": _("openid 只能由字母、数字、- 和 _ 组成（最多 64 个）。")}, status=400)
    if kind not in ("text", *EVENTS):
        return JsonResponse({"error": _("不支持的消息类型。")}, status=400)
    if (kind == "text" and not text.strip()) or len(text) > (MAX_URL if kind == "view" else MAX_TEXT):
        return JsonResponse({"error": _("请输入 1–600 个字的消息。")}, status=400)
    xml = message_xml(openid, kind, text)
    query, sent = signed_request(xml)
    return JsonResponse(
        {"url": reverse("wechat:endpoint") + "?" + urlencode(query), "query": query, "xml": xml, "body": sent}
    )


def open_reply(request):
    """POST ``{"xml"}`` (the endpoint's reply in safe mode) → ``{"xml"}`` decrypted; a plain
    reply is returned as it is."""
    _debug_only()
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    reply = str(_json_body(request).get("xml") or "")
    if not settings.WECHAT_ENCODING_AES_KEY or "<Encrypt>" not in reply:
        return JsonResponse({"xml": reply})
    try:
        sealed = fromstring(reply)
        crypto = WeChatCrypto(settings.WECHAT_TOKEN, settings.WECHAT_ENCODING_AES_KEY, settings.WECHAT_APP_ID)
        plain = crypto.decrypt_message(
            reply, sealed.findtext("MsgSignature"), sealed.findtext("TimeStamp"), sealed.findtext("Nonce")
        )
    except Exception as error:  # noqa: BLE001 — a development tool shows what went wrong
        return JsonResponse({"error": f"{type(error).__name__}: {error}"}, status=400)
    return JsonResponse({"xml": plain if isinstance(plain, str) else plain.decode("utf-8")})
