"""Requests to ``/wechat/`` as WeChat's servers make them, and reading what the endpoint answers.

Signatures are computed here from WeChat's public protocol (SHA-1 of the sorted, joined
strings), independently of the endpoint's code. Safe (AES) mode uses wechatpy's ``WeChatCrypto``
for the cipher only.

    query = signed_query()                                    # plain mode
    body = text_message("o-follower", "学习", msg_id=1)
    client.post(f"/wechat/?{query}", body, content_type="text/xml")

    query, body = encrypt_for_endpoint(body, aes_key=key)     # safe mode
    decrypt_reply(response.content, aes_key=key)              # → {"Content": …, …}
"""

import base64
import hashlib
import itertools
import os
import secrets
import time
from urllib.parse import urlencode

from defusedxml.ElementTree import fromstring
from wechatpy.crypto import WeChatCrypto

# What the ``wechat`` fixture (tests/conftest.py) configures, and an account's original id.
TOKEN = "zibo-test-token"
APP_ID = "wx-standin"
ACCOUNT = "gh_zibo_skills"

_msg_ids = itertools.count(int(time.time()) * 1000)


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()  # noqa: S324 - WeChat's protocol


def signed_params(
    token: str = TOKEN, *, timestamp: str | None = None, nonce: str | None = None, **extra
) -> dict:
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**9))
    return {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, **extra}


def signed_query(
    token: str = TOKEN, *, timestamp: str | None = None, nonce: str | None = None, **extra
) -> str:
    """``signature``, ``timestamp`` and ``nonce`` (and any ``extra``, e.g. ``echostr``) as a query."""
    return urlencode(signed_params(token, timestamp=timestamp, nonce=nonce, **extra))


def next_msg_id() -> int:
    return next(_msg_ids)


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(**fields) -> str:
    """``<xml>`` with the fields in order: numbers bare, text in CDATA, as WeChat writes them."""
    nodes = "".join(
        f"<{name}>{value if isinstance(value, int) else _cdata(str(value))}</{name}>"
        for name, value in fields.items()
        if value is not None
    )
    return f"<xml>{nodes}</xml>"


def text_message(
    openid: str,
    content: str,
    msg_id: int | None = None,
    *,
    account: str = ACCOUNT,
    create_time: int | None = None,
) -> str:
    return message_xml(
        ToUserName=account,
        FromUserName=openid,
        CreateTime=create_time or int(time.time()),
        MsgType="text",
        Content=content,
        MsgId=msg_id or next_msg_id(),
    )


def event_message(
    openid: str,
    event: str,
    event_key: str | None = None,
    create_time: int | None = None,
    *,
    account: str = ACCOUNT,
) -> str:
    return message_xml(
        ToUserName=account,
        FromUserName=openid,
        CreateTime=create_time or int(time.time()),
        MsgType="event",
        Event=event,
        EventKey=event_key,
    )


def media_message(openid: str, msg_type: str, *, account: str = ACCOUNT, **fields) -> str:
    """An image, voice, location… message (``fields`` as WeChat names them, e.g. ``PicUrl``)."""
    return message_xml(
        ToUserName=account,
        FromUserName=openid,
        CreateTime=int(time.time()),
        MsgType=msg_type,
        **fields,
        MsgId=next_msg_id(),
    )


def new_aes_key() -> str:
    """An EncodingAESKey: 43 characters, as the official account's settings page gives one."""
    return base64.b64encode(os.urandom(32)).decode("ascii").rstrip("=")


def encrypt_for_endpoint(
    xml: str,
    *,
    aes_key: str,
    token: str = TOKEN,
    app_id: str = APP_ID,
    account: str = ACCOUNT,
    openid: str | None = None,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> tuple[str, str]:
    """The query and body of a safe-mode delivery of ``xml``: ``signature``, ``timestamp``,
    ``nonce``, ``openid``, ``encrypt_type=aes``, ``msg_signature``, and ``<xml>`` holding
    ``ToUserName`` and ``Encrypt``."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**9))
    wrapped = WeChatCrypto(token, aes_key, app_id).encrypt_message(xml, nonce, timestamp)
    encrypted = fromstring(wrapped).findtext("Encrypt")
    params = signed_params(token, timestamp=timestamp, nonce=nonce)
    if openid:
        params["openid"] = openid
    params.update(encrypt_type="aes", msg_signature=sign(token, timestamp, nonce, encrypted))
    return urlencode(params), message_xml(ToUserName=account, Encrypt=encrypted)


def reply_fields(body: bytes | str) -> dict[str, str]:
    """A plain-mode reply's fields (``ToUserName``, ``MsgType``, ``Content``…)."""
    return {child.tag: child.text or "" for child in fromstring(body)}


def decrypt_reply(
    body: bytes | str, *, aes_key: str, token: str = TOKEN, app_id: str = APP_ID
) -> dict[str, str]:
    """A safe-mode reply's fields, once its ``MsgSignature`` is checked as WeChat checks it."""
    outer = reply_fields(body)
    expected = sign(token, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
    assert outer["MsgSignature"] == expected, "the reply's MsgSignature is wrong"
    inner = WeChatCrypto(token, aes_key, app_id).decrypt_message(
        outer, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"]
    )
    return reply_fields(inner)
