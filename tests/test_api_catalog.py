"""Course list and detail: shape, published-only, and query counts that do not grow."""

import pytest

from tests.factories import make_course

pytestmark = pytest.mark.django_db


def test_course_list_shows_published_courses_with_the_contract_fields(api):
    course = make_course(title="养老护理员（五级）", required_hours=16)
    make_course(title="草稿课程", publish=False)

    response = api.get("/api/v1/courses/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == course.pk
    assert item["title"] == "养老护理员（五级）"
    assert item["occupation"] == {"code": "4-10-01-05", "name": "养老护理员"}
    assert item["level"] == "5"
    assert item["hours"] == 16.0
    assert item["open_enrolment"] is True


def test_course_list_is_paginated_in_a_stable_order(api):
    for _ in range(5):
        make_course()
    first = api.get("/api/v1/courses/?page_size=2").json()
    second = api.get(first["next"]).json()
    ids = [c["id"] for c in first["results"]] + [c["id"] for c in second["results"]]
    assert first["count"] == 5
    assert len(set(ids)) == 4


def test_course_detail_lists_lessons_in_order_with_kind_duration_and_url(api):
    course = make_course(lessons=3, duration=330)

    response = api.get(f"/api/v1/courses/{course.pk}/")

    assert response.status_code == 200
    lessons = response.json()["lessons"]
    assert [lesson["title"] for lesson in lessons] == ["第1课", "第2课", "第3课"]
    assert all(lesson["kind"] == "video" and lesson["duration"] == 330 for lesson in lessons)
    assert lessons[0]["url"] == f"{course.url}lessons/{lessons[0]['id']}/"


def test_an_unpublished_or_unknown_course_is_a_404_with_a_detail(api):
    draft = make_course(publish=False)
    for course_id in (draft.pk, 999999):
        response = api.get(f"/api/v1/courses/{course_id}/")
        assert response.status_code == 404
        assert response.json()["detail"]


def test_an_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到。"}  # DRF's wording, in the request's language
    english = api.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json() == {"detail": "Not found."}


def _count_queries(api, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


def test_course_list_queries_do_not_grow_with_the_number_of_courses(api, django_assert_max_num_queries):
    make_course()
    api.get("/api/v1/courses/")  # warm Wagtail's site-root cache
    few = _count_queries(api, "/api/v1/courses/")
    for _ in range(6):
        make_course()
    many = _count_queries(api, "/api/v1/courses/")
    assert many == few
    # view restrictions, count, the page of courses with occupations, the request's site (for urls)
    with django_assert_max_num_queries(4):
        api.get("/api/v1/courses/")


def test_course_detail_queries_do_not_grow_with_the_number_of_lessons(api, django_assert_max_num_queries):
    small = make_course(lessons=1)
    large = make_course(lessons=12)
    api.get(f"/api/v1/courses/{small.pk}/")  # warm Wagtail's site-root cache
    assert _count_queries(api, f"/api/v1/courses/{small.pk}/") == _count_queries(
        api, f"/api/v1/courses/{large.pk}/"
    )
    # view restrictions, the course with its occupation, its lessons, approved teachers,
    # published materials, the request's site (for urls)
    with django_assert_max_num_queries(6):
        api.get(f"/api/v1/courses/{large.pk}/")


def test_course_list_filters_by_occupation_and_level(api):
    from tests.factories import OccupationFactory

    cook = OccupationFactory(code="4-03-02-01", name="中式烹调师")
    make_course(occupation=cook, level="4")
    make_course()
    assert api.get("/api/v1/courses/?occupation=4-03-02-01").json()["count"] == 1
    assert api.get("/api/v1/courses/?level=4").json()["count"] == 1
    assert api.get("/api/v1/courses/?level=5").json()["count"] == 1


def test_course_detail_shows_only_approved_teachers_and_published_materials(api):
    from teachers.models import TeacherState
    from tests.teachers_factories import MaterialFactory, TeacherFactory

    approved = TeacherFactory(state=TeacherState.APPROVED, name="王建国")
    suspended = TeacherFactory(state=TeacherState.APPROVED, name="李停")
    course = make_course(industry="ceramics")
    course.teachers = [approved, suspended]
    course.save_revision().publish()
    suspended.state = TeacherState.SUSPENDED
    suspended.save()
    MaterialFactory()  # not attached
    body = api.get(f"/api/v1/courses/{course.pk}/").json()
    assert [t["name"] for t in body["teachers"]] == ["王建国"]
    assert body["industry"] == "ceramics"
    assert api.get("/api/v1/courses/?industry=ceramics").json()["count"] == 1
    assert api.get("/api/v1/courses/?industry=glass").json()["count"] == 0


def test_an_unapproved_teacher_cannot_be_attached_to_a_course():
    from django.core.exceptions import ValidationError

    from teachers.models import TeacherState
    from tests.teachers_factories import TeacherFactory

    course = make_course()
    course.teachers = [TeacherFactory(state=TeacherState.SUBMITTED)]
    with pytest.raises(ValidationError) as error:
        course.full_clean()
    assert "teachers" in error.value.message_dict
