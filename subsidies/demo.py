"""Idempotent demo data: a subsidy standard for the occupation and level of every subsidised
demo course, at the amount of the demo guide catalogs where they list it (catalogs.demo), or a
default. A standard the bureau has since edited is left as it is."""

from decimal import Decimal

from courses.models import CoursePage
from subsidies.models import SubsidyStandard

# (occupation code, level) → yuan per person, as the demo catalogs publish them.
AMOUNTS = {
    ("4-10-01-05", "5"): "1500",
    ("4-10-01-05", "4"): "1800",
    ("4-10-01-06", "5"): "1000",
    ("4-03-02-01", "4"): "1400",
    ("6-11-01-03", "4"): "2200",
    ("6-15-05-02", "3"): "2400",
    ("6-15-03-03", "5"): "1200",
}
DEFAULT_AMOUNT = "1000"
NOTE = "淄博市职业技能提升行动（演示数据）"


def seed_subsidies() -> list[SubsidyStandard]:
    """The standards of the subsidised courses' occupations and levels; the ones created."""
    created = []
    pairs = (
        CoursePage.objects.filter(subsidy_eligible=True)
        .order_by()
        .values_list("occupation_id", "occupation__code", "level")
        .distinct()
    )
    for occupation_id, code, level in pairs:
        standard, new = SubsidyStandard.objects.get_or_create(
            occupation_id=occupation_id,
            level=level,
            defaults={"amount": Decimal(AMOUNTS.get((code, level), DEFAULT_AMOUNT)), "note": NOTE},
        )
        if new:
            created.append(standard)
    return created
