"""Reads of the fraud review and the dishonesty records (docs/integrity.md).

- **Dishonesty records**: ``active_record_for_learner`` / ``_institution`` / ``_enterprise``
  (the rules of the layers above ask them), ``active_record_until`` (the same as a correlated
  subquery, for a reader that must stay at its query count) and ``records_listed``.
- **The queue**: ``case_queue`` (heaviest first) and a case's signals, its suggested entries for
  an invalidation, and the learner's timeline around the signals' days.
- **Evaluation's hook**: ``findings_by_institution(year)``.

A record is active on a day (China's date) when ``starts_on ≤ day ≤ ends_on`` and it was not
lifted; "today" is today in China whatever the server's time zone.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archive.models import ArchiveEntry, Certificate
from archive.selectors import corrections_apply
from courses.models import Lesson
from integrity.models import (
    CaseDecision,
    CaseStatus,
    CreditInvalidation,
    DecisionKind,
    DishonestyRecord,
    FraudSignal,
    ReviewCase,
)
from progress.models import AttentionLapse, CreditedSpan, ProgressEvent

CHINA = ZoneInfo("Asia/Shanghai")
# The timeline is bounded: the signals' days ±1 day, and at most these many rows of each kind
# (a note says when more were left out).
TIMELINE_EVENTS = 200
TIMELINE_ROWS = 100
WINDOW_DAYS = 1
# Evidence keys that name rows of a kind the timeline shows (anchors on the case page).
EVIDENCE_ANCHORS = {"events": "event", "spans": "span", "lapses": "lapse", "entries": "entry"}
EVIDENCE_SHOWN = 30  # ids shown per key on the case page; the rest counted
EVIDENCE_LABELS = {
    "events": _("学习事件"),
    "spans": _("计时时段"),
    "lapses": _("点名未作答"),
    "entries": _("档案条目"),
    "claims": _("补贴申领"),
    "certificates": _("证书"),
}


def today() -> dt.date:
    """Today's date in China's time."""
    return timezone.now().astimezone(CHINA).date()


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=CHINA)


# ---------------------------------------------------------------- dishonesty records


def active_records(on: dt.date | None = None) -> QuerySet[DishonestyRecord]:
    """The records in force on ``on`` (today in China by default)."""
    on = on or today()
    return DishonestyRecord.objects.filter(starts_on__lte=on, ends_on__gte=on, lifted_at__isnull=True)


def _active_one(on, **subject) -> DishonestyRecord | None:
    # Several records may overlap: the one that lasts longest answers (its end is the one to name).
    return active_records(on).filter(**subject).order_by("-ends_on", "-pk").first()


def active_record_for_learner(learner_id: int, on: dt.date | None = None) -> DishonestyRecord | None:
    return _active_one(on, subject_kind="person", learner_id=learner_id)


def active_record_for_institution(institution_id: int, on: dt.date | None = None) -> DishonestyRecord | None:
    return _active_one(on, subject_kind="institution", institution_id=institution_id)


def active_record_for_enterprise(enterprise_id: int, on: dt.date | None = None) -> DishonestyRecord | None:
    return _active_one(on, subject_kind="enterprise", enterprise_id=enterprise_id)


def active_record_until(*, on: dt.date | None = None, **subject) -> Subquery:
    """The last day of the subject's longest active record, or NULL: a correlated subquery for
    an annotation, e.g. ``active_record_until(learner_id=OuterRef("learner_id"))``."""
    return Subquery(active_records(on).filter(**subject).order_by("-ends_on").values("ends_on")[:1])


def record_state(record: DishonestyRecord, on: dt.date | None = None) -> str:
    """``lifted``, ``upcoming``, ``active`` or ``expired`` on ``on`` (today in China)."""
    on = on or today()
    if record.lifted_at is not None:
        return "lifted"
    if on < record.starts_on:
        return "upcoming"
    if on > record.ends_on:
        return "expired"
    return "active"


RECORD_STATES = {
    "active": _("生效中"),
    "upcoming": _("未生效"),
    "expired": _("已到期"),
    "lifted": _("已撤销"),
}


def records_listed(*, kind: str = "", active: bool | None = None) -> QuerySet[DishonestyRecord]:
    """The records, newest first, with their subject, filtered by subject kind and by whether
    they are in force today."""
    records = DishonestyRecord.objects.select_related(
        "learner", "enterprise", "institution", "created_by", "lifted_by"
    ).order_by("-created_at", "-pk")
    if kind:
        records = records.filter(subject_kind=kind)
    if active is not None:
        in_force = active_records().values("pk")
        records = records.filter(pk__in=in_force) if active else records.exclude(pk__in=in_force)
    return records


# ---------------------------------------------------------------- the queue


def case_queue(cases: QuerySet[ReviewCase], *, status: str = "", district: str = "") -> QuerySet[ReviewCase]:
    """The cases heaviest first (then the oldest), with their learner and number of signals."""
    if status:
        cases = cases.filter(status=status)
    if district:
        cases = cases.filter(district=district)
    return (
        cases.select_related("learner", "decision")
        .annotate(n_signals=Count("signals"))
        .order_by("-weight", "opened_at", "pk")
    )


def case_signals(case: ReviewCase) -> list[FraudSignal]:
    return list(case.signals.order_by("day", "-weight", "kind"))


def _ids(value) -> list[int]:
    """The whole numbers of an evidence list (anything else in it is ignored)."""
    if not isinstance(value, list | tuple):
        return []
    return [item for item in value if isinstance(item, int) and not isinstance(item, bool) and item > 0]


@dataclass
class EvidenceItem:
    key: str
    label: str = ""
    ids: list[int] = field(default_factory=list)  # row ids (linked when ``anchor`` is set)
    texts: list[str] = field(default_factory=list)  # other values: numbers, days, figures
    more: int = 0  # items not shown
    anchor: str = ""  # the timeline row kind the ids link to


def _text(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}={_text(item)}" for key, item in sorted(value.items()))[:200]
    if isinstance(value, list | tuple):
        return ", ".join(_text(item) for item in value[:10]) + (" …" if len(value) > 10 else "")
    return str(value)[:200]


def evidence_items(signal: FraudSignal) -> list[EvidenceItem]:
    """A signal's evidence as the case page lists it: lists of row ids (linked to the
    timeline's rows where it shows them), and the other values and figures as short texts."""
    items = []
    evidence = signal.evidence if isinstance(signal.evidence, dict) else {}
    for key in sorted(evidence):
        value = evidence[key]
        item = EvidenceItem(key=key, label=str(EVIDENCE_LABELS.get(key, key)))
        values = value if isinstance(value, list) else [value]
        ids = _ids(values)
        if ids and len(ids) == len(values):
            item.ids, item.anchor = ids[:EVIDENCE_SHOWN], EVIDENCE_ANCHORS.get(key, "")
        else:
            item.texts = [_text(one) for one in values[:EVIDENCE_SHOWN]]
        item.more = max(len(values) - EVIDENCE_SHOWN, 0)
        items.append(item)
    return items


