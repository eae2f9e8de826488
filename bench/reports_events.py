"""The evidence log of the reports and fraud-scan benchmark (``bench/reports_scale.py``).

A year of study, day by day in time order as the engine would have written it: playback
sessions (``PlaybackSession``), their events (``ProgressEvent``), one credited span per session
(``CreditedSpan``) and the lapses of missed attention checks (``AttentionLapse``). A learner's
sessions of a day never overlap (the engine credits one study at a time), except where the
busy day's planted patterns say otherwise (``bench.reports_data.PLANTED``):

- ``parallel``: two sessions on two lessons five minutes apart, both credited (overlapping spans);
- ``shared_ips`` × ``per_ip``: that many learners starting within five minutes from one IP
  address with one user agent; plus one classroom of 8 learners behind one address (the honest
  case the detector also reports, with a low weight);
- ``too_fast``: a session of twelve heartbeats judged ``skip``;
- ``missed``: three sessions, each with a missed attention check (event and lapse);
- ``cap``: the daily cap reached on the busy day and two days of the week before: an 8-hour
  span (its heartbeats not written: the log is a sample) and ten ``capped`` heartbeats after it.
"""

import datetime as dt
import random

from django.db import transaction

from bench.reports_data import (
    AGENTS,
    BATCH,
    BEAT,
    CHANNEL_WEIGHTS,
    CHANNELS,
    DURATION,
    HOUR_WEIGHTS,
    HOURS,
    Table,
    World,
    china_epoch,
    moment,
    next_id,
)
from progress.models import ATTENTION_TYPE, AttentionLapse, CreditedSpan, PlaybackSession, ProgressEvent

EVENT_FIELDS = [
    "id", "event_id", "learner_id", "lesson_ref", "session", "channel", "type", "position", "from_position",
    "rate", "client_at", "received_at", "status", "reason", "credited_seconds", "segment", "grant", "ip",
    "user_agent",
]  # fmt: skip
SESSION_FIELDS = [
    "id", "learner_id", "lesson_id", "channel", "started_at", "last_event_at", "last_event_type", "last_position",
    "last_event_creditable", "superseded_at", "superseded_by_channel",
]  # fmt: skip


