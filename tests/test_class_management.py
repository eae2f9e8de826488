"""Institution staff run their classes from the pages and the API, without typing a URL: create
and edit a class (its institution is always theirs; teachers from the vetted pool; capacity),
add a member, assign a course once, and reach the class's dashboard, roster import and export by
links. Every new page and endpoint per persona (tests/institutions_factories.World). The
migration that merges duplicate assignments: test_class_management_migration.py."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from institutions.models import Assignment, ClassMembership, TrainingClass
from learners.models import Enrollment
from teachers.models import TeacherState
from tests.conftest import client_for
from tests.factories import LearnerFactory, make_course
from tests.institutions_factories import make_world, member
from tests.teachers_factories import TeacherFactory

pytestmark = pytest.mark.django_db

PERSONAS = ["learner_a", "staff_a", "staff_b", "hr_a", "official", "editor", "bureau", "auditor", "anonymous"]


@pytest.fixture
def world():
    return make_world()


def user_of(world, persona):
    return getattr(world, persona).user if persona.startswith("learner_") else getattr(world, persona)


def page_client(client, world, persona):
    if persona != "anonymous":
        client.force_login(user_of(world, persona))
    return client


def api_for(world, persona) -> APIClient:
    return APIClient() if persona == "anonymous" else client_for(user_of(world, persona))


def links(response) -> list[str]:
    return re.findall(r'href="([^"#]+)"', response.content.decode())


def day(days: int = 0) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def class_form(course, /, **fields) -> dict:
    return {
        "name": "2026年养老护理员（五级）第9期",
        "course": course.pk,
        "starts_on": day(1),
        "ends_on": day(60),
        "capacity": "",
        "mode": "online",
        "place": "",
        **fields,
    }


# --- reaching every tool from links --------------------------------------------------------------


def test_staff_reach_every_class_tool_by_links_from_the_class_list(client, world):
    client.force_login(world.staff_a)
    listing = client.get("/institution/classes/")
    assert listing.status_code == 200 and "新建班级" in listing.content.decode()
    assert "/institution/classes/new/" in links(listing)
    detail_url = f"/institution/classes/{world.class_a.pk}/"
    assert detail_url in links(listing)

    page = client.get(detail_url)
    html = page.content.decode()
    for words in ("学习看板", "导出 Excel", "批量导入", "添加学员", "编辑班级", "布置学习任务"):
        assert words in html
    tools = {
        f"/institution/rosters/classes/{world.class_a.pk}/dashboard/",
        f"/institution/rosters/classes/{world.class_a.pk}/dashboard.xlsx",
        f"/institution/rosters/classes/{world.class_a.pk}/import/",
        f"/institution/classes/{world.class_a.pk}/members/add/",
        f"/institution/classes/{world.class_a.pk}/edit/",
    }
    assert tools <= set(links(page))
    assert 'href="#assign"' in html and 'id="assign"' in html
    for url in tools:
        response = client.get(url)
        assert response.status_code == 200, url
        if not url.endswith(".xlsx"):  # and each page links back to the class
            assert detail_url in links(response), url
    assert "/institution/classes/" in links(client.get("/institution/classes/new/"))


def test_readers_who_cannot_manage_see_the_dashboard_and_export_but_no_staff_tool(client, world):
    for reader in (world.official, world.bureau):
        client.force_login(reader)
        listing = client.get("/institution/classes/").content.decode()
        html = client.get(f"/institution/classes/{world.class_a.pk}/").content.decode()
        assert "新建班级" not in listing
        assert "学习看板" in html and "导出 Excel" in html
        for words in ("批量导入", "添加学员", "编辑班级", 'name="due_at"'):
            assert words not in html


# --- creating and editing a class from the pages ------------------------------------------------


def test_staff_create_a_class_for_their_institution_with_teachers_from_the_pool(client, world):
    course = make_course(title="养老护理员（四级）技能提升")
    make_course(title="未发布的草稿课程", publish=False)
    lead, other = TeacherFactory(name="孙丽"), TeacherFactory(name="周强")
    TeacherFactory(name="待审核教师", state=TeacherState.SUBMITTED)
    client.force_login(world.staff_a)

    form = client.get("/institution/classes/new/").content.decode()
    assert "养老护理员（四级）技能提升" in form and "未发布的草稿课程" not in form
    assert "孙丽" in form and "周强" in form and "待审核教师" not in form
    assert world.institution_a.name in form and 'name="institution"' not in form

    response = client.post(
        "/institution/classes/new/",
        class_form(
            course,
            capacity="30",
            mode="blended",
            place="张店区柳泉路128号",
            teacher=lead.pk,
            teachers=[other.pk],
            institution=world.institution_b.pk,  # not a field: ignored
        ),
    )

    created = TrainingClass.objects.get(name="2026年养老护理员（五级）第9期")
    assert response.status_code == 302 and response["Location"] == f"/institution/classes/{created.pk}/"
    assert created.institution == world.institution_a and created.district == world.institution_a.district
    assert (created.course, created.occupation, created.level) == (course, course.occupation, course.level)
    assert (created.capacity, created.mode, created.place) == (30, "blended", "张店区柳泉路128号")
    assert created.teacher == lead and set(created.teachers.all()) == {lead, other}
    page = client.get(response["Location"]).content.decode()
    assert "已新建班级" in page and "孙丽（主讲）" in page and "学员 0 / 30 人" in page


@pytest.mark.parametrize(
    "fields,field,words",
    [
        ({"ends_on": day(-5)}, "ends_on", "结业日期不能早于开班日期"),
        ({"mode": "offline"}, "place", "请填写上课地点"),
        ({"capacity": "0"}, "capacity", "1"),
        ({"name": ""}, "name", ""),
        ({"starts_on": "1900-01-01"}, "starts_on", "日期须在 2000 年至 2099 年之间"),
    ],
)
def test_the_class_form_refuses_with_actionable_messages(client, world, fields, field, words):
    client.force_login(world.staff_a)
    response = client.post("/institution/classes/new/", class_form(world.class_a.course, **fields))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert words in response.content.decode()
    assert TrainingClass.objects.count() == 2


def test_a_teacher_outside_the_vetted_pool_cannot_be_chosen(client, world):
    suspended = TeacherFactory(state=TeacherState.SUSPENDED)
    client.force_login(world.staff_a)
    response = client.post(
        "/institution/classes/new/", class_form(world.class_a.course, teachers=[suspended.pk])
    )
    assert response.status_code == 400 and "teachers" in response.context["form"].errors
    assert TrainingClass.objects.count() == 2


def test_staff_edit_a_class_from_its_page(client, world):
    lead = TeacherFactory(name="孙丽")
    world.class_a.teachers.set([lead])
    TrainingClass.objects.filter(pk=world.class_a.pk).update(teacher=lead)
    other = TeacherFactory(name="周强")
    client.force_login(world.staff_a)
    url = f"/institution/classes/{world.class_a.pk}/edit/"

    form = client.get(url)
    assert form.status_code == 200 and f'value="{world.class_a.name}"' in form.content.decode()
    response = client.post(
        url,
        class_form(
            world.class_a.course, name="改名后的班级", capacity="20", teacher=other.pk, teachers=[lead.pk]
        ),
    )

    assert response.status_code == 302
    world.class_a.refresh_from_db()
    assert (world.class_a.name, world.class_a.capacity) == ("改名后的班级", 20)
    assert world.class_a.teacher == other and set(world.class_a.teachers.all()) == {lead, other}
    assert world.class_a.institution == world.institution_a
    assert "已保存班级信息" in client.get(response["Location"]).content.decode()


def test_the_capacity_cannot_drop_below_the_members_nor_the_course_change_once_there_are_members(
    client, world
):
    member(world.class_a, LearnerFactory())  # two members now
    client.force_login(world.staff_a)
    url = f"/institution/classes/{world.class_a.pk}/edit/"

    too_small = client.post(url, class_form(world.class_a.course, capacity="1"))
    other_course = client.post(url, class_form(make_course()))

    assert too_small.status_code == 400 and "班额不能少于现有学员人数（2 人）" in too_small.content.decode()
    assert other_course.status_code == 400 and "班级已有学员，不能更换课程" in other_course.content.decode()
    world.class_a.refresh_from_db()
    assert world.class_a.capacity is None and world.class_a.name != "2026年养老护理员（五级）第9期"


# --- members and assignments from the pages --------------------------------------------------------


def test_staff_add_a_registered_learner_by_name_and_id_number(client, world):
    Assignment.objects.create(
        training_class=world.class_a,
        course=world.class_a.course,
        due_at=timezone.now() + dt.timedelta(days=9),
    )
    newcomer = LearnerFactory(real_name="赵志强")
    client.force_login(world.staff_a)
    url = f"/institution/classes/{world.class_a.pk}/members/add/"

    wrong_name = client.post(url, {"real_name": "赵志刚", "id_number": newcomer.id_number})
    added = client.post(url, {"real_name": "赵志强", "id_number": newcomer.id_number.lower()})

    assert (
        wrong_name.status_code == 400
        and "没有找到姓名与身份证号一致的注册学员" in wrong_name.content.decode()
    )
    assert added.status_code == 302
    assert ClassMembership.objects.filter(training_class=world.class_a, learner=newcomer).exists()
    assert Enrollment.objects.get(learner=newcomer, course=world.class_a.course).source == "class"
    assert "已将赵志强加入班级" in client.get(added["Location"]).content.decode()
    again = client.post(url, {"real_name": "赵志强", "id_number": newcomer.id_number})
    assert "赵志强已在本班级" in client.get(again["Location"]).content.decode()


def test_a_full_class_refuses_one_more_member_on_the_page_and_the_api(client, world):
    TrainingClass.objects.filter(pk=world.class_a.pk).update(capacity=1)  # learner A fills it
    late, later = LearnerFactory(), LearnerFactory()
    client.force_login(world.staff_a)

    page = client.post(
        f"/institution/classes/{world.class_a.pk}/members/add/",
        {"real_name": late.real_name, "id_number": late.id_number},
    )
    api = client_for(world.staff_a).post(
        f"/api/v1/classes/{world.class_a.pk}/members/", {"learner": later.pk}, format="json"
    )

    assert page.status_code == 400 and "班级已满（班额 1 人）" in page.content.decode()
    assert api.status_code == 400 and "班级已满" in api.json()["detail"]
    assert ClassMembership.objects.filter(training_class=world.class_a).count() == 1


def test_a_course_is_assigned_once_and_the_dashboard_counts_its_hours_once(client, world):
    course = world.class_a.course
    client.force_login(world.staff_a)
    url = f"/institution/classes/{world.class_a.pk}/"
    due = (timezone.localtime() + dt.timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")

    first = client.post(url, {"course": course.pk, "due_at": due})
    second = client.post(url, {"course": course.pk, "due_at": due})
    api = client_for(world.staff_a).post(
        f"/api/v1/classes/{world.class_a.pk}/assignments/",
        {"course": course.pk, "due_at": (timezone.now() + dt.timedelta(days=20)).isoformat()},
        format="json",
    )

    assert first.status_code == 302
    assert second.status_code == 400
    assert f"《{course.title}》已布置给本班级" in second.content.decode()
    assert api.status_code == 400 and "已布置给本班级" in api.json()["detail"]
    assert Assignment.objects.filter(training_class=world.class_a).count() == 1
    dashboard = client_for(world.staff_a).get(f"/api/v1/classes/{world.class_a.pk}/dashboard/").json()
    (row,) = dashboard["members"]
    assert row["required_seconds"] == course.required_seconds  # not twice over
    assert row["total_lessons"] == course.lessons.count()


# --- the new pages, per persona ----------------------------------------------------------------------

CREATE_PAGE = {"staff_a": 200, "staff_b": 200}
CLASS_A_PAGES = {"staff_a": 200, "staff_b": 404, "official": 403}  # everyone else: 403 (anonymous: login)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_open_and_post_the_new_pages(client, world, persona):
    client = page_client(client, world, persona)
    pages = {
        "/institution/classes/new/": CREATE_PAGE.get(persona, 403),
        f"/institution/classes/{world.class_a.pk}/edit/": CLASS_A_PAGES.get(persona, 403),
        f"/institution/classes/{world.class_a.pk}/members/add/": CLASS_A_PAGES.get(persona, 403),
    }
    newcomer = LearnerFactory()
    for path, expected in pages.items():
        response = client.get(path)
        if persona == "anonymous":
            assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={path}"
        else:
            assert response.status_code == expected, path
    if CLASS_A_PAGES.get(persona) != 200:
        client.post("/institution/classes/new/", class_form(world.class_a.course))
        client.post(
            f"/institution/classes/{world.class_a.pk}/edit/", class_form(world.class_a.course, name="x")
        )
        client.post(
            f"/institution/classes/{world.class_a.pk}/members/add/",
            {"real_name": newcomer.real_name, "id_number": newcomer.id_number},
        )
        world.class_a.refresh_from_db()
        assert world.class_a.name != "x"
        assert not ClassMembership.objects.filter(learner=newcomer).exists()
        expected_classes = 3 if persona == "staff_b" else 2  # staff B creates for B
        assert TrainingClass.objects.count() == expected_classes


def test_an_official_gets_a_404_for_a_class_outside_their_district(client, world):
    client.force_login(world.official)
    assert client.get(f"/institution/classes/{world.class_b.pk}/edit/").status_code == 404
    assert client.get(f"/institution/classes/{world.class_b.pk}/members/add/").status_code == 404


# --- the API: POST /classes/ and PATCH /classes/{id}/ --------------------------------------------------

CREATE = {"staff_a": 201, "staff_b": 201, "anonymous": 401}  # everyone else: 403
EDIT_CLASS_A = {"staff_a": 200, "staff_b": 404, "anonymous": 401}  # everyone else: 403


def api_class(course, /, **fields) -> dict:
    return {
        "name": "2026年电工（四级）第1期",
        "course": course.pk,
        "starts_on": day(1),
        "ends_on": day(30),
        **fields,
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_create_and_edit_a_class_through_the_api(world, persona):
    api = api_for(world, persona)

    created = api.post("/api/v1/classes/", api_class(world.class_a.course), format="json")
    edited = api.patch(f"/api/v1/classes/{world.class_a.pk}/", {"name": "改名"}, format="json")

    assert created.status_code == CREATE.get(persona, 403)
    assert edited.status_code == EDIT_CLASS_A.get(persona, 403)
    if created.status_code != 201:
        assert created.json()["detail"] and not TrainingClass.objects.filter(name="2026年电工（四级）第1期")
    if edited.status_code != 200:
        assert edited.json()["detail"]
        world.class_a.refresh_from_db()
        assert world.class_a.name != "改名"


def test_an_official_patching_a_class_outside_their_district_gets_a_404(world):
    response = client_for(world.official).patch(
        f"/api/v1/classes/{world.class_b.pk}/", {"name": "x"}, format="json"
    )
    assert response.status_code == 404 and response.json()["detail"]


def test_staff_create_a_class_through_the_api_for_their_own_institution(world):
    lead, other = TeacherFactory(name="孙丽"), TeacherFactory(name="周强")

    response = client_for(world.staff_a).post(
        "/api/v1/classes/",
        api_class(
            world.class_a.course,
            capacity=40,
            mode="offline",
            place="淄川区技工学校实训楼",
            teacher=lead.pk,
            teachers=[other.pk, lead.pk],
            institution=world.institution_b.pk,  # not accepted: ignored
        ),
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    created = TrainingClass.objects.get(pk=body["id"])
    assert created.institution == world.institution_a
    assert body["institution"] == {"id": world.institution_a.pk, "name": world.institution_a.name}
    assert (body["capacity"], body["mode"], body["place"]) == (40, "offline", "淄川区技工学校实训楼")
    assert body["teacher"] == {"id": lead.pk, "name": "孙丽"}
    assert body["teachers"] == [{"id": lead.pk, "name": "孙丽"}, {"id": other.pk, "name": "周强"}]
    assert body["member_count"] == 0 and body["members"] == [] and body["can_manage"] is True
    listed = client_for(world.staff_a).get("/api/v1/classes/").json()["results"]
    assert {item["id"] for item in listed} == {world.class_a.pk, created.pk}


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"ends_on": day(-1)}, "ends_on"),
        ({"mode": "offline"}, "place"),
        ({"capacity": 0}, "capacity"),
        ({"course": 10**6}, "course"),
        ({"teachers": [10**6]}, "teachers"),
        ({"starts_on": "0001-01-01"}, "starts_on"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_class_is_a_400_naming_the_field(world, fields, field):
    response = client_for(world.staff_a).post(
        "/api/v1/classes/", api_class(world.class_a.course, **fields), format="json"
    )
    assert response.status_code == 400
    assert response.json()["detail"] and field in response.json()["errors"]
    assert TrainingClass.objects.count() == 2


def test_drafts_and_teachers_outside_the_pool_are_refused_through_the_api(world):
    api = client_for(world.staff_a)
    draft = make_course(publish=False)
    pending = TeacherFactory(state=TeacherState.SUBMITTED)
    assert api.post("/api/v1/classes/", api_class(draft), format="json").status_code == 400
    refused = api.post("/api/v1/classes/", api_class(world.class_a.course, teacher=pending.pk), format="json")
    assert refused.status_code == 400 and "teacher" in refused.json()["errors"]


def test_staff_patch_only_the_fields_they_send(world):
    lead = TeacherFactory(name="孙丽")
    api = client_for(world.staff_a)
    url = f"/api/v1/classes/{world.class_a.pk}/"
    before = world.class_a.ends_on

    response = api.patch(url, {"capacity": 25, "teachers": [lead.pk]}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["capacity"] == 25 and body["teacher"]["id"] == lead.pk and body["name"] == world.class_a.name
    world.class_a.refresh_from_db()
    assert world.class_a.ends_on == before and world.class_a.teacher == lead
    too_small = api.patch(url, {"capacity": 0}, format="json")
    assert too_small.status_code == 400
    member(world.class_a, LearnerFactory())
    below = api.patch(url, {"capacity": 1}, format="json")
    course = api.patch(url, {"course": make_course().pk}, format="json")
    before_start = api.patch(
        url, {"ends_on": (world.class_a.starts_on - dt.timedelta(days=1)).isoformat()}, format="json"
    )
    assert below.status_code == 400 and "班额不能少于现有学员人数（2 人）" in below.json()["detail"]
    assert course.status_code == 400 and "不能更换课程" in course.json()["detail"]
    assert before_start.status_code == 400 and "ends_on" in before_start.json()["errors"]
