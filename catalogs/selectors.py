"""Reads of the published catalogs, shared by the catalog pages and the API."""

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from catalogs.choices import CatalogKind
from catalogs.models.entries import ENTRY_MODELS, InstitutionEntry
from courses.models import Occupation
from vocabulary.training import Industry

# Industries in the order the policy lists them, not alphabetically by slug.
_INDUSTRY_RANK = Case(
    *[When(industry=value, then=Value(rank)) for rank, value in enumerate(Industry.values)],
    output_field=IntegerField(),
)

# A total order for each kind, ending with the id, so that pagination is stable.
ORDERING = {
    CatalogKind.KEY_INDUSTRY: (_INDUSTRY_RANK, "occupation__code", "level", "id"),
    CatalogKind.GENERAL: ("occupation__code", "level", "id"),
    CatalogKind.DEMAND: ("occupation__code", "level", "district", "target_group", "id"),
    CatalogKind.INSTITUTION: ("district", "name", "id"),
}


class UnknownCatalog(LookupError):
    """No catalog of that kind."""


def entry_model(kind: str):
    try:
        return ENTRY_MODELS[kind]
    except KeyError:
        raise UnknownCatalog(kind) from None


def published_entries(kind: str) -> QuerySet:
    """The live (published) entries of one catalog, with their occupations, in a stable order.
    Raises UnknownCatalog."""
    model = entry_model(kind)
    entries = model.objects.filter(live=True).order_by(*ORDERING[kind])
    if model is InstitutionEntry:
        return entries.prefetch_related(Prefetch("occupations", queryset=Occupation.objects.order_by("code")))
    return entries.select_related("occupation")


def entries_filter(
    entries: QuerySet,
    *,
    kind: str,
    occupation_code: str = "",
    occupation_text: str = "",
    level: str = "",
    year: int | None = None,
    industry: str = "",
    district: str = "",
    target_group: str = "",
    institution_type: str = "",
) -> QuerySet:
    """Narrow a catalog's entries. Empty arguments do not filter; arguments that do not apply
    to the kind (e.g. ``industry`` on the demand catalog) are ignored. Values are validated by
    the caller (form or query serializer)."""
    occupations = None
    if occupation_code:
        occupations = Q(code=occupation_code)
    elif occupation_text:
        occupations = Q(code__startswith=occupation_text) | Q(name__icontains=occupation_text)
    if kind == CatalogKind.INSTITUTION:
        if occupations is not None:
            through = InstitutionEntry.occupations.through.objects
            entries = entries.filter(
                pk__in=through.filter(occupation__in=Occupation.objects.filter(occupations)).values(
                    "institutionentry_id"
                )
            )
        if level:
            # levels is a JSON list such as ["5", "4"]; the quoted value matches one element
            # exactly (no level value is part of another), on SQLite and PostgreSQL alike.
            entries = entries.filter(levels__icontains=f'"{level}"')
        if institution_type:
            entries = entries.filter(institution_type=institution_type)
    else:
        if occupations is not None:
            entries = entries.filter(occupation__in=Occupation.objects.filter(occupations))
        if level:
            entries = entries.filter(level=level)
    if year:
        entries = entries.filter(year=year)
    if industry and kind == CatalogKind.KEY_INDUSTRY:
        entries = entries.filter(industry=industry)
    if district and kind in (CatalogKind.DEMAND, CatalogKind.INSTITUTION):
        entries = entries.filter(district=district)
    if target_group and kind == CatalogKind.DEMAND:
        entries = entries.filter(target_group=target_group)
    return entries


def catalog_years(kind: str) -> list[int]:
    """The years that have published entries in a catalog, newest first."""
    model = entry_model(kind)
    return list(model.objects.filter(live=True).order_by("-year").values_list("year", flat=True).distinct())
