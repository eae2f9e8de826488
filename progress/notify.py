"""Live sync: push progress and takeovers to all of a learner's WebSocket connections.

Pushes go through the channel layer (Redis in production), so a write in any worker process
reaches connections held by any daphne process. They are sent after the transaction commits, so
no client sees progress that was rolled back.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from progress.selectors import lesson_progress_data

logger = logging.getLogger(__name__)


def learner_group(learner_id: int) -> str:
    return f"progress.learner.{learner_id}"


def push_batch_outcome(learner_id: int, outcome) -> None:
    messages = []
    for progress in outcome.progress:
        data = lesson_progress_data(None, progress, duration=outcome.durations[progress.lesson_id])
        messages.append({"type": "progress", **data, "channel": outcome.channels.get(progress.lesson_id)})
    for session, channel in outcome.takeovers:
        messages.append({"type": "takeover", "session": str(session), "channel": channel})
    if messages:
        transaction.on_commit(lambda: _send(learner_id, messages))


def _send(learner_id: int, messages: list[dict]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        for message in messages:
            async_to_sync(layer.group_send)(
                learner_group(learner_id), {"type": "progress.push", "payload": message}
            )
    except Exception:  # a push is best effort: the progress is saved and can be read back
        logger.exception("could not push progress to learner %s", learner_id)
