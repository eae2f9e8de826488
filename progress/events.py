"""Parsing of client progress events: a malformed event becomes a rejection, never an error."""

import datetime as dt
import math
import uuid
from dataclasses import dataclass

from django.utils.dateparse import parse_datetime

from progress.models import Channel, EventType

_CHANNELS = frozenset(Channel.values)
_TYPES = frozenset(EventType.values)
_MAX_ID = 2**63 - 1  # a database integer: larger numbers cannot name a lesson
_MAX_GRANT = 64  # a grant is a short opaque string (progress.models.StudyGrant.token)


@dataclass(frozen=True)
class Event:
    index: int  # position in the batch, to answer in order
    id: uuid.UUID
    session: uuid.UUID
    lesson: int
    channel: str
    type: str
    position: float
    from_position: float | None
    rate: float
    at: dt.datetime
    grant: str = ""  # rule 9: the grant the client named, if any


@dataclass(frozen=True)
class Malformed:
    """What could be read of an invalid event, for the log."""

    index: int
    id: uuid.UUID | None
    raw: dict


def _uuid(value) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return number if math.isfinite(number) else None


def _moment(value) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:  # the contract requires a time zone
        return None
    try:
        # 9999-12-31T23:59:59-12:00 parses, but is past the last moment a datetime can hold in
        # UTC (and 0001-01-01T00:00:00+14:00 before the first): comparing it would overflow.
        moment.astimezone(dt.UTC)
    except OverflowError:
        return None
    return moment


def parse_event(index: int, raw) -> Event | Malformed:
    if not isinstance(raw, dict):
        return Malformed(index, None, {})
    event_id = _uuid(raw.get("id"))
    session = _uuid(raw.get("session"))
    lesson = raw.get("lesson")
    # Only strings can be a channel or a type (a list or an object cannot even be looked up).
    channel = raw.get("channel") if isinstance(raw.get("channel"), str) else None
    kind = raw.get("type") if isinstance(raw.get("type"), str) else None
    position = _number(raw.get("position"))
    at = _moment(raw.get("at"))
    rate = _number(raw.get("rate", 1.0))
    from_position = _number(raw.get("from")) if "from" in raw else None
    grant = raw.get("grant", "")
    if grant is None:
        grant = ""
    valid = (
        event_id is not None
        and session is not None
        and isinstance(lesson, int)
        and not isinstance(lesson, bool)
        and -_MAX_ID <= lesson <= _MAX_ID
        and channel in _CHANNELS
        and kind in _TYPES
        and position is not None
        and at is not None
        and rate is not None
        and rate > 0
        and (kind != EventType.SEEK or from_position is not None)
        and ("from" not in raw or from_position is not None)
        and isinstance(grant, str)
        and len(grant) <= _MAX_GRANT
    )
    if not valid:
        return Malformed(index, event_id, raw)
    return Event(
        index=index,
        id=event_id,
        session=session,
        lesson=lesson,
        channel=channel,
        type=kind,
        position=position,
        from_position=from_position,
        rate=rate,
        at=at,
        grant=grant,
    )
