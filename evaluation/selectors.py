"""Reads of the institutions' evaluation: the yearly scorecards (every institution at once, in one
query), the flags against the thresholds, an institution's standing (the decisions in force),
and the ratings.

**What a year is** (docs/evaluation.md). The classes of a year are those that open (开班,
``starts_on``) in it; their trainees are their members, and a trainee's completion and
certificate count for the class's year whenever they come (so a year's rates settle as its
classes end). Ratings count in the year they were given and claims in the year they were
submitted, both in China's time whatever the server's time zone.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Avg,
    Exists,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from archive.models import ArchiveEntry, Certificate, ExternalCertificate
from evaluation.models import RESTRICTIVE_KINDS, CourseRating, DecisionKind, EvaluationDecision
from institutions.models import ClassMembership, Institution, TrainingClass
from integrity.selectors import active_record_until, findings_by_institution
from subsidies.models import ClaimStatus, SubsidyClaim
from vocabulary.identity import mask_name

CHINA = ZoneInfo("Asia/Shanghai")


def current_year() -> int:
    """This calendar year in China's time."""
    return timezone.now().astimezone(CHINA).year


def today() -> dt.date:
    """Today's date in China's time."""
    return timezone.now().astimezone(CHINA).date()


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of the year and of the next one, in China's time."""
    return dt.datetime(year, 1, 1, tzinfo=CHINA), dt.datetime(year + 1, 1, 1, tzinfo=CHINA)


# ---------------------------------------------------------------- the fraud review queue's hook


def fraud_findings_by_institution(year: int) -> dict[int, int]:
    """Confirmed fraud findings of the year per institution id (``{institution_id: count}``):
    the review cases decided in the year (China's time) with a decision other than dismissal
    (warn, invalidate credit, refer), counted for each institution one of whose classes the
    case's learner is a member of (``integrity.selectors.findings_by_institution``). One
    aggregate query, whatever the number of institutions."""
    return findings_by_institution(year)


# ---------------------------------------------------------------- the scorecards


class SubqueryCount(Subquery):
    """``(SELECT COUNT(*) FROM (<the queryset>))``: a correlated count, 0 when nothing matches."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _count)"
    output_field = IntegerField()


def _count(queryset) -> SubqueryCount:
    return SubqueryCount(queryset.order_by().values("pk"))


def _annotated(institutions: QuerySet[Institution], year: int) -> QuerySet[Institution]:
    """The institutions, each with the year's figures and its standing, in one query."""
    first_day, last_day = dt.date(year, 1, 1), dt.date(year, 12, 31)
    start, end = year_bounds(year)
    classes = TrainingClass.objects.filter(
        institution_id=OuterRef("pk"), starts_on__gte=first_day, starts_on__lte=last_day
    )
    members = ClassMembership.objects.filter(
        training_class__institution_id=OuterRef("pk"),
        training_class__starts_on__gte=first_day,
        training_class__starts_on__lte=last_day,
    )
    completed = Exists(
        ArchiveEntry.objects.filter(
            learner_id=OuterRef("learner_id"), course_id=OuterRef("training_class__course_id")
        )
    )
    certified = Exists(
        Certificate.objects.filter(
            entry__learner_id=OuterRef("learner_id"),
            entry__course_id=OuterRef("training_class__course_id"),
            revocation__isnull=True,
        )
    ) | Exists(
        ExternalCertificate.objects.filter(
            Q(entry__isnull=True) | Q(entry__course_id=OuterRef("training_class__course_id")),
            learner_id=OuterRef("learner_id"),
            recorded_by__institution_staff__institution_id=OuterRef("training_class__institution_id"),
        )
    )
    ratings = CourseRating.objects.filter(
        institution_id=OuterRef("pk"), created_at__gte=start, created_at__lt=end
    )
    # A claim is the institution's when its learner was a member of one of its classes for the
    # claimed entry's course, or when its staff submitted it (the bulk claim for a class).
    claims = SubsidyClaim.objects.filter(submitted_at__gte=start, submitted_at__lt=end).filter(
        Exists(
            ClassMembership.objects.filter(
                learner_id=OuterRef("learner_id"),
                training_class__institution_id=OuterRef(OuterRef("pk")),
                training_class__course_id=OuterRef("archive_entry__course_id"),
            )
        )
        | Q(submitted_by__institution_staff__institution_id=OuterRef("pk"))
    )
    decisions = EvaluationDecision.objects.filter(institution_id=OuterRef("pk")).order_by(
        "-decided_at", "-pk"
    )
    restrictive = decisions.filter(kind__in=RESTRICTIVE_KINDS)
    return institutions.annotate(
        n_classes=_count(classes),
        n_trainees=_count(members),
        n_completions=_count(members.filter(completed)),
        n_certificates=_count(members.filter(certified)),
        n_ratings=_count(ratings),
        rating_average=Subquery(
            ratings.order_by().values("institution_id").annotate(a=Avg("stars")).values("a")[:1],
            output_field=FloatField(),
        ),
        n_claims=_count(claims),
        n_claims_rejected=_count(claims.filter(status=ClaimStatus.REJECTED)),
        restriction_kind=Subquery(restrictive.values("kind")[:1]),
        restriction_until=Subquery(restrictive.values("until")[:1]),
        restriction_id=Subquery(restrictive.values("pk")[:1]),
        last_decision_kind=Subquery(decisions.values("kind")[:1]),
        dishonest_until=active_record_until(subject_kind="institution", institution_id=OuterRef("pk")),
    )


