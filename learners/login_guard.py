"""One login guard for every door.

Every password check of the platform goes through ``django.contrib.auth.authenticate``, and so
through ``GuardedModelBackend``: the app's token login (``POST /api/v1/auth/token/``), the web
login (``/accounts/login/``), Wagtail's ``/admin/login/`` and ``/django-admin/login/``. The backend
refuses a locked username or client address before checking the password, and counts every
failure wherever it happens — there is no door that guesses for free. The doors only turn a
refusal into their own answer (429 or a form message; ``refusal_of``).

- **Per username** (the contract): after ``LOGIN_FAILURE_LIMIT`` (5) failures within
  ``LOGIN_LOCKOUT_SECONDS`` (15 min), the username is refused for that long; others are not.
- **Per client address**: after ``LOGIN_ADDRESS_FAILURE_LIMIT`` (20) failures from one address
  within the window, whatever the usernames, the address is refused: password spraying (one
  common password against many accounts) stops there, and one address can lock out at most a
  few accounts by failing on purpose.
- **Cache down** (Redis unreachable): the counts cannot be read or written, so the guard fails
  closed: logins are refused with "login is unavailable" (503 from the API), never let through
  uncounted, and never a 500. ``/readyz`` reports the outage (503) at the same time.

**Username, phone or ID number.** A learner logs in with any of the three (``resolve_account``):
the username first (exactly, as Django's backend), else the phone of exactly one learner, else an
ID number. The failures count, and the lock applies, on the identifier typed **and** on the
account it names (its username): five wrong passwords typed with the phone lock the username too,
so switching identifier never buys more guesses. The messages are the same whatever was typed.

Counts live in the cache (Redis in production), shared by every worker; ``cache.incr`` is atomic.
The client address is ``REMOTE_ADDR``, or with ``TRUSTED_PROXY_COUNT`` set (behind nginx), the
address that many hops from the right of ``X-Forwarded-For``.
"""

import hashlib
import logging
import re
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from common.rate_limit import client_address
from learners.models import Learner
from vocabulary.identity import normalize_id_number

logger = logging.getLogger(__name__)


class LoginRefused(PermissionDenied):
    """A login refused before the password was checked."""

    message = ""

    def __str__(self):
        return str(self.message)


class LoginLocked(LoginRefused):
    message = _("登录失败次数过多，请15分钟后再试。")


class LoginUnavailable(LoginRefused):
    message = _("登录服务暂时不可用，请稍后再试。")


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login:{kind}:{digest}"


def _cache(operation, *args, **kwargs):
    try:
        return getattr(cache, operation)(*args, **kwargs)
    except Exception as error:  # the cache backend's own connection errors, whatever they are
        if operation == "incr" and type(error) is ValueError:
            raise  # a key that expired between add and incr: the caller's to handle
        logger.error("Login guard: the cache is unavailable (%s); refusing logins", type(error).__name__)
        raise LoginUnavailable() from error


def _names(username: str, also: Iterable[str] = ()) -> list[str]:
    """The identifier and the account names, each once (the keys ignore case and spaces)."""
    names, seen = [], set()
    for name in (username or "", *also):
        normal = name.strip().lower()
        if normal not in seen:
            seen.add(normal)
            names.append(name)
    return names


def is_locked(username: str, address: str = "", *, also: Iterable[str] = ()) -> bool:
    """Whether the username (or one of ``also``, or the address) is refused now. Raises
    ``LoginUnavailable``."""
    keys = [_key("lock", name) for name in _names(username, also)]
    keys += [_key("lock-addr", address)] if address else []
    return any(_cache("get_many", keys).values())


def check(username: str, address: str = "", *, also: Iterable[str] = ()) -> None:
    """Raise ``LoginLocked`` or ``LoginUnavailable`` if this login may not even be tried."""
    if is_locked(username or "", address, also=also):
        raise LoginLocked()


