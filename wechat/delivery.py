"""WeChat's retries: a message is processed once, and every delivery of it gets the same answer.

WeChat retries a message it got no answer to within 5 s (three tries in all), with the same
``MsgId``, or for an event the same ``FromUserName`` and ``CreateTime``. The first delivery
claims the key (the unique ``DeliveredMessage.key``), builds the reply and stores it; a retry
finds the row and answers what is stored. Two deliveries racing for the key cannot both win the
insert: the loser waits briefly for the winner's reply, and answers ``success`` (WeChat's "no
reply", never an error) if it is not there in time.

Rows are only needed for WeChat's retry window (seconds). Every ``PURGE_EVERY``-th new row
deletes those older than ``KEEP`` (an indexed range delete), so the table stays small with no
scheduled job; ``delivered_purge`` can also be called from anywhere.
"""

import datetime as dt
import time
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from wechat.models import DeliveredMessage

# What WeChat accepts as "no reply" (an empty body works too).
SUCCESS = "success"
# A claimed row not yet answered.
_PENDING = ""
KEEP = dt.timedelta(days=2)
PURGE_EVERY = 200
# How long a concurrent duplicate waits for the first delivery's reply.
WAIT_SECONDS = 2.0
POLL_SECONDS = 0.05


def answer_once(key: str, produce: Callable[[], str]) -> str:
    """The reply for the message ``key``: ``produce()``'s on its first delivery, the stored one
    on any later delivery."""
    try:
        with transaction.atomic():
            row = DeliveredMessage.objects.create(key=key, reply=_PENDING)
    except IntegrityError:
        return _stored(key)
    try:
        reply = produce() or SUCCESS
    except BaseException:
        # Let a retry try again rather than answer nothing forever.
        DeliveredMessage.objects.filter(pk=row.pk).delete()
        raise
    DeliveredMessage.objects.filter(pk=row.pk).update(reply=reply)
    if row.pk % PURGE_EVERY == 0:
        delivered_purge()
    return reply


def _stored(key: str) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        reply = DeliveredMessage.objects.filter(key=key).values_list("reply", flat=True).first()
        if reply:
            return reply
        if reply is None or time.monotonic() > deadline:
            # Gone (the first delivery failed and released it) or still being answered.
            return SUCCESS
        time.sleep(POLL_SECONDS)


def delivered_purge(keep: dt.timedelta = KEEP) -> int:
    """Forget deliveries older than ``keep``; returns how many."""
    deleted, _ = DeliveredMessage.objects.filter(received_at__lt=timezone.now() - keep).delete()
    return deleted
