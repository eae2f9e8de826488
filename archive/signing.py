"""The platform's Ed25519 signing keys: they sign the archive's heads and the certificates'
credentials (compact JWS, ``alg`` ``EdDSA``), and are published at ``/.well-known/jwks.json``.

``settings.ARCHIVE_SIGNING_KEYS`` lists the keys, each ``<kid>:<seed>`` where the seed is the
32-byte Ed25519 private key in base64url (``manage.py archive_keygen`` makes one); entries are
separated by commas or white space. The first signs; the others are kept so that what they
signed still verifies after a rotation. Production must set it (config.settings refuses to start
without it); in debug a key is derived from ``SECRET_KEY`` so that development needs no setup.
"""

import base64
import binascii
import hashlib
import json
import warnings
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from joserfc.util import to_bytes

ALGORITHM = "EdDSA"

# RFC 9864 prefers the algorithm name "Ed25519" to the polymorphic "EdDSA", and joserfc warns
# about the latter; the contract (api-v1.md) names "EdDSA", which every JOSE library verifies.
warnings.filterwarnings("ignore", message="EdDSA is deprecated", module="joserfc")


class SignatureInvalid(Exception):
    """A JWS that is malformed, names an unknown key, or whose signature does not verify."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    key: OKPKey

    @property
    def public_jwk(self) -> dict:
        return {**self.key.as_dict(private=False), "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_from_seed(kid: str, seed: bytes) -> SigningKey:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    return SigningKey(kid, OKPKey.import_key(private, parameters={"kid": kid}))


def parse_keys(raw: str) -> list[SigningKey]:
    """``kid:seed`` entries, separated by commas or white space; ImproperlyConfigured when one is
    not a 32-byte base64url seed or a kid repeats."""
    keys, seen = [], set()
    for entry in raw.replace(",", " ").split():
        kid, sep, seed_text = entry.partition(":")
        try:
            seed = _b64url_decode(seed_text) if sep else b""
        except (binascii.Error, ValueError):
            seed = b""
        if not kid or len(seed) != 32:
            raise ImproperlyConfigured(
                "ARCHIVE_SIGNING_KEYS: each entry must be <kid>:<32-byte Ed25519 seed in base64url> "
                "(manage.py archive_keygen prints one)"
            )
        if kid in seen:
            raise ImproperlyConfigured(f"ARCHIVE_SIGNING_KEYS: the kid {kid!r} is listed twice")
        seen.add(kid)
        keys.append(_key_from_seed(kid, seed))
    return keys


def new_key_entry(kid: str) -> str:
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    return f"{kid}:{base64.urlsafe_b64encode(seed).rstrip(b'=').decode()}"


@cache
def _keys_for(raw: str, secret_key: str, debug: bool) -> tuple[SigningKey, ...]:
    if raw.strip():
        return tuple(parse_keys(raw))
    if not debug:
        raise ImproperlyConfigured(
            "ARCHIVE_SIGNING_KEYS (or ARCHIVE_SIGNING_KEYS_FILE) must be set in production"
        )
    seed = hashlib.sha256(b"zibo-archive-signing-development:" + secret_key.encode()).digest()
    return (_key_from_seed("dev-" + hashlib.sha256(seed).hexdigest()[:8], seed),)


def signing_keys() -> tuple[SigningKey, ...]:
    return _keys_for(settings.ARCHIVE_SIGNING_KEYS or "", settings.SECRET_KEY, settings.DEBUG)


def jwks() -> dict:
    """The JWK Set of every configured key (public parts only)."""
    return {"keys": [key.public_jwk for key in signing_keys()]}


def canonical_json(payload: dict) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8 (RFC 8785's shape for our data)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(payload: dict, *, typ: str = "JWT") -> str:
    """A compact JWS over ``payload`` with the current (first) key."""
    key = signing_keys()[0]
    return jws.serialize_compact(
        {"alg": ALGORITHM, "kid": key.kid, "typ": typ},
        canonical_json(payload),
        key.key,
        algorithms=[ALGORITHM],
    )


def verify(token: str) -> dict:
    """The payload of a compact JWS signed by one of the configured keys; SignatureInvalid else."""
    try:
        header = json.loads(_b64url_decode(token.split(".")[0]))
        key = next((k for k in signing_keys() if k.kid == header.get("kid")), None)
        if key is None or header.get("alg") != ALGORITHM:
            raise SignatureInvalid("unknown key or algorithm")
        result = jws.deserialize_compact(to_bytes(token), key.key, algorithms=[ALGORITHM])
        return json.loads(result.payload)
    except SignatureInvalid:
        raise
    except (JoseError, ValueError, binascii.Error, IndexError, AttributeError) as exc:
        raise SignatureInvalid(str(exc) or exc.__class__.__name__) from None
