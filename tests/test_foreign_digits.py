"""Digits that str.isdigit accepts but int refuses (superscripts, other scripts' digits) are
refused with a message a person can act on, never a 500: a year, a head count."""

import pytest

from demand.models import TrainingDemand
from tests.conftest import client_for
from tests.factories import OccupationFactory
from tests.institutions_factories import make_world

pytestmark = pytest.mark.django_db

FOREIGN = ("፩", "²⁰²⁶", "𐩀")  # Ethiopic one, superscripts, Kharoshthi one


@pytest.fixture
def world():
    return make_world()


@pytest.mark.parametrize("year", FOREIGN)
def test_a_year_in_other_digits_is_a_400_naming_it(world, year):
    for url in ("/api/v1/evaluation/scorecards/", "/api/v1/subsidy-claims/"):
        response = client_for(world.bureau).get(url, {"year": year})
        assert response.status_code == 400, url
        assert response.json()["detail"].startswith("year"), url


def test_the_evaluation_page_falls_back_to_this_year(world, client):
    client.force_login(world.bureau)
    assert client.get("/evaluation/", {"year": "፩"}).status_code == 200


def test_a_head_count_in_other_digits_is_a_message_on_its_line(world, client):
    OccupationFactory(code="4-10-01-05", name="养老护理员")
    client.force_login(world.hr_a)
    response = client.post("/demand/enterprise/", {"lines": "4-10-01-05, ፩, 周末班"})
    assert response.status_code == 400
    assert "第 1 行：人数应为正整数" in response.content.decode()
    assert not TrainingDemand.objects.exists()