def suggested_entry_ids(learner_id: int, signals: list[FraudSignal]) -> list[int]:
    """The learner's archive entries the signals' evidence points at: entries named, those of
    certificates named, and those of the courses whose lessons the named events, credited spans
    and attention lapses were on. The default of an invalidation."""
    named = {key: [] for key in ("events", "spans", "lapses", "entries", "certificates", "claims")}
    numbers = []  # certificates may be named by their number
    for signal in signals:
        evidence = signal.evidence if isinstance(signal.evidence, dict) else {}
        for key in named:
            named[key].extend(_ids(evidence.get(key)))
        certificates = evidence.get("certificates")
        if isinstance(certificates, list):
            numbers.extend(item for item in certificates if isinstance(item, str) and len(item) <= 32)
    lessons = set(
        ProgressEvent.objects.filter(learner_id=learner_id, pk__in=named["events"]).values_list(
            "lesson_ref", flat=True
        )
    )
    lessons |= set(
        CreditedSpan.objects.filter(learner_id=learner_id, pk__in=named["spans"]).values_list(
            "lesson_id", flat=True
        )
    )
    lessons |= set(
        AttentionLapse.objects.filter(learner_id=learner_id, pk__in=named["lapses"]).values_list(
            "lesson_id", flat=True
        )
    )
    courses = Lesson.objects.filter(pk__in=[pk for pk in lessons if pk]).values("course_id")
    entries = Q(course_id__in=courses) | Q(pk__in=named["entries"])
    certificates = Certificate.objects.filter(Q(pk__in=named["certificates"]) | Q(number__in=numbers))
    entries |= Q(pk__in=certificates.values("entry_id"))
    # Claims are subsidies' (a layer above): reached through the entries' reverse relation.
    entries |= Q(subsidy_claims__in=named["claims"])
    return sorted(
        set(ArchiveEntry.objects.filter(entries, learner_id=learner_id).values_list("pk", flat=True))
    )


def learner_entries(learner_id: int) -> list[ArchiveEntry]:
    """The learner's archive entries as corrected (newest first), each marked ``invalidated``
    when a decision already invalidated its credit."""
    entries = (
        ArchiveEntry.objects.filter(learner_id=learner_id)
        .select_related("certificate__revocation")
        .annotate(invalidated=Exists(CreditInvalidation.objects.filter(entry_id=OuterRef("pk"))))
        .order_by("-completed_at", "-pk")[:TIMELINE_ROWS]
    )
    return corrections_apply(entries)


# ---------------------------------------------------------------- the timeline


def windows(days) -> list[tuple[dt.date, dt.date]]:
    """The days ±``WINDOW_DAYS``, merged into runs of consecutive days (first, last)."""
    runs: list[list[dt.date]] = []
    for day in sorted(set(days)):
        first, last = day - dt.timedelta(days=WINDOW_DAYS), day + dt.timedelta(days=WINDOW_DAYS)
        if runs and first <= runs[-1][1] + dt.timedelta(days=1):
            runs[-1][1] = max(runs[-1][1], last)
        else:
            runs.append([first, last])
    return [(first, last) for first, last in runs]


