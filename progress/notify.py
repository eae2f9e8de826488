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
    _pusher.submit(layer, group, messages, learner_id)


class _Pusher:
    """The process's push loop, started on first use (and again in a forked child, where the
    parent's thread does not exist). One consumer sends the queued pushes one after another, so
    a device never sees an older snapshot after a newer one; the queue is bounded and each send
    has a time limit, so a stalled Redis costs dropped pushes, never a growing backlog."""

    QUEUE_SIZE = 1000
    SEND_TIMEOUT_SECONDS = 5.0

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        self._pid: int | None = None
        # Pushes dropped since the layer started failing: an outage of Redis is logged once when
        # it starts and once when pushes work again, not once per heartbeat (thousands a second).
        self._dropped = 0

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        queue: asyncio.Queue = asyncio.Queue(self.QUEUE_SIZE)

        def run():
            asyncio.set_event_loop(loop)
            loop.create_task(self._consume(queue))
            loop.run_forever()

        threading.Thread(target=run, name="progress-push", daemon=True).start()
        self._loop, self._queue, self._pid = loop, queue, os.getpid()

    async def _consume(self, queue: asyncio.Queue) -> None:
        while True:
            layer, group, messages, learner_id = await queue.get()
            try:
                await asyncio.wait_for(_group_send(layer, group, messages), self.SEND_TIMEOUT_SECONDS)
            except Exception:  # best effort, see the module docstring
                self._dropped += 1
                if self._dropped == 1:
                    logger.exception(
                        "live pushes failing (channel layer unreachable?): progress of learner %s "
                        "not pushed; further failures are counted, not logged, until a push succeeds",
                        learner_id,
                    )
            else:
                if self._dropped:
                    logger.warning("live pushes work again; %d pushes were dropped", self._dropped)
                    self._dropped = 0

    def submit(self, layer, group: str, messages: list[dict], learner_id: int) -> None:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._start()
            loop, queue = self._loop, self._queue

        def put():
            try:
                queue.put_nowait((layer, group, messages, learner_id))
            except asyncio.QueueFull:
                logger.warning("push queue full: progress of learner %s not pushed", learner_id)

        loop.call_soon_threadsafe(put)


_pusher = _Pusher()
