"""Teaching materials (教材): ISBNs, moderation workflow, public API of live materials, search."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.search.backends import get_search_backend

from teachers.isbn import isbn10_check_char, isbn13_check_digit, isbn_normalize
from teachers.models import Material, Teacher
from teachers.selectors import live_materials
from tests.factories import OccupationFactory
from tests.teachers_factories import MaterialFactory, TeacherFactory, editor_user, reviewer_user
from vocabulary.training import Level

pytestmark = pytest.mark.django_db


# --- ISBN ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("9787516745120", "9787516745120"),
        ("978-7-5167-4512-0", "9787516745120"),
        ("ISBN 978-7-5167-4512-0", "9787516745120"),
        (" 978 7 5167 4512 0 ", "9787516745120"),
        ("0-306-40615-2", "9780306406157"),  # ISBN-10 → ISBN-13
        ("7-111-10062-X", "9787111100621"),  # ISBN-10 with X
        ("7-111-10062-x", "9787111100621"),
        ("", ""),
    ],
)
def test_isbns_are_normalised_to_isbn13(typed, stored):
    assert isbn_normalize(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("978-7-5167-4512-1", "check_digit"),
        ("0-306-40615-3", "check_digit"),
        ("7-111-10062-1", "check_digit"),
        ("978-7-5167-4512", "length"),
        ("97875167451201", "length"),
        ("12345", "length"),
        ("978751674512X", "format"),
        ("X306406152", "format"),
        ("1234567890128", "prefix"),
    ],
)
def test_bad_isbns_are_refused_with_a_reason(typed, code):
    with pytest.raises(ValidationError) as error:
        isbn_normalize(typed)
    assert error.value.code == code
    assert "ISBN" in error.value.messages[0]


def test_check_digits_follow_the_standards():
    assert isbn13_check_digit("978030640615") == "7"
    assert isbn10_check_char("030640615") == "2"
    assert isbn10_check_char("711110062") == "X"


def test_a_material_stores_the_isbn13_after_full_clean_or_save():
    material = MaterialFactory.build(isbn="7-111-10062-X", occupation=OccupationFactory())
    material.full_clean()
    assert material.isbn == "9787111100621"
    saved = MaterialFactory(isbn="978-7-5167-4512-0")
    assert Material.objects.get(pk=saved.pk).isbn == "9787516745120"


def test_a_material_with_a_bad_isbn_does_not_validate():
    material = MaterialFactory.build(isbn="978-7-5167-4512-9", occupation=OccupationFactory())
    with pytest.raises(ValidationError) as error:
        material.full_clean()
    assert "isbn" in error.value.message_dict


# --- Moderation workflow ---------------------------------------------------------------------


def _material_form(occupation, **overrides):
    data = {
        "title": "养老护理员（基础知识）",
        "authors": "人力资源社会保障部教材办公室 组织编写",
        "publisher": "中国劳动社会保障出版社",
        "isbn": "978-7-5167-4512-0",
        "edition": "第2版",
        "year": "2020",
        "occupation": occupation.pk,
        "level": Level.FIVE,
        "provincial_quality": "on",
        "summary": "配套教材",
    }
    return data | overrides


def test_materials_go_through_the_default_moderation_workflow():
    workflow = MaterialFactory(publish=False).get_workflow()
    assert workflow is not None and workflow.active


def test_an_editor_submits_and_a_moderator_approves_before_a_material_is_public(client, api):
    occupation = OccupationFactory()
    client.force_login(editor_user())
    response = client.post(
        "/admin/snippets/teachers/material/add/", _material_form(occupation) | {"action-submit": "1"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    material = Material.objects.get()
    assert material.live is False
    assert material.isbn == "9787516745120"
    assert material.workflow_in_progress
    assert api.get("/api/v1/materials/").json()["count"] == 0

    task_state = material.current_workflow_task_state
    task_state.approve(user=reviewer_user())

    material.refresh_from_db()
    assert material.live is True
    body = api.get("/api/v1/materials/").json()
    assert [m["id"] for m in body["results"]] == [material.pk]


def test_an_editor_cannot_publish_directly(client):
    occupation = OccupationFactory()
    client.force_login(editor_user())
    client.post(
        "/admin/snippets/teachers/material/add/", _material_form(occupation) | {"action-publish": "1"}
    )
    assert not Material.objects.filter(live=True).exists()


def test_the_admin_refuses_a_bad_isbn(client):
    occupation = OccupationFactory()
    client.force_login(reviewer_user())
    response = client.post(
        "/admin/snippets/teachers/material/add/",
        _material_form(occupation, isbn="978-7-5167-4512-9") | {"action-publish": "1"},
    )
    assert response.status_code == 200
    assert "校验位" in response.content.decode()
    assert not Material.objects.exists()


def test_editors_see_the_material_and_teacher_screens(client):
    MaterialFactory(title="化工总控工（中级）")
    teacher = TeacherFactory(name="赵明")
    client.force_login(editor_user())
    assert "化工总控工（中级）" in client.get("/admin/snippets/teachers/material/").content.decode()
    assert client.get("/admin/snippets/teachers/material/add/").status_code == 200
    assert client.get(f"/admin/snippets/teachers/teacher/edit/{teacher.pk}/").status_code == 200


# --- Public API ----------------------------------------------------------------------------


def test_the_list_shows_live_materials_only_with_the_contract_fields(api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = get_document_model()(title="电子版")
    document.file.save("book.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    document.save()
    care = OccupationFactory()
    material = MaterialFactory(
        title="养老护理员（基础知识）",
        isbn="978-7-5167-4512-0",
        year=2020,
        occupation=care,
        provincial_quality=True,
        document=document,
    )
    MaterialFactory(title="草稿教材", publish=False)
    unpublished = MaterialFactory(title="已撤下教材")
    unpublished.unpublish()

    response = api.get("/api/v1/materials/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == material.pk
    assert item["title"] == "养老护理员（基础知识）"
    assert item["authors"] == material.authors and item["publisher"] == "中国劳动社会保障出版社"
    assert item["isbn"] == "9787516745120" and item["year"] == 2020
    assert item["occupation"] == {"code": "4-10-01-05", "name": "养老护理员"}
    assert (item["level"], item["level_name"]) == ("5", "五级/初级工")
    assert item["provincial_quality"] is True
    assert item["document_url"] == document.url


def test_a_live_material_shows_its_published_version_not_a_pending_draft(api):
    material = MaterialFactory(title="已发布书名")
    material.title = "草稿中的新书名"
    material.save_revision()
    titles = [m["title"] for m in api.get("/api/v1/materials/").json()["results"]]
    assert titles == ["已发布书名"]
    assert api.get(f"/api/v1/materials/{material.pk}/").json()["title"] == "已发布书名"


def test_the_detail_is_a_404_unless_live(api):
    live = MaterialFactory()
    draft = MaterialFactory(publish=False)
    unpublished = MaterialFactory()
    unpublished.unpublish()
    assert api.get(f"/api/v1/materials/{live.pk}/").json()["id"] == live.pk
    for pk in (draft.pk, unpublished.pk, 999999, 2**70):
        response = api.get(f"/api/v1/materials/{pk}/")
        assert response.status_code == 404
        assert response.json()["detail"]


def test_the_list_filters_by_occupation_level_and_text(api):
    cook = OccupationFactory(code="4-03-02-01", name="中式烹调师")
    MaterialFactory(title="中式烹调师（初级）", occupation=cook, level=Level.FIVE, summary="鲁菜实训菜例")
    MaterialFactory(title="养老护理员（四级）", level=Level.FOUR, publisher="中国劳动社会保障出版社")
    MaterialFactory(title="中式烹调师（草稿）", occupation=cook, publish=False)

    def titles(query):
        return [m["title"] for m in api.get(f"/api/v1/materials/{query}").json()["results"]]

    assert titles("?occupation=4-03-02-01") == ["中式烹调师（初级）"]
    assert titles("?level=4") == ["养老护理员（四级）"]
    assert titles("?level=nonsense") == []
    assert titles("?q=鲁菜") == ["中式烹调师（初级）"]
    assert titles("?occupation=4-03-02-01&level=4") == []


def test_anyone_may_read_materials_but_nobody_may_write(api, learner_api):
    MaterialFactory()
    assert learner_api.get("/api/v1/materials/").json()["count"] == 1
    response = api.post("/api/v1/materials/", {"title": "x"}, format="json")
    assert response.status_code == 405 and response.json()["detail"]
    assert Material.objects.count() == 1


def test_live_materials_selects_only_live():
    live = MaterialFactory()
    MaterialFactory(publish=False)
    assert list(live_materials()) == [live]


def _count_queries(api, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


def test_the_list_queries_do_not_grow_with_the_number_of_materials(api, django_assert_max_num_queries):
    MaterialFactory(occupation=OccupationFactory(code="6-15-05-02", name="陶瓷成型施釉工"))
    few = _count_queries(api, "/api/v1/materials/")
    for n in range(6):
        MaterialFactory(occupation=OccupationFactory(code=f"6-15-05-0{n + 3}", name=f"职业{n}"))
    many = _count_queries(api, "/api/v1/materials/")
    assert many == few
    # count, the page of materials with their occupations and documents
    with django_assert_max_num_queries(2):
        api.get("/api/v1/materials/")


# --- Search --------------------------------------------------------------------------------


def test_teachers_and_materials_index_the_fields_editors_search_by():
    teacher_fields = {f.field_name for f in Teacher.get_search_fields()}
    material_fields = {f.field_name for f in Material.get_search_fields()}
    assert {"name", "bio", "employer", "title", "specialties", "state"} <= teacher_fields
    assert {"title", "summary", "publisher", "authors", "occupation", "live"} <= material_fields


def test_wagtail_search_finds_teachers_and_materials():
    TeacherFactory(name="Wang", bio="ceramics glazing instructor")
    TeacherFactory(name="Li", bio="elderly care")
    MaterialFactory(title="Chemical process control", summary="DCS operation")
    MaterialFactory(title="Cooking", summary="knife skills")
    backend = get_search_backend()
    assert [t.name for t in backend.search("glazing", Teacher)] == ["Wang"]
    found = backend.search("DCS", Material.objects.filter(live=True))
    assert [m.title for m in found] == ["Chemical process control"]
