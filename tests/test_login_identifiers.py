"""Log in with a username, a phone or an ID number (issue 18), at the web login and the app's
token login, through the one login guard: the lock holds whichever identifier is typed. Accounts
activated from a roster choose their username; nobody takes someone else's phone or ID number as
a username."""

import pytest

from learners.forms import ActivationForm
from learners.services import learner_activate
from tests.factories import LearnerFactory, UserFactory
from vocabulary.identity import id_check_char

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
PHONE = "13905332001"
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def person():
    return LearnerFactory(phone=PHONE, user__username="zhaolei")


def web_login(client, identifier, password=PASSWORD):
    response = client.post("/accounts/login/", {"username": identifier, "password": password})
    return response, "_auth_user_id" in client.session


def api_login(api, identifier, password=PASSWORD):
    return api.post(TOKEN_URL, {"username": identifier, "password": password}, format="json")


def identifiers(learner) -> dict:
    return {
        "username": learner.user.username,
        "phone": learner.phone,
        "id number": learner.id_number,
        "id number, lower-case x, spaces": f" {learner.id_number.lower()} ",
    }


@pytest.mark.parametrize("kind", ["username", "phone", "id number", "id number, lower-case x, spaces"])
def test_a_learner_logs_in_on_the_web_with_each_identifier(client, kind):
    learner = LearnerFactory(phone="13905332002", id_number=_id_ending_in_x())
    _response, logged_in = web_login(client, identifiers(learner)[kind])
    assert logged_in
    assert client.session["_auth_user_id"] == str(learner.user.pk)


def id_number(n: int) -> str:
    """An ID number no factory makes (another district, born 1985)."""
    first17 = f"370302198505{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def _id_ending_in_x() -> str:
    return next(number for n in range(1000) if (number := id_number(n)).endswith("X"))


@pytest.mark.parametrize("kind", ["username", "phone", "id number"])
def test_the_app_gets_a_token_with_each_identifier(api, person, kind):
    response = api_login(api, identifiers(person)[kind])
    assert response.status_code == 200 and response.json()["token"]
    me = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert me.json()["username"] == "zhaolei"


def test_a_wrong_password_says_the_same_whatever_was_typed(api, person):
    answers = {api_login(api, value, "wrong").json()["detail"] for value in identifiers(person).values()}
    answers.add(api_login(api, "13905339876", "wrong").json()["detail"])  # nobody's phone
    assert len(answers) == 1


@pytest.mark.parametrize(
    "first, then", [("phone", "username"), ("username", "id number"), ("id number", "phone")]
)
def test_failures_with_one_identifier_lock_the_others(api, client, person, first, then):
    for _ in range(5):
        assert api_login(api, identifiers(person)[first], "wrong").status_code == 400
    assert api_login(api, identifiers(person)[then]).status_code == 429
    response, logged_in = web_login(client, identifiers(person)[then])
    assert not logged_in and "登录失败次数过多" in response.content.decode()


def test_failures_spread_over_identifiers_add_up(api, person):
    for kind in ("phone", "id number", "username", "phone", "id number"):
        api_login(api, identifiers(person)[kind], "wrong")
    assert api_login(api, "zhaolei").status_code == 429


def test_the_lock_of_one_account_leaves_others_alone(api, person):
    other = LearnerFactory(phone="13905332003")
    for _ in range(5):
        api_login(api, PHONE, "wrong")
    assert api_login(api, other.phone).status_code == 200


def test_a_phone_two_learners_share_logs_neither_in_by_phone(api, person):
    LearnerFactory(phone=PHONE, user__username="zhaolei-father")
    assert api_login(api, PHONE).status_code == 400
    assert api_login(api, person.id_number).status_code == 200


def test_a_username_wins_over_the_phone_it_looks_like(api, person):
    """An account named like a phone before the rule below existed keeps its login."""
    UserFactory(username=PHONE, password="Old-account-2020")
    assert api_login(api, PHONE, "Old-account-2020").status_code == 200


# --- choosing a username -----------------------------------------------------------------------


def registration(**changes) -> dict:
    return {
        "username": "sunli",
        "password": "Zibo-skills-2026",
        "real_name": "孙丽",
        "id_number": id_number(321),
        "phone": "13805332100",
        "district": "张店区",
        "target_group": "unemployed",
        **changes,
    }


def test_registration_refuses_someone_elses_phone_or_id_number_as_username(api, person):
    for username in (PHONE, person.id_number, "13800000000"):
        response = api.post("/api/v1/auth/register/", registration(username=username), format="json")
        assert response.status_code == 400 and "username" in response.json()["errors"]


def test_registration_takes_ones_own_phone_as_username(api):
    response = api.post("/api/v1/auth/register/", registration(username="13805332100"), format="json")
    assert response.status_code == 201


@pytest.fixture
def imported():
    """An account a roster import created: a generated username and no password."""
    learner = LearnerFactory(phone="13905332005", user__username="zb123x1a2b3c4d")
    learner.user.set_unusable_password()
    learner.user.save()
    return learner


def activation(learner, **changes) -> dict:
    return {
        "id_number": learner.id_number,
        "phone": learner.phone,
        "username": "liuhong",
        "password": "Zibo-learn-2026",
        **changes,
    }


def test_activation_chooses_the_username_and_it_logs_in(client, imported):
    response = client.post("/accounts/activate/", activation(imported))
    assert response.status_code == 200 and "liuhong" in response.content.decode()
    imported.user.refresh_from_db()
    assert imported.user.username == "liuhong"
    client.logout()
    for identifier in ("liuhong", imported.phone, imported.id_number):
        assert web_login(client, identifier, "Zibo-learn-2026")[1]
        client.logout()


def test_the_activation_form_and_service_set_the_chosen_username(imported):
    form = ActivationForm(data=activation(imported, username=" liuhong "))
    assert form.is_valid(), form.errors
    learner_activate(learner=form.learner, password="Zibo-learn-2026", username=form.cleaned_data["username"])
    imported.user.refresh_from_db()
    assert imported.user.username == "liuhong" and imported.user.check_password("Zibo-learn-2026")


def test_activation_without_a_username_keeps_the_one_given(imported):
    form = ActivationForm(data=activation(imported, username=""))
    assert form.is_valid(), form.errors
    learner_activate(learner=form.learner, password="Zibo-learn-2026", username=form.cleaned_data["username"])
    imported.user.refresh_from_db()
    assert imported.user.username == "zb123x1a2b3c4d"


@pytest.mark.parametrize(
    "username, code",
    [
        ("ZhaoLei", "taken"),  # taken, whatever the case
        (PHONE, "lookalike"),  # someone else's phone
        (id_number(44), "lookalike"),  # an ID number not one's own
        ("bad name!", "invalid"),
    ],
)
def test_activation_refuses_a_username(imported, person, username, code):
    form = ActivationForm(data=activation(imported, username=username))
    assert not form.is_valid()
    assert form.has_error("username", code) or (code == "invalid" and form.has_error("username"))


def test_activation_takes_ones_own_phone_or_id_number_as_username(imported):
    for username in (imported.phone, imported.id_number.lower()):
        assert ActivationForm(data=activation(imported, username=username)).is_valid()


def test_a_wrong_id_number_says_nothing_about_the_username(imported, person):
    form = ActivationForm(data=activation(imported, phone="13900000000", username="zhaolei"))
    assert not form.is_valid()
    assert "username" not in form.errors and "身份证号与手机号不匹配" in str(form.non_field_errors())


def test_the_login_form_says_what_may_be_typed(client):
    assert "用户名、手机号或身份证号" in client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password-reset/"' in client.get("/accounts/login/").content.decode()
