"""How often subsidy claims may be made, web and API together (docs/security.md, "Rate limits"):
``SUBSIDY_CLAIM_RATE`` per user (default 30/hour) and ``SUBSIDY_CLAIM_ADDRESS_RATE`` per client
address (default 300/hour: a training centre's room shares one address). A learner's claim and
an institution's class bulk claim both count; reading claims does not.

Each claim runs the rules and the insurance cross-check against the database, so the limit
protects capacity, not a secret: with the cache down, claims are let through (and logged).
"""

from django.utils.translation import gettext as _

from common.rate_limit import SafeMethodsFree


class ClaimUserThrottle(SafeMethodsFree):
    scope = "subsidy-claim-user"
    setting = "SUBSIDY_CLAIM_RATE"
    per_user = True


class ClaimAddressThrottle(SafeMethodsFree):
    scope = "subsidy-claim-addr"
    setting = "SUBSIDY_CLAIM_ADDRESS_RATE"


THROTTLES = [ClaimUserThrottle, ClaimAddressThrottle]


def refusal_message(wait_seconds: int) -> str:
    minutes = max(1, -(-wait_seconds // 60))
    return _("提交补贴申领过于频繁，请%(minutes)s分钟后再试。已提交的申领不受影响。") % {"minutes": minutes}


def claim_wait(request) -> int | None:
    """Count a claim by this user from this address: None when it may be made, else the seconds
    to wait."""
    for throttle_class in THROTTLES:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            return throttle.wait_seconds()
    return None
