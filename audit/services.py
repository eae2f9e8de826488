"""Writing the audit trail. Callers name what happened in a few words; the trail adds who (the
account and its role), when and from where."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address

from audit.models import AuditAction, AuditEntry
from institutions.roles import role_of
from learners.login_guard import client_address


def _address(request) -> str | None:
    address = client_address(request)
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return address


def audit_record(
    request, *, action: AuditAction | str, subject: str, object_id="", detail: dict | None = None, user=None
) -> AuditEntry:
    """Record that the request's user (or ``user``, for work done outside a request) viewed,
    exported or decided ``subject`` (a short dotted name, e.g. ``reports.training``) with
    ``object_id`` and ``detail`` (JSON: the filters of a report, the decision and its reason)."""
    actor = user if user is not None else getattr(request, "user", None)
    if actor is not None and not actor.is_authenticated:
        actor = None
    role = role_of(actor) if actor is not None else None
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        role=str(role or ""),
        action=action,
        subject=subject,
        object_id=str(object_id)[:64],
        detail=detail or {},
        ip=_address(request),
    )
