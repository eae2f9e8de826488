"""The access token and the JS-SDK ticket, shared by every worker process.

WeChat allows one valid access token per official account: a process that fetches a new one
invalidates the one every other process holds. wechatpy keeps the expiry in each client object
and refreshes without a lock, so several workers that find the token expired each fetch one and
overwrite each other's ("token storms"). Here the token lives in the cache all processes share
(``settings.CACHES["shared"]``: Redis in production, Django's database cache on one machine) and
is refreshed by one process at a time under a cache lock (``add`` is an atomic set-if-absent on
Redis, in the database and in memory). A forced refresh after WeChat answers
40001/42001 names the token that failed, so the hundred requests that saw it fail cause one
refresh, and forced refreshes are rate-limited.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import caches

# Refresh this long before WeChat's expiry, so no request carries a token that dies in flight.
REFRESH_MARGIN_SECONDS = 300
# A lock outlives the longest fetch (the HTTP timeout is a few seconds) and then frees itself.
LOCK_SECONDS = 15
# How long a process waits for another's refresh before it gives up.
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
# At most one forced refresh per credential in this many seconds.
FORCED_REFRESH_INTERVAL_SECONDS = 30


def _cache():
    """The cache every process of the platform shares (settings.CACHES["shared"])."""
    return caches["shared"]


class CredentialUnavailable(Exception):
    """No valid token could be had in time (WeChat unreachable, or another worker stuck)."""


@dataclass(frozen=True)
class Credential:
    value: str
    expires_at: float

    def fresh(self, now: float) -> bool:
        return self.expires_at - now > REFRESH_MARGIN_SECONDS


class SharedCredential:
    """A credential (``name`` is e.g. ``token`` or ``jsapi_ticket``) fetched by ``fetch``, which
    returns ``(value, expires_in_seconds)``."""

    def __init__(self, appid: str, name: str, fetch: Callable[[], tuple[str, int]]):
        self.key = f"wechat:{appid}:{name}"
        self.lock_key = f"{self.key}:lock"
        self.forced_key = f"{self.key}:forced"
        self.fetch = fetch

    def _cached(self) -> Credential | None:
        raw = _cache().get(self.key)
        return Credential(*raw) if raw else None

    def get(self) -> str:
        current = self._cached()
        if current and current.fresh(time.time()):
            return current.value
        try:
            return self._refresh(unless=lambda c: c.fresh(time.time()))
        except Exception:
            # Refreshing early failed (WeChat unreachable): a token that has not expired yet
            # still works, so use it and try again on the next call.
            if current and current.expires_at > time.time():
                return current.value
            raise

    def invalidate(self, failed_value: str) -> str:
        """WeChat refused ``failed_value``: get a new credential, unless another process already
        replaced it or a forced refresh happened within the rate limit."""
        current = self._cached()
        if current and current.value != failed_value:
            return current.value
        if not _cache().add(self.forced_key, "pending", timeout=FORCED_REFRESH_INTERVAL_SECONDS):
            # Another process is forcing a refresh (wait for its result), or did so moments ago
            # and WeChat still refuses (do not hammer it).
            return self._after_forced_refresh(failed_value)
        try:
            return self._refresh(unless=lambda c: c.value != failed_value)
        finally:
            _cache().set(self.forced_key, "done", timeout=FORCED_REFRESH_INTERVAL_SECONDS)

    def _after_forced_refresh(self, failed_value: str) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while _cache().get(self.forced_key) == "pending" and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        current = self._cached()
        return current.value if current else failed_value

    def _refresh(self, unless: Callable[[Credential], bool]) -> str:
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            if _cache().add(self.lock_key, owner, timeout=LOCK_SECONDS):
                try:
                    current = self._cached()
                    if current and unless(current):
                        return current.value  # another process refreshed while we queued
                    value, expires_in = self.fetch()
                    expires_at = time.time() + int(expires_in)
                    _cache().set(self.key, (value, expires_at), timeout=max(int(expires_in), 1))
                    return value
                finally:
                    if _cache().get(self.lock_key) == owner:
                        _cache().delete(self.lock_key)
            time.sleep(POLL_SECONDS)
            current = self._cached()
            if current and unless(current):
                return current.value
            if time.monotonic() > deadline:
                raise CredentialUnavailable(f"{self.key}: no refresh within {WAIT_SECONDS:g} s")
