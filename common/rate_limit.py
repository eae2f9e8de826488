"""Rate limits counted in the shared cache, one mechanism for every door that has one: the
registration (``learners.registration_guard``), the WeChat endpoint and login
(``wechat.endpoint``, ``wechat.login``) and the subsidy claims (``subsidies.api``,
``subsidies.views``).

A ``RateLimit`` is DRF's ``SimpleRateThrottle`` (a sliding window of timestamps per key, in the
default cache, so shared by every worker) whose rate is a setting in DRF's format (``"30/hour"``)
and whose key is given by the caller: a client address, a user, an openid. The same class is a
DRF throttle (``throttle_classes``), counted per client address unless an identity is given.

The login guard (``learners.login_guard``) counts failures, not requests, and keeps its own
counters; it shares ``client_address`` from here.
"""

import hashlib
import logging
import math

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


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


class RateLimitUnavailable(Exception):
    """The cache could not be read or written (a fail-closed limit refuses then)."""


class RateLimit(SimpleRateThrottle):
    """One rate limit: ``scope`` names its counters, ``setting`` holds its rate (None or "" for
    no limit). ``ident`` is what is counted; by default the request's client address."""

    scope = ""
    setting = ""
    per_user = False  # counted per signed-in user (as a DRF throttle), not per address

    def __init__(self, ident: str | None = None):
        self.ident = ident
        super().__init__()

    def get_rate(self):
        return getattr(settings, self.setting, None) or None

    def get_cache_key(self, request, view):
        ident = self.ident
        if ident is None:
            ident = f"user:{request.user.pk}" if self.per_user else client_address(request) or "unknown"
        # Hashed: an openid or an address is no business of whoever reads the cache's keys.
        digest = hashlib.sha256(str(ident).encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}

    def wait_seconds(self) -> int:
        """Whole seconds until the next request would be allowed (at least 1)."""
        return max(1, math.ceil(self.wait() or self.duration))

    def hit(self, request=None, *, fail_open: bool) -> bool:
        """Count one request; False when it is over the rate (and then not counted). With the
        cache down: True when ``fail_open`` (logged), else ``RateLimitUnavailable``."""
        try:
            return SimpleRateThrottle.allow_request(self, request, None)
        except Exception as error:  # the cache backend's connection errors, whatever they are
            logger.error("Rate limit %s: the cache is unavailable (%s)", self.scope, type(error).__name__)
            if fail_open:
                return True
            raise RateLimitUnavailable() from error

    def over(self, request=None) -> bool:
        """Whether the rate is used up now, without counting a request (fails open)."""
        if self.rate is None:
            return False
        try:
            self.key = self.get_cache_key(request, None)
            self.history = self.cache.get(self.key, [])
        except Exception as error:  # noqa: BLE001 — the cache backend's connection errors
            logger.error("Rate limit %s: the cache is unavailable (%s)", self.scope, type(error).__name__)
            return False
        self.now = self.timer()
        self.history = [moment for moment in self.history if moment > self.now - self.duration]
        return len(self.history) >= self.num_requests


class SafeMethodsFree(RateLimit):
    """A DRF throttle that counts only unsafe requests (a claim made, not a list read) and lets
    requests through when the cache is down: these limits protect capacity, not secrets."""

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return self.hit(request, fail_open=True)
