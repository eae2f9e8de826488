"""The crediting engine: applies one batch of a learner's events, in memory, then writes.

Used by ``progress.services.events_record`` inside a transaction that holds the learner's row
lock. Reads take a fixed number of queries; only an event that arrives after later events of its
own session (a late resend) costs two more, to find its neighbours in that session.

Lessons and courses complete at the client time of the study that completed them (an offline
backlog's own times, within the offline window), never at the batch's arrival: see
``Batch._lesson_moment`` and ``Batch._course_moment`` (docs/archive.md, "The completion date that
counts").
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from learners.models import Learner
from progress import intervals as iv
from progress import store
from progress.completion_moments import CompletionMoments
from progress.events import Event, Malformed
from progress.facts import LessonInfo, lesson_facts
from progress.models import (
    PLAYING_TYPES,
    AttentionLapse,
    CreditedSpan,
    EventType,
    LessonProgress,
    PlaybackSession,
    ProgressEvent,
    RejectReason,
    SegmentOutcome,
    StudyGrant,
)

# Outcomes of a segment that was judged real study time (whether or not it added new media).
VALID_SEGMENTS = frozenset({SegmentOutcome.CREDITED, SegmentOutcome.REPEAT, SegmentOutcome.CAPPED})


@dataclass(frozen=True)
class Origin:
    """Where a batch came from, for the evidence log."""

    ip: str | None = None
    user_agent: str = ""


@dataclass
class BatchOutcome:
    results: list[dict]
    progress: list[LessonProgress]
    # channel of the latest accepted event per touched lesson, for the live push
    channels: dict[int, str] = field(default_factory=dict)
    durations: dict[int, int] = field(default_factory=dict)
    takeovers: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    completed_courses: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Mark:
    """One accepted event of a session, as a segment boundary."""

    at: dt.datetime
    type: str
    position: float
    from_position: float | None = None
    segment: str = ""
    # Whether a segment starting here may be credited (rule 9: a live event, or a backlog event
    # naming a valid grant).
    creditable: bool = True

    @property
    def end_position(self) -> float:
        """Where a segment ending at this event ends: before the jump, for a seek."""
        if self.type == EventType.SEEK and self.from_position is not None:
            return self.from_position
        return self.position


def _loggable_id(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
        return value
    return None


class Batch(CompletionMoments):
    def __init__(self, learner: Learner, parsed: list[Event | Malformed], origin: Origin, now):
        self.learner = learner
        self.parsed = parsed
        self.origin = origin
        self.now = now
        self.cfg = settings.PROGRESS
        self.gap = dt.timedelta(seconds=self.cfg["MAX_GAP_SECONDS"])
        self.results: list[dict | None] = [None] * len(parsed)
        self.log: list[ProgressEvent] = []
        self.outcome = BatchOutcome(results=[], progress=[])
        self.new_sessions: dict[uuid.UUID, PlaybackSession] = {}
        self.dirty_sessions: dict[uuid.UUID, PlaybackSession] = {}
        self.new_progress: dict[int, LessonProgress] = {}
        self.dirty_progress: dict[int, LessonProgress] = {}
        self.new_spans: list[CreditedSpan] = []
        self.dirty_spans: dict[int, CreditedSpan] = {}
        self.course_candidates: set[int] = set()  # courses whose completion rule may now be met
        # Per course, the new credit this batch added, as (end of its segment, seconds), in the
        # order applied: when the course's completion rule was met (``_course_moment``).
        self.course_gains: dict[int, list[tuple[dt.datetime, float]]] = {}
        # What the batch found saved, before changing it: per lesson its credited seconds and its
        # latest event's time (``_lesson_moment``); per span it extends, its end and credit.
        self.saved_progress: dict[int, tuple[float, dt.datetime | None]] = {}
        self.saved_spans: dict[int, tuple[dt.datetime, float]] = {}
        self.days: set[dt.date] = set()  # the days whose spans were all read
        self.grants: dict[str, StudyGrant] = {}
        self.lapses: dict[uuid.UUID, list[AttentionLapse]] = {}

    # --- reading ----------------------------------------------------------------------------

    def _load(self, events: list[Event]) -> None:
        """Lock the learner's row, then read what the batch needs: one round trip on PostgreSQL
        (``store.run``)."""
        learner = self.learner
        lesson_ids = {event.lesson for event in events}
        reads = [
            *store.learner_lock(learner.pk),
            store.accepted_event_ids([event.id for event in events], *self._duplicates_between(events)),
            lesson_facts(learner.pk, lesson_ids),
        ]
        if not events:
            self.seen, self.lessons = store.run(reads)[-2:]
            self.sessions, self.progress, self.spans, self.day_totals = {}, {}, [], {}
            return
        # Events outside the accepted time window are rejected before they credit anything, so
        # they do not widen what is read (an event dated years back would read years of rows).
        window_start = self.now - dt.timedelta(seconds=self.cfg["OFFLINE_WINDOW_SECONDS"])
        window_end = self.now + dt.timedelta(seconds=self.cfg["CLOCK_AHEAD_SECONDS"])
        moments = [event.at for event in events if window_start <= event.at <= window_end] or [self.now]
        earliest = min(moments) - self.gap
        latest = max(moments)
        # Every calendar day from the earliest segment start to the latest event: the daily cap
        # needs each such day's total (a superset of the days segments start on, at most the
        # offline window's eight; cheaper than converting every event's time zone).
        first, last = timezone.localdate(earliest), timezone.localdate(latest)
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        reads += [
            store.sessions_for(learner.pk, {event.session for event in events}, earliest),
            store.progress_for(learner.pk, lesson_ids),
            store.spans_for(learner.pk, days, earliest, latest),
        ]
        self.seen, self.lessons, sessions, progress, self.spans = store.run(reads)[-5:]
        self.sessions = {session.pk: session for session in sessions}
        self.progress = {row.lesson_id: row for row in progress}
        self.saved_progress = {row.lesson_id: (row.credited_seconds, row.position_at) for row in progress}
        self.days = set(days)
        self.day_totals: dict[dt.date, float] = {}
        for span in self.spans:
            self.day_totals[span.day] = self.day_totals.get(span.day, 0.0) + span.credited_seconds
        # Two more reads, only for the batches that need them (never for a live heartbeat on a
        # course without attention checks): the grants a backlog names, the missed checks.
        self._load_grants({event.grant for event in events if event.grant and self._is_backlog(event.at)})
        if any(info.attention_checks for info in self.lessons.values()):
            lapses = AttentionLapse.objects.filter(
                learner_id=learner.pk, session__in={event.session for event in events}
            )
            for lapse in lapses:
                self.lapses.setdefault(lapse.session, []).append(lapse)

    def _duplicates_between(self, events: list[Event]) -> tuple[dt.datetime, dt.datetime]:
        """When an earlier acceptance of these ids can have been received (PostgreSQL reads only
        those months' partitions): client times are accepted from the offline window before
        receipt to the clock-ahead allowance after, so an event credited now (or resent with its
        old time) was received from then on; none after now, give or take the servers' clocks."""
        ahead = dt.timedelta(seconds=self.cfg["CLOCK_AHEAD_SECONDS"])
        since = self.now - dt.timedelta(seconds=self.cfg["OFFLINE_WINDOW_SECONDS"]) - ahead
        return min([since, *(event.at - ahead for event in events)]), self.now + ahead

    def _load_grants(self, tokens) -> None:
        missing = set(tokens) - set(self.grants)
        if missing:
            self.grants.update({grant.token: grant for grant in StudyGrant.objects.filter(token__in=missing)})

    # --- rule 9: backlogs need a grant ------------------------------------------------------

    def _is_backlog(self, at, received_at=None) -> bool:
        """An event that reached the server more than the live window after its client time."""
        return ((received_at or self.now) - at).total_seconds() > self.cfg["LIVE_WINDOW_SECONDS"]

    def _creditable(self, lesson_id, at, grant: str, received_at=None) -> bool:
        """Whether a segment starting at this event may be credited: a live event always; a
        backlog event only under a grant for this learner and lesson, issued before ``at`` and
        not expired at ``at``."""
        if not self.cfg["BACKLOG_NEEDS_GRANT"] or not self._is_backlog(at, received_at):
            return True
        if not grant:
            return False
        self._load_grants([grant])  # a late event's neighbour may name one not loaded yet
        found = self.grants.get(grant)
        return found is not None and found.covers(learner_id=self.learner.pk, lesson_id=lesson_id, moment=at)

    def _mark(self, event: Event) -> Mark:
        return Mark(
            event.at,
            event.type,
            event.position,
            event.from_position,
            creditable=self._creditable(event.lesson, event.at, event.grant),
        )

    # --- applying ---------------------------------------------------------------------------

    def run(self) -> BatchOutcome:
        events = [item for item in self.parsed if isinstance(item, Event)]
        # Every write of one learner is serialized by the row lock _load takes first (see the
        # module docstring of progress.services).
        self._load(events)
        for item in self.parsed:
            if isinstance(item, Malformed):
                self._reject_malformed(item)
        # Events are applied in client-time order: within a session that is what cuts the
        # segments, and across sessions it is what decides takeovers.
        for event in sorted(events, key=lambda e: (e.at, e.index)):
            self.results[event.index] = self._apply(event)
        # Saved first: a course completion is archived in this transaction and reads the lessons'
        # credited time back from the database.
        self._save()
        self._complete_courses()
        self.outcome.results = self.results
        touched = {**self.progress, **self.new_progress}
        self.outcome.progress = [touched[lesson_id] for lesson_id in self.outcome.channels]
        self.outcome.durations = {
            lesson_id: self.lessons[lesson_id].duration for lesson_id in self.outcome.channels
        }
        return self.outcome

    def _apply(self, event: Event) -> dict:
        if event.id in self.seen:
            return {"id": str(event.id), "status": "duplicate"}
        reason = self._rejection(event)
        if reason:
            self._log(event, ProgressEvent.Status.REJECTED, reason)
            return {"id": str(event.id), "status": "rejected", "reason": reason}
        self.seen.add(event.id)
        lesson = self.lessons[event.lesson]
        if event.type == EventType.PLAY:
            self._take_over(event)
        session = self.sessions.get(event.session)
        credited, segment = 0.0, ""
        if session is None:
            session = PlaybackSession(
                id=event.session,
                learner_id=self.learner.pk,
                lesson_id=event.lesson,
                channel=event.channel,
                started_at=event.at,
                last_event_at=event.at,
                last_event_type=event.type,
                last_position=event.position,
                last_event_creditable=self._mark(event).creditable,
            )
            self.sessions[session.pk] = session
            self.new_sessions[session.pk] = session
        elif event.at >= session.last_event_at:
            mark = self._mark(event)
            if session.last_event_type in PLAYING_TYPES:
                previous = Mark(
                    session.last_event_at,
                    session.last_event_type,
                    session.last_position,
                    creditable=session.last_event_creditable,
                )
                credited, segment = self._credit(session.pk, lesson, previous, mark)
            session.last_event_at = event.at
            session.last_event_type = event.type
            session.last_position = event.position
            session.last_event_creditable = mark.creditable
            self._touch_session(session)
        else:
            credited, segment = self._credit_late(session, lesson, event)
        progress = self._progress_for(lesson)
        if progress.position_at is None or event.at >= progress.position_at:
            progress.position = event.position
            progress.position_at = event.at
            progress.last_channel = event.channel
        self._touch_progress(progress)
        self.outcome.channels[lesson.id] = event.channel
        self._log(event, ProgressEvent.Status.ACCEPTED, "", credited, segment)
        return {"id": str(event.id), "status": "accepted"}

    def _rejection(self, event: Event) -> str:
        cfg = self.cfg
        if (event.at - self.now).total_seconds() > cfg["CLOCK_AHEAD_SECONDS"]:
            return RejectReason.CLOCK_AHEAD
        if (self.now - event.at).total_seconds() > cfg["OFFLINE_WINDOW_SECONDS"]:
            return RejectReason.TOO_OLD
        lesson = self.lessons.get(event.lesson)
        if lesson is None:
            return RejectReason.UNKNOWN_LESSON
        if not lesson.enrolled:
            return RejectReason.NOT_ENROLLED
        highest = lesson.duration + cfg["POSITION_TOLERANCE_SECONDS"]
        positions = [event.position] + ([event.from_position] if event.from_position is not None else [])
        if any(position < 0 or position > highest for position in positions):
            return RejectReason.INVALID_POSITION
        session = self.sessions.get(event.session)
        if session is not None:
            if session.learner_id != self.learner.pk or session.lesson_id != event.lesson:
                return RejectReason.INVALID_EVENT  # a session id belongs to one learner and lesson
            if session.superseded_at is not None and event.at > session.superseded_at:
                return RejectReason.SUPERSEDED
        return ""

    def _take_over(self, event: Event) -> None:
        """A ``play`` at T supersedes every other session of the learner playing at T."""
        for other in self.sessions.values():
            if (
                other.pk == event.session
                or other.learner_id != self.learner.pk
                or other.superseded_at is not None
                or other.started_at > event.at
            ):
                continue
            if self._playing_at(other, event.at):
                other.superseded_at = event.at
                other.superseded_by_channel = event.channel
                self._touch_session(other)
                self.outcome.takeovers.append((other.pk, event.channel))

    def _neighbour(
        self, session_id: uuid.UUID, moment, *, before: bool, inclusive: bool = False
    ) -> Mark | None:
        """The session's accepted event just before (or just after) ``moment``, saved or in this
        batch. Needed only when a session's events arrive out of time order."""
        if before:
            bound = {"client_at__lte" if inclusive else "client_at__lt": moment}
            order = "-client_at"
        else:
            bound = {"client_at__gt": moment}
            order = "client_at"
        saved = (
            ProgressEvent.objects.filter(
                session=session_id, status=ProgressEvent.Status.ACCEPTED, type__in=EventType.values, **bound
            )
            .order_by(order)
            .only(*MARK_FIELDS)
            .first()
        )
        candidates = [self._row_mark(saved)] if saved else []
        for row in self.log:
            if row.session != session_id or row.status != ProgressEvent.Status.ACCEPTED:
                continue
            if (before and (row.client_at < moment or (inclusive and row.client_at == moment))) or (
                not before and row.client_at > moment
            ):
                candidates.append(self._row_mark(row))
        if not candidates:
            return None
        return max(candidates, key=lambda m: m.at) if before else min(candidates, key=lambda m: m.at)

    def _row_mark(self, row: ProgressEvent) -> Mark:
        """An accepted event of the evidence log as a segment boundary, judged for rule 9 by
        when it arrived."""
        return Mark(
            row.client_at,
            row.type,
            row.position,
            row.from_position,
            row.segment,
            creditable=self._creditable(row.lesson_ref, row.client_at, row.grant, row.received_at),
        )

    def _playing_at(self, session: PlaybackSession, moment) -> bool:
        """Whether the session's latest event at or before ``moment`` is a playing one less
        than the gap limit before it."""
        if session.last_event_at <= moment:
            latest = Mark(session.last_event_at, session.last_event_type, session.last_position)
        else:
            # The session already has events after ``moment`` (its backlog arrived first).
            latest = self._neighbour(session.pk, moment, before=True, inclusive=True)
            if latest is None:
                return False
        return latest.type in PLAYING_TYPES and moment - latest.at < self.gap

    def _credit_late(self, session: PlaybackSession, lesson: LessonInfo, event: Event) -> tuple[float, str]:
        """An event older than its session's latest one (a resend that arrived late): it splits
        the segment between its neighbours. If that segment was already judged real study, the
        split changes nothing; otherwise the two new segments are judged on their own."""
        if event.at < session.started_at:
            session.started_at = event.at
            self._touch_session(session)
        before = self._neighbour(session.pk, event.at, before=True)
        after = self._neighbour(session.pk, event.at, before=False)
        if before is not None and after is not None and after.segment in VALID_SEGMENTS:
            return 0.0, ""
        mark = self._mark(event)
        credited, segment = 0.0, ""
        if before is not None and before.type in PLAYING_TYPES:
            credited, segment = self._credit(session.pk, lesson, before, mark)
        if after is not None and mark.type in PLAYING_TYPES:
            credited += self._credit(session.pk, lesson, mark, after)[0]
        return credited, segment

    def _credit(self, session_id: uuid.UUID, lesson: LessonInfo, start: Mark, end: Mark) -> tuple[float, str]:
        """Judge the segment from ``start`` to ``end`` of one session; return the new credit it
        added and its outcome (see ``SegmentOutcome``)."""
        cfg = self.cfg
        if lesson.duration <= 0:
            return 0.0, ""  # nothing to credit: a lesson without a declared duration
        wall = (end.at - start.at).total_seconds()
        media = end.end_position - start.position
        if media <= 0 or wall <= 0:
            return 0.0, ""  # nothing watched forward: paused, rewound, or the same instant
        if wall > cfg["MAX_GAP_SECONDS"]:
            return 0.0, SegmentOutcome.GAP  # the client stopped reporting: no credit for the silence
        if media > wall * cfg["ALLOWED_RATE"] * (1 + cfg["RATE_TOLERANCE"]):
            return 0.0, SegmentOutcome.SKIP  # faster than allowed
        if not start.creditable:
            return 0.0, SegmentOutcome.UNGRANTED  # a backlog segment without a valid grant (rule 9)
        if lesson.attention_checks and any(
            lapse.covers(start.at, end.at) for lapse in self.lapses.get(session_id, ())
        ):
            return 0.0, SegmentOutcome.UNATTENDED  # after a missed attention check, unconfirmed
        for span in self.spans:
            if span.session != session_id and span.started_at < end.at and span.ended_at > start.at:
                return 0.0, SegmentOutcome.OVERLAP  # already credited for this wall-clock time elsewhere
        day = timezone.localdate(start.at)
        remaining = max(0.0, cfg["DAILY_CAP_SECONDS"] - self.day_totals.get(day, 0.0))
        progress = self._progress_for(lesson)
        low = min(max(start.position, 0.0), float(lesson.duration))
        high = min(max(end.end_position, 0.0), float(lesson.duration))
        merged, gained = iv.add([tuple(pair) for pair in progress.intervals], low, high, limit=remaining)
        if gained > 0:
            progress.intervals = [list(pair) for pair in merged]
            progress.credited_seconds = min(iv.total(merged), float(lesson.duration))
            self.day_totals[day] = self.day_totals.get(day, 0.0) + gained
            self.course_gains.setdefault(lesson.course_id, []).append((end.at, gained))
            if progress.completed_at is None:
                if progress.credited_seconds >= lesson.minimum - 1e-6 and (
                    not lesson.own_rule or progress.content_completed_at is not None
                ):
                    progress.completed_at = self._lesson_moment(lesson, progress, end.at)
                    self.course_candidates.add(lesson.course_id)
            elif not lesson.course_completed:
                # More time on a completed lesson may be what the course's hours still need.
                self.course_candidates.add(lesson.course_id)
            if not lesson.required and not lesson.course_completed:
                self.course_candidates.add(lesson.course_id)
        self._record_span(session_id, lesson, day, start.at, end.at, gained)
        if gained > 0:
            return gained, SegmentOutcome.CREDITED
        return 0.0, SegmentOutcome.CAPPED if remaining <= 0 else SegmentOutcome.REPEAT

    def _record_span(self, session_id, lesson, day, started, ended, gained) -> None:
        """Record credited wall-clock time, extending the session's span it continues (same day)."""
        for span in self.spans:
            if (
                span.session == session_id
                and span.day == day
                and started <= span.ended_at
                and ended >= span.started_at
            ):
                if span.pk and span.pk not in self.saved_spans:
                    self.saved_spans[span.pk] = (span.ended_at, span.credited_seconds)
                span.started_at = min(span.started_at, started)
                span.ended_at = max(span.ended_at, ended)
                span.credited_seconds += gained
                if span.pk:
                    self.dirty_spans[span.pk] = span
                return
        span = CreditedSpan(
            learner_id=self.learner.pk,
            session=session_id,
            lesson_id=lesson.id,
            day=day,
            started_at=started,
            ended_at=ended,
            credited_seconds=gained,
        )
        self.spans.append(span)
        self.new_spans.append(span)

    def _progress_for(self, lesson: LessonInfo) -> LessonProgress:
        progress = self.progress.get(lesson.id) or self.new_progress.get(lesson.id)
        if progress is None:
            progress = LessonProgress(learner_id=self.learner.pk, lesson_id=lesson.id, intervals=[])
            self.new_progress[lesson.id] = progress
        return progress

    def _touch_progress(self, progress: LessonProgress) -> None:
        if progress.pk:
            self.dirty_progress[progress.lesson_id] = progress

    def _touch_session(self, session: PlaybackSession) -> None:
        if session.pk not in self.new_sessions:
            self.dirty_sessions[session.pk] = session

    def _reject_malformed(self, item: Malformed) -> None:
        raw = item.raw
        self.log.append(
            ProgressEvent(
                event_id=item.id,
                learner_id=self.learner.pk,
                lesson_ref=raw.get("lesson")
                if isinstance(raw.get("lesson"), int) and abs(raw["lesson"]) < 2**62
                else None,
                channel=str(raw.get("channel", ""))[:10],
                type=str(raw.get("type", ""))[:10],
                received_at=self.now,
                status=ProgressEvent.Status.REJECTED,
                reason=RejectReason.INVALID_EVENT,
                ip=self.origin.ip,
                user_agent=self.origin.user_agent[:300],
            )
        )
        self.results[item.index] = {
            "id": str(item.id) if item.id else raw.get("id") if isinstance(raw.get("id"), str) else None,
            "status": "rejected",
            "reason": RejectReason.INVALID_EVENT,
        }

    def _log(self, event: Event, status: str, reason: str, credited: float = 0.0, segment: str = "") -> None:
        self.log.append(
            ProgressEvent(
                event_id=event.id,
                learner_id=self.learner.pk,
                lesson_ref=event.lesson,
                session=event.session,
                channel=event.channel,
                type=event.type,
                position=event.position,
                from_position=event.from_position,
                rate=event.rate,
                client_at=event.at,
                received_at=self.now,
                status=status,
                reason=reason,
                credited_seconds=credited,
                segment=segment,
                grant=event.grant,
                ip=self.origin.ip,
                user_agent=self.origin.user_agent[:300],
            )
        )

    # --- writing ----------------------------------------------------------------------------

    def _save(self) -> None:
        if self.dirty_progress:
            now = timezone.now()
            for progress in self.dirty_progress.values():
                progress.updated_at = now
        statements = [
            *store.inserts(self.new_sessions.values()),
            *store.inserts(self.new_progress.values()),
            *store.inserts(self.new_spans),
            *store.updates(self.dirty_sessions.values(), SESSION_FIELDS),
            *store.updates(self.dirty_progress.values(), PROGRESS_FIELDS),
            *store.updates(self.dirty_spans.values(), SPAN_FIELDS),
        ]
        # Study time is written on every heartbeat: waiting for the disk on each commit kept the
        # workers idle (docs/benchmarks.md). A completion goes into the archive in this
        # transaction, and that record waits for the disk.
        if (statements or self.log) and self.cfg["ASYNC_COMMIT"] and not self.course_candidates:
            statements += store.commit_without_flush()
        store.write(statements, self.log)


# What a saved event needs to be a segment boundary (``Batch._row_mark``).
MARK_FIELDS = (
    "client_at",
    "received_at",
    "type",
    "position",
    "from_position",
    "segment",
    "grant",
    "lesson_ref",
)

SESSION_FIELDS = (
    "started_at",
    "last_event_at",
    "last_event_type",
    "last_position",
    "last_event_creditable",
    "superseded_at",
    "superseded_by_channel",
)
PROGRESS_FIELDS = (
    "position",
    "position_at",
    "intervals",
    "credited_seconds",
    "completed_at",
    "content_completed_at",
    "last_channel",
    "updated_at",
)
SPAN_FIELDS = ("started_at", "ended_at", "credited_seconds")
