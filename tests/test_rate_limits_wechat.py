"""Rate limits on the WeChat doors (wechat.endpoint, wechat.login; docs/security.md, "Rate
limits"). Every follower's message comes from WeChat's few servers, so the endpoint never
limits signed traffic by address: it limits each follower (``WECHAT_RATE``, past which a message
is answered "success" without a reply, as WeChat expects), and the addresses that keep sending
what fails the signature or the format (``WECHAT_REFUSED_RATE``: then 429). The OAuth login
callback is limited per client address (``WECHAT_LOGIN_RATE``: a page saying what to do).
With the cache down nothing is refused."""

import pytest
from django.test import Client

from common.rate_limit import RateLimit
from tests.e2e import WECHAT_UA
from tests.wechat_factories import reply_fields, signed_query, text_message

pytestmark = pytest.mark.django_db

WECHAT_SERVER = "101.226.103.10"  # one of the addresses WeChat's servers call from
STRANGER = "203.0.113.66"


@pytest.fixture
def on(wechat, settings):
    settings.SITE_URL = "https://px.zibo.example"
    settings.WECHAT_RATE = "3/min"
    settings.WECHAT_REFUSED_RATE = "3/min"
    settings.WECHAT_LOGIN_RATE = "3/min"
    return wechat


def post(client, body, *, address=WECHAT_SERVER, query=None):
    return client.post(
        f"/wechat/?{query or signed_query()}",
        data=body.encode("utf-8"),
        content_type="text/xml",
        REMOTE_ADDR=address,
    )


def test_a_follower_past_the_rate_is_answered_success_without_a_reply_others_are_answered(client, on):
    answers = [post(client, text_message("o-chatty", "帮助")) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200]
    assert all(reply_fields(answer.content)["Content"] for answer in answers[:3])
    assert answers[3].content == b"success"  # WeChat: delivered, nothing to show, no retry
    other = post(client, text_message("o-quiet", "帮助"))
    assert other.status_code == 200 and reply_fields(other.content)["ToUserName"] == "o-quiet"


def test_many_followers_through_one_wechat_server_are_all_answered(client, on):
    """The source address is shared by every follower: it is not what is limited."""
    for number in range(12):
        answer = post(client, text_message(f"o-follower-{number}", "帮助"))
        assert answer.status_code == 200
        assert reply_fields(answer.content)["ToUserName"] == f"o-follower-{number}"


def test_an_address_sending_bad_signatures_is_refused_with_429_and_wechat_is_not(client, on):
    forged = signed_query(token="not-the-token")  # noqa: S106
    codes = [
        post(client, text_message("o-x", "帮助"), address=STRANGER, query=forged).status_code
        for _ in range(3)
    ]
    assert codes == [403, 403, 403]
    refused = post(client, text_message("o-x", "帮助"), address=STRANGER)  # even signed, now
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "频繁" in refused.content.decode()
    # WeChat's own servers, from their address, are answered as ever.
    answer = post(client, text_message("o-follower", "帮助"))
    assert answer.status_code == 200 and reply_fields(answer.content)["Content"]


def test_malformed_bodies_count_as_refused_calls(client, on):
    codes = [post(client, "<xml><not-closed>", address=STRANGER).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]


def test_with_the_cache_down_the_endpoint_answers_as_ever(client, on, monkeypatch):
    class Down:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache down")

        set = get

    monkeypatch.setattr(RateLimit, "cache", Down())
    for _ in range(5):
        answer = post(client, text_message("o-chatty", "帮助"))
        assert reply_fields(answer.content)["Content"]


# --- the OAuth login callback, per client address -------------------------------------------------


def test_the_login_callback_past_the_rate_says_what_to_do_and_other_addresses_log_in(on):
    phone = Client(HTTP_USER_AGENT=WECHAT_UA)
    answers = [phone.get("/wechat/oauth/callback/", {"state": "x"}, REMOTE_ADDR=STRANGER) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [403, 403, 403, 429]
    page = answers[3]
    assert int(page["Retry-After"]) > 0
    html = page.content.decode()
    assert "登录过于频繁" in html and "分钟后" in html
    assert "使用账号密码登录" in html  # the way on that needs no WeChat
    elsewhere = Client(HTTP_USER_AGENT=WECHAT_UA).get(
        "/wechat/oauth/callback/", {"state": "x"}, REMOTE_ADDR="203.0.113.67"
    )
    assert elsewhere.status_code == 403  # its own state check, not the limit


def test_the_login_start_is_not_limited(on):
    phone = Client(HTTP_USER_AGENT=WECHAT_UA)
    assert {phone.get("/wechat/oauth/", REMOTE_ADDR=STRANGER).status_code for _ in range(6)} == {302}
