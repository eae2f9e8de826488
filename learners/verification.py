"""Real-name verification: do this name and this ID number belong together?

Providers sit behind one small interface, chosen by the IDENTITY_VERIFICATION_PROVIDER setting (a
dotted path), as Django's e-mail backends are: a class whose ``verify(real_name, id_number)``
returns a ``VerificationResult`` — an outcome (verified, rejected or unavailable), the method's
name and a detail a person can read (ours in Chinese, translated where it is shown; a provider's
own as it came). A provider never raises because its service
failed: a network error, a timeout or a 5xx is "unavailable".

- ``DevelopmentBackend`` (the default in debug): offline; checks the ID number's check digit and
  reports the names listed in IDENTITY_DEV_REJECT_NAMES as not matching.
- ``HttpBackend`` (the default when IDENTITY_VERIFICATION_URL is set): POSTs
  ``{"name", "id_number"}`` as JSON and reads ``{"match": true|false, "detail": "..."}``.
- ``StaffConfirmationOnly`` (the default in production without a URL): no automatic check.

Registration and roster activation queue ``identity_check_task`` once the learner is committed
(``learners.services.identity_check_after_commit``); the outcome is stored on the learner. Staff
confirmation in person (``POST /api/v1/learners/{id}/verify/``) stays the fallback when a check
is rejected or unavailable.
"""

import logging
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext_noop

from common.background import background_task
from learners.models import Learner, VerificationStatus
from learners.services import learner_verification_record
from vocabulary.identity import validate_id_number

logger = logging.getLogger(__name__)

DEFAULT_PROVIDER = "learners.verification.DevelopmentBackend"

# Stored as the learner's verification_detail in the source language (gettext_noop), and
# translated where they are shown; a provider's own detail is shown as it came.
MATCH_DETAIL = gettext_noop("姓名与身份证号一致。")
MISMATCH_DETAIL = gettext_noop("姓名与身份证号不一致。")
BAD_NUMBER_DETAIL = gettext_noop("身份证号校验不通过。")
UNAVAILABLE_DETAIL = gettext_noop("实名核验服务暂不可用，可到培训机构现场核验身份证。")
STAFF_ONLY_DETAIL = gettext_noop("未接入实名核验服务，请到培训机构现场核验身份证。")


@dataclass(frozen=True)
class VerificationResult:
    outcome: str  # VerificationStatus.VERIFIED, REJECTED or UNAVAILABLE
    method: str
    detail: str = ""

    @property
    def verified(self) -> bool:
        return self.outcome == VerificationStatus.VERIFIED


class DevelopmentBackend:
    """Offline, for development and demonstrations: an ID number with a wrong check digit, and
    the names in IDENTITY_DEV_REJECT_NAMES (default 冒名顶替), are rejected; everyone else is
    verified. Never use it in production: it knows nobody's real name."""

    method = "dev"

    def __init__(self, reject_names=None):
        names = settings.IDENTITY_DEV_REJECT_NAMES if reject_names is None else reject_names
        self.reject_names = {name.strip() for name in names if name.strip()}

    def verify(self, real_name: str, id_number: str) -> VerificationResult:
        try:
            validate_id_number(id_number)
        except ValidationError:
            return VerificationResult(VerificationStatus.REJECTED, self.method, BAD_NUMBER_DETAIL)
        if (real_name or "").strip() in self.reject_names:
            return VerificationResult(VerificationStatus.REJECTED, self.method, MISMATCH_DETAIL)
        return VerificationResult(VerificationStatus.VERIFIED, self.method, MATCH_DETAIL)


class HttpBackend:
    """A real-name service over HTTP(S): ``POST IDENTITY_VERIFICATION_URL`` with the JSON body
    ``{"name": ..., "id_number": ...}`` (and ``Authorization: Bearer <IDENTITY_VERIFICATION_TOKEN>``
    when a token is set); the answer ``{"match": true|false, "detail": "..."}`` decides. Anything
    else — no connection, a timeout (IDENTITY_VERIFICATION_TIMEOUT seconds), an HTTP error, a body
    without a boolean ``match`` — is "unavailable". Logs never carry the name or ID number."""

    method = "http"

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.url = url if url is not None else settings.IDENTITY_VERIFICATION_URL
        self.token = token if token is not None else settings.IDENTITY_VERIFICATION_TOKEN
        self.timeout = timeout if timeout is not None else settings.IDENTITY_VERIFICATION_TIMEOUT
        if not self.url:
            raise ImproperlyConfigured("HttpBackend needs IDENTITY_VERIFICATION_URL.")

    def _unavailable(self, why: str, *args) -> VerificationResult:
        logger.warning("Real-name service unavailable: " + why, *args)
        return VerificationResult(VerificationStatus.UNAVAILABLE, self.method, UNAVAILABLE_DETAIL)

    def verify(self, real_name: str, id_number: str) -> VerificationResult:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = requests.post(
                self.url,
                json={"name": real_name, "id_number": id_number},
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,  # a redirected POST would become a GET
            )
        except requests.RequestException as error:
            return self._unavailable("%s", type(error).__name__)
        if not 200 <= response.status_code < 300:
            return self._unavailable("HTTP %s", response.status_code)
        try:
            body = response.json()
        except ValueError:
            return self._unavailable("the answer is not JSON")
        match = body.get("match") if isinstance(body, dict) else None
        if not isinstance(match, bool):
            return self._unavailable("the answer has no boolean 'match'")
        detail = body.get("detail")
        detail = detail.strip()[:200] if isinstance(detail, str) else ""
        if match:
            return VerificationResult(VerificationStatus.VERIFIED, self.method, detail or MATCH_DETAIL)
        return VerificationResult(VerificationStatus.REJECTED, self.method, detail or MISMATCH_DETAIL)


class StaffConfirmationOnly:
    """No external service: identity is confirmed by institution staff in person."""

    method = "staff"

    def verify(self, real_name: str, id_number: str) -> VerificationResult:
        return VerificationResult(VerificationStatus.UNAVAILABLE, self.method, STAFF_ONLY_DETAIL)


def provider():
    path = getattr(settings, "IDENTITY_VERIFICATION_PROVIDER", "") or DEFAULT_PROVIDER
    return import_string(path)()


def identity_check(learner: Learner) -> VerificationResult:
    """Ask the configured provider about the learner and store the outcome on them ("verified"
    verifies them, and the archive issues their held-back certificates). Never raises for the
    provider: a provider that fails in any way counts as unavailable."""
    try:
        result = provider().verify(learner.real_name, learner.id_number)
    except Exception:  # a broken or misconfigured provider must not break registration
        logger.exception("Real-name provider failed")
        result = VerificationResult(VerificationStatus.UNAVAILABLE, "error", UNAVAILABLE_DETAIL)
    learner_verification_record(
        learner=learner, status=result.outcome, method=result.method, detail=result.detail
    )
    return result


@background_task()
def identity_check_task(learner_id: int) -> str:
    """Run the real-name check of a learner (queued after registration and activation); return
    the outcome stored.

    Idempotent: a verified learner is left alone, and another check of a pending one records one
    more outcome (the provider is asked again; nothing is duplicated that a learner sees)."""
    learner = Learner.objects.filter(pk=learner_id).first()
    if learner is None:
        return "gone"
    if learner.verified:
        return VerificationStatus.VERIFIED.value
    return str(identity_check(learner).outcome)
