"""The access token and JS-SDK ticket: shared by all workers, refreshed once, never a storm."""

import threading
import time

import pytest
from django.core.cache import caches

from wechat import credentials
from wechat.client import wechat_client

pytestmark = pytest.mark.django_db


def test_every_call_goes_to_the_configured_base_url(wechat):
    client = wechat_client()
    client.menu.create({"button": [{"type": "click", "name": "学习", "key": "STUDY"}]})
    # wechatpy writes the token URL as https://api.weixin.qq.com/…; it still reached the stand-in.
    assert [call[0] for call in wechat.calls] == ["cgi-bin/token", "cgi-bin/menu/create"]
    assert wechat.menus[0]["button"][0]["key"] == "STUDY"


def test_the_token_is_fetched_once_and_shared(wechat):
    wechat_client().menu.create({"button": []})
    wechat_client().menu.create({"button": []})  # a new client object, as another worker has
    assert wechat.tokens_issued == 1


def test_concurrent_workers_that_find_no_token_refresh_once(wechat):
    barrier = threading.Barrier(8)
    tokens, errors = [], []

    def worker():
        try:
            barrier.wait()
            tokens.append(wechat_client().access_token)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert wechat.tokens_issued == 1
    assert set(tokens) == {wechat.current_token}


def test_a_token_about_to_expire_is_replaced_before_it_does(wechat, monkeypatch):
    first = wechat_client().access_token
    real_time = time.time
    monkeypatch.setattr(credentials.time, "time", lambda: real_time() + 7200 - 60)
    assert wechat_client().access_token != first
    assert wechat.tokens_issued == 2


def test_a_refused_token_forces_one_refresh_not_a_storm(wechat):
    client = wechat_client()
    client.menu.create({"button": []})
    wechat.expire_token()  # WeChat now answers 40001 to the cached token
    barrier = threading.Barrier(6)
    errors = []

    def worker():
        try:
            barrier.wait()
            wechat_client().menu.create({"button": []})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert wechat.tokens_issued == 2  # the first fetch, and one forced refresh for all six
    assert len(wechat.menus) == 7


def test_forced_refreshes_are_rate_limited(wechat):
    from wechatpy.exceptions import WeChatClientException

    wechat_client().menu.create({"button": []})
    wechat.fail_next("cgi-bin/menu/create", 40001, times=10)
    for _ in range(3):
        with pytest.raises(WeChatClientException):
            wechat_client().menu.create({"button": []})
    # One forced refresh in the interval; the other refusals do not reach the token endpoint.
    assert wechat.tokens_issued == 2


def test_the_jsapi_ticket_is_shared_too(wechat):
    client = wechat_client()
    assert client.jsapi_ticket.get() == "TICKET-1"
    assert wechat_client().jsapi_ticket.get() == "TICKET-1"
    assert wechat.tickets_issued == 1


def test_a_worker_that_cannot_get_the_lock_gives_up_in_time(wechat, monkeypatch):
    monkeypatch.setattr(credentials, "WAIT_SECONDS", 0.2)
    caches["shared"].add(f"wechat:{wechat.appid}:access_token:lock", "someone-else", timeout=30)
    started = time.monotonic()
    with pytest.raises(credentials.CredentialUnavailable):
        _ = wechat_client().access_token
    assert time.monotonic() - started < 2
    assert wechat.tokens_issued == 0


def test_a_token_still_valid_is_used_when_the_early_refresh_fails(wechat, monkeypatch):
    first = wechat_client().access_token
    real_time = time.time
    monkeypatch.setattr(credentials.time, "time", lambda: real_time() + 7200 - 60)
    wechat.fail_next("cgi-bin/token", -1)  # WeChat busy
    assert wechat_client().access_token == first
    assert wechat_client().access_token != first  # the next call refreshes
