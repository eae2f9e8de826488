"""Login lockout: after N failed logins for one username within the window, that username is
refused (HTTP 429) for the lockout period; other usernames are unaffected.

Counts live in the cache (Redis in production), so every worker process sees the same counts;
``cache.incr`` is atomic there.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, username: str) -> str:
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"login:{kind}:{digest}"


def is_locked(username: str) -> bool:
    return bool(cache.get(_key("lock", username)))


def record_failure(username: str) -> bool:
    """Count a failed login; return True if the username is now locked."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    key = _key("fail", username)
    cache.add(key, 0, timeout=window)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        failures = 1
    if failures >= settings.LOGIN_FAILURE_LIMIT:
        cache.set(_key("lock", username), 1, timeout=window)
        cache.delete(key)
        return True
    return False


def record_success(username: str) -> None:
    cache.delete(_key("fail", username))
