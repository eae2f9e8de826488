"""Parsing of client progress events: a malformed event becomes a rejection, never an error."""

import datetime as dt
import math
import uuid
from collections.abc import Callable
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


def _integer(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not -_MAX_ID <= value <= _MAX_ID:
        return None
    return value


def _choice(values: frozenset):
    def read(value) -> str | None:
        # Only strings can be a channel or a type (a list or an object cannot even be looked up).
        return value if isinstance(value, str) and value in values else None

    return read


def _short_string(value) -> str | None:
    return value if isinstance(value, str) and len(value) <= _MAX_GRANT else None


@dataclass(frozen=True)
class EventField:
    """One field of EVENT, as the contract describes it. ``EVENT_FIELDS`` is the one description
    of an event: ``parse_event`` reads events with it, and the OpenAPI schema is built from it
    (``progress.serializers``), so the two cannot drift apart."""

    name: str
    kind: str  # uuid, integer, choice, number, datetime or string: the schema's type
    read: Callable  # the value as the engine takes it, or None if it is not one
    required: bool = True
    help: str | None = None
    choices: tuple[str, ...] = ()
    default: object = None
    max_length: int | None = None
    nullable: bool = False  # null is taken as "not sent" (only a grant)


EVENT_FIELDS = (
    EventField("id", "uuid", _uuid, help="UUID made by the client; applied at most once"),
    EventField("session", "uuid", _uuid, help="UUID of one playback session"),
    EventField("lesson", "integer", _integer),
    EventField("channel", "choice", _choice(_CHANNELS), choices=tuple(Channel.values)),
    EventField("type", "choice", _choice(_TYPES), choices=tuple(EventType.values)),
    EventField("position", "number", _number, help="media position, seconds (after the jump, for seek)"),
    EventField("rate", "number", _number, required=False, default=1.0),
    EventField("at", "datetime", _moment, help="client time of the event, ISO 8601 with a time zone"),
    EventField(
        "grant",
        "string",
        _short_string,
        required=False,
        nullable=True,
        max_length=_MAX_GRANT,
        help="a grant for this lesson from POST /api/v1/progress/grants/ (rule 9: needed for a backlog)",
    ),
    EventField("from", "number", _number, required=False, help="for seek only: the position before the jump"),
)


def parse_event(index: int, raw) -> Event | Malformed:
    if not isinstance(raw, dict):
        return Malformed(index, None, {})
    values, valid = {}, True
    for field in EVENT_FIELDS:
        value = raw.get(field.name)
        if (field.name not in raw and not field.required) or (value is None and field.nullable):
            values[field.name] = field.default
            continue
        values[field.name] = read = field.read(value)  # a present null is no value: invalid
        valid = valid and read is not None
    kind, rate, from_position = values["type"], values["rate"], values["from"]
    # A seek says where it jumped from.
    valid = valid and rate > 0 and (kind != EventType.SEEK or from_position is not None)
    if not valid:
        return Malformed(index, values["id"], raw)
    return Event(
        index=index,
        id=values["id"],
        session=values["session"],
        lesson=values["lesson"],
        channel=values["channel"],
        type=kind,
        position=values["position"],
        from_position=from_position,
        rate=rate,
        at=values["at"],
        grant=values["grant"] or "",
    )
