"""What production refuses as a key: short, low-entropy or Django's placeholder secrets, and
encryption keys that are not Fernet keys. Read by ``config.settings`` when DJANGO_DEBUG is off.

A one-character ``FIELD_HASH_KEY`` would make the look-up hashes of ID numbers (which have little
entropy of their own: a birth date, a region and a few digits) easy to reverse, so it must be at
least 32 characters with some variety; the secret key likewise (Django's own check asks 50).
"""

import base64
import binascii

MIN_SECRET_LENGTH = 50
MIN_HASH_KEY_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 8


def _weak(value: str, minimum: int) -> bool:
    return len(value) < minimum or len(set(value)) < MIN_DISTINCT_CHARACTERS


def _is_fernet_key(value: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def weak_key_problems(secret_key: str, encryption_keys: list[str], hash_key: str) -> list[str]:
    """Each weakness found, as a sentence naming the setting; empty when all keys are strong."""
    problems = []
    if secret_key.startswith("django-insecure") or _weak(secret_key, MIN_SECRET_LENGTH):
        problems.append(
            f"DJANGO_SECRET_KEY must be a random string of at least {MIN_SECRET_LENGTH} characters"
        )
    if _weak(hash_key or "", MIN_HASH_KEY_LENGTH):
        problems.append(
            f"FIELD_HASH_KEY must be a random string of at least {MIN_HASH_KEY_LENGTH} characters"
        )
    bad = [n for n, key in enumerate(encryption_keys, start=1) if not _is_fernet_key(key)]
    if bad:
        problems.append(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (Fernet.generate_key()); not: "
            + ", ".join(f"key {n}" for n in bad)
        )
    return problems


def signing_key_problems(raw: str) -> list[str]:
    """ARCHIVE_SIGNING_KEYS: each entry ``<kid>:<seed>``, the seed 32 bytes in base64url, each kid
    once (archive/signing.py parses them the same way)."""
    kids, problems = [], []
    for entry in raw.replace(",", " ").split():
        kid, _, seed = entry.partition(":")
        try:
            size = len(base64.urlsafe_b64decode(seed + "=" * (-len(seed) % 4)))
        except (binascii.Error, ValueError):
            size = 0
        if not kid or size != 32:
            problems.append(
                "ARCHIVE_SIGNING_KEYS entries must be <kid>:<32-byte Ed25519 seed in base64url> "
                "(manage.py archive_keygen prints one)"
            )
        kids.append(kid)
    if len(set(kids)) != len(kids):
        problems.append("ARCHIVE_SIGNING_KEYS lists a kid twice")
    return problems
