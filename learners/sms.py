"""Text messages (SMS) to learners' phones: one small interface, the provider chosen by setting.

As Django's e-mail backends are: ``SMS_BACKEND`` names a class (dotted path) whose
``send(message)`` takes an ``SmsMessage`` and answers True if the provider accepted it. A backend
never raises because its service failed (no connection, a timeout, an HTTP error): it logs the
failure and answers False. Logs never carry a code or a full phone number, except the console
backend's, which exists to show the developer the code.

- ``ConsoleBackend`` (the default in debug): sends nothing; logs the text and keeps the message
  in ``learners.sms.outbox`` (the last ``OUTBOX_SIZE``), as ``django.core.mail.outbox`` keeps
  e-mails in tests. Never in production: codes would be written to the log.
- ``HttpBackend`` (the default when ``SMS_API_URL`` is set): ``POST SMS_API_URL`` with the JSON
  body ``{"phone", "template", "params", "text"}`` and ``Authorization: Bearer <SMS_API_KEY>``;
  any 2xx answer is "accepted". A gateway in front of the real provider (Aliyun, Tencent Cloud…)
  maps ``template`` to the provider's template code and fills in ``params``; ``text`` is the whole
  message, for providers that take free text.
- ``DisabledBackend`` (the default in production without a URL): no SMS at all; pages that need
  one say so (``available()``) and point to institution staff instead.
"""

import logging
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from vocabulary.identity import mask_phone

logger = logging.getLogger(__name__)

OUTBOX_SIZE = 100

# The development backend's messages, newest last (tests read and clear it).
outbox: list["SmsMessage"] = []


@dataclass(frozen=True)
class SmsMessage:
    """One text message: the phone it goes to, the template it follows (a gateway maps it to the
    provider's template code) with its parameters, and the full text."""

    phone: str
    template: str
    params: dict = field(default_factory=dict)
    text: str = ""


class BaseBackend:
    available = True

    def send(self, message: SmsMessage) -> bool:  # pragma: no cover - the interface
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Development and tests: logs the message and keeps it in ``outbox``; sends nothing."""

    def send(self, message: SmsMessage) -> bool:
        outbox.append(message)
        del outbox[:-OUTBOX_SIZE]
        logger.warning(
            "SMS (development backend, not sent) to %s: %s", mask_phone(message.phone), message.text
        )
        return True


class HttpBackend(BaseBackend):
    """An SMS gateway over HTTP(S), configured by ``SMS_API_URL``, ``SMS_API_KEY`` and
    ``SMS_API_TIMEOUT`` (seconds, default 5). See the module's text for the body."""

    def __init__(self, url: str | None = None, key: str | None = None, timeout: float | None = None):
        self.url = url if url is not None else getattr(settings, "SMS_API_URL", "")
        self.key = key if key is not None else getattr(settings, "SMS_API_KEY", "")
        self.timeout = timeout if timeout is not None else getattr(settings, "SMS_API_TIMEOUT", 5.0)
        if not self.url:
            raise ImproperlyConfigured("learners.sms.HttpBackend needs SMS_API_URL.")

    def send(self, message: SmsMessage) -> bool:
        headers = {"Accept": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        body = {
            "phone": message.phone,
            "template": message.template,
            "params": message.params,
            "text": message.text,
        }
        try:
            response = requests.post(
                self.url, json=body, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as error:
            logger.error(
                "SMS gateway unreachable (%s); nothing sent to %s",
                type(error).__name__,
                mask_phone(message.phone),
            )
            return False
        if not 200 <= response.status_code < 300:
            logger.error(
                "SMS gateway answered HTTP %s; nothing sent to %s",
                response.status_code,
                mask_phone(message.phone),
            )
            return False
        return True


class DisabledBackend(BaseBackend):
    """No SMS provider configured (production without ``SMS_API_URL``)."""

    available = False

    def send(self, message: SmsMessage) -> bool:
        logger.error("No SMS provider is configured (SMS_BACKEND, SMS_API_URL); nothing sent")
        return False


def backend_path() -> str:
    """The configured backend: ``SMS_BACKEND``, else the HTTP backend when ``SMS_API_URL`` is set,
    else the console backend in debug and none in production."""
    path = getattr(settings, "SMS_BACKEND", "")
    if path:
        return path
    if getattr(settings, "SMS_API_URL", ""):
        return "learners.sms.HttpBackend"
    return "learners.sms.ConsoleBackend" if settings.DEBUG else "learners.sms.DisabledBackend"


def get_backend() -> BaseBackend:
    return import_string(backend_path())()


def available() -> bool:
    """Whether text messages can be sent at all (a disabled backend says no to everyone, which
    tells nothing about any phone)."""
    try:
        return bool(get_backend().available)
    except (ImportError, ImproperlyConfigured):
        logger.exception("The SMS backend is misconfigured")
        return False


def send(message: SmsMessage) -> bool:
    """Send through the configured backend; False (logged) if it was not accepted. Never raises
    for the provider: a broken or misconfigured backend counts as not sent."""
    try:
        return bool(get_backend().send(message))
    except Exception:  # a broken backend must not break the page that sends
        logger.exception("The SMS backend failed; nothing sent to %s", mask_phone(message.phone))
        return False
