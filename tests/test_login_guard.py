"""One login guard for every door (issue 15, item 1): the app's token login, the web login,
Wagtail's /admin/login/ and /django-admin/login/ count failures together, per username and per
client address, and refuse a locked one whatever the door; with the cache down, logins are
refused with a clear message, never let through uncounted and never a 500."""

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings

from learners import login_guard
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
TOKEN_URL = "/api/v1/auth/token/"
DOORS = {
    "web": "/accounts/login/",
    "wagtail": "/admin/login/",
    "django-admin": "/django-admin/login/",
}


@pytest.fixture
def reviewer():
    user = UserFactory(username="reviewer", is_staff=True, is_superuser=True)
    Group.objects.get_or_create(name="Moderators")[0].user_set.add(user)
    return user


def api_login(api, username, password, **extra):
    return api.post(TOKEN_URL, {"username": username, "password": password}, format="json", **extra)


def door_login(client, door, username, password, **extra):
    return client.post(DOORS[door], {"username": username, "password": password}, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("door", DOORS)
def test_after_five_wrong_api_logins_no_door_lets_the_right_password_in(api, client, reviewer, door):
    for _ in range(5):
        assert api_login(api, "reviewer", "wrong").status_code == 400
    assert api_login(api, "reviewer", PASSWORD).status_code == 429
    response = door_login(client, door, "reviewer", PASSWORD)
    assert not logged_in(client)
    assert "登录失败次数过多" in response.content.decode()


@pytest.mark.parametrize("door", DOORS)
def test_wrong_passwords_at_every_door_are_counted(api, client, reviewer, door):
    for _ in range(5):
        door_login(client, door, "reviewer", "wrong")
    response = api_login(api, "reviewer", PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"


@pytest.mark.parametrize("door", DOORS)
def test_every_door_still_lets_the_right_password_in(client, reviewer, door):
    door_login(client, door, "reviewer", PASSWORD)
    assert logged_in(client)


def test_a_success_clears_the_usernames_failures(api, reviewer):
    for _ in range(4):
        api_login(api, "reviewer", "wrong")
    assert api_login(api, "reviewer", PASSWORD).status_code == 200
    for _ in range(4):
        api_login(api, "reviewer", "wrong")
    assert api_login(api, "reviewer", PASSWORD).status_code == 200


def test_one_address_spraying_many_usernames_is_stopped(api, settings):
    """Password spraying: one guess against many accounts, from one address."""
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 10
    victim = UserFactory(username="victim")
    for n in range(10):
        UserFactory(username=f"user{n}")
        api_login(api, f"user{n}", "Password1", REMOTE_ADDR="203.0.113.9")
    assert api_login(api, "victim", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429
    # The same account from another address, and other addresses, are not affected.
    assert api_login(api, victim.username, PASSWORD, REMOTE_ADDR="198.51.100.1").status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_counts(api, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="someone")
    for n in range(3):
        api_login(
            api, f"nobody{n}", "x", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5"
        )
    blocked = api_login(api, "someone", PASSWORD, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.5")
    assert blocked.status_code == 429
    # A client cannot choose its address: only the proxy's hop is read.
    other = api_login(api, "someone", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5, 198.51.100.7")
    assert other.status_code == 200


def test_client_address_without_proxies_is_remote_addr(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert login_guard.client_address(request) == "192.0.2.1"


@pytest.fixture
def cache_down():
    """Redis unreachable: nothing listens on port 1. Restored before the suite's cache clean-up."""
    broken = {
        "default": {
            "BACKEND": "config.redis_cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    with override_settings(CACHES=broken):
        yield


def test_with_the_cache_down_api_login_is_a_503_with_a_message(api, reviewer, cache_down):
    response = api_login(api, "reviewer", PASSWORD)
    assert response.status_code == 503
    assert "登录服务暂时不可用" in response.json()["detail"]


@pytest.mark.parametrize("door", DOORS)
def test_with_the_cache_down_no_door_logs_in_and_none_fails(client, reviewer, cache_down, door):
    response = door_login(client, door, "reviewer", PASSWORD)
    assert response.status_code == 200
    assert not logged_in(client)
    assert "登录服务暂时不可用" in response.content.decode()


def test_with_the_cache_down_registration_is_a_503_on_both_doors(api, client, cache_down):
    body = {"username": "newbie", "password": "Zibo-skills-2026"}
    response = api.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 503 and "注册服务暂时不可用" in response.json()["detail"]
    page = client.post("/accounts/register/", body)
    assert page.status_code == 503 and "注册服务暂时不可用" in page.content.decode()
