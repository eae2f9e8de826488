"""Sending a queued notification (``wechat.notifications``) as a WeChat template message.

Every attempt is recorded on the ``Notification`` row: ``attempts``, ``last_error``, and then
``sent`` with ``sent_at``, ``failed``, or ``pending`` with the ``next_attempt_at`` of the retry.

Retry policy:

- WeChat's "this cannot succeed" answers (``PERMANENT_ERRORS``: the follower unsubscribed
  43004, an invalid openid 40003, …) fail the notice at once, without retry.
- Any other WeChat error (-1 system busy, 45009 quota reached, …), an HTTP or network error, or
  no access token in time: the notice stays ``pending`` and is tried again after an exponential
  back-off (1, 2, 4, 8, 16 min… capped at an hour), ``MAX_ATTEMPTS`` tries in all, then
  ``failed``.
- The retry is deferred on the task backend when it can defer (the database backend:
  ``task.using(run_after=…)``); in any case ``next_attempt_at`` is on the row, and the scheduled
  command ``wechat_send_due`` sends every pending row whose time has come, so retries happen on
  the immediate backend too, and after a worker was down.

A send first *claims* the row (a conditional UPDATE that moves ``next_attempt_at`` a few minutes
ahead), so a deferred task and the scheduled command never send the same notice twice at once.
A process that dies after the claim leaves the row pending: it is tried again when the claim
lapses (at least once, at worst twice, never lost).
"""

import datetime as dt
import logging

import requests
from django.db.models import F, Q
from django.utils import timezone
from wechatpy.exceptions import WeChatException

from common.background import background_task, enqueue_now
from wechat.credentials import CredentialUnavailable
from wechat.models import Notification, WechatBinding

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
# How long a claimed row is left to the process that claimed it before it may be tried again.
CLAIM_SECONDS = 300

# WeChat errors that no retry can cure.
PERMANENT_ERRORS = {
    40003: "invalid openid",
    40036: "invalid template_id size",
    40037: "invalid template_id",
    43004: "require subscribe (the follower unsubscribed)",
    43101: "user refuse to accept the msg",
    47003: "argument invalid (the template's data does not fit)",
}


def backoff_seconds(attempts: int) -> int:
    """The wait after the ``attempts``-th failed try."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)


@background_task(max_attempts=1)
def notification_send_task(notification_id: int) -> str:
    """One attempt per task: the notice's own retry policy (above) is kept on its row.

    Idempotent: the send claims the row first and sends only a pending, due notice, so a second
    run (a duplicate task, a run after a lost worker) finds it sent or claimed and does nothing."""
    return notification_send(notification_id)


def notification_enqueue(notification_id: int, run_after: dt.datetime | None = None):
    """Hand the notice to the task backend, deferred to ``run_after`` if the backend can defer;
    if it cannot, a deferred send is left to ``wechat_send_due``. Returns the task result, or
    None when nothing was enqueued."""
    send = notification_send_task
    if run_after is not None:
        if not send.get_backend().supports_defer:
            return None
        send = send.using(run_after=run_after)
    return enqueue_now(send, notification_id)


def notifications_due(now: dt.datetime | None = None):
    now = now or timezone.now()
    return Notification.objects.filter(status=Notification.Status.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def notification_send(notification_id: int) -> str:
    """Send the notice if it is pending and due; return what happened (``sent``, ``retry``,
    ``failed``, ``skipped``, or ``not-due`` when it is not this call's to send)."""
    from django.conf import settings

    from wechat.client import enabled, wechat_client

    now = timezone.now()
    notification = notifications_due(now).filter(pk=notification_id).first()
    if notification is None:
        return "not-due"
    openid = WechatBinding.objects.filter(learner_id=notification.learner_id).values_list("openid", flat=True)
    openid = openid.first()
    template_id = (settings.WECHAT_TEMPLATES or {}).get(notification.kind, "")
    reason = (
        "WeChat is off (no WECHAT_APP_ID)"
        if not enabled()
        else "no template id for this kind"
        if not template_id
        else "the learner is no longer bound to WeChat"
        if not openid
        else ""
    )
    if reason:
        _record(notification, status=Notification.Status.SKIPPED, last_error=reason, next_attempt_at=None)
        return "skipped"

    claimed = (
        notifications_due(now)
        .filter(pk=notification.pk, attempts=notification.attempts)
        .update(attempts=F("attempts") + 1, next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS))
    )
    if not claimed:
        return "not-due"  # another process claimed it first
    attempts = notification.attempts + 1

    try:
        wechat_client().message.send_template(
            openid, template_id, notification.data, url=notification.url or None
        )
    except WeChatException as exc:
        errcode = getattr(exc, "errcode", None)
        if errcode is not None:
            error = f"{errcode} {exc.errmsg}"
        else:
            response = getattr(exc, "response", None)
            error = f"HTTP {getattr(response, 'status_code', '?')} from WeChat"
    except (requests.RequestException, CredentialUnavailable) as exc:
        errcode = None
        error = f"{type(exc).__name__}: {exc}"
    else:
        _record(
            notification,
            status=Notification.Status.SENT,
            sent_at=timezone.now(),
            last_error="",
            next_attempt_at=None,
        )
        return "sent"

    if errcode in PERMANENT_ERRORS or attempts >= MAX_ATTEMPTS:
        logger.warning("WeChat notification %s failed after %s tries: %s", notification.pk, attempts, error)
        _record(notification, status=Notification.Status.FAILED, last_error=error, next_attempt_at=None)
        return "failed"
    retry_at = timezone.now() + dt.timedelta(seconds=backoff_seconds(attempts))
    _record(notification, last_error=error, next_attempt_at=retry_at)
    logger.info(
        "WeChat notification %s: try %s failed (%s); again at %s", notification.pk, attempts, error, retry_at
    )
    notification_enqueue(notification.pk, run_after=retry_at)
    return "retry"


def _record(notification: Notification, **fields) -> None:
    if "last_error" in fields:
        fields["last_error"] = fields["last_error"][:300]
    Notification.objects.filter(pk=notification.pk).update(**fields)
    for name, value in fields.items():
        setattr(notification, name, value)


def notifications_send_due(now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Send every pending notice whose time has come (the scheduled command's work); a count of
    the outcomes."""
    counts: dict[str, int] = {}
    ids = list(notifications_due(now).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    for notification_id in ids:
        outcome = notification_send(notification_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
