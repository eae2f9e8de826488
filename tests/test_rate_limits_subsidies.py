"""Rate limits on making subsidy claims (subsidies.claim_limits; docs/security.md, "Rate
limits"): per user (``SUBSIDY_CLAIM_RATE``) and per client address
(``SUBSIDY_CLAIM_ADDRESS_RATE``), web and API counted together, a learner's claim and a class
bulk claim alike. Past a limit the API answers 429 with ``detail`` and ``Retry-After``, the
pages 429 with a message saying how long to wait; reading claims is never counted; refusals
by role (401/403/404) stay what they were. With the cache down claims go through."""

from decimal import Decimal

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from common.rate_limit import RateLimit
from courses.models import CoursePage
from learners.models import Learner
from subsidies.models import SubsidyClaim, SubsidyStandard
from tests.conftest import client_for
from tests.factories import LearnerFactory
from tests.institutions_factories import api_for, browser, make_world
from tests.subsidies_factories import OCCUPATIONS, claimable_entry, completed_entry
from vocabulary.people import TargetGroup

pytestmark = pytest.mark.django_db

MINE = "/api/v1/me/subsidy-claims/"
CLAIM_PAGE = "/subsidies/me/claim/"
ADDRESS = "198.51.100.7"


@pytest.fixture(autouse=True)
def rates(settings):
    settings.SUBSIDY_CLAIM_RATE = "2/hour"
    settings.SUBSIDY_CLAIM_ADDRESS_RATE = "100/hour"
    return settings


def rural_learner() -> Learner:
    return LearnerFactory(verified=True, target_group=TargetGroup.RURAL_WORKER)


def entries(learner, count: int):
    return [claimable_entry(learner, code=code) for code, _name in OCCUPATIONS[:count]]


def api_claim(client, entry, address=ADDRESS):
    return client.post(MINE, {"archive_entry": entry.pk}, format="json", REMOTE_ADDR=address)


def test_a_learner_past_the_rate_gets_a_429_with_the_wait_and_nothing_is_claimed():
    learner = rural_learner()
    first, second, third = entries(learner, 3)
    api = client_for(learner.user)
    assert api_claim(api, first).status_code == 201
    assert api_claim(api, second).status_code == 201

    refused = api_claim(api, third)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    detail = refused.json()["detail"]
    assert "频繁" in detail and "分钟后再试" in detail
    assert not SubsidyClaim.objects.filter(archive_entry=third).exists()
    # Reading is not counted, and another learner claims as usual.
    assert api.get(MINE, REMOTE_ADDR=ADDRESS).json()["count"] == 2
    other = rural_learner()
    assert api_claim(client_for(other.user), entries(other, 1)[0], address="198.51.100.8").status_code == 201


def test_a_refused_claim_counts_too_so_the_rules_cannot_be_probed_without_end():
    learner = rural_learner()
    (entry,) = entries(learner, 1)
    api = client_for(learner.user)
    assert api_claim(api, entry).status_code == 201
    assert api_claim(api, entry).status_code == 409  # already claimed
    assert api_claim(api, entry).status_code == 429


def test_the_web_page_and_the_api_share_the_count_and_the_page_says_how_long_to_wait():
    learner = rural_learner()
    first, second, third = entries(learner, 3)
    assert api_claim(client_for(learner.user), first).status_code == 201
    page = Client()
    page.force_login(learner.user)
    assert page.post(CLAIM_PAGE, {"archive_entry": second.pk}, REMOTE_ADDR=ADDRESS).status_code == 302

    refused = page.post(CLAIM_PAGE, {"archive_entry": third.pk}, REMOTE_ADDR=ADDRESS)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    html = refused.content.decode()
    assert "提交补贴申领过于频繁" in html and "分钟后再试" in html
    assert "我的补贴" in html or str(third.pk) in html  # the learner's page, to claim again later
    assert not SubsidyClaim.objects.filter(archive_entry=third).exists()


def test_one_address_is_limited_whoever_claims_from_it(settings):
    settings.SUBSIDY_CLAIM_RATE = "100/hour"
    settings.SUBSIDY_CLAIM_ADDRESS_RATE = "2/hour"
    learners = [rural_learner() for _ in range(3)]
    answers = [
        api_claim(client_for(learner.user), entries(learner, 1)[0]).status_code for learner in learners
    ]
    assert answers == [201, 201, 429]
    late = learners[2]
    entry = late.archive_entries.get()
    assert api_claim(client_for(late.user), entry, address="198.51.100.99").status_code == 201


@pytest.fixture
def world():
    world = make_world()
    course = world.class_a.course
    CoursePage.objects.filter(pk=course.pk).update(subsidy_eligible=True)
    SubsidyStandard.objects.create(occupation=course.occupation, level=course.level, amount=Decimal("1500"))
    Learner.objects.filter(pk__in=[world.learner_a.pk, world.learner_b.pk]).update(verified=True)
    world.learner_a.refresh_from_db()
    completed_entry(world.learner_a, course)
    return world


def test_institution_staff_bulk_claims_are_limited_on_the_api_and_the_page(world, settings):
    settings.SUBSIDY_CLAIM_RATE = "1/hour"
    bulk = f"/api/v1/classes/{world.class_a.pk}/subsidy-claims/"
    api = client_for(world.staff_a)
    assert api.post(bulk, REMOTE_ADDR=ADDRESS).status_code == 200
    refused = api.post(bulk, REMOTE_ADDR=ADDRESS)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "频繁" in refused.json()["detail"]

    page = browser(world, "staff_a")
    class_page = f"/subsidies/classes/{world.class_a.pk}/"
    assert page.get(class_page, REMOTE_ADDR=ADDRESS).status_code == 200  # reading is free
    answer = page.post(class_page, REMOTE_ADDR=ADDRESS)
    assert answer.status_code == 429
    assert "提交补贴申领过于频繁" in answer.content.decode()


# Past the limit, every role keeps its own answer: the limit is checked after who may claim.
EXHAUSTED_ANSWERS = {"anonymous": 401, "staff_a": 403, "bureau": 403, "learner_a": 429}


@pytest.mark.parametrize("persona", sorted(EXHAUSTED_ANSWERS))
def test_the_limit_comes_after_the_permission_check(world, settings, persona):
    settings.SUBSIDY_CLAIM_RATE = "1/hour"
    settings.SUBSIDY_CLAIM_ADDRESS_RATE = "1/hour"
    entry = world.learner_a.archive_entries.get()
    assert api_claim(client_for(world.learner_a.user), entry).status_code == 201  # uses up the address
    response = api_claim(api_for(world, persona), entry)
    assert response.status_code == EXHAUSTED_ANSWERS[persona]
    assert response.json()["detail"]


def test_with_the_cache_down_claims_go_through(monkeypatch):
    class Down:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache down")

        set = get

    monkeypatch.setattr(RateLimit, "cache", Down())
    learner = rural_learner()
    api = client_for(learner.user)
    assert [api_claim(api, entry).status_code for entry in entries(learner, 3)] == [201, 201, 201]


def test_the_schema_documents_the_429_of_both_claim_endpoints():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "429" in paths[MINE]["post"]["responses"]
    assert "429" in paths["/api/v1/classes/{class_id}/subsidy-claims/"]["post"]["responses"]
