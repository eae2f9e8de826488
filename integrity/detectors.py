"""The fraud detectors (检测): each reads one day (China's time) of the evidence log and the
archive and names the learners whose rows look like cheating, with the rows behind it.

A finding is a signal for a reviewer, never a verdict: every pattern here has honest
explanations (docs/integrity.md, "Signals"), so it only opens or feeds a ``ReviewCase``.

Each detector finds its learners with aggregations in the database over that day's rows (a
grouped count, or a correlated ``EXISTS``), then reads the evidence of the learners it flagged
only, in a fixed number of queries whatever their number. Thresholds and weights are settings
read with defaults (``INTEGRITY_*``), so a deployment may tune them without a code change.

Events are counted by the day they were *received* (server time, which a client cannot set):
a backlog sent days later is scanned on the day it arrives, never missed by an earlier scan.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, F, FloatField, IntegerField, Max, Min, OuterRef, Q, Value, Window
from django.db.models.functions import Cast, ExtractMinute, RowNumber, TruncDate, TruncHour
from django.utils import translation

from archive.models import ArchiveEntry, Certificate
from courses.models import Lesson
from integrity.models import SignalKind, signal_summary
from progress.models import (
    ATTENTION_TYPE,
    AttentionLapse,
    AttentionOutcome,
    CreditedSpan,
    ProgressEvent,
    SegmentOutcome,
)

CHINA = ZoneInfo("Asia/Shanghai")

# At most this many ids of one kind in a signal's evidence; the total is stated beside them.
EVIDENCE_LIMIT = 50
# A weight grows with how much evidence there is, up to this many times the kind's base weight.
MAX_WEIGHT_FACTOR = 3

DEFAULT_WEIGHTS = {
    SignalKind.PARALLEL_LESSONS: 40,
    SignalKind.DAILY_CAP: 20,
    # Low: a classroom behind one NAT address is legitimate (docs/integrity.md).
    SignalKind.SHARED_ADDRESS: 15,
    SignalKind.TOO_FAST: 25,
    SignalKind.MISSED_CHECKS: 20,
    SignalKind.BARE_MINIMUM: 30,
}


@dataclass(frozen=True)
class Finding:
    """What a detector found about one learner on one day: a ``FraudSignal`` to be."""

    kind: str
    learner_id: int
    weight: int
    evidence: dict
    summary: str
    # The figures the summary is made of, kept with the evidence so that a page shows the
    # summary in its reader's language (integrity.models.SUMMARY_TEXTS).
    summary_args: dict = field(default_factory=dict)


def setting(name: str, default):
    return getattr(settings, name, default)


def weight_of(kind: str, count: int = 1, per: int = 1) -> int:
    """The kind's base weight (``INTEGRITY_SIGNAL_WEIGHTS`` over the defaults) times one for
    every ``per`` of ``count``, at least once and at most ``MAX_WEIGHT_FACTOR`` times."""
    base = {**DEFAULT_WEIGHTS, **setting("INTEGRITY_SIGNAL_WEIGHTS", {})}[kind]
    return int(base) * max(1, min(MAX_WEIGHT_FACTOR, count // max(per, 1)))


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of the day and of the next one, in China's time."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=CHINA)
    return start, start + dt.timedelta(days=1)


def china_clock(moment: dt.datetime) -> str:
    return moment.astimezone(CHINA).strftime("%H:%M")


def summarised(kind: str, **args) -> dict:
    """A finding's summary (in Chinese, as stored) and the figures it is made of."""
    with translation.override("zh-hans"):
        return {"summary": signal_summary(kind, args)[:300], "summary_args": args}


def limited(ids: Iterable[int]) -> list[int]:
    return sorted(ids)[:EVIDENCE_LIMIT]


def samples(queryset, learner_ids, order_by) -> dict[int, list[int]]:
    """Up to ``EVIDENCE_LIMIT`` row ids per learner of ``queryset`` (in ``order_by`` order), for
    the learners given, in one query (a row number per learner, filtered in the database)."""
    if not learner_ids:
        return {}
    rows = (
        queryset.filter(learner_id__in=learner_ids)
        .annotate(rank=Window(RowNumber(), partition_by=[F("learner_id")], order_by=order_by))
        .filter(rank__lte=EVIDENCE_LIMIT)
        .values_list("learner_id", "pk")
    )
    found = defaultdict(list)
    for learner_id, pk in rows:
        found[learner_id].append(pk)
    return {learner_id: sorted(ids) for learner_id, ids in found.items()}


