"""The four catalogs (四个目录): published-only pages and API, filters, pagination, query
budgets, credit-code validation, editors' screens and the demo seed."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogs.choices import CatalogKind
from catalogs.models import CatalogPage, GeneralEntry, InstitutionEntry, KeyIndustryEntry
from catalogs.validators import credit_code_check_char, validate_credit_code
from tests.catalogs_factories import (
    FACTORIES,
    CatalogOccupationFactory,
    DemandEntryFactory,
    GeneralEntryFactory,
    InstitutionEntryFactory,
    KeyIndustryEntryFactory,
    catalog_page,
)
from tests.conftest import client_for
from tests.factories import UserFactory
from vocabulary.people import District, TargetGroup
from vocabulary.training import Industry, Level

pytestmark = pytest.mark.django_db

KINDS = list(CatalogKind.values)


def url(kind: str, query: str = "") -> str:
    return f"/api/v1/catalogs/{kind}/" + (f"?{query}" if query else "")


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


# --- API: published only, shape, unknown kind --------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_it_lists_only_published_entries_of_each_catalog(api, kind):
    published = FACTORIES[kind]()
    draft = FACTORIES[kind](publish=False)

    response = api.get(url(kind))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    assert ids(response) == [published.pk]
    assert body["results"][0]["kind"] == kind
    assert type(draft).objects.get(pk=draft.pk).live is False


def test_a_published_entry_shows_its_published_values_until_the_draft_is_published(api):
    entry = GeneralEntryFactory(subsidy_amount=Decimal("1000"))
    entry.subsidy_amount = Decimal("9999")
    entry.save_revision()  # a draft of changes, as the admin's "Save draft" does

    assert api.get(url("general")).json()["results"][0]["subsidy_amount"] == "1000.00"
    assert GeneralEntry.objects.get(pk=entry.pk).has_unpublished_changes is True

    entry.latest_revision.publish()
    assert api.get(url("general")).json()["results"][0]["subsidy_amount"] == "9999.00"


def test_an_unpublished_entry_disappears_from_the_api(api):
    entry = KeyIndustryEntryFactory()
    entry.unpublish()
    assert api.get(url("key-industry")).json()["count"] == 0
    assert KeyIndustryEntry.objects.get(pk=entry.pk).live is False


def test_a_key_industry_entry_has_the_contract_fields(api):
    entry = KeyIndustryEntryFactory(
        industry=Industry.CERAMICS,
        occupation=CatalogOccupationFactory(code="6-15-05-02", name="陶瓷成型施釉工"),
        level=Level.FOUR,
        subsidy_amount=Decimal("2000"),
    )

    item = api.get(url("key-industry")).json()["results"][0]

    assert item == {
        "id": entry.pk,
        "kind": "key-industry",
        "occupation": {"code": "6-15-05-02", "name": "陶瓷成型施釉工"},
        "level": "4",
        "level_name": "四级/中级工",
        "year": 2026,
        "subsidy_amount": "2000.00",
        "industry": "ceramics",
        "industry_name": "陶瓷",
    }


def test_a_demand_entry_has_district_group_and_people(api):
    DemandEntryFactory(district=District.BOSHAN, target_group=TargetGroup.UNEMPLOYED, demand_count=80)
    item = api.get(url("demand")).json()["results"][0]
    assert item["district"] == "博山区"
    assert item["target_group"] == "unemployed"
    assert item["target_group_name"] == "失业人员"
    assert item["demand_count"] == 80
    assert {"occupation", "level", "level_name", "year"} <= set(item)


def test_an_institution_entry_lists_its_occupations_and_levels(api):
    care = CatalogOccupationFactory(code="4-10-01-05", name="养老护理员")
    home = CatalogOccupationFactory(code="4-10-01-06", name="家政服务员")
    entry = InstitutionEntryFactory(
        name="淄博市技师学院", occupations=[home, care], levels=[Level.FOUR, Level.FIVE, Level.FOUR]
    )

    item = api.get(url("institution")).json()["results"][0]

    assert item["name"] == "淄博市技师学院"
    assert item["credit_code"] == entry.credit_code
    assert item["occupations"] == [
        {"code": "4-10-01-05", "name": "养老护理员"},
        {"code": "4-10-01-06", "name": "家政服务员"},
    ]
    assert item["levels"] == ["5", "4"]  # de-duplicated, in level order
    assert item["level_names"] == ["五级/初级工", "四级/中级工"]
    assert item["occupation"] is None and item["level"] is None and item["level_name"] is None
    assert item["institution_type"] == "private"
    assert item["contact_phone"] == "0533-2345678"


def test_an_unknown_catalog_kind_is_a_404_with_a_detail(api):
    response = api.get(url("no-such-kind"))
    assert response.status_code == 404
    assert response.json()["detail"].startswith("没有这个目录")
    english = api.get(url("no-such-kind"), HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["detail"].startswith("No such catalog")


# --- API: filters ------------------------------------------------------------------------------


def test_it_filters_by_occupation_level_year_and_industry(api):
    cook = CatalogOccupationFactory(code="4-03-02-01", name="中式烹调师")
    match = KeyIndustryEntryFactory(occupation=cook, level=Level.FOUR, industry=Industry.CATERING)
    KeyIndustryEntryFactory(occupation=cook, level=Level.THREE, industry=Industry.CATERING)
    KeyIndustryEntryFactory(occupation=cook, level=Level.FOUR, industry=Industry.CATERING, year=2025)
    KeyIndustryEntryFactory(industry=Industry.GLASS, level=Level.FOUR)

    assert api.get(url("key-industry", "occupation=4-03-02-01")).json()["count"] == 3
    assert (
        api.get(url("key-industry", "occupation=4-03-02-01&level=4&year=2026")).json()["results"][0]["id"]
        == match.pk
    )
    assert api.get(url("key-industry", "industry=glass")).json()["count"] == 1
    assert api.get(url("key-industry", "year=2025")).json()["count"] == 1
    assert api.get(url("key-industry", "occupation=9-99-99-99")).json()["count"] == 0


def test_it_filters_demand_by_district_and_institutions_by_occupation_and_level(api):
    DemandEntryFactory(district=District.LINZI)
    DemandEntryFactory(district=District.BOSHAN)
    care = CatalogOccupationFactory(code="4-10-01-05", name="养老护理员")
    senior = InstitutionEntryFactory(occupations=[care], levels=[Level.THREE, Level.TWO])
    InstitutionEntryFactory(levels=[Level.FIVE])

    assert api.get(url("demand", "district=临淄区")).json()["count"] == 1
    assert ids(api.get(url("institution", "occupation=4-10-01-05"))) == [senior.pk]
    assert ids(api.get(url("institution", "level=2"))) == [senior.pk]
    assert api.get(url("institution", "level=1")).json()["count"] == 0
    # A filter that does not apply to the catalog is ignored.
    assert api.get(url("general", "industry=glass")).json()["count"] == 0
    assert api.get(url("demand", "industry=glass")).json()["count"] == 2


@pytest.mark.parametrize("query", ["year=abc", "level=9", "industry=steel", "district=北京", "year=1800"])
def test_a_bad_filter_value_is_a_400_naming_the_parameter(api, query):
    GeneralEntryFactory()
    response = api.get(url("general", query))
    assert response.status_code == 400
    assert response.json()["detail"].startswith(query.split("=")[0] + ":")


# --- API: pagination and query budget ----------------------------------------------------------


def test_the_list_is_paginated_in_a_stable_order(api):
    for _ in range(5):
        GeneralEntryFactory()
    seen = []
    next_url = url("general", "page_size=2")
    while next_url:
        body = api.get(next_url).json()
        assert body["count"] == 5
        seen += [item["id"] for item in body["results"]]
        next_url = body["next"]
    assert len(seen) == len(set(seen)) == 5
    assert seen == ids(api.get(url("general", "page_size=5")))
    assert api.get(url("general", "page=99")).status_code == 404


def _count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("kind", KINDS)
def test_the_api_list_queries_do_not_grow_with_the_number_of_entries(
    api, kind, django_assert_max_num_queries
):
    FACTORIES[kind]()
    few = _count_queries(api, url(kind))
    for _ in range(6):
        FACTORIES[kind]()
    assert _count_queries(api, url(kind)) == few
    # the count, the page of entries with their occupation (institutions: + their occupations)
    with django_assert_max_num_queries(3):
        api.get(url(kind))


# --- API: permissions ---------------------------------------------------------------------------


def test_anonymous_and_signed_in_users_can_read_a_catalog(api, learner):
    GeneralEntryFactory()
    assert api.get(url("general")).json()["count"] == 1
    assert client_for(learner.user).get(url("general")).json()["count"] == 1


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_nobody_can_write_through_the_catalog_api(api, method):
    entry = GeneralEntryFactory()
    staff = client_for(UserFactory(is_staff=True, is_superuser=True))
    for client in (api, staff):
        response = getattr(client, method)(url("general"), {"year": 2020}, format="json")
        assert response.status_code == 405
        assert response.json()["detail"]
    assert GeneralEntry.objects.get(pk=entry.pk).year == 2026


def test_the_schema_documents_the_catalog_endpoint(client):
    text = client.get("/api/schema/").content.decode()
    assert "/api/v1/catalogs/{kind}/" in text
    assert "KeyIndustryEntry" in text and "InstitutionEntry" in text


# --- Credit code --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["91350100M000100Y43", "911100007109292897", "91330100799655058b"])
def test_it_accepts_credit_codes_with_the_right_check_character(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91350100M000100Y44", "check_char"),
        ("91350100M000100Y4", "length"),
        ("91350100M000100Y433", "length"),
        ("", "length"),
        ("91350100M0001O0Y43", "format"),  # the letter O is not used
        ("91ABCDEFM000100Y43", "format"),  # characters 3–8 are an area code
    ],
)
def test_it_rejects_a_bad_credit_code(code, error):
    with pytest.raises(ValidationError) as raised:
        validate_credit_code(code)
    assert raised.value.code == error


def test_an_institution_entry_with_a_wrong_check_character_cannot_be_saved():
    first17 = "12370300495501234"
    good = credit_code_check_char(first17)
    wrong = "0" if good != "0" else "1"
    with pytest.raises(ValidationError) as raised:
        InstitutionEntryFactory(credit_code=first17 + wrong)
    assert "credit_code" in raised.value.message_dict
    assert not InstitutionEntry.objects.exists()


# --- Pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_catalog_page_lists_only_published_entries(client, kind):
    page = catalog_page(kind)
    FACTORIES[kind](**({"name": "已发布的培训学校"} if kind == "institution" else {}))
    FACTORIES[kind](
        publish=False,
        **(
            {"name": "草稿培训学校"}
            if kind == "institution"
            else {"occupation": CatalogOccupationFactory(name="草稿职业")}
        ),
    )

    response = client.get(page.url)

    assert response.status_code == 200
    html = response.content.decode()
    assert page.title in html
    assert "catalogs/catalogs.css" in html
    assert "草稿" not in html
    assert ("已发布的培训学校" if kind == "institution" else "测试职业") in html
    assert "共 1 条" in html


def test_the_catalog_page_filters_and_paginates(client):
    page = catalog_page("key-industry")
    cook = CatalogOccupationFactory(code="4-03-02-01", name="中式烹调师")
    KeyIndustryEntryFactory(occupation=cook, industry=Industry.CATERING)
    for _ in range(22):
        KeyIndustryEntryFactory(industry=Industry.CERAMICS)

    assert "共 23 条" in client.get(page.url).content.decode()
    by_name = client.get(page.url, {"occupation": "烹调"}).content.decode()
    assert "共 1 条" in by_name and "中式烹调师" in by_name
    assert "共 1 条" in client.get(page.url, {"occupation": "4-03"}).content.decode()
    assert "共 22 条" in client.get(page.url, {"industry": "ceramics", "year": "2026"}).content.decode()
    second = client.get(page.url, {"industry": "ceramics", "page": "2"})
    assert second.context["page_obj"].number == 2
    assert len(second.context["entries"]) == 2
    assert "industry=ceramics&amp;page=1" in second.content.decode()
    # A bad value shows an error and does not filter; it is never a 500.
    bad = client.get(page.url, {"level": "9", "page": "x"})
    assert bad.status_code == 200
    assert "共 23 条" in bad.content.decode()


def test_the_catalog_page_queries_do_not_grow_with_the_number_of_entries(
    client, django_assert_max_num_queries
):
    page = catalog_page("institution")
    InstitutionEntryFactory()
    client.get(page.url)  # warm Wagtail's site-root cache
    few = _count_queries(client, page.url)
    for _ in range(8):
        InstitutionEntryFactory()
    assert _count_queries(client, page.url) == few
    # Wagtail's serving: the site, the route (3), aliases, view restrictions; then the catalog's
    # years (filter form), the count, the page of entries and their occupations.
    with django_assert_max_num_queries(10):
        client.get(page.url, {"occupation": "测试", "level": "5"})


def test_an_unpublished_catalog_page_is_not_served(client):
    page = catalog_page("demand", publish=False)
    assert client.get(f"/{page.slug}/").status_code == 404


def test_a_catalog_cannot_have_two_pages():
    catalog_page("general")
    second = CatalogPage(title="另一个一般性目录", slug="general-2", kind="general")
    with pytest.raises(ValidationError) as raised:
        second.full_clean()
    assert "kind" in raised.value.message_dict


# --- Editors' screens and demo -------------------------------------------------------------


def test_editors_can_list_filter_and_open_catalog_entries_in_the_admin(client):
    entry = DemandEntryFactory(district=District.LINZI)
    DemandEntryFactory(district=District.BOSHAN, publish=False)
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))

    listing = client.get("/admin/catalogs/demand/", {"district": "临淄区", "live": "1"})
    assert listing.status_code == 200
    assert listing.context["paginator"].count == 1
    assert client.get(f"/admin/catalogs/demand/edit/{entry.pk}/").status_code == 200
    assert client.get("/admin/catalogs/institution/add/").status_code == 200


def test_an_institution_is_added_drafted_and_compared_in_the_admin(client, api):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    care = CatalogOccupationFactory(code="4-10-01-05", name="养老护理员")
    cook = CatalogOccupationFactory(code="4-03-02-01", name="中式烹调师")
    first17 = "12370300495501234"
    form = {
        "name": "淄博市技师学院",
        "credit_code": first17 + "0",
        "district": District.ZHANGDIAN,
        "institution_type": "technical-school",
        "occupations": [care.pk],
        "levels": ["4", "5"],
        "contact_phone": "0533-2345678",
        "year": "2026",
        "action-publish": "1",
    }

    bad = client.post("/admin/catalogs/institution/add/", form)
    assert bad.status_code == 200
    assert "校验位错误" in bad.content.decode()
    assert not InstitutionEntry.objects.exists()

    form["credit_code"] = (first17 + credit_code_check_char(first17)).lower()
    assert client.post("/admin/catalogs/institution/add/", form).status_code == 302
    entry = InstitutionEntry.objects.get()
    assert entry.live and entry.credit_code == form["credit_code"].upper()
    assert entry.levels == ["5", "4"]

    # A draft that adds an occupation and a level leaves the published entry as it was.
    draft = {**form, "occupations": [care.pk, cook.pk], "levels": ["5", "4", "3"]}
    del draft["action-publish"]
    assert client.post(f"/admin/catalogs/institution/edit/{entry.pk}/", draft).status_code == 302
    item = api.get(url("institution")).json()["results"][0]
    assert [o["code"] for o in item["occupations"]] == ["4-10-01-05"] and item["levels"] == ["5", "4"]
    compare = client.get(f"/admin/catalogs/institution/history/{entry.pk}/revisions/compare/live...latest/")
    assert compare.status_code == 200
    assert "中式烹调师" in compare.content.decode()


def test_an_entry_submitted_by_an_editor_is_published_only_when_a_moderator_approves(client, api):
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Workflow, WorkflowContentType

    workflow = Workflow.objects.get(name="内容审核")  # Wagtail's default workflow (renamed: courses 0008)
    WorkflowContentType.objects.create(
        content_type=ContentType.objects.get_for_model(GeneralEntry), workflow=workflow
    )
    editors = Group.objects.create(name="Catalog editors")
    editors.permissions.add(
        Permission.objects.get(codename="access_admin"),
        *Permission.objects.filter(codename__in=["add_generalentry", "change_generalentry"]),
    )
    editor = UserFactory(username="catalog-editor")
    editor.groups.add(editors)
    moderator = UserFactory(username="moderator", is_staff=True, is_superuser=True)
    client.force_login(editor)
    occupation = CatalogOccupationFactory(code="4-03-02-01", name="中式烹调师")
    form = {"occupation": occupation.pk, "level": "5", "year": "2026", "subsidy_amount": "800"}

    # Without the publish permission, "Publish" only saves a draft.
    refused = client.post("/admin/catalogs/general/add/", {**form, "action-publish": "1"})
    assert refused.status_code == 302
    assert GeneralEntry.objects.get().live is False
    GeneralEntry.objects.all().delete()

    response = client.post("/admin/catalogs/general/add/", {**form, "action-submit": "1"})

    assert response.status_code == 302
    entry = GeneralEntry.objects.get()
    assert entry.live is False
    assert entry.workflow_in_progress
    assert api.get(url("general")).json()["count"] == 0

    entry.current_workflow_task.on_action(
        entry.current_workflow_task_state, user=moderator, action_name="approve"
    )

    entry.refresh_from_db()
    assert entry.live is True
    assert ids(api.get(url("general"))) == [entry.pk]


def test_the_demo_seed_creates_published_catalogs_idempotently(client):
    from catalogs.demo import seed_catalogs
    from courses.occupations import occupations_load
    from tests.factories import site_home

    occupations_load()
    site_home()
    seed_catalogs()
    counts = {kind: FACTORIES[kind]._meta.model.objects.count() for kind in KINDS}
    seed_catalogs()

    assert {kind: FACTORIES[kind]._meta.model.objects.count() for kind in KINDS} == counts
    assert CatalogPage.objects.live().count() == 4
    for kind in KINDS:
        assert client.get(url(kind)).json()["count"] >= 2
    institutions = client.get(url("institution")).json()["results"]
    assert "淄博市技师学院" in [item["name"] for item in institutions]
    for item in institutions:
        validate_credit_code(item["credit_code"])
    # Editors draft and submit, moderators publish, through Wagtail's default workflow.
    from django.contrib.auth.models import Group
    from wagtail.models import WorkflowContentType

    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    assert {"add_demandentry", "change_demandentry"} <= editors
    assert "publish_demandentry" not in editors
    assert "publish_demandentry" in Group.objects.get(name="Moderators").permissions.values_list(
        "codename", flat=True
    )
    assert WorkflowContentType.objects.filter(content_type__app_label="catalogs").count() == 4