@dataclass(frozen=True)
class Reason:
    """Why a scorecard is flagged: a code (for the API) and a sentence."""

    code: str
    detail: str


@dataclass(frozen=True)
class Standing:
    """An institution's standing: ``good``, ``warned`` (the latest decision is a warning),
    ``suspended`` (from taking orders, ``until`` a day or until lifted) or ``removed`` (from the
    培训机构目录, and so from taking orders, until lifted)."""

    status: str = "good"
    until: dt.date | None = None

    @property
    def suspended(self) -> bool:
        """Refused new orders: suspended or removed."""
        return self.status in ("suspended", "removed")

    @property
    def label(self) -> str:
        return str(STANDING_LABELS[self.status])


STANDING_LABELS = {
    "good": gettext_lazy("正常"),
    "warned": gettext_lazy("已警告"),
    "suspended": gettext_lazy("暂停接单"),
    "removed": gettext_lazy("已移出目录"),
}


def _standing(restriction_kind, restriction_until, last_decision_kind, on: dt.date) -> Standing:
    """The standing from the latest restrictive decision (suspension, removal, lifted) and the
    latest decision of any kind. A warning never ends a restriction; an expired suspension does
    not restrict."""
    if restriction_kind == DecisionKind.REMOVAL:
        return Standing("removed")
    if restriction_kind == DecisionKind.SUSPENSION and (restriction_until is None or restriction_until >= on):
        return Standing("suspended", restriction_until)
    if last_decision_kind == DecisionKind.WARNING:
        return Standing("warned")
    return Standing("good")


