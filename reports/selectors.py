"""Reads of the unified reports (统一报表): the training figures of a quarter or a year per
district, the same figures cut by target group, occupation, institution and channel, the
progress against the task table and the two skill-share goals (docs/reports.md).

Everything is counted in the database: each figure is one aggregate query grouped by the key
(district, target group, ...), so a report costs the same handful of queries whatever the
number of learners, spans or entries. Only the few grouped rows come back to Python.

**What is counted** (the dates are those things happened, in China's time):

- *trainees*: distinct learners with credited study time (``progress.CreditedSpan``, ``day`` is
  already the China date) in the period; *credited_hours*: the sum of that time in hours;
- *completions*: archive entries completed in the period;
- *certificates*: platform certificates issued in the period and not revoked, plus external
  certificates issued (``issued_on``) in the period;
- *subsidy_claims* / *subsidy_amount*: claims submitted in the period that were not rejected
  (submitted, district approved, approved or paid), and the sum of their amounts.

Credit invalidated by a fraud review (``integrity.CreditInvalidation``) is left out everywhere:
the entry is no completion, its certificate is not counted, and the (learner, course) pair's
credited spans neither add hours nor make a trainee.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import CharField, Count, Exists, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from archive.models import ArchiveEntry, Certificate, CertificateRevocation, ExternalCertificate
from common.text import ascii_int
from courses.models import Occupation
from institutions import roles
from institutions.models import Institution, TrainingClass
from integrity.models import CreditInvalidation
from progress.models import Channel, CreditedSpan
from reports.models import FIRST_YEAR, LAST_YEAR, EmploymentBase, TrainingTask
from subsidies.models import ClaimStatus, SubsidyClaim
from vocabulary.people import District, TargetGroup

CHINA = ZoneInfo("Asia/Shanghai")
HOURS = Decimal("0.1")
YUAN = Decimal("0.01")
RATIO_PLACES = 4

DEFAULT_SKILLED_SHARE_GOAL = 0.25
DEFAULT_HIGH_SKILLED_SHARE_GOAL = 0.30


class PeriodInvalid(ValueError):
    """A year or quarter no report can be made for; the message tells the person what to send."""


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """A quarter (``quarter`` 1–4) or a whole year (``quarter`` None), in China's time:
    ``start`` is the first instant (China midnight of the first day), ``end`` the first instant
    after it."""

    year: int
    quarter: int | None
    start: dt.datetime
    end: dt.datetime

    @property
    def first_day(self) -> dt.date:
        return self.start.date()

    @property
    def end_day(self) -> dt.date:
        """The first day after the period (exclusive bound for date columns)."""
        return self.end.date()

    def previous(self) -> "Period":
        """The quarter before (Q1's is the previous year's Q4) or the year before."""
        if self.quarter is None:
            return _period(self.year - 1, None)
        if self.quarter == 1:
            return _period(self.year - 1, 4)
        return _period(self.year, self.quarter - 1)

    @property
    def label(self) -> str:
        if self.quarter is None:
            return _("%(year)s年") % {"year": self.year}
        return _("%(year)s年第%(quarter)s季度") % {"year": self.year, "quarter": self.quarter}

    @property
    def slug(self) -> str:
        """A file-name friendly name: ``2026`` or ``2026-Q3``."""
        return str(self.year) if self.quarter is None else f"{self.year}-Q{self.quarter}"


def _period(year: int, quarter: int | None) -> Period:
    if quarter is None:
        start, end = dt.datetime(year, 1, 1, tzinfo=CHINA), dt.datetime(year + 1, 1, 1, tzinfo=CHINA)
    else:
        month = (quarter - 1) * 3 + 1
        start = dt.datetime(year, month, 1, tzinfo=CHINA)
        end = (
            dt.datetime(year + 1, 1, 1, tzinfo=CHINA)
            if quarter == 4
            else dt.datetime(year, month + 3, 1, tzinfo=CHINA)
        )
    return Period(year=year, quarter=quarter, start=start, end=end)


def _whole(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return ascii_int(str(value).strip())


def period_of(year, quarter=None) -> Period:
    """The period of ``year`` (and ``quarter``, 1–4; None or "" for the whole year). Accepts
    numbers or the text of a query string; raises ``PeriodInvalid`` with a message a person can
    act on for anything else."""
    number = _whole(year) if year not in (None, "") else None
    if number is None or not FIRST_YEAR <= number <= LAST_YEAR:
        raise PeriodInvalid(
            _("年度须为 %(first)s 至 %(last)s 之间的四位数字，如 2026。")
            % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    if quarter in (None, ""):
        return _period(number, None)
    q = _whole(quarter)
    if q is None or not 1 <= q <= 4:
        raise PeriodInvalid(_("季度须为 1 至 4 的数字；查看全年报表时不填季度。"))
    return _period(number, q)


def current_period(quarterly: bool = True) -> Period:
    """The quarter (or year) that today falls in, in China's time."""
    today = timezone.now().astimezone(CHINA).date()
    return _period(today.year, (today.month - 1) // 3 + 1 if quarterly else None)


# ---------------------------------------------------------------- who sees which districts


def report_districts(user) -> list[str] | None:
    """The districts the user's reports cover: every district for the bureau (superusers
    included) and auditors, their own for a district official, None for anyone else (403)."""
    scope = roles.scope_of(user)
    if scope.reads_everything:
        return list(District.values)
    if scope.district:
        return [scope.district]
    return None


# ---------------------------------------------------------------- the figures


@dataclass
class ReportRow:
    district: str
    trainees: int = 0
    completions: int = 0
    credited_hours: Decimal = Decimal("0.0")
    certificates: int = 0
    subsidy_claims: int = 0
    subsidy_amount: Decimal = Decimal("0.00")
    task: int | None = None
    task_ratio: float | None = None


@dataclass
class Report:
    period: Period
    rows: list[ReportRow]
    totals: ReportRow


CUTS = ("target_group", "occupation", "institution", "channel")


@dataclass
class CutRow:
    key: str
    label: str
    trainees: int = 0
    completions: int = 0
    credited_hours: Decimal = Decimal("0.0")
    certificates: int = 0
    subsidy_claims: int = 0
    subsidy_amount: Decimal = Decimal("0.00")


def _hours(seconds) -> Decimal:
    return (Decimal(str(seconds or 0)) / 3600).quantize(HOURS, rounding=ROUND_HALF_UP)


def _yuan(amount) -> Decimal:
    return Decimal(amount or 0).quantize(YUAN, rounding=ROUND_HALF_UP)


def _ratio(numerator: int, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return round(numerator / denominator, RATIO_PLACES)


def _not_invalidated_span():
    """Spans of a (learner, course) pair whose credit a review invalidated are left out."""
    # Correlated on the span's own lesson (not the lesson's course): the outer query needs no
    # join to lessons, and PostgreSQL plans a hash anti-join (docs/benchmarks.md).
    return ~Exists(
        CreditInvalidation.objects.filter(
            learner_id=OuterRef("learner_id"), course__lessons=OuterRef("lesson_id")
        )
    )


def _not_invalidated(entry: str):
    """Entries (or what hangs on them) whose credit a review invalidated are left out. ``~Exists``
    rather than ``invalidation__isnull``: the reverse one-to-one's LEFT JOIN led PostgreSQL to
    nested loops over every entry (docs/benchmarks.md)."""
    return ~Exists(CreditInvalidation.objects.filter(entry_id=OuterRef(entry)))


def _class_institution(learner: str, course: str) -> Subquery:
    """The institution of the class the learner studied the course in (the latest class, should
    they have joined more than one); null for a course studied on one's own."""
    return Subquery(
        TrainingClass.objects.filter(course_id=OuterRef(course), memberships__learner_id=OuterRef(learner))
        .order_by("-starts_on", "-pk")
        .values("institution_id")[:1]
    )


def _channel_of_session():
    # A join through the span's session (CreditedSpan.playback), not a subquery per span.
    return F("playback__channel")


# Per cut, the grouping key of each source: spans, entries, certificates, external
# certificates, claims (None: the cut does not apply to that source, its figures stay 0).
_KEYS = {
    "district": {
        "spans": lambda: F("learner__district"),
        "entries": lambda: F("learner__district"),
        "certificates": lambda: F("entry__learner__district"),
        "external": lambda: F("learner__district"),
        "claims": lambda: F("learner__district"),
    },
    "target_group": {
        "spans": lambda: F("learner__target_group"),
        "entries": lambda: F("learner__target_group"),
        "certificates": lambda: F("entry__learner__target_group"),
        "external": lambda: F("learner__target_group"),
        "claims": lambda: F("learner__target_group"),
    },
    "occupation": {
        "spans": lambda: Coalesce(F("lesson__course__occupation__code"), Value(""), output_field=CharField()),
        "entries": lambda: F("occupation_code"),
        "certificates": lambda: F("entry__occupation_code"),
        "external": lambda: Coalesce(F("entry__occupation_code"), Value(""), output_field=CharField()),
        "claims": lambda: F("occupation_code"),
    },
    "institution": {
        "spans": lambda: _class_institution("learner_id", "lesson__course_id"),
        "entries": lambda: _class_institution("learner_id", "course_id"),
        "certificates": lambda: _class_institution("entry__learner_id", "entry__course_id"),
        "external": lambda: F("recorded_by__institution_staff__institution_id"),
        "claims": lambda: _class_institution("learner_id", "archive_entry__course_id"),
    },
    "channel": {
        "spans": _channel_of_session,
        "entries": None,
        "certificates": None,
        "external": None,
        "claims": None,
    },
}


def _grouped(queryset, key, **aggregates) -> dict:
    """``{key: {aggregate: value}}``: one GROUP BY query."""
    rows = queryset.annotate(report_key=key).order_by().values("report_key").annotate(**aggregates)
    return {("" if row["report_key"] is None else str(row["report_key"])): row for row in rows}


def _figures(period: Period, districts: list[str], by: str) -> dict[str, dict]:
    """The period's figures grouped by the cut's key: ``{key: {"trainees": ..., ...}}``, in five
    aggregate queries (one per source that the cut applies to)."""
    keys = _KEYS[by]
    figures: dict[str, dict] = {}

    def put(key, **values):
        row = figures.setdefault(key, {})
        for name, value in values.items():
            row[name] = row.get(name, 0) + (value or 0)

    spans = CreditedSpan.objects.filter(
        day__gte=period.first_day,
        day__lt=period.end_day,
        credited_seconds__gt=0,
        learner__district__in=districts,
    ).filter(_not_invalidated_span())
    for key, row in _grouped(
        spans, keys["spans"](), trainees=Count("learner_id", distinct=True), seconds=Sum("credited_seconds")
    ).items():
        put(key, trainees=row["trainees"], seconds=row["seconds"])

    if keys["entries"] is not None:
        entries = ArchiveEntry.objects.filter(
            completed_at__gte=period.start,
            completed_at__lt=period.end,
            learner__district__in=districts,
        ).filter(_not_invalidated("pk"))
        for key, row in _grouped(entries, keys["entries"](), n=Count("pk")).items():
            put(key, completions=row["n"])

    if keys["certificates"] is not None:
        certificates = Certificate.objects.filter(
            issued_at__gte=period.start,
            issued_at__lt=period.end,
            entry__learner__district__in=districts,
        ).filter(
            ~Exists(CertificateRevocation.objects.filter(certificate_id=OuterRef("pk"))),
            _not_invalidated("entry_id"),
        )
        for key, row in _grouped(certificates, keys["certificates"](), n=Count("pk")).items():
            put(key, certificates=row["n"])
        external = ExternalCertificate.objects.filter(
            issued_on__gte=period.first_day,
            issued_on__lt=period.end_day,
            learner__district__in=districts,
        ).filter(_not_invalidated("entry_id"))
        for key, row in _grouped(external, keys["external"](), n=Count("pk")).items():
            put(key, certificates=row["n"])

    if keys["claims"] is not None:
        claims = SubsidyClaim.objects.filter(
            submitted_at__gte=period.start,
            submitted_at__lt=period.end,
            learner__district__in=districts,
        ).exclude(status=ClaimStatus.REJECTED)
        for key, row in _grouped(claims, keys["claims"](), n=Count("pk"), amount=Sum("amount")).items():
            put(key, subsidy_claims=row["n"], amount=row["amount"])
    return figures


def _fill(row, values: dict) -> None:
    row.trainees = int(values.get("trainees", 0))
    row.completions = int(values.get("completions", 0))
    row.credited_hours = _hours(values.get("seconds", 0))
    row.certificates = int(values.get("certificates", 0))
    row.subsidy_claims = int(values.get("subsidy_claims", 0))
    row.subsidy_amount = _yuan(values.get("amount", 0))


def training_report(period: Period, districts: list[str]) -> Report:
    """One row per district of ``districts`` (in the order of ``District``, districts with
    nothing included), with the district's yearly task and completions ÷ task, and the totals:
    the sums of the rows as shown (so a spreadsheet's column sums equal them). A quarter's
    ratio is the quarter's completions ÷ the year's task. Six queries."""
    wanted = set(districts)
    ordered = [district for district in District.values if district in wanted]
    figures = _figures(period, ordered, "district")
    tasks = dict(
        TrainingTask.objects.filter(year=period.year, district__in=ordered, target_group="").values_list(
            "district", "target"
        )
    )
    rows = []
    for district in ordered:
        row = ReportRow(district=district)
        _fill(row, figures.get(district, {}))
        row.task = tasks.get(district)
        row.task_ratio = _ratio(row.completions, row.task)
        rows.append(row)
    totals = ReportRow(district="")
    for row in rows:
        totals.trainees += row.trainees
        totals.completions += row.completions
        totals.credited_hours += row.credited_hours
        totals.certificates += row.certificates
        totals.subsidy_claims += row.subsidy_claims
        totals.subsidy_amount += row.subsidy_amount
    set_tasks = [row.task for row in rows if row.task is not None]
    totals.task = sum(set_tasks) if set_tasks else None
    totals.task_ratio = _ratio(totals.completions, totals.task)
    return Report(period=period, rows=rows, totals=totals)


def _labels(by: str, keys) -> dict[str, str]:
    if by == "target_group":
        return {value: str(label) for value, label in TargetGroup.choices}
    if by == "channel":
        return {value: str(label) for value, label in Channel.choices}
    if by == "occupation":
        codes = [key for key in keys if key]
        labels = dict(Occupation.objects.filter(code__in=codes).values_list("code", "name"))
        labels[""] = _("未关联职业")
        return labels
    ids = [int(key) for key in keys if key]
    labels = {str(pk): name for pk, name in Institution.objects.filter(pk__in=ids).values_list("pk", "name")}
    labels[""] = _("自学（无班级）")
    return labels


def report_cut(period: Period, districts: list[str], by: str) -> list[CutRow]:
    """The period's figures in ``districts`` cut ``by`` one of ``CUTS``. Target groups and
    channels list every value (zeros included) in their order; occupations and institutions
    list those with any figure, the most completions first, the "none" key last. The channel
    cut has trainees and credited hours only (completions, certificates and claims belong to
    no channel). Raises ValueError for an unknown cut."""
    if by not in CUTS:
        raise ValueError(by)
    figures = _figures(period, districts, by)
    labels = _labels(by, figures.keys())
    if by in ("target_group", "channel"):
        keys = list(labels) + [key for key in figures if key not in labels]
    else:
        keys = sorted(figures, key=lambda key: (key == "", -figures[key].get("completions", 0), key))
    rows = []
    for key in keys:
        row = CutRow(key=key, label=labels.get(key, key))
        _fill(row, figures.get(key, {}))
        rows.append(row)
    return rows


# ---------------------------------------------------------------- goals and tasks


@dataclass
class GoalRow:
    district: str
    employed: int | None = None
    skilled: int | None = None
    high_skilled: int | None = None
    skilled_share: float | None = None
    high_skilled_share: float | None = None
    meets_skilled: bool | None = None
    meets_high_skilled: bool | None = None
    is_demo: bool = False


def skill_goals_targets() -> tuple[float, float]:
    """The plan's two goals as shares: skilled workers of the employed, high-skilled of skilled."""
    return (
        float(getattr(settings, "REPORTS_SKILLED_SHARE_GOAL", DEFAULT_SKILLED_SHARE_GOAL)),
        float(getattr(settings, "REPORTS_HIGH_SKILLED_SHARE_GOAL", DEFAULT_HIGH_SKILLED_SHARE_GOAL)),
    )


def skill_goals(year: int, districts: list[str]) -> list[GoalRow]:
    """Each district's employment base of the year against the two goals (skilled ≥ 25 % of the
    employed, high-skilled ≥ 30 % of skilled); a district without figures has a row of Nones.
    One query."""
    skilled_goal, high_goal = skill_goals_targets()
    wanted = set(districts)
    bases = {base.district: base for base in EmploymentBase.objects.filter(year=year, district__in=wanted)}
    rows = []
    for district in District.values:
        if district not in wanted:
            continue
        base = bases.get(district)
        if base is None:
            rows.append(GoalRow(district=district))
            continue
        skilled_share = _ratio(base.skilled, base.employed)
        high_share = _ratio(base.high_skilled, base.skilled)
        rows.append(
            GoalRow(
                district=district,
                employed=base.employed,
                skilled=base.skilled,
                high_skilled=base.high_skilled,
                skilled_share=skilled_share,
                high_skilled_share=high_share,
                meets_skilled=None if skilled_share is None else skilled_share >= skilled_goal,
                meets_high_skilled=None if high_share is None else high_share >= high_goal,
                is_demo=base.is_demo,
            )
        )
    return rows


@dataclass
class TaskProgressRow:
    district: str
    target_group: str
    task: int
    completions_to_date: int
    ratio: float
    is_demo: bool = False


def task_progress(year: int, districts: list[str], until: dt.datetime | None = None) -> list[TaskProgressRow]:
    """Every task line of the year in ``districts`` (all groups, ``target_group`` "", and per
    target group) with the completions of the year up to ``until`` (default now; completions of
    the line's target group, or of every group) and their ratio (0 for a target of 0). District
    order, then the all-groups line, then the groups in their order. Two queries."""
    start, end = _period(year, None).start, _period(year, None).end
    if until is not None:
        end = min(end, until)
    wanted = set(districts)
    counts: dict[tuple[str, str], int] = {}
    if end > start:
        for district, group, n in (
            ArchiveEntry.objects.filter(
                completed_at__gte=start,
                completed_at__lt=end,
                learner__district__in=wanted,
            )
            .filter(_not_invalidated("pk"))
            .order_by()
            .values_list("learner__district", "learner__target_group")
            .annotate(n=Count("pk"))
        ):
            counts[(district, group)] = n
    district_order = {value: index for index, value in enumerate(District.values)}
    group_order = {value: index + 1 for index, value in enumerate(TargetGroup.values)}
    group_order[""] = 0
    tasks = sorted(
        TrainingTask.objects.filter(year=year, district__in=wanted),
        key=lambda task: (district_order.get(task.district, 99), group_order.get(task.target_group, 99)),
    )
    rows = []
    for task in tasks:
        if task.target_group:
            done = counts.get((task.district, task.target_group), 0)
        else:
            done = sum(n for (district, _group), n in counts.items() if district == task.district)
        rows.append(
            TaskProgressRow(
                district=task.district,
                target_group=task.target_group,
                task=task.target,
                completions_to_date=done,
                ratio=_ratio(done, task.target) or 0.0,
                is_demo=task.is_demo,
            )
        )
    return rows


__all__ = [
    "CUTS",
    "CutRow",
    "GoalRow",
    "Period",
    "PeriodInvalid",
    "Report",
    "ReportRow",
    "TaskProgressRow",
    "current_period",
    "period_of",
    "report_cut",
    "report_districts",
    "skill_goals",
    "skill_goals_targets",
    "task_progress",
    "training_report",
]
