"""Learners' ratings of the courses they completed (issue 20, "Evaluation and exit";
docs/evaluation.md): once per course, changeable within the edit window, the web form on 我的档案,
and who may rate."""

import datetime as dt

import pytest

from evaluation import services
from evaluation.models import CourseRating
from tests.conftest import client_for
from tests.evaluation_helpers import (
    RATINGS_URL,
    api_for,
    assert_status,
    browser,
)
from tests.institutions_factories import (
    make_world,
)
from tests.subsidies_factories import completed_entry, subsidised_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


# --- ratings -------------------------------------------------------------------------------------


def test_a_learner_rates_a_completed_course_once_and_may_change_it(world):
    course = world.class_a.course
    api = client_for(world.learner_a.user)
    refused = api.post(RATINGS_URL, {"course": course.pk, "stars": 4}, format="json")
    assert refused.status_code == 403 and refused.json()["detail"]
    assert not CourseRating.objects.exists()

    completed_entry(world.learner_a, course)
    created = api.post(
        RATINGS_URL, {"course": course.pk, "stars": 4, "comment": "  讲得清楚  "}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["stars"] == 4 and body["comment"] == "讲得清楚" and body["editable"] is True
    # The institution is that of the class the learner studied the course in.
    assert body["institution"] == world.institution_a.pk

    changed = api.post(RATINGS_URL, {"course": course.pk, "stars": 2}, format="json")
    assert changed.status_code == 200 and changed.json()["stars"] == 2
    assert CourseRating.objects.count() == 1
    assert [row["stars"] for row in api.get(RATINGS_URL).json()["results"]] == [2]


def test_a_rating_is_final_after_the_edit_window(world, settings):
    course = world.class_a.course
    completed_entry(world.learner_a, course)
    services.rating_submit(learner_id=world.learner_a.pk, course_id=course.pk, stars=5)
    CourseRating.objects.update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    response = client_for(world.learner_a.user).post(
        RATINGS_URL, {"course": course.pk, "stars": 1}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "rating_final"
    assert CourseRating.objects.get().stars == 5


def test_a_course_studied_outside_any_class_is_rated_without_institution(world):
    course = subsidised_course()
    completed_entry(world.learner_a, course)
    rating, created = services.rating_submit(learner_id=world.learner_a.pk, course_id=course.pk, stars=3)
    assert created and rating.institution_id is None and rating.training_class_id is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stars": 0}, "stars"),
        ({"stars": 6}, "stars"),
        ({"stars": "很好"}, "stars"),
        ({"stars": None}, "stars"),
        ({"stars": 3, "comment": "好" * 201}, "comment"),
        ({"stars": 3, "course": "x"}, "course"),
        ({"stars": 3, "course": None}, "course"),
        ({"stars": 3, "course": 10**30}, "course"),
        ({"stars": 3, "comment": None}, "comment"),
    ],
)
def test_a_rating_out_of_range_is_a_400_naming_the_field(world, body, field):
    completed_entry(world.learner_a, world.class_a.course)
    data = {"course": world.class_a.course.pk, **body}
    response = client_for(world.learner_a.user).post(RATINGS_URL, data, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not CourseRating.objects.exists()


def test_the_service_names_the_field_it_refuses():
    with pytest.raises(services.RatingInvalid) as refused:
        services.rating_clean(9, "")
    assert refused.value.field == "stars"
    with pytest.raises(services.RatingInvalid) as refused:
        services.rating_clean(3, "好" * 201)
    assert refused.value.field == "comment"
    assert services.rating_clean("4", " 好\x00 ") == (4, "好")


@pytest.mark.parametrize(
    "persona", ["staff_a", "hr_a", "official", "editor", "bureau", "auditor", "anonymous"]
)
def test_only_learners_rate(world, persona):
    api = api_for(world, persona)
    expected = 401 if persona == "anonymous" else 403
    assert api.get(RATINGS_URL).status_code == expected
    body = {"course": world.class_a.course.pk, "stars": 4}
    assert api.post(RATINGS_URL, body, format="json").status_code == expected


def test_my_archive_offers_the_rating_form_and_the_web_post_rates(world):
    course = world.class_a.course
    completed_entry(world.learner_a, course)
    client = browser(world, "learner_a")
    page = client.get("/me/archive/").content.decode()
    assert 'action="/evaluation/ratings/"' in page and f'value="{course.pk}"' in page

    response = client.post("/evaluation/ratings/", {"course": course.pk, "stars": "5", "comment": "很好"})
    assert response.status_code == 302 and response["Location"] == f"/me/archive/#rating-{course.pk}"
    rating = CourseRating.objects.get()
    assert (rating.stars, rating.comment, rating.institution_id) == (5, "很好", world.institution_a.pk)
    assert "修改我的评价" in client.get("/me/archive/").content.decode()


def test_the_web_rating_of_a_course_not_completed_is_a_403(world):
    client = browser(world, "learner_a")
    response = client.post("/evaluation/ratings/", {"course": world.class_a.course.pk, "stars": "5"})
    assert response.status_code == 403
    assert (
        browser(world, "staff_a").post("/evaluation/ratings/", {"course": 1, "stars": "5"}).status_code == 403
    )
    assert_status(browser(world, "anonymous").post("/evaluation/ratings/", {}), "login")
    # Hostile input is refused with a message, never a server error.
    for data in ({"course": 10**30, "stars": "5"}, {"course": "x", "stars": "9"}, {}):
        refused = client.post("/evaluation/ratings/", data)
        assert refused.status_code == 302 and refused["Location"].startswith("/me/archive/")
    assert not CourseRating.objects.exists()


def test_my_archive_reads_the_ratings_once_whatever_the_number_of_entries(
    world, django_assert_max_num_queries
):
    client = browser(world, "learner_a")
    completed_entry(world.learner_a, world.class_a.course)
    with django_assert_max_num_queries(30) as captured:
        client.get("/me/archive/")
    few = len(captured)
    for code in ("4-10-01-06", "4-03-02-01", "6-11-01-03"):
        entry = completed_entry(world.learner_a, subsidised_course(code))
        services.rating_submit(learner_id=world.learner_a.pk, course_id=entry.course_id, stars=4)
    with django_assert_max_num_queries(few):
        assert client.get("/me/archive/").content.decode().count('class="rating"') == 4
