"""The credential of a platform certificate: a W3C Verifiable Credential in the Open Badges 3.0
shape, signed as a compact JWS (``alg`` ``EdDSA``, ``typ`` ``vc+jwt``) with the platform's key
(archive.signing), so that anyone holding it can check it offline with the public key from
``/.well-known/jwks.json`` (docs/certificates.md shows how).

What it says of the holder is the masked name only: never an ID number, a phone or an internal
id. It names the certificate number, the course, the occupation (code and name), the level and
the hours; the verification URL is its ``id``.
"""

import datetime as dt

from django.conf import settings
from django.urls import reverse

from archive import signing

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
TYPES = ["VerifiableCredential", "OpenBadgeCredential"]
ISSUER_NAME = "淄博技能在线"
HEADER_TYPE = "vc+jwt"


def site_url(path: str) -> str:
    """An absolute URL on the platform's public address (settings.SITE_URL)."""
    return settings.SITE_URL + path


def verify_url(number: str) -> str:
    return site_url(reverse("certificate-verify", args=[number]))


def utc_seconds(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def credential_payload(
    *,
    number: str,
    type_name: str,
    issued_at: dt.datetime,
    holder: str,
    course_id: int,
    course_title: str,
    occupation_code: str,
    occupation_name: str,
    level: str,
    level_name: str,
    hours: str,
) -> dict:
    """The Verifiable Credential of one certificate (``holder`` is the masked name)."""
    return {
        "@context": CONTEXTS,
        "id": verify_url(number),
        "type": TYPES,
        "issuer": {"id": site_url("/"), "type": ["Profile"], "name": ISSUER_NAME},
        "validFrom": utc_seconds(issued_at),
        "name": type_name,
        "number": number,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": holder,
            "number": number,
            "achievement": {
                "id": site_url(f"/api/v1/courses/{course_id}/"),
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": course_title,
                "description": f"{occupation_name}（{level_name}）{type_name}",
                "criteria": {"narrative": f"完成课程必修内容，获得学时不少于 {hours} 小时。"},
                "fieldOfStudy": occupation_name,
                "occupation": {"code": occupation_code, "name": occupation_name},
                "level": level,
                "hours": hours,
            },
        },
    }


def credential_sign(payload: dict) -> str:
    return signing.sign(payload, typ=HEADER_TYPE)
