"""Encryption at rest of personal data (ID numbers, phones) and keyed hashes for look-ups.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under the
keys in FIELD_ENCRYPTION_KEYS: the first key encrypts, every key decrypts, so a key is rotated by
putting a new one first and re-saving the rows. Because each encryption is randomised, equality
look-ups use a separate keyed hash (HMAC-SHA256 under FIELD_HASH_KEY, a "blind index"): the
database can enforce "one person, one account" without ever holding the ID number in clear.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver


def _derived_key(purpose: str) -> bytes:
    """Development only (settings refuse this in production): a key derived from SECRET_KEY."""
    return hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        keys = [base64.urlsafe_b64encode(_derived_key("field-encryption")).decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (Fernet.generate_key())."
        ) from None


@cache
def _hash_key() -> bytes:
    key = settings.FIELD_HASH_KEY
    return key.encode() if key else _derived_key("field-hash")


@receiver(setting_changed)
def _reset_keys(*, setting, **kwargs):
    if setting in ("FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEY", "SECRET_KEY"):
        _fernet.cache_clear()
        _hash_key.cache_clear()


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored value cannot be decrypted: FIELD_ENCRYPTION_KEYS lacks the key it was written with."
        ) from None


def blind_index(value: str) -> str:
    """A keyed hash of a normalised value, for equality look-ups and uniqueness."""
    return hmac.new(_hash_key(), value.strip().upper().encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text field stored encrypted. It cannot be filtered on (use a blind index instead)."""

    def from_db_value(self, value, expression, connection):
        return value if value in (None, "") else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value in (None, "") else encrypt(value)