@dataclass
class Scorecard:
    """One institution's figures for one year, its flag's reasons and its standing."""

    institution: Institution
    year: int
    classes: int = 0
    trainees: int = 0
    completions: int = 0
    certificates: int = 0
    ratings: int = 0
    average_rating: float | None = None
    claims_submitted: int = 0
    claims_rejected: int = 0
    fraud_findings: int = 0
    # The last day of the institution's dishonesty record (失信记录) in force today, or None.
    dishonest_until: dt.date | None = None
    standing: Standing = field(default_factory=Standing)
    reasons: list[Reason] = field(default_factory=list)

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def completion_rate(self) -> float | None:
        return self._rate(self.completions, self.trainees)

    @property
    def certificate_rate(self) -> float | None:
        return self._rate(self.certificates, self.trainees)

    @property
    def rejection_rate(self) -> float | None:
        return self._rate(self.claims_rejected, self.claims_submitted)

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class Thresholds:
    min_completion_rate: float
    min_certificate_rate: float
    min_rating: float
    min_ratings: int
    max_rejection_rate: float
    max_fraud_findings: int
    min_trainees: int

    @classmethod
    def from_settings(cls) -> "Thresholds":
        return cls(
            min_completion_rate=settings.EVALUATION_MIN_COMPLETION_RATE,
            min_certificate_rate=settings.EVALUATION_MIN_CERTIFICATE_RATE,
            min_rating=settings.EVALUATION_MIN_RATING,
            min_ratings=settings.EVALUATION_MIN_RATINGS,
            max_rejection_rate=settings.EVALUATION_MAX_REJECTION_RATE,
            max_fraud_findings=settings.EVALUATION_MAX_FRAUD_FINDINGS,
            min_trainees=settings.EVALUATION_MIN_TRAINEES,
        )


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def flag_reasons(card: Scorecard, limits: Thresholds) -> list[Reason]:
    """Each threshold the scorecard falls short of, and a dishonesty record in force. Below ``min_trainees`` trainees the rates are
    not judged (too few to say anything); fraud findings count whatever the size. A value equal
    to its threshold passes."""
    reasons = []
    if card.dishonest_until is not None:
        reasons.append(
            Reason(
                "dishonesty_record",
                _("有生效中的失信记录（至 %(until)s 止）。") % {"until": card.dishonest_until.isoformat()},
            )
        )
    if card.fraud_findings > limits.max_fraud_findings:
        reasons.append(Reason("fraud_findings", _("查实的违规问题 %(n)d 起。") % {"n": card.fraud_findings}))
    if card.trainees < limits.min_trainees:
        return reasons
    if card.completion_rate is not None and card.completion_rate < limits.min_completion_rate:
        reasons.append(
            Reason(
                "completion_rate",
                _("结业率 %(rate)s，低于 %(limit)s。")
                % {"rate": _percent(card.completion_rate), "limit": _percent(limits.min_completion_rate)},
            )
        )
    if card.certificate_rate is not None and card.certificate_rate < limits.min_certificate_rate:
        reasons.append(
            Reason(
                "certificate_rate",
                _("取证率 %(rate)s，低于 %(limit)s。")
                % {"rate": _percent(card.certificate_rate), "limit": _percent(limits.min_certificate_rate)},
            )
        )
    if (
        card.average_rating is not None
        and card.ratings >= limits.min_ratings
        and card.average_rating < limits.min_rating
    ):
        reasons.append(
            Reason(
                "rating",
                _("学员平均评分 %(rating).1f，低于 %(limit).1f。")
                % {"rating": card.average_rating, "limit": limits.min_rating},
            )
        )
    if card.rejection_rate is not None and card.rejection_rate > limits.max_rejection_rate:
        reasons.append(
            Reason(
                "rejection_rate",
                _("补贴申领未通过率 %(rate)s，高于 %(limit)s。")
                % {"rate": _percent(card.rejection_rate), "limit": _percent(limits.max_rejection_rate)},
            )
        )
    return reasons


def scorecards(institutions: QuerySet[Institution], year: int) -> list[Scorecard]:
    """The year's scorecard of each institution of ``institutions`` (those active, or that ran a
    class in the year), flagged first, then by name: one query for the figures and standings,
    plus the fraud hook's, whatever the number of institutions."""
    first_day, last_day = dt.date(year, 1, 1), dt.date(year, 12, 31)
    ran_classes = Exists(
        TrainingClass.objects.filter(
            institution_id=OuterRef("pk"), starts_on__gte=first_day, starts_on__lte=last_day
        )
    )
    rows = _annotated(institutions.filter(Q(active=True) | ran_classes), year).order_by("name", "pk")
    frauds = fraud_findings_by_institution(year)
    limits = Thresholds.from_settings()
    on = today()
    cards = []
    for institution in rows:
        card = Scorecard(
            institution=institution,
            year=year,
            classes=institution.n_classes,
            trainees=institution.n_trainees,
            completions=institution.n_completions,
            certificates=institution.n_certificates,
            ratings=institution.n_ratings,
            average_rating=institution.rating_average,
            claims_submitted=institution.n_claims,
            claims_rejected=institution.n_claims_rejected,
            fraud_findings=frauds.get(institution.pk, 0),
            dishonest_until=institution.dishonest_until,
            standing=_standing(
                institution.restriction_kind,
                institution.restriction_until,
                institution.last_decision_kind,
                on,
            ),
        )
        card.reasons = flag_reasons(card, limits)
        cards.append(card)
    cards.sort(key=lambda card: not card.flagged)  # stable: flagged first, each part by name
    return cards


