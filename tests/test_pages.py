"""Server-rendered pages: home, course index, course page, lesson page access."""

import pytest

from tests.factories import course_index, enroll, make_course

pytestmark = pytest.mark.django_db


def test_home_and_course_pages_render_in_chinese(client):
    course = make_course(title="陶瓷成型施釉工")
    index = course_index()
    home = client.get("/")
    assert home.status_code == 200
    assert "淄博技能在线" in home.content.decode()
    listing = client.get(index.url)
    assert "陶瓷成型施釉工" in listing.content.decode()
    page = client.get(course.url)
    assert page.status_code == 200
    assert "第1课" in page.content.decode()
    assert '<html lang="zh-hans">' in page.content.decode()


def test_english_is_available(client):
    course = make_course()
    response = client.get(course.url, HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en">' in response.content.decode()


def test_an_anonymous_visit_to_a_lesson_redirects_to_login_with_next(client):
    course = make_course()
    lesson_url = f"{course.url}lessons/{course.lessons.first().pk}/"
    response = client.get(lesson_url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={lesson_url}"


def test_login_returns_to_the_lesson(client, learner):
    course = make_course()
    enroll(learner, course)
    lesson_url = f"{course.url}lessons/{course.lessons.first().pk}/"
    response = client.post(
        f"/accounts/login/?next={lesson_url}",
        {"username": learner.user.username, "password": "pass-word-123", "next": lesson_url},
    )
    assert response.status_code == 302
    assert response["Location"] == lesson_url
    assert client.get(lesson_url).status_code == 200


def test_a_learner_not_enrolled_is_sent_to_the_course_page(client, learner):
    course = make_course()
    client.force_login(learner.user)
    response = client.get(f"{course.url}lessons/{course.lessons.first().pk}/")
    assert response.status_code == 302
    assert response["Location"] == course.url


def test_the_api_docs_and_schema_are_served(client):
    assert client.get("/api/docs/").status_code == 200
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/courses/",
        "/api/v1/courses/{course_id}/enroll/",
        "/api/v1/me/",
    ):
        assert path in text


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_language_picker_names_each_language_in_itself(client, settings, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get("/courses/").content.decode()
    assert '<option value="zh-hans" lang="zh-hans"' in page
    assert ">简体中文</option>" in page and ">English</option>" in page
    assert "英语" not in page and "Simplified Chinese" not in page
