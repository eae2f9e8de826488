"""Factories for the four catalogs. Entries are published through catalogs.services, as the
admin does, unless ``publish=False`` (then they are a never-published draft)."""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from catalogs.choices import CatalogKind, InstitutionType
from catalogs.models import CatalogPage, DemandEntry, GeneralEntry, InstitutionEntry, KeyIndustryEntry
from catalogs.services import entry_publish
from catalogs.validators import credit_code_check_char
from courses.models import Occupation
from tests.factories import site_home
from vocabulary.people import District, TargetGroup
from vocabulary.training import Industry, Level


class CatalogOccupationFactory(DjangoModelFactory):
    class Meta:
        model = Occupation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"6-99-{n // 100 % 100:02d}-{n % 100:02d}")
    name = factory.Sequence(lambda n: f"测试职业{n}")


def credit_code(n: int) -> str:
    first17 = f"91370303MA{n % 10**7:07d}"
    return first17 + credit_code_check_char(first17)


class EntryFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    year = 2026
    publish = True

    @classmethod
    def _create(cls, model_class, *args, publish=True, occupations=None, **kwargs):
        entry = model_class(*args, **kwargs)
        if occupations is not None:
            entry.occupations = occupations
        if publish:
            return entry_publish(entry=entry)
        entry.full_clean()
        entry.live = False
        entry.save()
        entry.save_revision()
        return entry


class KeyIndustryEntryFactory(EntryFactory):
    class Meta:
        model = KeyIndustryEntry

    industry = Industry.CERAMICS
    occupation = factory.SubFactory(CatalogOccupationFactory)
    level = Level.FOUR
    subsidy_amount = Decimal("2000.00")


class GeneralEntryFactory(EntryFactory):
    class Meta:
        model = GeneralEntry

    occupation = factory.SubFactory(CatalogOccupationFactory)
    level = Level.FIVE
    subsidy_amount = Decimal("1200.00")


class DemandEntryFactory(EntryFactory):
    class Meta:
        model = DemandEntry

    occupation = factory.SubFactory(CatalogOccupationFactory)
    level = Level.FIVE
    district = District.ZHANGDIAN
    target_group = TargetGroup.RURAL_WORKER
    demand_count = 50


class InstitutionEntryFactory(EntryFactory):
    class Meta:
        model = InstitutionEntry

    name = factory.Sequence(lambda n: f"淄博第{n}职业培训学校")
    credit_code = factory.Sequence(credit_code)
    district = District.ZHANGDIAN
    institution_type = InstitutionType.PRIVATE
    levels = factory.LazyFunction(lambda: [Level.FIVE, Level.FOUR])
    contact_phone = "0533-2345678"
    occupations = factory.LazyFunction(lambda: [CatalogOccupationFactory()])


FACTORIES = {
    CatalogKind.KEY_INDUSTRY: KeyIndustryEntryFactory,
    CatalogKind.GENERAL: GeneralEntryFactory,
    CatalogKind.DEMAND: DemandEntryFactory,
    CatalogKind.INSTITUTION: InstitutionEntryFactory,
}


def catalog_page(kind: str, *, publish: bool = True) -> CatalogPage:
    """The catalog page of a kind, under the site's HomePage (created once)."""
    page = CatalogPage.objects.filter(kind=kind).first()
    if page is None:
        page = site_home().add_child(
            instance=CatalogPage(
                title=str(CatalogKind(kind).label), slug=f"catalog-{kind}", kind=kind, live=False
            )
        )
    if publish and not page.live:
        page.save_revision().publish()
    page.refresh_from_db()
    return page
