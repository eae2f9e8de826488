"""Getting back into an account: a code by SMS to the phone on record, or a one-time link that
institution staff issue for a learner who lost their phone.

**By SMS** (``code_request``, ``code_check``, ``password_reset_by_code``):

- A 6-digit code, sent through ``learners.sms``, valid ``PASSWORD_RESET_CODE_SECONDS`` (600).
  Only a keyed hash of it is kept (in the cache, under a keyed hash of the phone), never the code.
  A new code replaces the last; a used code is gone; ``PASSWORD_RESET_CODE_ATTEMPTS`` (5) wrong
  entries throw it away.
- Whether a phone is registered is never told: every phone gets the same answer and the same
  limits; nothing is sent to a phone nobody registered. A phone several learners share resets
  the account the code's owner picks among them (shown only once the code is right).
- Limits, counted in the cache like the login guard's, failing closed (503) with the cache down:
  per client address ``PASSWORD_RESET_ADDRESS_RATE`` (``30/hour``) code requests; per phone one
  code every ``PASSWORD_RESET_RESEND_SECONDS`` (60) and ``PASSWORD_RESET_PHONE_RATE``
  (``5/hour``). Wrong codes count in the one login guard (``learners.login_guard``) under the
  phone and the client address, so they lock like failed logins and add to the address's count.

**By staff** (``staff_reset_link_issue``): staff of the learner's institution, having checked the
ID card, get a link for the learner to choose a new password: one use (it dies with the password
it replaces), valid ``PASSWORD_RESET_LINK_SECONDS`` (24 hours). Staff never know the password.
Issuing one is logged as a reveal is (``RevealLog``, field ``password_reset``: who, whose, why,
from where), and only ever for a learner's account, never a staff or admin one.

Either way a new password (``password_set``) logs out the account's other sessions (Django's
session hash), revokes its API tokens, and lifts a login lock on it: the person proved who they
are. An account created from a roster that was never activated is activated so.
"""

import ipaddress
import logging
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _
from knox.models import AuthToken

from learners import login_guard, sms
from learners.crypto import blind_index
from learners.models import Learner, RevealLog
from learners.services import identity_check_if_unanswered
from vocabulary.identity import mask_phone

logger = logging.getLogger(__name__)

CODE_TEMPLATE = "password_reset"
REVEAL_FIELD = "password_reset"

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _setting(name: str, default):
    return getattr(settings, name, default)


def code_seconds() -> int:
    return int(_setting("PASSWORD_RESET_CODE_SECONDS", 600))


def link_seconds() -> int:
    return int(_setting("PASSWORD_RESET_LINK_SECONDS", 24 * 3600))


class ResetRefused(Exception):
    """A reset step refused before anything was checked or sent (a limit); ``message`` says why."""

    status = 429

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message or _("操作过于频繁，请稍后再试。")


class ResetUnavailable(ResetRefused):
    status = 503

    def __init__(self, message: str = ""):
        super().__init__(message or _("找回密码服务暂时不可用，请稍后再试。"))


class CodeInvalid(Exception):
    """A wrong, expired or used code (one message for all)."""

    def __init__(self):
        super().__init__()
        self.message = _("验证码错误或已失效，请重新获取。")


def _cache(operation, *args, **kwargs):
    try:
        return getattr(cache, operation)(*args, **kwargs)
    except Exception as error:  # the cache backend's own connection errors, whatever they are
        if operation == "incr" and type(error) is ValueError:
            raise  # a key that expired between add and incr: the caller's to handle
        logger.error("Password reset: the cache is unavailable (%s)", type(error).__name__)
        raise ResetUnavailable() from error


def _phone_key(phone: str) -> str:
    """A keyed hash of the phone: the cache keys name no phone (a plain hash of an 11-digit
    number could be reversed by trying them all)."""
    return blind_index((phone or "").strip())[:40]


