"""What WeChat's servers send to ``/wechat/``, checked before anything else reads it.

- The query's ``signature`` (the SHA-1 of the sorted ``WECHAT_TOKEN``, ``timestamp`` and
  ``nonce``) proves the sender knows the token; in safe mode ``msg_signature`` also covers the
  encrypted message. Both are compared in constant time.
- The body is bounded (``MAX_BODY_BYTES``) and parsed by defusedxml with DTDs forbidden, so a
  DTD, an entity declaration or an external entity is refused as soon as the parser meets it:
  nothing is ever expanded or fetched (a "billion laughs" body costs microseconds).
- In safe (AES) mode the outer XML, parsed as above, gives ``Encrypt``; wechatpy's
  ``WeChatCrypto`` decrypts it. It is handed the already parsed fields (a dict), so its own
  parser (xmltodict, which does not refuse DTDs) never sees a byte of the request, and the
  decrypted XML is parsed here the same safe way.

Anything refused raises ``Refused`` with the status to answer and a reason for the log.
"""

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import WeChatSigner

# WeChat's messages are a few hundred bytes; nothing it sends comes near this.
MAX_BODY_BYTES = 64 * 1024
REQUIRED_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
# An openid or an account's original id (gh_…) is well under this; the binding keeps 64.
MAX_NAME_LENGTH = 64
# CreateTime is Unix seconds; 19 digits still fit a signed 64-bit column and an int cheaply.
CREATE_TIME = re.compile(r"\d{1,19}")
MSG_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


class Refused(Exception):
    """The request is refused with ``status``; ``reason`` is for the log only."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Message:
    """A message or event, as WeChat's XML gives it (field names are WeChat's)."""

    account: str  # ToUserName: the official account's original id
    openid: str  # FromUserName: the follower
    create_time: int
    msg_type: str  # lower-case: text, image, event…
    fields: dict[str, str] = field(repr=False)

    @property
    def event(self) -> str:
        return self.fields.get("Event", "").strip().lower()

    @property
    def event_key(self) -> str:
        return self.fields.get("EventKey", "").strip()

    @property
    def content(self) -> str:
        return self.fields.get("Content", "")

    @property
    def msg_id(self) -> str:
        return self.fields.get("MsgId", "").strip()

    @property
    def dedupe_key(self) -> str:
        """What a retry of this message repeats: its ``MsgId``; for an event (which has none),
        ``FromUserName`` and ``CreateTime``, as WeChat's documentation recommends, and a digest
        of what the event is. A retry repeats all of these; two different events of one follower
        in the same second (a click just after following, or an unfollow) stay two events."""
        if self.msg_id and self.msg_type != "event":
            return self.msg_id
        what = "\n".join([self.msg_type, self.event, self.event_key, self.content])
        return f"{self.openid}:{self.create_time}:{hashlib.sha256(what.encode()).hexdigest()[:16]}"


def signature_of(*parts: str) -> str:
    """WeChat's signature: the SHA-1 hex digest of the parts sorted and joined."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def signature_check(token: str, query) -> None:
    """The query's ``signature`` over ``timestamp`` and ``nonce`` (the handshake's and every
    message's)."""
    if not token:
        raise Refused(403, "WECHAT_TOKEN is not set: every request is refused")
    signature, timestamp, nonce = (query.get(name, "") for name in ("signature", "timestamp", "nonce"))
    if not (signature and timestamp and nonce):
        raise Refused(403, "signature, timestamp or nonce missing")
    if not _same(signature_of(token, timestamp, nonce), signature):
        raise Refused(403, "wrong signature")


def body_read(request) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise Refused(413, f"body of {declared} bytes")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, "body over the limit")
    return body


def xml_fields(raw: bytes | str) -> dict[str, str]:
    """The child elements of WeChat's ``<xml>`` root, name → text. Nested elements (some events
    carry them) are not needed by any reply and are ignored."""
    if not raw or not raw.strip():
        raise Refused(400, "empty body")
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise Refused(400, f"forbidden XML construct ({type(exc).__name__})") from None
    except (ParseError, ValueError, LookupError, TypeError) as exc:
        raise Refused(400, f"not well-formed XML ({type(exc).__name__})") from None
    if root.tag != "xml":
        raise Refused(400, "root element is not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if isinstance(child.tag, str):
            fields.setdefault(child.tag, child.text or "")
    return fields


def message_from(fields: dict[str, str]) -> Message:
    missing = [name for name in REQUIRED_FIELDS if not fields.get(name, "").strip()]
    if missing:
        raise Refused(400, f"missing {', '.join(missing)}")
    account, openid = fields["ToUserName"].strip(), fields["FromUserName"].strip()
    if len(account) > MAX_NAME_LENGTH or len(openid) > MAX_NAME_LENGTH:
        raise Refused(400, "ToUserName or FromUserName too long")
    create_time = fields["CreateTime"].strip()
    if not CREATE_TIME.fullmatch(create_time):
        raise Refused(400, "CreateTime is not a timestamp")
    msg_type = fields["MsgType"].strip().lower()
    if len(msg_type) > 32:
        raise Refused(400, "MsgType too long")
    msg_id = fields.get("MsgId", "").strip()
    if msg_id and not MSG_ID.fullmatch(msg_id):
        raise Refused(400, "MsgId is not an id")
    return Message(account, openid, int(create_time), msg_type, fields)


def _crypto(token: str, aes_key: str, app_id: str) -> WeChatCrypto:
    try:
        return WeChatCrypto(token, aes_key, app_id)
    except Exception as exc:  # a key that is not 43 characters of base64: a setting to fix
        raise Refused(400, f"WECHAT_ENCODING_AES_KEY is not a valid key ({type(exc).__name__})") from None


def decrypt(outer: dict[str, str], query, *, token: str, aes_key: str, app_id: str) -> str:
    """The XML inside a safe-mode message, once ``msg_signature`` proves it is WeChat's."""
    encrypted = outer.get("Encrypt", "").strip()
    if not encrypted:
        raise Refused(400, "encrypt_type=aes without Encrypt")
    msg_signature = query.get("msg_signature", "")
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    if not msg_signature:
        raise Refused(403, "msg_signature missing")
    if not _same(signature_of(token, timestamp, nonce, encrypted), msg_signature):
        raise Refused(403, "wrong msg_signature")
    crypto = _crypto(token, aes_key, app_id)
    try:
        # A dict: wechatpy then parses nothing itself (see the module's docstring).
        return crypto.decrypt_message({"Encrypt": encrypted}, msg_signature, timestamp, nonce)
    except InvalidSignatureException:
        raise Refused(403, "wrong msg_signature") from None
    except InvalidAppIdException:
        raise Refused(400, "encrypted for another app id, or with another key") from None
    except Exception as exc:  # bad base64, a wrong key's garbage, a cut payload…
        raise Refused(400, f"cannot decrypt ({type(exc).__name__})") from None


def encrypt(reply_xml: str, *, token: str, aes_key: str, app_id: str) -> str:
    """The reply wrapped as WeChat expects in safe mode (Encrypt, MsgSignature, TimeStamp, Nonce)."""
    nonce = str(secrets.randbelow(10**10))
    return _crypto(token, aes_key, app_id).encrypt_message(reply_xml, nonce, str(int(time.time())))
