"""Settings come from the environment and fail loudly on a bad or missing value."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_secret

ROOT = Path(__file__).resolve().parent.parent
# Production also needs the keys that protect personal data at rest (a valid Fernet key).
DATA_KEYS = {
    "FIELD_ENCRYPTION_KEYS": "kQfR2nH3m4sT5uV6wX7yZ8aB9cD0eF1gH2iJ3kL4mN8=",
    "FIELD_HASH_KEY": "h7Kp2xQ9vL4mN8rT3wY6zB1cD5fG0jSa8Ue4Wq1",
    # And the key that signs the archive and the certificates (archive/signing.py).
    "ARCHIVE_SIGNING_KEYS": "test-2026:4JeudBrwsDklzsMR-_O8_u67KuTpnWJZbeTtRXskCms",
}
STRONG_SECRET = "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2


LOAD_SETTINGS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.DATABASES['default']['ENGINE'])"
)


def _load_settings(code: str = LOAD_SETTINGS, **env) -> subprocess.CompletedProcess:
    """Run ``code`` (by default: import the settings) in a fresh interpreter with exactly these
    variables set."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "AWS_"))
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_without_a_secret_key_refuses_to_start():
    result = _load_settings(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_mode_starts_with_a_secret_key():
    result = _load_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=STRONG_SECRET, **DATA_KEYS)
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout


def test_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(STRONG_SECRET)
    result = _load_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY_FILE=str(secret), **DATA_KEYS)
    assert result.returncode == 0, result.stderr


def test_production_mode_without_the_personal_data_keys_refuses_to_start():
    result = _load_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=STRONG_SECRET)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"FIELD_HASH_KEY": "k"}, "FIELD_HASH_KEY"),
        ({"ARCHIVE_SIGNING_KEYS": "k1:c2hvcnQ"}, "ARCHIVE_SIGNING_KEYS"),
        ({"FIELD_HASH_KEY": "a" * 40}, "FIELD_HASH_KEY"),
        ({"FIELD_ENCRYPTION_KEYS": "not-a-fernet-key"}, "FIELD_ENCRYPTION_KEYS"),
        ({"DJANGO_SECRET_KEY": "short-secret"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "django-insecure-" + "q8w7e6r5t4y3u2i1o0p" * 3}, "DJANGO_SECRET_KEY"),
    ],
)
def test_production_refuses_weak_keys(changes, named):
    env = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": STRONG_SECRET, **DATA_KEYS, **changes}
    result = _load_settings(**env)
    assert result.returncode != 0
    assert "Weak keys refused in production" in result.stderr and named in result.stderr


def test_production_mode_without_the_signing_keys_refuses_to_start():
    env = {**DATA_KEYS, "ARCHIVE_SIGNING_KEYS": ""}
    result = _load_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=STRONG_SECRET, **env)
    assert result.returncode != 0
    assert "ARCHIVE_SIGNING_KEYS" in result.stderr and "archive_keygen" in result.stderr


def test_development_accepts_any_keys():
    result = _load_settings(DJANGO_DEBUG="1", FIELD_HASH_KEY="k")
    assert result.returncode == 0, result.stderr


def test_a_database_url_selects_postgresql():
    result = _load_settings(DJANGO_DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/zibo")
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout


def test_a_misspelt_boolean_fails_loudly():
    result = _load_settings(DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def test_env_helpers_parse_and_reject(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert env_bool("X_BOOL") is True
    assert env_int("X_INT", 0) == 12
    assert env_list("X_LIST") == ["a.example", "b.example"]
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="X_INT must be an integer"):
        env_int("X_INT", 0)
    monkeypatch.setenv("X_SECRET_FILE", "/nonexistent/secret")
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_secret("X_SECRET")


def test_check_deploy_is_clean_under_production_settings():
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "AWS_"))
    }
    env = {
        **clean,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": STRONG_SECRET,
        "DJANGO_ALLOWED_HOSTS": "px.zibo.example",
        **DATA_KEYS,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.redis
def test_the_redis_cache_keeps_one_client_and_still_reads_and_writes():
    """config.redis_cache keeps Django's Redis client instead of building one per call."""
    from django.core.cache import caches

    from config.redis_cache import RedisCache

    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    cache.set_many({"a": 1, "b": [2]})
    assert cache.get_many(["a", "b", "missing"]) == {"a": 1, "b": [2]}
    assert cache.delete("a") and cache.get("a") is None
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client


def test_the_server_entry_points_load_the_views_and_freeze_what_they_loaded():
    """config.startup: a full garbage collection must not walk every module and class (it
    paused workers for up to 170 ms); the views are imported before the freeze."""
    result = _load_settings(
        "import gc, sys, config.wsgi; print(gc.get_freeze_count() > 100_000, 'progress.api' in sys.modules)",
        DJANGO_DEBUG="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