def received_on(day: dt.date):
    """The events received on the day (China's time), accepted ones only."""
    start, end = day_bounds(day)
    return ProgressEvent.objects.filter(
        received_at__gte=start, received_at__lt=end, status=ProgressEvent.Status.ACCEPTED
    )


# ---------------------------------------------------------------- 1. parallel lessons


def parallel_lessons(day: dt.date) -> Iterable[Finding]:
    """Credited time of two playback sessions (two lessons, or two devices) at the same moment.

    The engine credits one study at a time (progress rule 4), so credited spans should never
    overlap; when they do, a client got around the rule. A span of the day is flagged when a
    span of another session of the same learner overlaps it (``EXISTS`` on the learner's
    ``(learner, ended_at)`` index); the pairs and their overlap are then worked out from the
    flagged learners' spans only. ``INTEGRITY_PARALLEL_MIN_SECONDS`` (60) of overlap in all
    tolerates clock jitter at a hand-over."""
    minimum = setting("INTEGRITY_PARALLEL_MIN_SECONDS", 60)
    other = CreditedSpan.objects.filter(
        learner_id=OuterRef("learner_id"),
        ended_at__gt=OuterRef("started_at"),
        started_at__lt=OuterRef("ended_at"),
    ).exclude(session=OuterRef("session"))
    fields = ("pk", "learner_id", "session", "lesson_id", "started_at", "ended_at")
    flagged = list(CreditedSpan.objects.filter(day=day).filter(Exists(other)).values(*fields))
    if not flagged:
        return
    pool = CreditedSpan.objects.filter(
        learner_id__in={span["learner_id"] for span in flagged},
        ended_at__gt=min(span["started_at"] for span in flagged),
        started_at__lt=max(span["ended_at"] for span in flagged),
    ).values(*fields)
    spans_of = defaultdict(list)
    for span in pool:
        spans_of[span["learner_id"]].append(span)
    pairs_of = defaultdict(dict)
    for span in flagged:
        for other_span in spans_of[span["learner_id"]]:
            if other_span["session"] == span["session"]:
                continue
            begins = max(span["started_at"], other_span["started_at"])
            ends = min(span["ended_at"], other_span["ended_at"])
            if ends <= begins:
                continue
            first, second = sorted([span, other_span], key=lambda s: s["pk"])
            pairs_of[span["learner_id"]][(first["pk"], second["pk"])] = {
                "spans": [first["pk"], second["pk"]],
                "lessons": [first["lesson_id"], second["lesson_id"]],
                "seconds": round((ends - begins).total_seconds()),
                "from": begins,
                "to": ends,
            }
    for learner_id, found in sorted(pairs_of.items()):
        pairs = sorted(found.values(), key=lambda pair: pair["from"])
        overlap = sum(pair["seconds"] for pair in pairs)
        if overlap < minimum:
            continue
        lessons = {lesson for pair in pairs for lesson in pair["lessons"]}
        begins, ends = pairs[0]["from"], max(pair["to"] for pair in pairs)
        yield Finding(
            kind=SignalKind.PARALLEL_LESSONS,
            learner_id=learner_id,
            weight=weight_of(SignalKind.PARALLEL_LESSONS, len(pairs)),
            evidence={
                "spans": limited({pk for pair in pairs for pk in pair["spans"]}),
                "pairs": [
                    {key: pair[key] for key in ("spans", "lessons", "seconds")}
                    for pair in pairs[:EVIDENCE_LIMIT]
                ],
                "pairs_total": len(pairs),
                "overlap_seconds": overlap,
            },
            **summarised(
                SignalKind.PARALLEL_LESSONS,
                begins=china_clock(begins),
                ends=china_clock(ends),
                lessons=len(lessons),
                minutes=overlap // 60,
                seconds=overlap % 60,
                pairs=len(pairs),
            ),
        )


# ---------------------------------------------------------------- 2. the daily cap, again and again


