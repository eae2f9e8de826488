"""Learners created from a roster activate their account with ID number and phone."""

import pytest

from tests.factories import LearnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported():
    learner = LearnerFactory(phone="13905330001")
    learner.user.set_unusable_password()
    learner.user.save()
    return learner


def test_a_roster_learner_activates_and_is_signed_in(client, imported):
    response = client.post(
        "/accounts/activate/",
        {"id_number": imported.id_number.lower(), "phone": "13905330001", "password": "Zibo-learn-2026"},
    )
    assert response.status_code == 200
    assert imported.user.username in response.content.decode()
    imported.user.refresh_from_db()
    assert imported.user.check_password("Zibo-learn-2026")
    assert client.get("/api/v1/me/").json()["username"] == imported.user.username


@pytest.mark.parametrize("phone", ["13905330002", "13900000000"])
def test_a_wrong_phone_activates_nothing_and_says_the_same_thing(client, imported, phone):
    response = client.post(
        "/accounts/activate/",
        {"id_number": imported.id_number, "phone": phone, "password": "Zibo-learn-2026"},
    )
    assert "身份证号与手机号不匹配，或账号已激活。" in response.content.decode()
    imported.user.refresh_from_db()
    assert not imported.user.has_usable_password()


def test_an_account_that_has_a_password_cannot_be_taken_over(client):
    learner = LearnerFactory(phone="13905330003")
    response = client.post(
        "/accounts/activate/",
        {"id_number": learner.id_number, "phone": "13905330003", "password": "Zibo-learn-2026"},
    )
    assert "身份证号与手机号不匹配，或账号已激活。" in response.content.decode()
    learner.user.refresh_from_db()
    assert learner.user.check_password("pass-word-123")


def test_repeated_failures_lock_activation_for_that_id_number(client, imported):
    for _ in range(5):
        client.post(
            "/accounts/activate/", {"id_number": imported.id_number, "phone": "13900000009", "password": "x"}
        )
    response = client.post(
        "/accounts/activate/",
        {"id_number": imported.id_number, "phone": "13905330001", "password": "Zibo-learn-2026"},
    )
    assert "15" in response.content.decode()
    imported.user.refresh_from_db()
    assert not imported.user.has_usable_password()