class Log:
    """Builds one day's sessions, events, spans and lapses, then writes them."""

    def __init__(self, world: World, rng: random.Random):
        self.world, self.rng = world, rng
        self.events = Table(ProgressEvent, EVENT_FIELDS)
        self.sessions = Table(PlaybackSession, SESSION_FIELDS)
        self.spans = Table(
            CreditedSpan,
            ["id", "learner_id", "session", "lesson_id", "day", "started_at", "ended_at", "credited_seconds"],
        )
        self.lapses = Table(
            AttentionLapse, ["id", "learner_id", "session", "lesson_id", "missed_at", "confirmed_at"]
        )
        self.ids = {
            "event": next_id(ProgressEvent),
            "span": next_id(CreditedSpan),
            "lapse": next_id(AttentionLapse),
        }
        self.day_rows = {"events": [], "sessions": [], "spans": [], "lapses": []}
        self.taken: dict[int, list[tuple[float, float]]] = {}

    # ---- the parts of a session

    def _uuid(self) -> str:
        """A random version-4 UUID as 32 hex digits (what both databases take), built cheaply."""
        bits = self.rng.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48)
        return f"{bits | 0x4000 << 64 | 0x8000 << 48:032x}"

    def _id(self, kind: str) -> int:
        self.ids[kind] += 1
        return self.ids[kind] - 1

    def place(self, i: int, start: float, length: float) -> float:
        """A start for learner ``i``'s session on this day that overlaps none of theirs."""
        taken = self.taken.setdefault(i, [])
        if any(start < end and begin < start + length for begin, end in taken):
            start = max(end for _, end in taken) + 120
        taken.append((start, start + length))
        return start

    def session(
        self,
        i: int,
        start: float,
        beats: int,
        *,
        lesson: int | None = None,
        channel: str | None = None,
        ip: str | None = None,
        agent: str | None = None,
        mode: str = "honest",
        noise: bool = True,
    ) -> None:
        """One playback of learner ``i`` from ``start`` (epoch seconds): a play, ``beats``
        heartbeats and perhaps a pause; ``mode`` ``skip``, ``missed`` or ``capped`` plants a pattern."""
        rng, world = self.rng, self.world
        learner_id = world.learners[i]
        lesson = lesson or rng.choice(world.lessons[world.course_of[i]])
        channel = channel or rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        ip, agent = ip or world.ip[i], agent or AGENTS[channel]
        session = self._uuid()
        position = rng.uniform(0, max(0, DURATION - BEAT * (beats + 1)))
        rows, t, credited, last_credit = [], start, 0.0, start

        def event(kind, *, segment="", seconds=0.0, status="accepted", reason="", at=None):
            moment_at = at if at is not None else t
            rows.append(
                (
                    self._id("event"), self._uuid(), learner_id, lesson, session, channel, kind, position, None,
                    1.0, moment(moment_at), moment(moment_at + rng.uniform(0.2, 1.5)), status, reason, seconds,
                    segment, "", ip, agent,
                )
            )  # fmt: skip

        event("play")
        missed_at = None
        if mode == "missed":
            check = min(3, beats)
        else:
            check = rng.randrange(1, beats + 1) if beats and noise and rng.random() < 0.01 else None
        passed = rng.randrange(1, beats + 1) if beats and noise and rng.random() < 0.25 else None
        for beat in range(1, beats + 1):
            t += BEAT + rng.uniform(-1, 1)
            if mode == "skip" and beat > 2:
                position += 4 * BEAT
                event("heartbeat", segment="skip")
                continue
            position += BEAT
            if mode == "capped":
                event("heartbeat", segment="capped")
                continue
            if beat == check:
                missed_at = t - rng.uniform(1, 20)
                event(ATTENTION_TYPE, reason="missed", at=missed_at)
            if missed_at is not None:
                event("heartbeat", segment="unattended")
                continue
            roll = rng.random() if noise else 1.0
            if roll < 0.03:
                event("heartbeat", segment="repeat")
            elif roll < 0.034:
                event("heartbeat", segment="gap")
            elif roll < 0.036:
                event("heartbeat", segment="skip")
            elif roll < 0.0365:
                event("heartbeat", segment="capped")
            else:
                event("heartbeat", segment="credited", seconds=float(BEAT))
                credited += BEAT
                last_credit = t
            if beat == passed:
                event(ATTENTION_TYPE, reason="passed", at=t + 2)
        confirmed = None
        if missed_at is not None and (mode != "missed" or rng.random() < 0.6):
            confirmed = t + rng.uniform(5, 25)
            event(ATTENTION_TYPE, reason="passed", at=confirmed)
        if missed_at is not None:
            self.day_rows["lapses"].append(
                (
                    self._id("lapse"),
                    learner_id,
                    session,
                    lesson,
                    moment(missed_at),
                    confirmed and moment(confirmed),
                )
            )
        last_type = "heartbeat"
        if noise and mode == "honest" and missed_at is None and rng.random() < 0.5:
            step = rng.uniform(1, BEAT - 1)
            t, position = t + step, position + step
            event("pause", segment="credited", seconds=round(step, 3))
            credited, last_credit, last_type = credited + step, t, "pause"
        if noise and rng.random() < 0.03:
            reason = rng.choice(["superseded", "clock ahead", "too old", "not enrolled"])
            event("heartbeat", status="rejected", reason=reason, at=t + BEAT)
        self.day_rows["events"].extend(rows)
        self.day_rows["sessions"].append(
            (
                session,
                learner_id,
                lesson,
                channel,
                moment(start),
                moment(t),
                last_type,
                position,
                True,
                None,
                "",
            )
        )
        if credited:
            self.credit(i, session, lesson, start, last_credit, credited)

    def credit(self, i: int, session, lesson: int, start: float, end: float, seconds: float) -> None:
        day = moment(start + 8 * 3600).date()  # China's date (UTC+8, no summer time)
        self.day_rows["spans"].append(
            (
                self._id("span"),
                self.world.learners[i],
                session,
                lesson,
                day,
                moment(start),
                moment(end),
                seconds,
            )
        )

    # ---- days

    def honest(self, day: dt.date, quota: int, learners: int) -> None:
        """Sessions of random learners on ``day`` until the day holds ``quota`` events."""
        rng = self.rng
        while len(self.day_rows["events"]) < quota:
            i = rng.randrange(learners)
            beats = rng.randint(2, 12)
            start = china_epoch(day, rng.choices(HOURS, HOUR_WEIGHTS)[0] * 3600 + rng.uniform(0, 3600))
            self.session(i, self.place(i, start, (beats + 2) * BEAT), beats)

    def planted(self, day: dt.date, busy_day: dt.date, chosen: dict[str, list]) -> None:
        """The busy day's patterns (and the cap's earlier days)."""
        rng, world = self.rng, self.world
        cap_days = {busy_day, busy_day - dt.timedelta(days=2), busy_day - dt.timedelta(days=5)}
        if day in cap_days:
            for i in chosen["cap"]:
                start = china_epoch(day, 8 * 3600 + rng.uniform(0, 600))
                self.place(i, start, 8 * 3600 + 1200)
                lesson = world.lessons[world.course_of[i]][0]
                session = self._uuid()
                self.day_rows["sessions"].append(
                    (session, world.learners[i], lesson, "pc", moment(start), moment(start + 8 * 3600), "pause", 1800.0, True, None, "")
                )  # fmt: skip
                self.credit(i, session, lesson, start, start + 8 * 3600, 8 * 3600.0)
                self.session(
                    i, start + 8 * 3600 + 300, 10, lesson=lesson, channel="pc", mode="capped", noise=False
                )
        if day != busy_day:
            return
        for i in chosen["parallel"]:
            start = china_epoch(day, rng.choice([10, 15, 20]) * 3600 + rng.uniform(0, 1800))
            self.place(i, start, 2 * 20 * BEAT)
            first, second = rng.sample(world.lessons[world.course_of[i]], 2)
            self.session(i, start, 20, lesson=first, channel="pc", noise=False)
            self.session(i, start + 300, 20, lesson=second, channel="app", noise=False)
        for k, group in enumerate(chosen["shared"]):
            start = china_epoch(day, (9 + 4 * k) * 3600)
            for i in group:
                at = self.place(i, start + rng.uniform(0, 300), 10 * BEAT)
                self.session(i, at, 8, ip=f"223.{k + 1}.8.8", agent=AGENTS["app"], channel="app", noise=False)
        for k, group in enumerate(chosen["classroom"]):
            start = china_epoch(day, 14 * 3600 + 60)
            for i in group:
                at = self.place(i, start + rng.uniform(0, 120), 10 * BEAT)
                self.session(i, at, 8, ip=f"60.{k + 1}.1.1", channel="pc")
        for i in chosen["too_fast"]:
            start = china_epoch(day, 21 * 3600 + rng.uniform(0, 1800))
            self.session(i, self.place(i, start, 16 * BEAT), 14, mode="skip", noise=False)
        for i in chosen["missed"]:
            start = china_epoch(day, 13 * 3600 + rng.uniform(0, 1800))
            for n in range(3):
                at = self.place(i, start + n * 600, 8 * BEAT)
                self.session(i, at, 6, mode="missed", noise=False)

    def flush(self) -> None:
        rows = self.day_rows
        rows["events"].sort(key=lambda row: row[11])  # received_at: the log's physical order
        with transaction.atomic():
            self.sessions.write(rows["sessions"])
            for start in range(0, len(rows["events"]), BATCH):
                self.events.write(rows["events"][start : start + BATCH])
            self.spans.write(rows["spans"])
            self.lapses.write(rows["lapses"])
        self.day_rows = {key: [] for key in rows}
        self.taken = {}