def scorecard(institution: Institution, year: int) -> Scorecard:
    """One institution's scorecard (``scorecards`` over that one institution, active or not)."""
    rows = _annotated(Institution.objects.filter(pk=institution.pk), year)
    found = rows.get()
    card = Scorecard(
        institution=institution,
        year=year,
        classes=found.n_classes,
        trainees=found.n_trainees,
        completions=found.n_completions,
        certificates=found.n_certificates,
        ratings=found.n_ratings,
        average_rating=found.rating_average,
        claims_submitted=found.n_claims,
        claims_rejected=found.n_claims_rejected,
        fraud_findings=fraud_findings_by_institution(year).get(institution.pk, 0),
        dishonest_until=found.dishonest_until,
        standing=_standing(
            found.restriction_kind, found.restriction_until, found.last_decision_kind, today()
        ),
    )
    card.reasons = flag_reasons(card, Thresholds.from_settings())
    return card


# ---------------------------------------------------------------- standing and decisions


def institution_standing(institution_id: int) -> Standing:
    """The institution's standing now (``Standing``): from its latest suspension, removal or
    lifting, and its latest decision. Two small queries at most."""
    decisions = EvaluationDecision.objects.filter(institution_id=institution_id).order_by(
        "-decided_at", "-pk"
    )
    restriction = decisions.filter(kind__in=RESTRICTIVE_KINDS).values("kind", "until").first()
    last = decisions.values_list("kind", flat=True).first()
    if restriction is None:
        return _standing(None, None, last, today())
    return _standing(restriction["kind"], restriction["until"], last, today())


def institution_suspended(institution_id: int) -> bool:
    """Whether the institution may not take orders now: suspended (until a day not yet past, or
    until lifted) or removed from the 培训机构目录 and not lifted since. One query. The orders app
    asks it before accepting an institution's application to run an offer."""
    restriction = (
        EvaluationDecision.objects.filter(institution_id=institution_id, kind__in=RESTRICTIVE_KINDS)
        .order_by("-decided_at", "-pk")
        .values("kind", "until")
        .first()
    )
    if restriction is None:
        return False
    return _standing(restriction["kind"], restriction["until"], None, today()).suspended


def institution_decisions(institution_id: int) -> QuerySet[EvaluationDecision]:
    """Every decision on the institution, newest first, with who decided."""
    return EvaluationDecision.objects.filter(institution_id=institution_id).select_related("decided_by")


# ---------------------------------------------------------------- ratings


def institution_comments(institution_id: int, year: int) -> list[dict]:
    """The year's ratings of the institution that have a comment, newest first, each with the
    rater's masked name (never more of them)."""
    start, end = year_bounds(year)
    rows = (
        CourseRating.objects.filter(institution_id=institution_id, created_at__gte=start, created_at__lt=end)
        .exclude(comment="")
        .order_by("-created_at", "-pk")
        .values("stars", "comment", "created_at", "course__title", "learner__real_name")
    )
    return [
        {
            "stars": row["stars"],
            "comment": row["comment"],
            "created_at": row["created_at"],
            "course_title": row["course__title"],
            "rater": mask_name(row["learner__real_name"] or ""),
        }
        for row in rows
    ]


def learner_ratings(learner_id: int) -> QuerySet[CourseRating]:
    return CourseRating.objects.filter(learner_id=learner_id).select_related("course", "institution")


def learner_ratings_by_course(learner_id: int) -> dict[int, CourseRating]:
    """The learner's ratings by course id, in one query (for 我的档案's rating forms)."""
    return {rating.course_id: rating for rating in CourseRating.objects.filter(learner_id=learner_id)}


def rating_editable(rating: CourseRating, now: dt.datetime | None = None) -> bool:
    """A rating may be changed for ``EVALUATION_RATING_EDIT_DAYS`` days after it was given."""
    now = now or timezone.now()
    return now - rating.created_at <= dt.timedelta(days=settings.EVALUATION_RATING_EDIT_DAYS)


def has_completed(learner_id: int, course_id: int) -> bool:
    """Whether the learner's archive has an entry for the course (they completed it)."""
    return ArchiveEntry.objects.filter(learner_id=learner_id, course_id=course_id).exists()


def class_studied_in(learner_id: int, course_id: int) -> TrainingClass | None:
    """The class through which the learner studied the course (the latest of theirs for it), or
    None: they studied it on their own."""
    return (
        TrainingClass.objects.filter(memberships__learner_id=learner_id, course_id=course_id)
        .order_by("-starts_on", "-pk")
        .first()
    )
