"""``manage.py check --deploy`` is clean under the production environment: deploy/env.example
with its placeholders filled by generated keys (as an operator fills them), in a process of its
own (the settings are read at start-up), failing on any warning. A warning is fixed in the
settings, not silenced (docs/security.md)."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = ROOT / "deploy" / "env.example"

# What a production deployment must set when deploy/env.example is absent (config/settings.py).
FALLBACK = {
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "px.zibo.example",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://px.zibo.example",
    "SITE_URL": "https://px.zibo.example",
    "TRUSTED_PROXY_COUNT": "1",
    "DATABASE_URL": "postgres://zibo:CHANGE_ME@db.zibo.internal:5432/zibo",
    "REDIS_URL": "redis://redis.zibo.internal:6379/0",
    "DJANGO_SECRET_KEY": "",
    "FIELD_ENCRYPTION_KEYS": "",
    "FIELD_HASH_KEY": "",
    "ARCHIVE_SIGNING_KEYS": "",
}


def generated(name: str) -> str | None:
    """A fresh value for a key the operator must generate, or None for a variable left empty on
    purpose (a service not used: WeChat, SMS…)."""
    if name == "DJANGO_SECRET_KEY":
        return secrets.token_urlsafe(50)
    if name in ("FIELD_ENCRYPTION_KEYS", "FIELD_ENCRYPTION_KEY"):
        return Fernet.generate_key().decode()
    if name in ("FIELD_HASH_KEY", "METRICS_TOKEN"):
        return secrets.token_urlsafe(32)
    if name == "ARCHIVE_SIGNING_KEYS":
        return "deploy-check:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return None


def production_environment() -> dict[str, str]:
    if ENV_EXAMPLE.exists():
        pairs = {}
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                name, _, value = line.partition("=")
                pairs[name.strip()] = value.strip()
    else:
        pairs = dict(FALLBACK)
    filled = {}
    for name, value in pairs.items():
        if not value:
            value = generated(name) or ""
        filled[name] = value.replace("CHANGE_ME", secrets.token_hex(12))
    return filled


def run_check(environment: dict[str, str]) -> subprocess.CompletedProcess:
    inherited = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**inherited, **environment},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_check_deploy_is_clean_with_the_production_environment():
    environment = production_environment()
    assert environment["DJANGO_DEBUG"] in ("0", "false", "False", "")
    result = run_check(environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_check_fails_on_a_warning_so_the_test_above_can_fail():
    """The same run with HSTS off warns (security.W004): the check and its fail level bite."""
    environment = {**production_environment(), "DJANGO_HSTS_SECONDS": "0"}
    result = run_check(environment)
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr
