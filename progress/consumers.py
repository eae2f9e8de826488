"""``/ws/progress/``: a learner's live progress feed. The consumer only hands off: it joins the
learner's group on connect and forwards what the progress service pushes."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from progress.metrics import WEBSOCKETS_OPEN
from progress.notify import learner_group
from progress.store import learner_id_for_user


@database_sync_to_async
def _learner_id(user) -> int | None:
    if not user or not user.is_authenticated:
        return None
    return learner_id_for_user(user.pk)


class ProgressConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        learner_id = await _learner_id(self.scope.get("user"))
        if learner_id is None:
            await self.close(code=4401)  # not signed in as a learner
            return
        self.group = learner_group(learner_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        WEBSOCKETS_OPEN.inc()
        self.counted = True

    async def disconnect(self, code):
        if getattr(self, "counted", False):
            WEBSOCKETS_OPEN.dec()
            self.counted = False
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def progress_push(self, message):
        await self.send_json(message["payload"])
