"""Live sync: push progress and takeovers to all of a learner's WebSocket connections.

Pushes go through the channel layer (Redis in production), so a write in any worker process
reaches connections held by any daphne process. They are sent after the transaction commits, so
no client sees progress that was rolled back.

A push is best effort (the progress is saved and can be read back), so with a network channel
layer the request does not wait for it: the messages are handed to one event loop per process,
running in a daemon thread, which keeps its Redis connections open. ``async_to_sync`` per request
would start a new event loop each time, and channels_redis opens a new connection for every new
loop: that was 15 % of a heartbeat's time (bench/profile_request.py). The in-memory layer (the
embedded default) lives in the server's own event loop, so it is still called there, in order.
"""

import asyncio
import logging
import os
import threading

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
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


async def _group_send(layer, group: str, messages: list[dict]) -> None:
    for message in messages:
        await layer.group_send(group, {"type": "progress.push", "payload": message})


def _send(learner_id: int, messages: list[dict]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    group = learner_group(learner_id)
    if isinstance(layer, InMemoryChannelLayer):
        try:
            async_to_sync(_group_send)(layer, group, messages)
        except Exception:  # best effort, see the module docstring
            logger.exception("could not push progress to learner %s", learner_id)
        return
    future = asyncio.run_coroutine_threadsafe(_group_send(layer, group, messages), _push_loop.get())
    future.add_done_callback(lambda done: _log_failure(done, learner_id))


def _log_failure(done, learner_id: int) -> None:
    if not done.cancelled() and done.exception() is not None:
        logger.error("could not push progress to learner %s", learner_id, exc_info=done.exception())


class _PushLoop:
    """The process's push event loop, started on first use (and again in a forked child, where
    the parent's thread does not exist)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid: int | None = None

    def get(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="progress-push", daemon=True).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop


_push_loop = _PushLoop()
