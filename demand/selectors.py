"""Reads of training demand: the occupation look-up of the forms and the API, a worker's and an
enterprise's own demands, the open demands an offer or a class answers (``demands_matching``,
read by ``orders``), and the aggregations by occupation and by district, each a constant number
of queries whatever the number of demands."""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet, Sum

from courses.models import Occupation
from demand.models import IS_OPEN, TrainingDemand
from institutions.models import Enterprise
from vocabulary.people import TargetGroup

# A code of the national classification: 4-10-01-05 (major-middle-minor-occupation).
CODE_PATTERN = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")
CODE_AT_START = re.compile(r"^(\d-\d{2}-\d{2}-\d{2})(?:\s|$)")
SEARCH_LIMIT = 20


def normalise(text) -> str:
    """Text as typed (full-width digits and dashes, stray spaces) in the classification's form;
    NUL characters dropped (PostgreSQL refuses them in a query)."""
    text = unicodedata.normalize("NFKC", str(text or "")).replace("\x00", "").strip()
    return text.replace("—", "-").replace("－", "-").replace("–", "-")


def occupation_by_code(code) -> Occupation | None:
    code = normalise(code)
    if not CODE_PATTERN.match(code):
        return None
    return Occupation.objects.filter(code=code).first()


def occupations_by_codes(codes) -> dict[str, Occupation]:
    """The occupations of these codes (normalised), by code, in one query."""
    wanted = {normalise(code) for code in codes}
    wanted = {code for code in wanted if CODE_PATTERN.match(code)}
    return {occupation.code: occupation for occupation in Occupation.objects.filter(code__in=wanted)}


def occupations_search(text, limit: int = SEARCH_LIMIT) -> list[Occupation]:
    """Occupations whose code starts with ``text`` or whose name contains it, codes first."""
    text = normalise(text)[:50]
    if not text:
        return []
    by_code = Occupation.objects.filter(code__startswith=text) if re.match(r"^[\d-]+$", text) else None
    if by_code is not None:
        return list(by_code.order_by("code")[:limit])
    return list(Occupation.objects.filter(name__icontains=text).order_by("code")[:limit])


@dataclass
class Resolved:
    """What a typed occupation names: one occupation, or the candidates to choose from."""

    occupation: Occupation | None = None
    candidates: list[Occupation] = field(default_factory=list)


def occupation_resolve(text) -> Resolved:
    """The occupation a person typed: a code (``4-10-01-05``, or a suggestion ``4-10-01-05
    养老护理员``), an exact name, or a part of a name that only one occupation has; otherwise
    the candidates (at most ``SEARCH_LIMIT``) and no occupation."""
    text = normalise(text)
    if not text:
        return Resolved()
    match = CODE_AT_START.match(text)
    if match:
        return Resolved(occupation=Occupation.objects.filter(code=match.group(1)).first())
    exact = list(Occupation.objects.filter(name=text)[:2])
    if len(exact) == 1:
        return Resolved(occupation=exact[0])
    found = occupations_search(text, SEARCH_LIMIT + 1)
    if len(found) == 1:
        return Resolved(occupation=found[0])
    return Resolved(candidates=found[:SEARCH_LIMIT])


# ---------------------------------------------------------------- lists


def demands_listed(demands: QuerySet[TrainingDemand]) -> QuerySet[TrainingDemand]:
    """Demands with what a listing shows (occupation, enterprise) in the same query."""
    return demands.select_related("occupation", "enterprise")


def learner_demands(learner_id: int | None) -> QuerySet[TrainingDemand]:
    """A worker's own demands, newest first."""
    if learner_id is None:
        return TrainingDemand.objects.none()
    return demands_listed(TrainingDemand.objects.filter(learner_id=learner_id))


def enterprise_demands(enterprise_id: int | None) -> QuerySet[TrainingDemand]:
    """An enterprise's bulk demand lines, newest first."""
    if enterprise_id is None:
        return TrainingDemand.objects.none()
    return demands_listed(TrainingDemand.objects.filter(enterprise_id=enterprise_id))


def enterprise_by_id(enterprise_id: int | None) -> Enterprise | None:
    return None if enterprise_id is None else Enterprise.objects.filter(pk=enterprise_id).first()


def demands_matching(*, occupation_id: int, districts=None, target_groups=None) -> QuerySet[TrainingDemand]:
    """The open demands (submitted or listed) of an occupation that an offer or a class serving
    ``districts`` and ``target_groups`` answers; an empty or missing list means any. An
    enterprise's line has no target group of its own: its people are enterprise employees, so it
    matches when ``target_groups`` includes ``enterprise-employee``."""
    demands = TrainingDemand.objects.filter(IS_OPEN, occupation_id=occupation_id)
    if districts:
        demands = demands.filter(district__in=list(districts))
    if target_groups:
        groups = list(target_groups)
        condition = Q(target_group__in=groups)
        if TargetGroup.ENTERPRISE_EMPLOYEE in groups:
            condition |= Q(enterprise__isnull=False)
        demands = demands.filter(condition)
    return demands.order_by("submitted_at", "pk")


# ---------------------------------------------------------------- aggregations


def totals(demands: QuerySet[TrainingDemand]) -> dict:
    """``demands`` (rows), ``people`` (head counts) and ``occupations`` (distinct), one query."""
    figures = demands.order_by().aggregate(
        demands=Count("pk"), people=Sum("head_count"), occupations=Count("occupation", distinct=True)
    )
    figures["people"] = figures["people"] or 0
    return figures


def by_occupation(demands: QuerySet[TrainingDemand]) -> QuerySet:
    """One row per occupation, the most wanted (by people, then demands) first: ``occupation_id``,
    ``code``, ``name``, ``demands``, ``people``. A values query: paginate it, then add the
    districts of the page's rows (``with_districts``)."""
    return (
        demands.order_by()
        .values("occupation_id", code=F("occupation__code"), name=F("occupation__name"))
        .annotate(demands=Count("pk"), people=Sum("head_count"))
        .order_by("-people", "-demands", "code")
    )


def with_districts(rows, demands: QuerySet[TrainingDemand]) -> list[dict]:
    """The occupation rows, each with ``districts``: the names of the districts its demands come
    from, sorted; one query for the whole page."""
    rows = list(rows)
    ids = [row["occupation_id"] for row in rows]
    districts = defaultdict(set)
    pairs = (
        demands.order_by().filter(occupation_id__in=ids).values_list("occupation_id", "district").distinct()
    )
    for occupation_id, district in pairs:
        districts[occupation_id].add(district)
    return [{**row, "districts": sorted(districts[row["occupation_id"]])} for row in rows]


def by_district(demands: QuerySet[TrainingDemand]) -> QuerySet:
    """One row per district, the most wanted first: ``district``, ``demands``, ``people``,
    ``occupations`` (distinct)."""
    return (
        demands.order_by()
        .values("district")
        .annotate(
            demands=Count("pk"), people=Sum("head_count"), occupations=Count("occupation", distinct=True)
        )
        .order_by("-people", "-demands", "district")
    )


def export_rows(demands: QuerySet[TrainingDemand]):
    """The demands for the export, oldest first, read in chunks."""
    return (
        demands.order_by("submitted_at", "pk")
        .values(
            "pk",
            "occupation__code",
            "occupation__name",
            "district",
            "target_group",
            "enterprise__name",
            "head_count",
            "note",
            "status",
            "submitted_at",
        )
        .iterator(chunk_size=2000)
    )
