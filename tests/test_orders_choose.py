"""五单式 选单: workers enrol in the classes the offers opened (the page and
/api/v1/me/open-classes/), by persona; the full class, the reasons given to those outside the
offer, the query budget. Offers and applications: test_orders.py."""

import pytest

from learners.models import Enrollment
from tests.conftest import client_for
from tests.factories import LearnerFactory
from tests.institutions_factories import in_group
from tests.orders_factories import (
    PERSONAS,
    applied,
    approved,
    demand_of,
    orders_world,
    published_offer,
    web,
)
from vocabulary.people import District, TargetGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def s():
    return orders_world()


@pytest.fixture
def opened(s):
    """A 张店区 offer for enterprise employees with an approved class of 2 places."""
    demand_of(s.world.learner_a, s.occupation)
    offer = published_offer(
        s.world.bureau,
        s.occupation,
        districts=[District.ZHANGDIAN],
        target_groups=[TargetGroup.ENTERPRISE_EMPLOYEE],
    )
    application = approved(
        applied(offer, s.world.institution_a, s.world.staff_a, s.course, capacity=2), s.world.official
    )
    return application.training_class


OPEN_CLASSES = {
    "learner": 200,
    "staff": 403,
    "hr": 403,
    "official": 403,
    "bureau": 403,
    "auditor": 403,
    "editor": 403,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_learners_see_and_enrol_in_open_classes(s, opened, persona):
    user = s.people[persona]
    assert web(user).get("/orders/classes/").status_code == OPEN_CLASSES[persona]
    api = client_for(user)
    assert api.get("/api/v1/me/open-classes/").status_code == OPEN_CLASSES[persona]
    if persona != "learner":
        assert api.post(f"/api/v1/me/open-classes/{opened.pk}/enroll/").status_code == 403
        assert web(user).post(f"/orders/classes/{opened.pk}/enroll/").status_code == 403
    assert opened.memberships.count() == 0


def test_anonymous_api_calls_are_401(opened, api):
    assert api.get("/api/v1/me/open-classes/").status_code == 401
    assert api.post(f"/api/v1/me/open-classes/{opened.pk}/enroll/").status_code == 401


def test_the_worker_sees_the_class_answering_their_demand_first_and_enrols(s, opened):
    learner = s.world.learner_a
    api = client_for(learner.user)
    body = api.get("/api/v1/me/open-classes/").json()
    assert body["count"] == 1 and set(body) >= {"count", "next", "previous", "results"}
    row = body["results"][0]
    assert row["id"] == opened.pk and row["answers_demand"] is True and row["enrolled"] is False
    assert row["places_left"] == 2 and row["subsidy_amount"] == "1500.00"
    assert row["course"]["id"] == s.course.pk and row["occupation"]["code"] == "4-10-01-05"
    page = web(learner.user).get("/orders/classes/")
    assert "对应您的培训需求" in page.content.decode() and opened.name in page.content.decode()

    first = api.post(f"/api/v1/me/open-classes/{opened.pk}/enroll/")
    assert first.status_code == 201
    assert first.json()["class_id"] == opened.pk and first.json()["course"] == s.course.pk
    again = api.post(f"/api/v1/me/open-classes/{opened.pk}/enroll/")
    assert again.status_code == 200
    assert opened.memberships.filter(learner=learner).count() == 1
    enrollment = Enrollment.objects.get(learner=learner, course=s.course)
    assert enrollment.source == Enrollment.Source.CLASS
    assert api.get("/api/v1/me/open-classes/").json()["results"][0]["enrolled"] is True


def test_other_eligible_workers_enrol_and_those_outside_the_offer_are_told_why(s, opened):
    neighbour = LearnerFactory(district=District.ZHANGDIAN, target_group=TargetGroup.ENTERPRISE_EMPLOYEE)
    api = client_for(neighbour.user)
    row = api.get("/api/v1/me/open-classes/").json()["results"][0]
    assert row["answers_demand"] is False
    assert api.post(f"/api/v1/me/open-classes/{opened.pk}/enroll/").status_code == 201

    outsider = s.world.learner_b  # 淄川区
    api = client_for(outsider.user)
    assert api.get("/api/v1/me/open-classes/").json()["count"] == 0
    refused = api.post(f"/api/v1/me/open-classes/{opened.pk}/enroll/")
    assert refused.status_code == 403
    assert "张店区" in refused.json()["detail"] and "不在招收范围内" in refused.json()["detail"]
    unemployed = LearnerFactory(district=District.ZHANGDIAN, target_group=TargetGroup.UNEMPLOYED)
    assert client_for(unemployed.user).post(f"/api/v1/me/open-classes/{opened.pk}/enroll/").status_code == 403
    assert not opened.memberships.filter(learner__in=[outsider, unemployed]).exists()


def test_a_full_class_is_refused_with_a_message_and_leaves_the_list(s, opened):
    for _ in range(2):
        learner = LearnerFactory(district=District.ZHANGDIAN)
        assert (
            client_for(learner.user).post(f"/api/v1/me/open-classes/{opened.pk}/enroll/").status_code == 201
        )
    late = LearnerFactory(district=District.ZHANGDIAN)
    api = client_for(late.user)
    assert api.get("/api/v1/me/open-classes/").json()["count"] == 0
    full = api.post(f"/api/v1/me/open-classes/{opened.pk}/enroll/")
    assert full.status_code == 409
    assert full.json()["code"] == "class_full" and "班级已满" in full.json()["detail"]
    # the page tells the worker too
    client = web(late.user)
    response = client.post(f"/orders/classes/{opened.pk}/enroll/", follow=True)
    assert "班级已满" in response.content.decode()
    assert opened.memberships.count() == 2


def test_a_class_that_is_not_an_offers_is_a_404(s, opened, api):
    api = client_for(s.world.learner_a.user)
    assert api.post(f"/api/v1/me/open-classes/{s.world.class_a.pk}/enroll/").status_code == 404
    assert api.post("/api/v1/me/open-classes/999999/enroll/").status_code == 404


def test_enrolling_on_the_page(s, opened):
    client = web(s.world.learner_a.user)
    response = client.post(f"/orders/classes/{opened.pk}/enroll/", follow=True)
    assert response.status_code == 200 and "已报名" in response.content.decode()
    assert opened.memberships.filter(learner=s.world.learner_a).exists()


def test_the_open_classes_read_a_fixed_number_of_queries(s, opened, django_assert_max_num_queries):
    for n in range(3):
        offer = published_offer(s.world.bureau, s.occupation)
        approved(
            applied(offer, s.world.institution_a, s.world.staff_a, s.course, name=f"第{n}期"), s.world.bureau
        )
    api = client_for(s.world.learner_a.user)
    # token auth, the learner, the demands' offers, the classes with their counts, the learner's memberships
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/me/open-classes/").json()["count"] == 4


def test_a_group_of_the_bureau_is_not_a_learner(s, opened):
    other = in_group("Bureau")
    assert client_for(other).get("/api/v1/me/open-classes/").status_code == 403
