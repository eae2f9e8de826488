"""Registration is throttled the same on the web page and the API, per client address, and the
answer "this ID number is already registered" is rate-limited harder and logged: it tells an
anonymous visitor something about a third person, so it may be asked a few times an hour from
one address, not enumerated (issue 15).

The rates are DRF's throttle format (``REGISTER_RATE``, default ``30/hour``, and
``REGISTER_ID_PROBE_RATE``, default ``5/hour``) counted in the cache by DRF's ``SimpleRateThrottle``.
With the cache down the guard fails closed (``RegistrationUnavailable``, a 503): an unthrottled
registration form is what an attacker would wait for.
"""

import logging

from django.utils.translation import gettext_lazy as _

from common.rate_limit import RateLimit, RateLimitUnavailable, client_address

logger = logging.getLogger(__name__)


class RegistrationRefused(Exception):
    status = 429
    message = _("注册过于频繁，请稍后再试。")


class RegistrationUnavailable(RegistrationRefused):
    status = 503
    message = _("注册服务暂时不可用，请稍后再试。")


class RegisterThrottle(RateLimit):
    scope = "register"
    setting = "REGISTER_RATE"


class IdProbeThrottle(RateLimit):
    scope = "register-id-probe"
    setting = "REGISTER_ID_PROBE_RATE"


def _allowed(throttle: RateLimit, request) -> bool:
    try:
        return throttle.hit(request, fail_open=False)
    except RateLimitUnavailable as error:
        raise RegistrationUnavailable() from error


def registration_check(request) -> None:
    """Count a registration attempt from this address; raise if it may not be made."""
    if not _allowed(RegisterThrottle(), request):
        raise RegistrationRefused()


def duplicate_id_answer_check(request) -> None:
    """Before telling a visitor that an ID number is registered: count and log it; raise
    ``RegistrationRefused`` (no word about the number) past the hard limit."""
    address = client_address(request)
    logger.warning("Registration with an ID number already registered, from %s", address or "unknown")
    if not _allowed(IdProbeThrottle(), request):
        raise RegistrationRefused()
