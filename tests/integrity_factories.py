"""Evidence logs for the fraud detectors, written straight to the tables (no crediting engine):
honest days, crafted suspicious ones, and a learner with an open review case.

Times are China's (``at(day, 20, 5)``); every event has its own id and, unless told, its
learner's own IP address, as an honest learner's would."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from integrity.models import CaseStatus, ReviewCase
from integrity.scan import scan_day
from learners.models import Learner
from progress.models import (
    ATTENTION_TYPE,
    AttentionLapse,
    AttentionOutcome,
    CreditedSpan,
    EventType,
    ProgressEvent,
    SegmentOutcome,
)

CHINA = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2025, 3, 12)  # a Wednesday; any day works


def at(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=CHINA)


def own_ip(learner: Learner) -> str:
    """An address of the learner's own (distinct per learner)."""
    return f"10.{learner.pk // 65536 % 256}.{learner.pk // 256 % 256}.{learner.pk % 256}"


def event(
    learner: Learner,
    moment: dt.datetime,
    *,
    lesson_ref: int | None = None,
    type: str = EventType.HEARTBEAT,
    segment: str = SegmentOutcome.CREDITED,
    reason: str = "",
    ip: str | None = None,
    session=None,
    credited: float | None = None,
    **fields,
) -> ProgressEvent:
    """One accepted event received at ``moment`` (its client time too)."""
    return ProgressEvent.objects.create(
        event_id=uuid.uuid4(),
        learner=learner,
        lesson_ref=lesson_ref,
        session=session or uuid.uuid4(),
        channel="pc",
        type=type,
        position=0,
        client_at=moment,
        received_at=moment,
        status=fields.pop("status", ProgressEvent.Status.ACCEPTED),
        reason=reason,
        segment=segment,
        credited_seconds=(15.0 if segment == SegmentOutcome.CREDITED else 0.0)
        if credited is None
        else credited,
        ip=ip or own_ip(learner),
        user_agent=fields.pop("user_agent", "Mozilla/5.0 (test)"),
        **fields,
    )


def events(
    learner: Learner, start: dt.datetime, count: int, *, every: int = 15, **options
) -> list[ProgressEvent]:
    """``count`` events ``every`` seconds from ``start``."""
    return [event(learner, start + dt.timedelta(seconds=every * n), **options) for n in range(count)]


def attention(
    learner: Learner, lesson, moment: dt.datetime, outcome: str = AttentionOutcome.PASSED, **options
):
    """An attention check's outcome as the server logs it (and, when missed, its lapse)."""
    if outcome == AttentionOutcome.MISSED:
        lapse(learner, lesson, moment, confirmed=None)
    return event(
        learner,
        moment,
        lesson_ref=lesson.pk,
        type=ATTENTION_TYPE,
        segment="",
        reason=outcome,
        credited=0,
        **options,
    )


def lapse(
    learner: Learner, lesson, moment: dt.datetime, confirmed: dt.datetime | None = None
) -> AttentionLapse:
    return AttentionLapse.objects.create(
        learner=learner, session=uuid.uuid4(), lesson=lesson, missed_at=moment, confirmed_at=confirmed
    )


def span(learner: Learner, lesson, start: dt.datetime, minutes: float, session=None) -> CreditedSpan:
    """Credited wall-clock time of one session from ``start`` (its day: China's date of start)."""
    return CreditedSpan.objects.create(
        learner=learner,
        session=session or uuid.uuid4(),
        lesson=lesson,
        day=start.astimezone(CHINA).date(),
        started_at=start,
        ended_at=start + dt.timedelta(minutes=minutes),
        credited_seconds=minutes * 60,
    )


def honest_day(learner: Learner, day: dt.date, lessons, *, count: int = 8) -> dict:
    """An honest learner's evening: the lessons one after another (one span each, ten minutes
    apart), ``count`` credited heartbeats from their own address and a passed attention check."""
    lessons = list(lessons)
    spans, logged = [], []
    start = at(day, 19)
    for lesson in lessons:
        spans.append(span(learner, lesson, start, 30))
        logged += events(learner, start, count // len(lessons), lesson_ref=lesson.pk)
        start += dt.timedelta(minutes=40)
    logged.append(attention(learner, lessons[0], at(day, 19, 20)))
    return {"spans": spans, "events": logged}


def suspicious_day(learner: Learner, day: dt.date, lesson) -> dict:
    """A crafted evening that raises two signals: six segments faster than real time (too fast)
    and two missed attention checks."""
    skipped = events(learner, at(day, 20), 6, lesson_ref=lesson.pk, segment=SegmentOutcome.SKIP)
    missed = [
        attention(learner, lesson, at(day, 20, 30), AttentionOutcome.MISSED),
        attention(learner, lesson, at(day, 21), AttentionOutcome.MISSED),
    ]
    return {"events": skipped + missed}


def flagged_case(learner: Learner, lesson, day: dt.date = DAY) -> ReviewCase:
    """The learner with an open review case: a suspicious day, scanned."""
    suspicious_day(learner, day, lesson)
    scan_day(day)
    return ReviewCase.objects.get(learner=learner, status=CaseStatus.OPEN)
