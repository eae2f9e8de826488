"""Shared by the evaluation tests (tests/test_evaluation*.py): the URLs, the personas, and a
client per persona of tests/institutions_factories.World."""

from django.test import Client

from learners.models import Learner
from tests.conftest import client_for
from tests.factories import LearnerFactory

RATINGS_URL = "/api/v1/me/ratings/"
SCORECARDS_URL = "/api/v1/evaluation/scorecards/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PERSONAS = ["learner_a", "staff_a", "hr_a", "official", "editor", "bureau", "auditor", "anonymous"]


def browser(world, persona) -> Client:
    client = Client()
    if persona != "anonymous":
        who = getattr(world, persona)
        client.force_login(who.user if persona.startswith("learner_") else who)
    return client


def api_for(world, persona):
    if persona == "anonymous":
        from rest_framework.test import APIClient

        return APIClient()
    who = getattr(world, persona)
    return client_for(who.user if persona.startswith("learner_") else who)


def verified_learner(**fields) -> Learner:
    learner = LearnerFactory(**fields)
    Learner.objects.filter(pk=learner.pk).update(verified=True)
    learner.refresh_from_db()
    return learner


def assert_status(response, expected):
    if expected == "login":
        assert response.status_code == 302 and "/accounts/login/?next=" in response["Location"]
    else:
        assert response.status_code == expected, (response.status_code, expected)
