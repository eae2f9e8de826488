"""Shared by the evaluation tests (tests/test_evaluation*.py): the URLs, the personas, and a
client per persona of tests/institutions_factories.World."""

from tests.institutions_factories import api_for, browser, verified_learner  # noqa: F401  (shared)

RATINGS_URL = "/api/v1/me/ratings/"
SCORECARDS_URL = "/api/v1/evaluation/scorecards/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PERSONAS = ["learner_a", "staff_a", "hr_a", "official", "editor", "bureau", "auditor", "anonymous"]


def assert_status(response, expected):
    if expected == "login":
        assert response.status_code == 302 and "/accounts/login/?next=" in response["Location"]
    else:
        assert response.status_code == expected, (response.status_code, expected)
