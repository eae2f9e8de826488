"""The subsidy API: the contract's ``/api/v1/me/subsidy-claims/`` (shape, 201, 409 with each
code, 404, 400, 401, 403), and each role's permission on each review step, persona by persona
(see tests/institutions_factories.World: learner A of 张店区 in class A, learner B of 淄川区 in
class B, both classes of the same course)."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from courses.models import CoursePage
from learners.models import Learner
from subsidies import services
from subsidies.models import SubsidyClaim, SubsidyStandard
from tests.conftest import client_for
from tests.factories import LearnerFactory
from tests.institutions_factories import make_world, member
from tests.subsidies_factories import OCCUPATIONS, china, claimable_entry, completed_entry, subsidised_course
from vocabulary.people import TargetGroup

pytestmark = pytest.mark.django_db

MINE = "/api/v1/me/subsidy-claims/"
CLAIMS = "/api/v1/subsidy-claims/"
PERSONAS = ["learner_a", "learner_b", "staff_a", "staff_b", "hr_a", "official", "editor", "bureau", "auditor"]


@pytest.fixture
def learner(db):
    return LearnerFactory(verified=True, target_group=TargetGroup.RURAL_WORKER)


def claim_entry(client, entry):
    return client.post(MINE, {"archive_entry": entry.pk}, format="json")


# --- the contract: /api/v1/me/subsidy-claims/ ---------------------------------------------------


def test_a_learner_claims_a_training_and_lists_their_claims(learner, learner_api):
    entry = claimable_entry(learner, completed_at=china(2026, 3, 1))
    response = claim_entry(learner_api, entry)
    assert response.status_code == 201
    body = response.json()
    assert {"id", "archive_entry", "status", "amount", "submitted_at", "reason"} <= set(body)
    assert body["archive_entry"] == entry.pk
    assert body["status"] == "submitted"
    assert body["amount"] == "1500.00"
    assert body["reason"] == ""
    assert body["completion_year"] == 2026
    claim = SubsidyClaim.objects.get(pk=body["id"])
    assert (claim.learner, claim.submitted_by) == (learner, learner.user)

    listed = learner_api.get(MINE).json()
    assert listed["count"] == 1 and {"next", "previous"} <= set(listed)
    assert listed["results"][0]["id"] == body["id"]
    assert listed["results"][0]["amount"] == "1500.00"


def test_a_rejected_claim_shows_its_reason(learner, learner_api):
    claim = services.claim_submit(
        learner_id=learner.pk, entry_id=claimable_entry(learner).pk, user=learner.user
    )
    services.claim_district_decide(claim_id=claim.pk, user=learner.user, approve=False, reason="证书信息不符")
    row = learner_api.get(MINE).json()["results"][0]
    assert (row["status"], row["reason"]) == ("rejected", "证书信息不符")


def refusal(response) -> str:
    assert response.status_code == 409, response.content
    body = response.json()
    assert set(body) == {"detail", "code"} and body["detail"]
    return body["code"]


def test_each_rule_refuses_with_its_code(learner, learner_api):
    entry = claimable_entry(learner, completed_at=china(2026, 1, 5))
    assert claim_entry(learner_api, entry).status_code == 201
    assert refusal(claim_entry(learner_api, entry)) == "already_claimed"
    twin = completed_entry(learner, subsidised_course(), completed_at=china(2026, 2, 1))
    assert refusal(claim_entry(learner_api, twin)) == "same_occupation_level"
    no_subsidy = completed_entry(learner, subsidised_course(OCCUPATIONS[5][0], subsidy_eligible=False))
    assert refusal(claim_entry(learner_api, no_subsidy)) == "not_eligible"
    for code, _name in OCCUPATIONS[1:3]:
        assert (
            claim_entry(
                learner_api, claimable_entry(learner, code, completed_at=china(2026, 5, 1))
            ).status_code
            == 201
        )
    fourth = claimable_entry(learner, OCCUPATIONS[3][0], completed_at=china(2026, 12, 31, 23, 59))
    assert refusal(claim_entry(learner_api, fourth)) == "yearly_limit"
    assert SubsidyClaim.objects.filter(learner=learner).count() == 3


def test_an_entry_not_the_learners_own_or_missing_is_a_404(learner, learner_api):
    someone = LearnerFactory(verified=True)
    theirs = claimable_entry(someone)
    assert claim_entry(learner_api, theirs).status_code == 404
    response = learner_api.post(MINE, {"archive_entry": theirs.pk + 999}, format="json")
    assert response.status_code == 404 and response.json()["detail"]
    assert not SubsidyClaim.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"archive_entry": "abc"}, {"archive_entry": None}, {"archive_entry": 0}]
)
def test_a_body_without_an_entry_id_is_a_400_naming_the_field(learner_api, body):
    response = learner_api.post(MINE, body, format="json")
    assert response.status_code == 400
    assert "archive_entry" in response.json()["detail"]


def test_anonymous_is_401_and_a_user_who_is_no_learner_403(staff_user):
    assert APIClient().get(MINE).status_code == 401
    assert APIClient().post(MINE, {"archive_entry": 1}, format="json").status_code == 401
    staff = client_for(staff_user)
    assert staff.get(MINE).status_code == 403
    assert staff.post(MINE, {"archive_entry": 1}, format="json").status_code == 403


def test_a_learner_sees_only_their_own_claims(learner, learner_api):
    someone = LearnerFactory(verified=True)
    services.claim_submit(learner_id=someone.pk, entry_id=claimable_entry(someone).pk, user=someone.user)
    assert learner_api.get(MINE).json()["count"] == 0


# --- review steps, persona by persona -----------------------------------------------------------


@pytest.fixture
def world():
    world = make_world()
    course = world.class_a.course
    CoursePage.objects.filter(pk=course.pk).update(subsidy_eligible=True)
    SubsidyStandard.objects.create(occupation=course.occupation, level=course.level, amount=Decimal("1500"))
    Learner.objects.filter(pk__in=[world.learner_a.pk, world.learner_b.pk]).update(verified=True)
    for learner in (world.learner_a, world.learner_b):
        learner.refresh_from_db()
        learner.entry = completed_entry(learner, course)
    return world


def client_of(world, persona) -> APIClient:
    if persona == "anonymous":
        return APIClient()
    who = getattr(world, persona)
    return client_for(who.user if persona.startswith("learner_") else who)


def claim_of(learner) -> SubsidyClaim:
    return services.claim_submit(learner_id=learner.pk, entry_id=learner.entry.pk, user=learner.user)


LIST_READS = {
    "learner_a": 403,
    "learner_b": 403,
    "staff_a": {"A"},
    "staff_b": {"B"},
    "hr_a": 403,
    "official": {"A"},
    "editor": 403,
    "bureau": {"A", "B"},
    "auditor": {"A", "B"},
    "anonymous": 401,
}


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"])
def test_who_reads_which_claims(world, persona):
    ids = {claim_of(world.learner_a).pk: "A", claim_of(world.learner_b).pk: "B"}
    response = client_of(world, persona).get(CLAIMS)
    expected = LIST_READS[persona]
    if isinstance(expected, int):
        assert response.status_code == expected
        return
    assert response.status_code == 200
    assert {ids[row["id"]] for row in response.json()["results"]} == expected
    for claim_id, name in ids.items():
        detail = client_of(world, persona).get(f"{CLAIMS}{claim_id}/")
        assert detail.status_code == (200 if name in expected else 404)
        if detail.status_code == 200:
            body = detail.json()
            assert body["claim"]["learner"]["id_number"].count("*") >= 10  # masked
            assert (body["insurance"] is None) == persona.startswith("staff_")


def test_the_review_list_filters_by_status_and_year(world):
    claim = claim_of(world.learner_a)
    claim_of(world.learner_b)
    bureau = client_of(world, "bureau")
    services.claim_district_decide(claim_id=claim.pk, user=world.official, approve=True)
    assert [r["id"] for r in bureau.get(CLAIMS, {"status": "district_approved"}).json()["results"]] == [
        claim.pk
    ]
    assert bureau.get(CLAIMS, {"status": "nonsense"}).status_code == 400
    assert bureau.get(CLAIMS, {"year": "1999"}).status_code == 400
    assert bureau.get(CLAIMS, {"year": str(claim.completion_year + 1)}).json()["count"] == 0


def step(world, persona, claim, path, body):
    return client_of(world, persona).post(f"{CLAIMS}{claim.pk}/{path}/", body, format="json")


DISTRICT = {"official": 200, "anonymous": 401}


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"])
def test_only_the_district_official_of_the_claimants_district_reviews(world, persona):
    claim = claim_of(world.learner_a)
    response = step(world, persona, claim, "district-decision", {"approve": True})
    assert response.status_code == DISTRICT.get(persona, 403)
    claim.refresh_from_db()
    assert claim.status == ("district_approved" if persona == "official" else "submitted")
    # A claim of another district is not even found by the official.
    other = claim_of(world.learner_b)
    assert step(world, "official", other, "district-decision", {"approve": True}).status_code == 404


def test_the_district_rejects_with_a_reason_only(world):
    claim = claim_of(world.learner_a)
    response = step(world, "official", claim, "district-decision", {"approve": False})
    assert response.status_code == 400 and "reason" in response.json()["detail"]
    response = step(world, "official", claim, "district-decision", {"approve": False, "reason": "学时存疑"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == ("rejected", "学时存疑")
    again = step(world, "official", claim, "district-decision", {"approve": True})
    assert again.status_code == 409 and again.json()["code"] == "wrong_status"


BUREAU_ONLY = {"bureau": 200, "anonymous": 401}


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"])
def test_only_the_bureau_approves_after_the_district(world, persona):
    claim = claim_of(world.learner_a)
    services.claim_district_decide(claim_id=claim.pk, user=world.official, approve=True)
    response = step(world, persona, claim, "bureau-decision", {"approve": True})
    assert response.status_code == BUREAU_ONLY.get(persona, 403)
    claim.refresh_from_db()
    assert claim.status == ("approved" if persona == "bureau" else "district_approved")


def test_the_bureau_cannot_skip_the_district(world):
    claim = claim_of(world.learner_a)
    response = step(world, "bureau", claim, "bureau-decision", {"approve": True})
    assert response.status_code == 409 and response.json()["code"] == "wrong_status"


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"])
def test_only_the_bureau_marks_an_approved_claim_paid(world, persona):
    claim = claim_of(world.learner_a)
    services.claim_district_decide(claim_id=claim.pk, user=world.official, approve=True)
    services.claim_bureau_decide(claim_id=claim.pk, user=world.bureau, approve=True)
    response = step(world, persona, claim, "payment", {"reference": "ZB-2026-0001"})
    assert response.status_code == BUREAU_ONLY.get(persona, 403)
    claim.refresh_from_db()
    assert claim.status == ("paid" if persona == "bureau" else "approved")
    if persona == "bureau":
        assert response.json()["payment_reference"] == "ZB-2026-0001"


def test_a_payment_needs_a_reference(world):
    claim = claim_of(world.learner_a)
    services.claim_district_decide(claim_id=claim.pk, user=world.official, approve=True)
    services.claim_bureau_decide(claim_id=claim.pk, user=world.bureau, approve=True)
    assert step(world, "bureau", claim, "payment", {}).status_code == 400
    assert step(world, "bureau", claim, "payment", {"reference": "   "}).status_code == 400


def test_an_approval_the_rules_refuse_is_a_409_with_the_code(world):
    claim = claim_of(world.learner_a)
    CoursePage.objects.filter(pk=world.class_a.course_id).update(subsidy_eligible=False)
    response = step(world, "official", claim, "district-decision", {"approve": True})
    assert response.status_code == 409 and response.json()["code"] == "not_eligible"
    detail = client_of(world, "official").get(f"{CLAIMS}{claim.pk}/").json()
    assert detail["recheck"]["code"] == "not_eligible"


BULK = {"staff_a": 200, "staff_b": 404, "anonymous": 401}


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"])
def test_only_the_classes_institution_claims_in_bulk(world, persona):
    response = client_of(world, persona).post(f"/api/v1/classes/{world.class_a.pk}/subsidy-claims/")
    assert response.status_code == BULK.get(persona, 403)
    assert SubsidyClaim.objects.exists() == (persona == "staff_a")


def test_a_bulk_claim_claims_for_each_member_who_may_and_says_why_not_for_the_others(world):
    late = LearnerFactory(verified=True)
    member(world.class_a, late)  # has not completed the course
    claim_of(world.learner_a)  # already claimed by the learner
    newcomer = LearnerFactory(verified=True, target_group=TargetGroup.VETERAN)
    member(world.class_a, newcomer)
    completed_entry(newcomer, world.class_a.course)
    response = client_of(world, "staff_a").post(f"/api/v1/classes/{world.class_a.pk}/subsidy-claims/")
    body = response.json()
    outcomes = {row["learner"]: row for row in body["results"]}
    assert (body["claimed"], body["refused"]) == (1, 2)
    assert outcomes[newcomer.pk]["claim"] and outcomes[newcomer.pk]["code"] == ""
    assert outcomes[world.learner_a.pk]["code"] == "already_claimed"
    assert outcomes[late.pk]["code"] == "not_completed"
    claim = SubsidyClaim.objects.get(learner=newcomer)
    assert claim.submitted_by == world.staff_a
    assert claim.events.get().note  # "培训机构代为申领"
    # Staff then read the claims of their class's members, not others'.
    listed = client_of(world, "staff_a").get(CLAIMS).json()
    assert {row["learner"]["id"] for row in listed["results"]} == {world.learner_a.pk, newcomer.pk}