def _rate(name: str, default: str) -> tuple[int, int]:
    """A rate in DRF's format ("5/hour") as (requests, seconds)."""
    number, period = str(_setting(name, default)).split("/")
    return int(number), _PERIODS[period.strip()[0]]


def _within(kind: str, value: str, rate_setting: str, default: str) -> bool:
    """Count one more in a fixed window; whether it is still within the rate."""
    limit, window = _rate(rate_setting, default)
    key = f"pwreset:{kind}:{value}"
    _cache("add", key, 0, timeout=window)
    try:
        count = _cache("incr", key)
    except ValueError:  # expired between add and incr
        _cache("set", key, 1, timeout=window)
        count = 1
    return count <= limit


def _code_hash(phone: str, code: str) -> str:
    return salted_hmac(
        "learners.password_reset.code", f"{phone.strip()}:{code}", algorithm="sha256"
    ).hexdigest()


def _guard_name(phone: str) -> str:
    """The name wrong codes are counted under in the login guard (hashed there)."""
    return f"password-reset:{_phone_key(phone)}"


def accounts_with_phone(phone: str) -> list[User]:
    """The active accounts of the learners with this phone on record, oldest first."""
    learners = Learner.objects.with_phone(phone.strip()).filter(user__is_active=True)
    return [learner.user for learner in learners.select_related("user").order_by("pk")]


def code_request(*, phone: str, address: str) -> None:
    """Send a reset code to the phone if learners have it on record; the same for any phone
    otherwise (nothing sent). Raises ``ResetRefused`` past a limit, ``ResetUnavailable`` with
    no SMS provider or the cache down."""
    if not sms.available():
        raise ResetUnavailable(_("短信服务未开通，请到培训机构由工作人员协助重设密码。"))
    phone = phone.strip()
    key = _phone_key(phone)
    if not _within("addr", address or "unknown", "PASSWORD_RESET_ADDRESS_RATE", "30/hour"):
        raise ResetRefused()
    wait = int(_setting("PASSWORD_RESET_RESEND_SECONDS", 60))
    if not _cache("add", f"pwreset:wait:{key}", 1, timeout=wait):
        raise ResetRefused(_("验证码已发送，请%(seconds)s秒后再重新获取。") % {"seconds": wait})
    if not _within("phone", key, "PASSWORD_RESET_PHONE_RATE", "5/hour"):
        raise ResetRefused(_("这个手机号获取验证码次数过多，请稍后再试。"))
    if not accounts_with_phone(phone):
        logger.info("Password reset code asked for a phone nobody registered, from %s", address or "unknown")
        return
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = code_seconds() // 60
    _cache("set", f"pwreset:code:{key}", _code_hash(phone, code), timeout=code_seconds())
    _cache("delete", f"pwreset:tries:{key}")
    text = _(
        "【淄博技能在线】您的验证码是%(code)s，%(minutes)s分钟内有效，仅用于重设密码，请勿告诉他人。"
    ) % {
        "code": code,
        "minutes": minutes,
    }
    message = sms.SmsMessage(
        phone=phone, template=CODE_TEMPLATE, params={"code": code, "minutes": minutes}, text=text
    )
    if sms.send(message):
        logger.info("Password reset code sent to %s", mask_phone(phone))


def code_check(*, phone: str, code: str, address: str) -> list[User]:
    """The accounts of the phone if ``code`` is its current code (not used up: see
    ``password_reset_by_code``). A wrong code raises ``CodeInvalid`` and counts in the login
    guard; a locked phone or address raises ``ResetRefused``."""
    phone = phone.strip()
    key = _phone_key(phone)
    try:
        login_guard.check(_guard_name(phone), address)
    except login_guard.LoginUnavailable as error:
        raise ResetUnavailable() from error
    except login_guard.LoginLocked as error:
        raise ResetRefused(_("验证码错误次数过多，请15分钟后再试。")) from error
    stored = _cache("get", f"pwreset:code:{key}")
    if stored is None or not constant_time_compare(stored, _code_hash(phone, code)):
        if stored is not None:
            _cache("add", f"pwreset:tries:{key}", 0, timeout=code_seconds())
            try:
                tries = _cache("incr", f"pwreset:tries:{key}")
            except ValueError:
                tries = 1
            if tries >= int(_setting("PASSWORD_RESET_CODE_ATTEMPTS", 5)):
                _cache("delete", f"pwreset:code:{key}")  # the code is spent: ask for a new one
        _guard(login_guard.record_failure, _guard_name(phone), address)
        raise CodeInvalid()
    accounts = accounts_with_phone(phone)
    if not accounts:
        raise CodeInvalid()
    return accounts


