"""Real-name registration on the app (API) and the web: validation, one person one account."""

import pytest
from django.db import connection

from learners.models import Learner
from tests.factories import LearnerFactory
from vocabulary.identity import id_check_char

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/register/"


def valid_id(first17: str = "37030319950615123") -> str:
    return first17 + id_check_char(first17)


def body(**changes) -> dict:
    return {
        "username": "liuyang",
        "password": "Zibo-skills-2026",
        "real_name": "刘洋",
        "id_number": valid_id(),
        "phone": "13805331234",
        "district": "周村区",
        "target_group": "rural-worker",
        **changes,
    }


def test_registration_creates_the_learner_with_masked_data_and_a_token(api):
    response = api.post(URL, body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["username"] == "liuyang"
    assert data["real_name"] == "刘洋"
    assert data["id_number"] == valid_id()[:4] + "*" * 10 + valid_id()[-4:]
    assert data["phone"] == "138****1234"
    assert data["district"] == "周村区"
    assert data["verified"] is False
    assert data["token"]
    learner = Learner.objects.get(user__username="liuyang")
    assert learner.birth_date.isoformat() == "1995-06-15"
    assert learner.sex == "M"
    api.credentials(HTTP_AUTHORIZATION=f"Token {data['token']}")
    assert api.get("/api/v1/me/").json()["real_name"] == "刘洋"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id_number": valid_id()[:17] + ("0" if valid_id()[17] != "0" else "1")}, "id_number"),
        ({"id_number": "37030319950615"}, "id_number"),
        ({"password": "123456"}, "password"),
        ({"password": "liuyang1"}, "password"),
        ({"phone": "1380533"}, "phone"),
        ({"district": "济南市"}, "district"),
        ({"target_group": "tourist"}, "target_group"),
        ({"real_name": ""}, "real_name"),
        ({"username": "bad name!"}, "username"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, changes, field):
    response = api.post(URL, body(**changes), format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}:")
    assert field in response.json()["errors"]
    assert not Learner.objects.exists()


def test_one_person_one_account(api):
    assert api.post(URL, body(), format="json").status_code == 201
    again = api.post(URL, body(username="liuyang2", id_number=valid_id().lower()), format="json")
    assert again.status_code == 400
    assert again.json()["detail"].startswith("id_number:")
    assert "已注册" in again.json()["detail"]
    assert Learner.objects.count() == 1


def test_a_taken_username_is_refused(api):
    LearnerFactory(user__username="liuyang")
    response = api.post(URL, body(), format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("username:")


def test_a_body_that_is_not_an_object_is_a_400(api):
    assert api.post(URL, ["x"], format="json").status_code == 400


def test_the_id_number_and_phone_are_encrypted_at_rest(api):
    api.post(URL, body(), format="json")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM learners_learner")
        stored_id, stored_phone = cursor.fetchone()
    assert valid_id() not in stored_id
    assert "13805331234" not in stored_phone
    learner = Learner.objects.get()
    assert learner.id_number == valid_id()  # decrypted when read
    assert Learner.objects.with_id_number(valid_id()).get() == learner
    assert Learner.objects.with_phone("13805331234").get() == learner


def test_the_web_page_registers_and_signs_in(client):
    response = client.post("/accounts/register/?next=/courses/", body())
    assert response.status_code == 302
    assert response["Location"] == "/courses/"
    assert client.get("/api/v1/me/").json()["username"] == "liuyang"


def test_the_web_page_shows_errors_in_chinese(client):
    response = client.post("/accounts/register/", body(id_number="123"))
    assert response.status_code == 200
    assert "18" in response.content.decode()
    assert not Learner.objects.exists()


def test_registration_is_throttled_the_same_on_the_web_and_the_api(api, client, settings):
    """One counter per client address for both doors (learners.registration_guard)."""
    settings.REGISTER_RATE = "3/hour"
    codes = [api.post(URL, body(username=f"u{i}"), format="json").status_code for i in range(2)]
    web = client.post("/accounts/register/", body(username="web1"))
    assert codes == [201, 400] and web.status_code == 200  # each counted (then: a duplicate ID)
    refused_api = api.post(URL, body(username="u9"), format="json")
    assert refused_api.status_code == 429 and refused_api.json()["detail"]
    refused_web = client.post("/accounts/register/", body(username="web2"))
    assert refused_web.status_code == 429
    assert "注册过于频繁" in refused_web.content.decode()
    # Another address is not affected.
    other = api.post(URL, body(username="u10"), format="json", REMOTE_ADDR="10.9.8.7")
    assert other.status_code != 429


def test_telling_that_an_id_number_is_registered_is_rate_limited_and_logged(api, client, settings, caplog):
    settings.REGISTER_ID_PROBE_RATE = "2/hour"
    LearnerFactory(id_number=valid_id())
    answers = [api.post(URL, body(username=f"p{i}"), format="json") for i in range(2)]
    assert all(a.status_code == 400 and a.json()["detail"].startswith("id_number") for a in answers)
    third = api.post(URL, body(username="p3"), format="json")
    assert third.status_code == 429
    assert "id_number" not in third.json()["detail"] and "身份证" not in third.json()["detail"]
    web = client.post("/accounts/register/", body(username="p4"))
    assert web.status_code == 429 and "已注册" not in web.content.decode()
    assert "already registered, from 127.0.0.1" in caplog.text


def test_a_fresh_id_number_is_not_limited_by_the_probe_rate(api, settings):
    settings.REGISTER_ID_PROBE_RATE = "1/hour"
    assert api.post(URL, body(username="fresh"), format="json").status_code == 201
