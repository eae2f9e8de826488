"""Identity verification is a pluggable step.

The default (and always available) method is confirmation by institution staff against the
learner's ID card (``POST /api/v1/learners/{id}/verify/``). An external real-name or face-match
service plugs in as a provider named by the IDENTITY_VERIFICATION_PROVIDER setting: a class with
``verify(learner) -> VerificationResult``. ``identity_check`` calls it and records a success.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from learners.models import Learner
from learners.services import learner_verify


@dataclass(frozen=True)
class VerificationResult:
    verified: bool
    method: str
    detail: str = ""


class StaffConfirmationOnly:
    """No external service: identity is confirmed by institution staff in person."""

    method = "staff"

    def verify(self, learner: Learner) -> VerificationResult:
        return VerificationResult(
            False, self.method, "请到培训机构现场核验身份证。Confirm in person at an institution."
        )


def provider():
    path = getattr(settings, "IDENTITY_VERIFICATION_PROVIDER", "learners.verification.StaffConfirmationOnly")
    return import_string(path)()


def identity_check(learner: Learner) -> VerificationResult:
    """Ask the configured provider; record the learner as verified when it says so."""
    result = provider().verify(learner)
    if result.verified:
        learner_verify(learner=learner, verified_by=None, method=result.method, note=result.detail)
    return result