def _count(kind: str, value: str, limit: int, lock_kind: str) -> bool:
    window = settings.LOGIN_LOCKOUT_SECONDS
    key = _key(kind, value)
    _cache("add", key, 0, timeout=window)
    try:
        failures = _cache("incr", key)
    except ValueError:  # expired between add and incr
        _cache("set", key, 1, timeout=window)
        failures = 1
    if failures >= limit:
        _cache("set", _key(lock_kind, value), 1, timeout=window)
        _cache("delete", key)
        return True
    return False


def record_failure(username: str, address: str = "", *, also: Iterable[str] = ()) -> bool:
    """Count a failed login for the username (and each of ``also``: the account an identifier
    named) and, once, for the address; True if one of them is now locked. Raises
    ``LoginUnavailable``."""
    locked = False
    for name in _names(username, also):
        locked = _count("fail", name, settings.LOGIN_FAILURE_LIMIT, "lock") or locked
    if address and _count("fail-addr", address, settings.LOGIN_ADDRESS_FAILURE_LIMIT, "lock-addr"):
        logger.warning("Login guard: address %s locked after repeated failures", address)
    return locked


def record_success(username: str, address: str = "", *, also: Iterable[str] = ()) -> None:
    """A successful login clears the failures of the username (and of ``also``), not the
    address's: a sprayer who guesses one password right must not wipe the count of the others."""
    _cache("delete_many", [_key("fail", name) for name in _names(username, also)])


def unlock(*names: str) -> None:
    """Lift the lock and the failures of these names (an account whose owner just proved who they
    are by resetting the password). The address's count stays. Raises ``LoginUnavailable``."""
    names = [name for name in _names("", names) if name.strip()]
    _cache("delete_many", [_key(kind, name) for name in names for kind in ("fail", "lock")])


# What a phone number and an ID number look like when typed as a login name.
PHONE_LIKE = re.compile(r"^1\d{10}$")
ID_NUMBER_LIKE = re.compile(r"^\d{17}[\dX]$")


def looks_like_phone(text: str) -> bool:
    return bool(PHONE_LIKE.match((text or "").strip()))


def looks_like_id_number(text: str) -> bool:
    return bool(ID_NUMBER_LIKE.match(normalize_id_number(text)))


def resolve_account(identifier: str):
    """The user a login name names, or None: the username (exactly, as Django's backend reads
    it), else the phone of exactly one learner (a phone shared by several learners names none of
    them: they log in with their username or ID number), else a learner's ID number."""
    user_model = get_user_model()
    try:
        return user_model._default_manager.get_by_natural_key(identifier)
    except user_model.DoesNotExist:
        pass
    text = (identifier or "").strip()
    if looks_like_phone(text):
        found = list(Learner.objects.with_phone(text).select_related("user")[:2])
        return found[0].user if len(found) == 1 else None
    if looks_like_id_number(text):
        learner = Learner.objects.with_id_number(text).select_related("user").first()
        return learner.user if learner is not None else None
    return None


def refusal_of(request) -> LoginRefused | None:
    """Why the backend refused a login on this request before checking the password, if it did."""
    return getattr(request, "login_refusal", None)


class GuardedModelBackend(ModelBackend):
    """Django's ModelBackend behind the guard: every door's password check passes here. The
    login name may be a username, a phone or an ID number (``resolve_account``)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        address = client_address(request)
        try:
            check(username, address)  # the name typed, before any query
            user = resolve_account(username)
            account = [user.get_username()] if user is not None else []
            if account:
                check(account[0])  # and the account it names
            if user is None:
                # As Django's backend: hash the password anyway, so that an unknown name takes
                # as long to refuse as a wrong password.
                get_user_model()().set_password(password)
            elif not (user.check_password(password) and self.user_can_authenticate(user)):
                user = None
            if user is None:
                record_failure(username, address, also=account)
            else:
                record_success(username, address, also=account)
        except LoginRefused as refusal:
            if request is not None:
                request.login_refusal = refusal
            raise  # PermissionDenied: authenticate() stops and answers None
        return user
