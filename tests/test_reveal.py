"""Revealing a learner's full ID number or phone: only the roles that need it, always logged."""

import pytest

from learners.models import RevealLog
from tests.conftest import client_for
from tests.institutions_factories import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def reveal(user, learner, field="id_number", reason="现场核验身份证"):
    return client_for(user).post(
        f"/api/v1/learners/{learner.pk}/reveal/", {"field": field, "reason": reason}, format="json"
    )


@pytest.mark.parametrize("who", ["staff_a", "bureau", "auditor"])
def test_roles_that_need_it_see_the_full_id_number_and_it_is_logged(world, who):
    viewer = getattr(world, who)
    response = reveal(viewer, world.learner_a)
    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": world.learner_a.id_number}
    log = RevealLog.objects.get()
    assert (log.viewer, log.learner, log.field, log.reason) == (
        viewer,
        world.learner_a,
        "id_number",
        "现场核验身份证",
    )


@pytest.mark.parametrize("who", ["staff_b", "hr_a", "official", "editor"])
def test_other_roles_are_refused_and_nothing_is_shown(world, who):
    response = reveal(getattr(world, who), world.learner_a)
    assert response.status_code == 403
    assert world.learner_a.id_number not in response.content.decode()
    assert not RevealLog.objects.exists()


def test_a_learner_cannot_reveal_another_learners_data(world):
    response = reveal(world.learner_b.user, world.learner_a, field="phone")
    assert response.status_code == 403
    assert world.learner_a.phone not in response.content.decode()


def test_a_reason_is_required_and_only_known_fields(world):
    assert reveal(world.staff_a, world.learner_a, reason=" ").status_code == 400
    assert reveal(world.staff_a, world.learner_a, field="password").status_code == 400
    assert not RevealLog.objects.exists()


def test_anonymous_and_unknown_learners(world, api):
    assert api.post(f"/api/v1/learners/{world.learner_a.pk}/reveal/", {}, format="json").status_code == 401
    assert reveal(world.bureau, type(world.learner_a)(pk=999999)).status_code == 404


def test_the_phone_can_be_revealed_too(world):
    response = reveal(world.staff_a, world.learner_a, field="phone", reason="联系学员补课")
    assert response.json()["value"] == world.learner_a.phone


@pytest.mark.parametrize("who", ["staff_a", "bureau", "official", "hr_a", "editor"])
def test_only_auditors_read_the_logs(world, who):
    reveal(world.staff_a, world.learner_a)
    client = client_for(getattr(world, who))
    assert client.get("/api/v1/audit/reveals/").status_code == 403
    assert client.get("/api/v1/audit/progress-events/").status_code == 403


def test_an_auditor_reads_the_reveal_log_with_masked_data(world, django_assert_max_num_queries):
    reveal(world.staff_a, world.learner_a)
    reveal(world.bureau, world.learner_a, field="phone", reason="核对补贴申请")
    client = client_for(world.auditor)
    with django_assert_max_num_queries(6):
        body = client.get(f"/api/v1/audit/reveals/?learner={world.learner_a.pk}").json()
    assert body["count"] == 2
    assert [row["field"] for row in body["results"]] == ["phone", "id_number"]
    assert world.learner_a.id_number not in str(body)
    assert body["results"][1]["viewer"] == world.staff_a.username


def test_an_auditor_reads_the_progress_event_evidence(world):
    from tests.factories import enroll, make_course
    from tests.progress_helpers import Player, send

    course = make_course(lessons=1)
    enroll(world.learner_a, course)
    lesson = course.lessons.get()
    send(client_for(world.learner_a.user), [Player(lesson.pk).play(-1, 0)])
    body = (
        client_for(world.auditor).get(f"/api/v1/audit/progress-events/?learner={world.learner_a.pk}").json()
    )
    assert body["count"] == 1
    assert body["results"][0]["reason"] == "invalid position"
    assert client_for(world.auditor).get("/api/v1/audit/progress-events/?learner=abc").status_code == 400
