"""The web login from inside WeChat (shared/contract/wechat.md, "Web login from WeChat"), driven
against the stand-in of WeChat's servers (the ``wechat`` fixture): the start URL, the state bound
to the browser, the code exchange, the silent login of a bound openid, binding after login or
registration, one openid ↔ one learner, unbinding from the profile, WeChat failures, WeChat off,
who may do what, and the JS-SDK signature."""

import hashlib
import socket
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.test import Client

from tests.e2e import WECHAT_UA
from tests.factories import LearnerFactory, enroll, make_course
from tests.test_registration import body as registration_body
from wechat.models import WechatBinding

pytestmark = pytest.mark.django_db

START = "/wechat/oauth/"
CALLBACK = "/wechat/oauth/callback/"
EXCHANGE = "sns/oauth2/access_token"


def start(client, next_url="/courses/"):
    """GET the start URL; the authorisation URL's parts."""
    response = client.get(START, {"next": next_url})
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    return url, parse_qsl(url.query)


def through_wechat(client, openid, next_url="/courses/"):
    """Start, let the stand-in authorise ``openid`` (as WeChat does), follow back to the platform."""
    response = client.get(START, {"next": next_url})
    authorize = response["Location"].split("#", 1)[0] + "&openid=" + openid
    back = requests.get(authorize, allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    url = urlsplit(back.headers["Location"])
    assert url.path == CALLBACK
    return client.get(url.path, dict(parse_qsl(url.query)))


def state_of(client) -> str:
    return start(client)[1][4][1]


def test_the_start_redirects_to_wechats_authorisation_page(client, wechat):
    url, params = start(client, "/courses/")
    standin = urlsplit(wechat.base_url)
    assert (url.scheme, url.netloc, url.path) == (standin.scheme, standin.netloc, "/connect/oauth2/authorize")
    assert [name for name, _value in params] == ["appid", "redirect_uri", "response_type", "scope", "state"]
    values = dict(params)
    assert values["appid"] == wechat.appid
    assert values["redirect_uri"] == "http://testserver/wechat/oauth/callback/"
    assert values["response_type"] == "code" and values["scope"] == "snsapi_base"
    assert values["state"].isalnum() and len(values["state"]) >= 16
    assert url.fragment == "wechat_redirect"
    assert state_of(client) != values["state"]  # a new state each time
    assert wechat.calls_to(EXCHANGE) == []


def test_a_missing_forged_replayed_or_foreign_state_is_refused_without_calling_wechat(client, wechat):
    learner = LearnerFactory()
    WechatBinding.objects.create(learner=learner, openid="o-1")
    state_of(client)
    missing = client.get(CALLBACK, {"code": wechat.issue_code("o-1")})
    assert missing.status_code == 400 and "登录" in missing.content.decode()
    forged = client.get(CALLBACK, {"code": wechat.issue_code("o-1"), "state": "0123456789abcdef" * 2})
    assert forged.status_code == 403
    # A state given to another browser is not this one's.
    other = Client()
    foreign = client.get(CALLBACK, {"code": wechat.issue_code("o-1"), "state": state_of(other)})
    assert foreign.status_code == 403
    assert wechat.calls_to(EXCHANGE) == []
    assert client.get("/me/learning/").status_code == 302  # nobody logged in

    state = state_of(client)
    assert client.get(CALLBACK, {"code": wechat.issue_code("o-1"), "state": state}).status_code == 302
    client.logout()
    replayed = client.get(CALLBACK, {"code": wechat.issue_code("o-1"), "state": state})
    assert replayed.status_code == 403
    assert len(wechat.calls_to(EXCHANGE)) == 1


def test_an_expired_state_is_refused(client, wechat, monkeypatch):
    state = state_of(client)
    later = time.time() + 11 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get(CALLBACK, {"code": wechat.issue_code("o-1"), "state": state}).status_code == 403
    assert wechat.calls_to(EXCHANGE) == []


def test_a_bound_openid_opens_the_learners_session_and_lands_on_next(client, wechat):
    learner = LearnerFactory()
    WechatBinding.objects.create(learner=learner, openid="o-bound")
    state_of(client)
    anonymous_key = client.session.session_key
    response = through_wechat(client, "o-bound", "/me/archive/")
    assert response.status_code == 302 and response["Location"] == "/me/archive/"
    call = wechat.calls_to(EXCHANGE)[0][1]
    assert call["appid"] == wechat.appid and call["secret"] == wechat.secret
    assert call["grant_type"] == "authorization_code"
    assert client.session.session_key != anonymous_key  # rotated at login
    assert client.get("/me/learning/").status_code == 200
    assert client.get("/api/v1/me/").json()["username"] == learner.user.username  # the PC session


def test_an_inactive_learner_is_not_logged_in(client, wechat):
    learner = LearnerFactory()
    learner.user.is_active = False
    learner.user.save()
    WechatBinding.objects.create(learner=learner, openid="o-gone")
    assert through_wechat(client, "o-gone").status_code == 403
    assert client.get("/me/learning/").status_code == 302


def test_an_unbound_openid_is_bound_by_the_login_and_lands_on_next(client, wechat, learner):
    response = through_wechat(client, "o-new", "/me/archive/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fme%2Farchive%2F"
    # Inside WeChat the login page now shows its form (no loop back to WeChat), with the note.
    page = client.get(response["Location"], HTTP_USER_AGENT=WECHAT_UA)
    assert page.status_code == 200 and "登录后将绑定您的微信" in page.content.decode()
    login = client.post(
        response["Location"],
        {"username": learner.user.username, "password": "pass-word-123", "next": "/me/archive/"},
        HTTP_USER_AGENT=WECHAT_UA,
    )
    assert login.status_code == 302 and login["Location"] == "/me/archive/"
    assert WechatBinding.objects.get(openid="o-new").learner == learner
    # Next time in WeChat: logged in silently.
    fresh = Client()
    assert through_wechat(fresh, "o-new", "/me/learning/")["Location"] == "/me/learning/"
    assert fresh.get("/me/learning/").status_code == 200


def test_an_unbound_openid_is_bound_by_registration(client, wechat):
    through_wechat(client, "o-newcomer", "/courses/")
    response = client.post("/accounts/register/?next=/courses/", registration_body())
    assert response.status_code == 302 and response["Location"] == "/courses/"
    assert WechatBinding.objects.get(openid="o-newcomer").learner.user.username == "liuyang"


def test_a_logged_in_learner_is_bound_directly(client, wechat, learner):
    client.force_login(learner.user)
    response = through_wechat(client, "o-direct", "/me/learning/")
    assert response.status_code == 302 and response["Location"] == "/me/learning/"
    assert learner.wechat_binding.openid == "o-direct"


def test_one_openid_belongs_to_one_learner(client, wechat, learner, other_learner):
    WechatBinding.objects.create(learner=learner, openid="o-taken")
    client.force_login(other_learner.user)
    refused = through_wechat(client, "o-taken")
    assert refused.status_code == 409
    assert "已绑定其他学员账号" in refused.content.decode()
    assert WechatBinding.objects.get(openid="o-taken").learner == learner
    assert not WechatBinding.objects.filter(learner=other_learner).exists()


def test_a_learner_bound_to_another_wechat_must_unbind_first(client, wechat, learner):
    WechatBinding.objects.create(learner=learner, openid="o-first")
    through_wechat(client, "o-second", "/courses/")
    login = client.post(
        "/accounts/login/",
        {"username": learner.user.username, "password": "pass-word-123", "next": "/courses/"},
    )
    # Logged in, but sent to the profile, which says why and leads on to /courses/.
    assert login.status_code == 302 and login["Location"] == "/me/profile/?next=%2Fcourses%2F"
    profile = client.get(login["Location"]).content.decode()
    assert "请先在“个人资料”中解除绑定" in profile and 'href="/courses/"' in profile
    assert learner.wechat_binding.openid == "o-first"
    assert not WechatBinding.objects.filter(openid="o-second").exists()


def test_the_learner_unbinds_from_the_profile(client, wechat, learner):
    openid = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
    WechatBinding.objects.create(learner=learner, openid=openid)
    client.force_login(learner.user)
    page = client.get("/me/profile/").content.decode()
    assert learner.real_name in page and learner.masked_id_number in page
    assert "解除绑定" in page and "o6_b****fL2M" in page and openid not in page
    response = client.post("/wechat/unbind/")
    assert response.status_code == 302 and response["Location"] == "/me/profile/"
    page = client.get("/me/profile/").content.decode()
    assert "已解除微信绑定" in page and "尚未绑定微信" in page and "解除绑定</button>" not in page
    assert not WechatBinding.objects.exists()


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/ok\nx"]
)
def test_next_never_leaves_the_site(client, wechat, learner, next_url):
    WechatBinding.objects.create(learner=learner, openid="o-1")
    assert through_wechat(client, "o-1", next_url)["Location"] == "/home/"  # the role's own home


def test_wechat_unreachable_or_refusing_is_a_friendly_page(client, wechat, learner, settings):
    WechatBinding.objects.create(learner=learner, openid="o-1")
    wechat.fail_next(EXCHANGE, 40029)
    refused = through_wechat(client, "o-1")
    assert refused.status_code == 400 and "重新用微信登录" in refused.content.decode()
    wechat.fail_next(EXCHANGE, 45009)
    assert through_wechat(client, "o-1").status_code == 502

    # WeChat's server accepts the connection and never answers: a timeout, not a hung worker.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    settings.WECHAT_API_BASE_URL = f"http://127.0.0.1:{silent.getsockname()[1]}/"
    settings.WECHAT_HTTP_TIMEOUT = 0.5
    began = time.monotonic()
    timed_out = through_wechat(client, "o-1")
    assert timed_out.status_code == 502 and time.monotonic() - began < 3
    silent.close()

    settings.WECHAT_API_BASE_URL = wechat.base_url
    state = state_of(client)
    code = wechat.issue_code("o-1")
    wechat.stop()  # WeChat down
    down = client.get(CALLBACK, {"code": code, "state": state})
    assert down.status_code == 502 and "暂时无法连接微信" in down.content.decode()
    # The learner may choose the password instead: inside WeChat the login page shows its form.
    assert client.get("/accounts/login/", HTTP_USER_AGENT=WECHAT_UA).status_code == 200
    assert client.get("/me/learning/").status_code == 302


def test_inside_wechat_the_login_page_starts_the_wechat_login(client, wechat):
    response = client.get("/accounts/login/?next=/me/archive/", HTTP_USER_AGENT=WECHAT_UA)
    assert response.status_code == 302 and response["Location"] == "/wechat/oauth/?next=%2Fme%2Farchive%2F"
    assert client.get("/accounts/login/").status_code == 200  # any other browser: the form


def test_the_h5_pages_send_channel_wechat_only_inside_wechat(client, wechat, learner, settings):
    course = make_course(lessons=1)
    lesson = course.lessons.get()
    lesson.media.name = "lessons/care-1.mp4"
    lesson.save()
    enroll(learner, course)
    client.force_login(learner.user)
    url = f"{course.url}lessons/{lesson.pk}/"
    assert 'data-channel="wechat"' in client.get(url, HTTP_USER_AGENT=WECHAT_UA).content.decode()
    assert 'data-channel="pc"' in client.get(url).content.decode()
    shared = client.get(course.url, HTTP_USER_AGENT=WECHAT_UA).content.decode()
    assert "js/wechat-share.js" in shared and 'id="wechat-share"' in shared
    assert "wechat-share" not in client.get(course.url).content.decode()


def test_without_an_app_id_the_wechat_end_is_absent(client, settings, learner):
    settings.WECHAT_APP_ID = ""
    course = make_course(lessons=1)
    for path in [START, CALLBACK + "?code=c&state=s", "/wechat/jssdk/?url=http://testserver/"]:
        assert client.get(path).status_code == 404, path
    assert client.post("/wechat/unbind/").status_code == 404
    assert client.get("/accounts/login/", HTTP_USER_AGENT=WECHAT_UA).status_code == 200
    assert "wechat-share" not in client.get(course.url, HTTP_USER_AGENT=WECHAT_UA).content.decode()
    client.force_login(learner.user)
    assert client.post("/wechat/unbind/").status_code == 404
    page = client.get("/me/profile/").content.decode()
    assert learner.real_name in page and "微信绑定" not in page


@pytest.mark.parametrize("persona", ["anonymous", "learner", "staff"])
def test_who_may_see_the_profile_unbind_and_get_the_jssdk_config(wechat, persona, learner, staff_user):
    client = Client(enforce_csrf_checks=True)
    if persona != "anonymous":
        client.force_login(learner.user if persona == "learner" else staff_user)
    profile = client.get("/me/profile/")
    unbind_get = client.get("/wechat/unbind/")
    unbind_without_csrf = client.post("/wechat/unbind/")
    config = client.get("/wechat/jssdk/", {"url": "http://testserver/courses/"})
    assert unbind_get.status_code == 405
    assert config.status_code == 200  # sharing a public page needs no login
    if persona == "anonymous":
        assert profile.status_code == 302 and profile["Location"] == "/accounts/login/?next=/me/profile/"
        assert unbind_without_csrf.status_code == 403  # CSRF first; then the login
        assert Client().post("/wechat/unbind/")["Location"].startswith("/accounts/login/")
    elif persona == "learner":
        WechatBinding.objects.create(learner=learner, openid="o-1")
        assert profile.status_code == 200
        assert unbind_without_csrf.status_code == 403
        assert WechatBinding.objects.exists()
        client.get("/me/profile/")
        csrf = client.cookies["csrftoken"].value
        assert client.post("/wechat/unbind/", HTTP_X_CSRFTOKEN=csrf).status_code == 302
        assert not WechatBinding.objects.exists()
    else:
        assert profile.status_code == 403
        client.get("/accounts/login/")  # a page with a form: the CSRF cookie
        csrf = client.cookies["csrftoken"].value
        assert client.post("/wechat/unbind/", HTTP_X_CSRFTOKEN=csrf).status_code == 403


def test_the_jssdk_signature_follows_wechats_rule(client, wechat):
    page = "http://testserver/courses/some-course/?from=singlemessage"
    response = client.get("/wechat/jssdk/", {"url": page + "#top"})
    assert response.status_code == 200
    config = response.json()
    assert set(config) == {"appId", "timestamp", "nonceStr", "signature"}
    assert config["appId"] == wechat.appid and abs(config["timestamp"] - time.time()) < 60
    # Independently, from WeChat's JS-SDK documentation: the fields sorted by name, joined with &,
    # the URL without its fragment, SHA-1 in lowercase hex. The stand-in's first ticket.
    assert wechat.tickets_issued == 1
    plain = f"jsapi_ticket=TICKET-1&noncestr={config['nonceStr']}&timestamp={config['timestamp']}&url={page}"
    assert config["signature"] == hashlib.sha1(plain.encode()).hexdigest()  # noqa: S324
    client.get("/wechat/jssdk/", {"url": page})
    assert wechat.tickets_issued == 1  # the shared ticket is reused


@pytest.mark.parametrize("url", ["", "/courses/", "https://evil.example/courses/", "javascript:alert(1)"])
def test_the_jssdk_config_signs_only_pages_of_this_site(client, wechat, url):
    response = client.get("/wechat/jssdk/", {"url": url})
    assert response.status_code == 400 and response.json()["detail"]
    assert wechat.tickets_issued == 0


def test_the_jssdk_config_says_when_wechat_is_unreachable(client, wechat):
    wechat.stop()
    response = client.get("/wechat/jssdk/", {"url": "http://testserver/courses/"})
    assert response.status_code == 502 and response.json()["detail"]


def test_a_browser_may_start_in_several_tabs(client, wechat, learner):
    WechatBinding.objects.create(learner=learner, openid="o-1")
    older, newer = state_of(client), state_of(client)
    assert client.get(CALLBACK, {"code": wechat.issue_code("o-1"), "state": older}).status_code == 302
    # The other tab's state outlived the login (the session key rotates, its data stays).
    assert client.get(CALLBACK, {"code": wechat.issue_code("o-1"), "state": newer}).status_code == 302
    assert len(wechat.calls_to(EXCHANGE)) == 2