def daily_cap(day: dt.date) -> Iterable[Finding]:
    """The daily cap reached on the day and on at least ``INTEGRITY_DAILY_CAP_DAYS`` (3) days
    (the day included) of the 30 ending on it: events whose segment was judged ``capped``.

    Only a day on which the cap was reached raises a signal, so one run of capped days is one
    signal per capped day, not one per day of the following month."""
    needed = setting("INTEGRITY_DAILY_CAP_DAYS", 3)
    start, end = day_bounds(day)
    capped = ProgressEvent.objects.filter(
        received_at__gte=start - dt.timedelta(days=29),
        received_at__lt=end,
        status=ProgressEvent.Status.ACCEPTED,
        segment=SegmentOutcome.CAPPED,
    )
    china_day = TruncDate("received_at", tzinfo=CHINA)
    totals = {
        row["learner_id"]: row
        for row in capped.values("learner_id")
        .annotate(
            days=Count(china_day, distinct=True),
            today=Count("pk", filter=Q(received_at__gte=start)),
            events=Count("pk"),
        )
        .filter(days__gte=needed, today__gt=0)
    }
    if not totals:
        return
    days_of = defaultdict(list)
    for learner_id, capped_day in (
        capped.filter(learner_id__in=totals)
        .annotate(capped_day=china_day)
        .values_list("learner_id", "capped_day")
        .distinct()
    ):
        days_of[learner_id].append(capped_day)
    events = samples(capped, totals, [F("received_at").desc(), F("pk").desc()])
    for learner_id, row in sorted(totals.items()):
        days = sorted(days_of[learner_id])
        yield Finding(
            kind=SignalKind.DAILY_CAP,
            learner_id=learner_id,
            weight=weight_of(SignalKind.DAILY_CAP, row["days"], needed),
            evidence={
                "days": [capped_day.isoformat() for capped_day in days],
                "events": events.get(learner_id, []),
                "events_total": row["events"],
            },
            **summarised(SignalKind.DAILY_CAP, days=row["days"], events=row["events"]),
        )


# ---------------------------------------------------------------- 3. one address, many learners


def shared_address(day: dt.date) -> Iterable[Finding]:
    """At least ``INTEGRITY_SHARED_ADDRESS_LEARNERS`` (4) learners sending accepted events from
    one IP address within the same ten minutes (China's clock): one person studying for
    several, or an institution's classroom behind one NAT address — which is legitimate, hence
    the low weight and the words in the summary. Addresses in
    ``INTEGRITY_SHARED_ADDRESS_IGNORE`` (known classroom exits) are left out. The evidence names
    the other learners by id and counts the distinct user agents (one: possibly one device)."""
    needed = setting("INTEGRITY_SHARED_ADDRESS_LEARNERS", 4)
    events = (
        received_on(day)
        .filter(ip__isnull=False)
        .exclude(ip__in=list(setting("INTEGRITY_SHARED_ADDRESS_IGNORE", ())))
        .annotate(
            hour=TruncHour("received_at", tzinfo=CHINA),
            # Integer division on both databases (PostgreSQL's EXTRACT is numeric).
            slot=Cast(ExtractMinute("received_at", tzinfo=CHINA), IntegerField()) / Value(10),
        )
    )
    groups = {
        (row["ip"], row["hour"], row["slot"]): row["learners"]
        for row in events.values("ip", "hour", "slot")
        .annotate(learners=Count("learner_id", distinct=True))
        .filter(learners__gte=needed)
    }
    if not groups:
        return
    members = defaultdict(list)
    for row in (
        events.filter(ip__in={ip for ip, _, _ in groups})
        .values("ip", "hour", "slot", "learner_id")
        .annotate(
            events=Count("pk"), first=Min("pk"), last=Max("pk"), agents=Count("user_agent", distinct=True)
        )
    ):
        key = (row["ip"], row["hour"], row["slot"])
        if key in groups:
            members[key].append(row)
    found = defaultdict(list)
    for (ip, hour, slot), rows in sorted(
        members.items(), key=lambda item: (item[0][1], item[0][2], item[0][0])
    ):
        begins = hour.astimezone(CHINA) + dt.timedelta(minutes=10 * slot)
        learner_ids = sorted(row["learner_id"] for row in rows)
        for row in rows:
            found[row["learner_id"]].append(
                {
                    "ip": ip,
                    "from": begins.isoformat(),
                    "to": (begins + dt.timedelta(minutes=10)).isoformat(),
                    "learners_total": len(learner_ids),
                    "learners": [other for other in learner_ids if other != row["learner_id"]][
                        :EVIDENCE_LIMIT
                    ],
                    "events": sorted({row["first"], row["last"]}),
                    "events_total": row["events"],
                    "user_agents": row["agents"],
                }
            )
    for learner_id, windows in sorted(found.items()):
        first = windows[0]
        begins = dt.datetime.fromisoformat(first["from"])
        yield Finding(
            kind=SignalKind.SHARED_ADDRESS,
            learner_id=learner_id,
            # Six windows (an hour) for each step: a shared exit seen briefly weighs little.
            weight=weight_of(SignalKind.SHARED_ADDRESS, len(windows), 6),
            evidence={
                "windows": windows[:EVIDENCE_LIMIT],
                "windows_total": len(windows),
                "ips": sorted({window["ip"] for window in windows}),
                "events": limited({pk for window in windows for pk in window["events"]}),
            },
            **summarised(
                SignalKind.SHARED_ADDRESS,
                ip=first["ip"],
                begins=china_clock(begins),
                ends=china_clock(begins + dt.timedelta(minutes=10)),
                learners=first["learners_total"],
                windows=len(windows),
            ),
        )


