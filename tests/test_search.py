"""Search finds Chinese text inside longer words, and never unpublished content."""

import pytest

from courses.search import cjk_tokens
from tests.factories import OccupationFactory, make_course

pytestmark = pytest.mark.django_db


def test_han_characters_become_tokens():
    assert cjk_tokens("陶瓷成型 glaze工") == "陶 瓷 成 型 glaze 工"


@pytest.fixture
def courses():
    ceramics = OccupationFactory(code="6-15-05-02", name="陶瓷成型施釉工")
    make_course(title="陶瓷成型施釉工技能提升", occupation=ceramics, summary="淄博陶瓷产业重点工种")
    make_course(title="养老护理员（五级）", summary="生活照料与安全防护")
    make_course(title="陶瓷草稿课程", occupation=ceramics, publish=False)


def titles(client, q) -> list[str]:
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    return [course.title for course in response.context["courses"]]


def test_a_chinese_word_inside_a_longer_title_is_found(client, courses):
    assert titles(client, "陶瓷") == ["陶瓷成型施釉工技能提升"]
    assert titles(client, "施釉") == ["陶瓷成型施釉工技能提升"]
    assert titles(client, "安全防护") == ["养老护理员（五级）"]


def test_characters_out_of_order_do_not_match(client, courses):
    assert titles(client, "瓷陶") == []


def test_unpublished_courses_are_never_found(client, courses):
    assert "陶瓷草稿课程" not in titles(client, "草稿")


def test_an_empty_or_huge_query_is_harmless(client, courses):
    assert titles(client, "") == []
    assert titles(client, "陶" * 5000) == []


def test_search_finds_published_materials_and_approved_teachers_only(client):
    from django.core.management import call_command

    from teachers.models import TeacherState
    from tests.teachers_factories import MaterialFactory, TeacherFactory

    TeacherFactory(name="王陶然", bio="陶瓷成型工艺高级技师", state=TeacherState.APPROVED)
    TeacherFactory(name="赵未审", bio="陶瓷施釉", state=TeacherState.SUBMITTED)
    MaterialFactory(title="陶瓷工艺学基础")
    MaterialFactory(title="陶瓷草稿教材", publish=False)
    call_command("update_index", verbosity=0)
    response = client.get("/search/", {"q": "陶瓷"})
    assert [t.name for t in response.context["teachers"]] == ["王陶然"]
    assert [m.title for m in response.context["materials"]] == ["陶瓷工艺学基础"]