def choose(world: World, planted: dict, scale: float, rng: random.Random) -> dict[str, list]:
    """Distinct learners for each planted pattern, scaled to the number of learners (at least
    what each detector needs to fire); none when there are too few learners."""
    n = len(world.learners)
    count = {key: max(1, round(value * scale)) for key, value in planted.items()}
    count["per_ip"] = max(5, count["per_ip"])
    sizes = [count["parallel"], count["too_fast"], count["missed"], count["cap"]]
    classroom = [
        i for i, klass in world.class_of.items() if klass == next(iter(world.class_of.values()), None)
    ][:8]
    needed = sum(sizes) + count["shared_ips"] * count["per_ip"] + 2 * count["bare"] + len(classroom)
    if needed > n // 2:
        return {"parallel": [], "too_fast": [], "missed": [], "cap": [], "shared": [], "classroom": []}
    pool = [i for i in rng.sample(range(n), needed) if i not in set(classroom)]
    picked = {}
    for key in ("parallel", "too_fast", "missed", "cap"):
        picked[key], pool = pool[: count[key]], pool[count[key] :]
    picked["shared"] = [
        pool[k * count["per_ip"] : (k + 1) * count["per_ip"]] for k in range(count["shared_ips"])
    ]
    picked["classroom"] = [classroom] if len(classroom) >= 4 else []
    return picked


def year_log(
    world: World, year: int, busy_day: dt.date, events: int, busy_events: int, chosen: dict, rng, report=print
) -> dict:
    """The year's evidence log: ``busy_events`` on the busy day (planted patterns included),
    the rest over the other days (weekdays busier than weekends)."""
    log = Log(world, rng)
    days = [
        dt.date(year, 1, 1) + dt.timedelta(days=k)
        for k in range((dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days)
    ]
    weights = {day: (0.75 if day.weekday() >= 5 else 1.15) for day in days if day != busy_day}
    ordinary = max(0, events - busy_events)
    total_weight = sum(weights.values())
    written = 0
    # Learners who show up on an ordinary day: anyone; the planted ones only as planted.
    for day in days:
        quota = busy_events if day == busy_day else round(ordinary * weights[day] / total_weight)
        log.planted(day, busy_day, chosen)
        log.honest(day, quota, len(world.learners))
        written += len(log.day_rows["events"])
        busy_count = len(log.day_rows["events"]) if day == busy_day else None
        log.flush()
        if busy_count is not None:
            report(f"  busy day {day}: {busy_count:,} events")
        if day.day == 1 and day.month % 3 == 1:
            report(f"  {day:%Y-%m}: {written:,} events so far")
    return {
        "events": log.events.rows,
        "sessions": log.sessions.rows,
        "spans": log.spans.rows,
        "lapses": log.lapses.rows,
    }
