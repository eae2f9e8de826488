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
  uncounted, and never a 500. ``/healthz`` reports the outage (503) at the same time.

Counts live in the cache (Redis in production), shared by every worker; ``cache.incr`` is atomic.
The client address is ``REMOTE_ADDR``, or with ``TRUSTED_PROXY_COUNT`` set (behind nginx), the
address that many hops from the right of ``X-Forwarded-For``.
"""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class LoginRefused(PermissionDenied):
    """A login refused before the password was checked."""

    message = ""

    def __str__(self):
        return str(self.message)


class LoginLocked(LoginRefused):
    message = _("登录失败次数过多，请15分钟后再试。Too many failed logins; try again in 15 minutes.")


class LoginUnavailable(LoginRefused):
    message = _(
        "登录服务暂时不可用，请稍后再试。Login is unavailable for a moment; please try again shortly."
    )


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT`` proxies the address
    they saw (a client can write X-Forwarded-For itself, so only the proxies' part is trusted)."""
    if request is None:
        return ""
    meta = getattr(request, "META", {})
    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if hops:
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return meta.get("REMOTE_ADDR", "") or ""


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login:{kind}:{digest}"


def _cache(operation, *args, **kwargs):
    try:
        return getattr(cache, operation)(*args, **kwargs)
    except Exception as error:  # the cache backend's own connection errors, whatever they are
        logger.error("Login guard: the cache is unavailable (%s); refusing logins", type(error).__name__)
        raise LoginUnavailable() from error


def is_locked(username: str, address: str = "") -> bool:
    """Whether the username (or the address) is refused now. Raises ``LoginUnavailable``."""
    keys = [_key("lock", username)] + ([_key("lock-addr", address)] if address else [])
    return any(_cache("get_many", keys).values())


def check(username: str, address: str = "") -> None:
    """Raise ``LoginLocked`` or ``LoginUnavailable`` if this login may not even be tried."""
    if is_locked(username or "", address):
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


def record_failure(username: str, address: str = "") -> bool:
    """Count a failed login for the username and the address; True if the username is now
    locked. Raises ``LoginUnavailable``."""
    locked = _count("fail", username or "", settings.LOGIN_FAILURE_LIMIT, "lock")
    if address and _count("fail-addr", address, settings.LOGIN_ADDRESS_FAILURE_LIMIT, "lock-addr"):
        logger.warning("Login guard: address %s locked after repeated failures", address)
    return locked


def record_success(username: str, address: str = "") -> None:
    """A successful login clears the username's failures (not the address's: a sprayer who
    guesses one password right must not wipe the count of the others)."""
    _cache("delete", _key("fail", username or ""))


def refusal_of(request) -> LoginRefused | None:
    """Why the backend refused a login on this request before checking the password, if it did."""
    return getattr(request, "login_refusal", None)


class GuardedModelBackend(ModelBackend):
    """Django's ModelBackend behind the guard: every door's password check passes here."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        address = client_address(request)
        try:
            check(username, address)
            user = super().authenticate(request, username=username, password=password, **kwargs)
            if user is None:
                record_failure(username, address)
            else:
                record_success(username, address)
        except LoginRefused as refusal:
            if request is not None:
                request.login_refusal = refusal
            raise  # PermissionDenied: authenticate() stops and answers None
        return user