def _guard(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except login_guard.LoginUnavailable as error:
        raise ResetUnavailable() from error


def password_reset_by_code(*, phone: str, code: str, address: str, user: User, password: str) -> User:
    """Use the code up and give ``user`` (one of ``code_check``'s accounts) the new password.
    A code used meanwhile (a second submission) raises ``CodeInvalid``."""
    phone = phone.strip()
    key = _phone_key(phone)
    # Deleting is the atomic "use once": of two submissions of one code, one deletes it.
    if not _cache("delete", f"pwreset:code:{key}"):
        raise CodeInvalid()
    _cache("delete", f"pwreset:tries:{key}")
    _guard(login_guard.record_success, _guard_name(phone), address)
    password_set(user=user, password=password, how="sms")
    return user


def password_set(*, user: User, password: str, how: str) -> User:
    """Give the account its new password after a reset: other sessions end (Django's session
    hash), API tokens are revoked, a login lock on the account is lifted; a roster account never
    activated is activated so (its real-name check runs again if it has not answered)."""
    was_activated = user.has_usable_password()
    user.set_password(password)
    with transaction.atomic():
        user.save(update_fields=["password"])
        AuthToken.objects.filter(user=user).delete()
    learner = Learner.objects.filter(user=user).first()
    names = [user.get_username()]
    if learner is not None:
        names += [learner.phone, learner.id_number]
        if not was_activated:
            identity_check_if_unanswered(learner)
    _guard(login_guard.unlock, *names)
    logger.info("Password of user %s reset (%s)", user.pk, how)
    return user


def _address_or_none(ip: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        return None


# --- staff reset: a one-time link -----------------------------------------------------------------


class StaffResetTokens(PasswordResetTokenGenerator):
    """Django's reset tokens (dead once the password or last login changes), under a salt of
    their own and valid ``PASSWORD_RESET_LINK_SECONDS``."""

    key_salt = "learners.password_reset.StaffResetTokens"

    def check_token(self, user, token):
        if not super().check_token(user, token):
            return False
        issued = base36_to_int(token.split("-")[0])
        return self._num_seconds(self._now()) - issued <= link_seconds()


staff_reset_tokens = StaffResetTokens()


def staff_reset_link_issue(
    *, staff: User, learner: Learner, reason: str, permitted: bool, ip: str | None = None
) -> str:
    """A one-time link (a path) for the learner to choose a new password, issued by staff who
    checked their ID card. ``permitted``: whether the staff member may (the caller asks the
    roles, ``institutions.roles``, which sit above this app). Logged as a reveal is."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请说明重设密码的原因。")]})
    if not permitted:
        raise PermissionDenied(_("只有学员所在培训机构的工作人员可以为其重设密码。"))
    user = learner.user
    if user.is_staff or user.is_superuser or not user.is_active:
        raise PermissionDenied(_("这个账号不能由培训机构重设密码，请联系市人社局管理员。"))
    RevealLog.objects.create(
        viewer=staff, learner=learner, field=REVEAL_FIELD, reason=reason[:200], ip=_address_or_none(ip)
    )
    logger.warning("Password reset link issued by user %s for learner %s", staff.pk, learner.pk)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(
        "password-reset-link", kwargs={"uidb64": uid, "token": staff_reset_tokens.make_token(user)}
    )