# ---------------------------------------------------------------- 4. faster than real time


def too_fast(day: dt.date) -> Iterable[Finding]:
    """At least ``INTEGRITY_TOO_FAST_EVENTS`` (5) segments of the day judged ``skip``: media
    advanced faster than the allowed playback rate, so nothing was credited — a tampered client
    or a script. A learner who drags the slider now and then makes one or two."""
    needed = setting("INTEGRITY_TOO_FAST_EVENTS", 5)
    skipped = received_on(day).filter(segment=SegmentOutcome.SKIP)
    counts = dict(
        skipped.values("learner_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=needed)
        .values_list("learner_id", "n")
    )
    events = samples(skipped, counts, [F("received_at"), F("pk")])
    for learner_id, count in sorted(counts.items()):
        yield Finding(
            kind=SignalKind.TOO_FAST,
            learner_id=learner_id,
            weight=weight_of(SignalKind.TOO_FAST, count, needed),
            evidence={"events": events.get(learner_id, []), "events_total": count},
            **summarised(SignalKind.TOO_FAST, count=count),
        )


# ---------------------------------------------------------------- 5. missed attention checks


def missed_checks(day: dt.date) -> Iterable[Finding]:
    """At least ``INTEGRITY_MISSED_CHECKS`` (2) attention checks missed on the day: lapses by
    the check's time, ``attention`` events with reason ``missed`` by their arrival (both are
    written for each miss; the larger count counts, so a miss is never counted twice)."""
    needed = setting("INTEGRITY_MISSED_CHECKS", 2)
    start, end = day_bounds(day)
    lapses = AttentionLapse.objects.filter(missed_at__gte=start, missed_at__lt=end)
    misses = received_on(day).filter(type=ATTENTION_TYPE, reason=AttentionOutcome.MISSED)
    by_lapses = dict(lapses.values("learner_id").annotate(n=Count("pk")).values_list("learner_id", "n"))
    by_events = dict(misses.values("learner_id").annotate(n=Count("pk")).values_list("learner_id", "n"))
    counts = {
        learner_id: max(by_lapses.get(learner_id, 0), by_events.get(learner_id, 0))
        for learner_id in by_lapses.keys() | by_events.keys()
    }
    counts = {learner_id: count for learner_id, count in counts.items() if count >= needed}
    if not counts:
        return
    lapse_ids = samples(lapses, counts, [F("missed_at"), F("pk")])
    event_ids = samples(misses, counts, [F("received_at"), F("pk")])
    for learner_id, count in sorted(counts.items()):
        yield Finding(
            kind=SignalKind.MISSED_CHECKS,
            learner_id=learner_id,
            weight=weight_of(SignalKind.MISSED_CHECKS, count, needed),
            evidence={
                "lapses": lapse_ids.get(learner_id, []),
                "events": event_ids.get(learner_id, []),
                "missed_total": count,
            },
            **summarised(SignalKind.MISSED_CHECKS, count=count),
        )


# ---------------------------------------------------------------- 6. the bare minimum, unattended


def bare_minimum(day: dt.date) -> Iterable[Finding]:
    """A certificate issued or a subsidy claimed on the day for a training whose credited time
    is at most the required hours plus ``INTEGRITY_BARE_MINIMUM_MARGIN`` (5 %), with no passed
    attention check of the learner on any lesson of that course.

    The day is the certificate's issue or the claim's submission, not the completion: a claim
    made a week after completing is examined when it is made. Subsidies sit above integrity, so
    claims are reached through the entry's reverse relation (``subsidy_claims``), never
    imported. An entry whose credit a decision already invalidated is left out."""
    margin = float(setting("INTEGRITY_BARE_MINIMUM_MARGIN", 0.05))
    start, end = day_bounds(day)
    certified = Certificate.objects.filter(entry_id=OuterRef("pk"), issued_at__gte=start, issued_at__lt=end)
    claimed = ArchiveEntry.objects.filter(
        pk=OuterRef("pk"), subsidy_claims__submitted_at__gte=start, subsidy_claims__submitted_at__lt=end
    )
    attended = ProgressEvent.objects.filter(
        learner_id=OuterRef("learner_id"),
        type=ATTENTION_TYPE,
        status=ProgressEvent.Status.ACCEPTED,
        reason=AttentionOutcome.PASSED,
        lesson_ref__in=Lesson.objects.filter(course_id=OuterRef(OuterRef("course_id"))).values("pk"),
    )
    entries = list(
        ArchiveEntry.objects.filter(
            credited_seconds__lte=Cast("required_hours", FloatField()) * Value(3600 * (1 + margin)),
            invalidation__isnull=True,
        )
        .filter(Exists(certified) | Exists(claimed))
        .filter(~Exists(attended))
        .order_by("learner_id", "pk")
        .values("pk", "learner_id", "course_title", "required_hours", "credited_seconds")
    )
    if not entries:
        return
    ids = [entry["pk"] for entry in entries]
    numbers = dict(Certificate.objects.filter(entry_id__in=ids).values_list("entry_id", "number"))
    claims = defaultdict(list)
    for entry_id, claim_id in ArchiveEntry.objects.filter(
        pk__in=ids, subsidy_claims__isnull=False
    ).values_list("pk", "subsidy_claims"):
        claims[entry_id].append(claim_id)
    by_learner = defaultdict(list)
    for entry in entries:
        by_learner[entry["learner_id"]].append(entry)
    for learner_id, found in by_learner.items():
        first = found[0]
        required = float(first["required_hours"])
        share = first["credited_seconds"] / (required * 3600) if required else 0
        yield Finding(
            kind=SignalKind.BARE_MINIMUM,
            learner_id=learner_id,
            weight=weight_of(SignalKind.BARE_MINIMUM, len(found)),
            evidence={
                "entries": [entry["pk"] for entry in found],
                "certificates": sorted(numbers[entry["pk"]] for entry in found if entry["pk"] in numbers),
                "claims": sorted(claim for entry in found for claim in claims[entry["pk"]]),
                "figures": [
                    {
                        "entry": entry["pk"],
                        "credited_seconds": round(entry["credited_seconds"]),
                        "required_seconds": round(float(entry["required_hours"]) * 3600),
                    }
                    for entry in found
                ],
            },
            **summarised(
                SignalKind.BARE_MINIMUM,
                course=first["course_title"][:60],
                trainings=len(found),
                hours=f"{first['credited_seconds'] / 3600:.2f}",
                required=f"{required:.2f}",
                share=f"{share:.0%}",
            ),
        )


DETECTORS: dict[str, Callable[[dt.date], Iterable[Finding]]] = {
    SignalKind.PARALLEL_LESSONS: parallel_lessons,
    SignalKind.DAILY_CAP: daily_cap,
    SignalKind.SHARED_ADDRESS: shared_address,
    SignalKind.TOO_FAST: too_fast,
    SignalKind.MISSED_CHECKS: missed_checks,
    SignalKind.BARE_MINIMUM: bare_minimum,
}
