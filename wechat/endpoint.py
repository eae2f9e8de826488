"""``/wechat/``, the endpoint WeChat's servers call (shared/contract/wechat.md).

- ``GET``: the server-configuration handshake, ``echostr`` back when ``signature`` is right.
- ``POST``: a message or event, in plain or safe (AES) mode. Signature first (403), then the body
  (413 if too big, 400 if it is not well-formed WeChat XML or declares a DTD or entities), then
  the reply, built once per message (``wechat.delivery``) by ``wechat.replies``, which reads the
  database only: no call to WeChat is made while WeChat waits.

Without ``WECHAT_APP_ID`` the endpoint does not exist (404). Refusals are logged in one line each,
never with a traceback.

Rate limits (docs/security.md, "Rate limits"): all followers' messages come from WeChat's few
servers, so the source address is never limited for signed traffic. What is limited:

- messages per follower (``WECHAT_RATE``, per openid, counted once the signature is checked, so
  nobody without the token can use up a follower's count): past it the message is answered
  ``success`` without a reply, which WeChat takes as delivered (no retry, nothing shown);
- refused calls per source address (``WECHAT_REFUSED_RATE``: a wrong signature, a bad body):
  past it that address gets a quick 429 before any checking. WeChat's servers sign every call,
  so they never get there (unless the token was changed on one side only: the 429 ends with the
  window once both agree).

With the cache down the limits let everything through (logged): WeChat's traffic comes first.
"""

import logging

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from wechatpy.replies import TextReply

from common.rate_limit import RateLimit, client_address
from wechat import client, delivery, inbound, replies
from wechat.inbound import Refused

logger = logging.getLogger(__name__)


class FollowerRate(RateLimit):
    scope = "wechat-openid"
    setting = "WECHAT_RATE"


class RefusedCallRate(RateLimit):
    scope = "wechat-refused"
    setting = "WECHAT_REFUSED_RATE"


@csrf_exempt
def message_endpoint(request):
    if not client.enabled():
        raise Http404
    refused_calls = RefusedCallRate()
    if refused_calls.over(request):
        logger.warning(
            "WeChat endpoint: %s is refused for repeated bad calls", client_address(request) or "?"
        )
        response = _plain(_("请求过于频繁，请稍后再试。"), status=429)
        response["Retry-After"] = str(refused_calls.wait_seconds())
        return response
    try:
        if request.method == "GET":
            return _handshake(request)
        if request.method == "POST":
            return _receive(request)
    except Refused as refused:
        logger.warning(
            "WeChat endpoint refused a %s from %s with %d: %s",
            request.method,
            request.META.get("REMOTE_ADDR", "?"),
            refused.status,
            refused.reason,
        )
        refused_calls.hit(request, fail_open=True)
        return _plain(_refusal_text(refused.status), status=refused.status)
    return HttpResponseNotAllowed(["GET", "POST"])


def _refusal_text(status: int) -> str:
    if status == 403:
        return _("签名无效。")
    if status == 413:
        return _("消息过大。")
    return _("消息格式无效。")


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _handshake(request) -> HttpResponse:
    inbound.signature_check(settings.WECHAT_TOKEN, request.GET)
    echostr = request.GET.get("echostr")
    if echostr is None:
        raise Refused(400, "handshake without echostr")
    return _plain(echostr)


def _receive(request) -> HttpResponse:
    token, aes_key, app_id = settings.WECHAT_TOKEN, settings.WECHAT_ENCODING_AES_KEY, settings.WECHAT_APP_ID
    query = request.GET
    inbound.signature_check(token, query)
    outer = inbound.xml_fields(inbound.body_read(request))
    safe_mode = query.get("encrypt_type", "").lower() == "aes"
    if safe_mode and aes_key:
        fields = inbound.xml_fields(
            inbound.decrypt(outer, query, token=token, aes_key=aes_key, app_id=app_id)
        )
    elif safe_mode and "MsgType" not in outer:
        raise Refused(400, "an encrypted message, but WECHAT_ENCODING_AES_KEY is not set")
    else:
        fields = outer  # plain mode (or compatible mode read in plain)
    message = inbound.message_from(fields)
    if not FollowerRate(message.openid).hit(request, fail_open=True):
        logger.warning("WeChat endpoint: a follower sends too many messages; answered without a reply")
        return _plain(delivery.SUCCESS)
    # The language of the account, not of WeChat's servers (which send no Accept-Language).
    with translation.override(settings.LANGUAGE_CODE):
        body = delivery.answer_once(message.dedupe_key, lambda: _reply_xml(message))
    if body == delivery.SUCCESS:
        return _plain(delivery.SUCCESS)
    if safe_mode and aes_key:
        body = inbound.encrypt(body, token=token, aes_key=aes_key, app_id=app_id)
    return HttpResponse(body, content_type="application/xml; charset=utf-8")


def _reply_xml(message: inbound.Message) -> str:
    text = replies.answer(message)
    if not text:
        return delivery.SUCCESS
    reply = TextReply(source=_cdata(message.account), target=_cdata(message.openid), content=_cdata(text))
    return reply.render()


def _cdata(value: str) -> str:
    """wechatpy writes each value into a CDATA section as is: split any "]]>" (a course title
    could hold one) so that it cannot end the section, and drop what XML cannot carry."""
    value = "".join(ch for ch in value if ch in "\t\n\r" or ch >= " ")
    return value.replace("]]>", "]]]]><![CDATA[>")