def _during(field_name: str, runs) -> Q:
    condition = Q(pk__in=[])
    for first, last in runs:
        condition |= Q(
            **{
                f"{field_name}__gte": day_start(first),
                f"{field_name}__lt": day_start(last + dt.timedelta(days=1)),
            }
        )
    return condition


@dataclass
class Timeline:
    runs: list
    events: list
    events_more: bool
    spans: list
    spans_more: bool
    lapses: list
    lapses_more: bool
    entries: list
    claims: list


def _bounded(queryset, limit: int) -> tuple[list, bool]:
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def _claims(learner_id: int) -> list[dict]:
    """The learner's subsidy claims, newest first. Subsidies is a layer above this one: the
    claims are read through the archive entries' reverse relation, the status labels from the
    related model's field."""
    relation = ArchiveEntry._meta.get_field("subsidy_claims")
    labels = dict(relation.related_model._meta.get_field("status").flatchoices)
    rows = (
        ArchiveEntry.objects.filter(learner_id=learner_id, subsidy_claims__isnull=False)
        .values(
            "pk",
            "course_title",
            "subsidy_claims__pk",
            "subsidy_claims__status",
            "subsidy_claims__submitted_at",
            "subsidy_claims__amount",
        )
        .order_by("-subsidy_claims__submitted_at", "-subsidy_claims__pk")[:TIMELINE_ROWS]
    )
    return [
        {
            "id": row["subsidy_claims__pk"],
            "entry_id": row["pk"],
            "course_title": row["course_title"],
            "status": row["subsidy_claims__status"],
            "status_label": labels.get(row["subsidy_claims__status"], row["subsidy_claims__status"]),
            "submitted_at": row["subsidy_claims__submitted_at"],
            "amount": row["subsidy_claims__amount"],
        }
        for row in rows
    ]


def timeline(case: ReviewCase, signals: list[FraudSignal]) -> Timeline:
    """The learner's study around the signals' days (±1 day, China's time): progress events
    (by the time the client stamped them), credited spans, attention lapses; and their archive
    entries (as corrected), certificates and subsidy claims. Each kind bounded."""
    learner_id = case.learner_id
    runs = windows(signal.day for signal in signals)
    events, events_more = _bounded(
        ProgressEvent.objects.filter(_during("client_at", runs), learner_id=learner_id).order_by(
            "client_at", "pk"
        ),
        TIMELINE_EVENTS,
    )
    titles = dict(
        Lesson.objects.filter(pk__in={e.lesson_ref for e in events if e.lesson_ref}).values_list(
            "pk", "title"
        )
    )
    for event in events:
        event.lesson_title = titles.get(event.lesson_ref, "")
    run_days = Q(pk__in=[])
    for first, last in runs:
        run_days |= Q(day__gte=first, day__lte=last)
    spans, spans_more = _bounded(
        CreditedSpan.objects.filter(run_days, learner_id=learner_id)
        .select_related("lesson")
        .order_by("started_at", "pk"),
        TIMELINE_ROWS,
    )
    lapses, lapses_more = _bounded(
        AttentionLapse.objects.filter(_during("missed_at", runs), learner_id=learner_id)
        .select_related("lesson")
        .order_by("missed_at", "pk"),
        TIMELINE_ROWS,
    )
    return Timeline(
        runs=runs,
        events=events,
        events_more=events_more,
        spans=spans,
        spans_more=spans_more,
        lapses=lapses,
        lapses_more=lapses_more,
        entries=learner_entries(learner_id),
        claims=_claims(learner_id),
    )


def case_decision(case: ReviewCase) -> CaseDecision | None:
    """The decision with what it did (invalidations, records), or None while open."""
    if case.status != CaseStatus.DECIDED:
        return None
    return (
        CaseDecision.objects.select_related("decided_by")
        .prefetch_related("invalidations__entry", "dishonesty_records")
        .filter(case=case)
        .first()
    )


# ---------------------------------------------------------------- evaluation's hook


def findings_by_institution(year: int) -> dict[int, int]:
    """Confirmed findings of the year per institution id: the cases decided in the year (China's
    time) with a decision other than dismissal, counted for each institution one of whose classes
    the case's learner is a member of. One aggregate query."""
    start, end = day_start(dt.date(year, 1, 1)), day_start(dt.date(year + 1, 1, 1))
    rows = (
        CaseDecision.objects.filter(decided_at__gte=start, decided_at__lt=end)
        .exclude(kind=DecisionKind.DISMISS)
        .filter(case__learner__class_memberships__isnull=False)
        .values("case__learner__class_memberships__training_class__institution_id")
        .annotate(n=Count("case", distinct=True))
        .order_by()
    )
    return {row["case__learner__class_memberships__training_class__institution_id"]: row["n"] for row in rows}
