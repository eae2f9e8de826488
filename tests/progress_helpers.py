"""Building progress events for tests: times relative to a base moment, ids made fresh."""

import datetime as dt
import uuid

from django.utils import timezone


class Player:
    """One playback session on one device: ``player.play(0, at=0)`` etc. make event dicts."""

    def __init__(self, lesson_id: int, channel: str = "pc", base: dt.datetime | None = None):
        self.lesson = lesson_id
        self.channel = channel
        self.session = str(uuid.uuid4())
        self.base = base or (timezone.now() - dt.timedelta(hours=1))

    def event(self, kind: str, position: float, at: float, **extra) -> dict:
        return {
            "id": str(uuid.uuid4()),
            "session": self.session,
            "lesson": self.lesson,
            "channel": self.channel,
            "type": kind,
            "position": position,
            "at": (self.base + dt.timedelta(seconds=at)).isoformat(),
            **extra,
        }

    def play(self, position, at, **extra):
        return self.event("play", position, at, **extra)

    def beat(self, position, at, **extra):
        return self.event("heartbeat", position, at, **extra)

    def pause(self, position, at, **extra):
        return self.event("pause", position, at, **extra)

    def ended(self, position, at, **extra):
        return self.event("ended", position, at, **extra)

    def seek(self, from_position, to_position, at, **extra):
        return self.event("seek", to_position, at, **{"from": from_position, **extra})

    def watch(self, start: float, end: float, at: float, step: float = 20) -> list[dict]:
        """play at ``start``, heartbeats every ``step`` seconds at normal speed, pause at ``end``."""
        events = [self.play(start, at)]
        position, moment = start, at
        while position + step < end:
            position += step
            moment += step
            events.append(self.beat(position, moment))
        events.append(self.pause(end, moment + (end - position)))
        return events


def send(client, events: list[dict]):
    return client.post("/api/v1/progress/events/", {"events": events}, format="json")
