"""Demo data for the four catalogs: their pages and published entries with Zibo content.

Idempotent: entries are found by their natural key and only created or published when
missing. Assumes the occupations are loaded and the site root is the courses.HomePage.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.models import WorkflowContentType, WorkflowPage

from catalogs.choices import CatalogKind, InstitutionType
from catalogs.models import (
    ENTRY_MODELS,
    CatalogPage,
    DemandEntry,
    GeneralEntry,
    InstitutionEntry,
    KeyIndustryEntry,
)
from catalogs.services import entry_publish
from catalogs.validators import credit_code_check_char
from courses.models import HomePage, Occupation
from vocabulary.people import District, TargetGroup
from vocabulary.training import Industry, Level

YEAR = 2026

PAGES = {
    CatalogKind.KEY_INDUSTRY: "淄博市重点产业职业技能培训指导目录围绕陶瓷、玻璃、化工、医药等重点产业，列出优先培训的职业（工种）、等级和补贴标准。",
    CatalogKind.GENERAL: "一般性职业技能培训目录列出面向全体劳动者的通用职业（工种）培训及补贴标准。",
    CatalogKind.DEMAND: "劳动者职业技能培训需求目录汇总各区县摸底调查的培训需求，供培训机构按需开班。",
    CatalogKind.INSTITUTION: "职业技能培训机构目录列出经认定可承担补贴性职业技能培训的机构及其培训职业（工种）和等级。",
}

# (industry, occupation code, level, subsidy 元/人)
KEY_INDUSTRY = [
    (Industry.CERAMICS, "6-15-05-02", Level.FOUR, "2000"),
    (Industry.GLASS, "6-15-03-03", Level.FOUR, "1800"),
    (Industry.CHEMICAL, "6-11-01-03", Level.THREE, "2500"),
    (Industry.ELDERLY_CARE, "4-10-01-05", Level.FIVE, "1500"),
]
# (occupation code, level, subsidy 元/人)
GENERAL = [
    ("4-03-02-01", Level.FIVE, "1200"),
    ("4-10-01-06", Level.FIVE, "1000"),
    ("4-03-02-02", Level.FIVE, "1100"),
]
# (occupation code, level, district, target group, people)
DEMAND = [
    ("4-10-01-05", Level.FIVE, District.ZHANGDIAN, TargetGroup.RURAL_WORKER, 120),
    ("6-15-05-02", Level.FOUR, District.BOSHAN, TargetGroup.ENTERPRISE_EMPLOYEE, 80),
    ("6-11-01-03", Level.THREE, District.LINZI, TargetGroup.ENTERPRISE_EMPLOYEE, 150),
    ("4-10-01-06", Level.FIVE, District.ZHOUCUN, TargetGroup.UNEMPLOYED, 60),
]


@dataclass(frozen=True)
class DemoInstitution:
    name: str
    credit_code_first17: str
    district: str
    institution_type: str
    occupations: tuple[str, ...]
    levels: tuple[str, ...]
    contact_phone: str


INSTITUTIONS = [
    DemoInstitution(
        "淄博市技师学院",
        "12370300495501234",
        District.ZHANGDIAN,
        InstitutionType.TECHNICAL_SCHOOL,
        ("6-11-01-03", "6-15-05-02", "6-31-01-03"),
        (Level.FIVE, Level.FOUR, Level.THREE, Level.TWO),
        "0533-2345678",
    ),
    DemoInstitution(
        "淄博职业学院",
        "12370300495502110",
        District.ZHANGDIAN,
        InstitutionType.COLLEGE,
        ("4-10-01-05", "4-03-02-01"),
        (Level.FIVE, Level.FOUR, Level.THREE),
        "0533-2348000",
    ),
    DemoInstitution(
        "淄博周村康乐家政养老职业培训学校",
        "52370306MJE123456",
        District.ZHOUCUN,
        InstitutionType.PRIVATE,
        ("4-10-01-05", "4-10-01-06"),
        (Level.FIVE, Level.FOUR),
        "0533-6123456",
    ),
]


def demo_credit_code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


def _occupation(code: str) -> Occupation:
    return Occupation.objects.get(code=code)


def _pages() -> None:
    home = HomePage.objects.first()
    if home is None:
        raise RuntimeError("No HomePage: seed the site root before the catalogs.")
    for kind, intro in PAGES.items():
        page = CatalogPage.objects.filter(kind=kind).first()
        if page is None:
            page = home.add_child(
                instance=CatalogPage(
                    title=str(CatalogKind(kind).label),
                    slug=f"catalog-{kind}",
                    kind=kind,
                    intro=f"<p>{intro}</p>",
                )
            )
        if not page.live or page.has_unpublished_changes:
            page.save_revision().publish()


def _published(entry, existing) -> None:
    """Publish ``entry`` unless an equal live entry exists already."""
    if existing is not None and existing.live:
        return
    entry_publish(entry=existing or entry)


def _entries() -> None:
    for industry, code, level, amount in KEY_INDUSTRY:
        occupation = _occupation(code)
        existing = KeyIndustryEntry.objects.filter(occupation=occupation, level=level, year=YEAR).first()
        entry = KeyIndustryEntry(
            industry=industry, occupation=occupation, level=level, year=YEAR, subsidy_amount=Decimal(amount)
        )
        _published(entry, existing)
    for code, level, amount in GENERAL:
        occupation = _occupation(code)
        existing = GeneralEntry.objects.filter(occupation=occupation, level=level, year=YEAR).first()
        entry = GeneralEntry(occupation=occupation, level=level, year=YEAR, subsidy_amount=Decimal(amount))
        _published(entry, existing)
    for code, level, district, group, people in DEMAND:
        occupation = _occupation(code)
        key = {
            "occupation": occupation,
            "level": level,
            "year": YEAR,
            "district": district,
            "target_group": group,
        }
        existing = DemandEntry.objects.filter(**key).first()
        _published(DemandEntry(**key, demand_count=people), existing)
    for spec in INSTITUTIONS:
        credit_code = demo_credit_code(spec.credit_code_first17)
        existing = InstitutionEntry.objects.filter(credit_code=credit_code, year=YEAR).first()
        entry = InstitutionEntry(
            name=spec.name,
            credit_code=credit_code,
            district=spec.district,
            institution_type=spec.institution_type,
            levels=list(spec.levels),
            contact_phone=spec.contact_phone,
            year=YEAR,
        )
        entry.occupations = [_occupation(code) for code in spec.occupations]
        _published(entry, existing)


def _review() -> None:
    """Editors draft and submit entries; moderators (and the site's default workflow, the root
    page's, when it exists) review and publish them."""
    content_types = ContentType.objects.get_for_models(*ENTRY_MODELS.values()).values()
    permissions = Permission.objects.filter(content_type__in=content_types)
    editors = Group.objects.filter(name="Editors").first()
    if editors is not None:
        editors.permissions.add(*permissions.exclude(codename__startswith="publish_"))
    moderators = Group.objects.filter(name="Moderators").first()
    if moderators is not None:
        moderators.permissions.add(*permissions)
    root = (
        WorkflowPage.objects.filter(page__depth=1, workflow__active=True).select_related("workflow").first()
    )
    workflow = root.workflow if root is not None else None
    if workflow is not None:
        for content_type in content_types:
            WorkflowContentType.objects.get_or_create(
                content_type=content_type, defaults={"workflow": workflow}
            )


@transaction.atomic
def seed_catalogs() -> None:
    """The four catalog pages (published) and published entries of each catalog."""
    _pages()
    _entries()
    _review()
