"""The WeChat H5 pages in a real browser (Chromium with WeChat's user agent, tests/e2e.PHONE)
against a live server and the stand-in of WeChat's servers: a learner whose WeChat is bound
opens a course from the official account, is logged in through OAuth without seeing a password
form, plays a lesson and is credited with channel ``wechat``; and a course page configures the
JS-SDK for sharing with a signature WeChat would accept. Screenshots go to test-artifacts/."""

import hashlib
import re
import time

import pytest

from progress.models import LessonProgress, PlaybackSession, ProgressEvent
from tests.e2e import ARTIFACTS, CHROMIUM, PHONE, media_through_the_app
from tests.factories import LearnerFactory, enroll, make_course
from wechat.models import WechatBinding

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} for Playwright"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OPENID = "o-zibo-wangxl-0001"


@pytest.fixture(autouse=True)
def _media_through_the_app(monkeypatch):
    media_through_the_app(monkeypatch)


def eventually(check, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def video_course():
    course = make_course(lessons=1, duration=120, title="养老护理员（五级）", summary="居家养老护理基础")
    lesson = course.lessons.get()
    lesson.media.name = "lessons/care-1.mp4"
    lesson.save()
    return course, lesson


def official_account_message(page, url: str) -> None:
    """What the follower sees in the chat: a message from the official account with a link."""
    page.set_content(
        '<!doctype html><meta charset="utf-8"><title>淄博技能在线</title>'
        f'<p>欢迎关注！<a id="study" href="{url}">开始学习</a></p>'
    )


def test_a_bound_follower_studies_from_the_official_account_with_channel_wechat(browser, live_server, wechat):
    course, lesson = video_course()
    learner = LearnerFactory(real_name="王秀兰")
    enroll(learner, course)
    WechatBinding.objects.create(learner=learner, openid=OPENID)
    wechat.auto_openid = OPENID  # the follower is "in WeChat": authorisation is immediate

    page = browser(PHONE)
    seen = []
    page.on("response", lambda r: seen.append((r.status, r.url)))
    official_account_message(page, f"{live_server.url}{course.url}")
    page.click("#study")
    page.wait_for_url(f"**{course.url}")
    # The lesson needs a login: inside WeChat that is the WeChat login, silent for a bound openid.
    page.click(f"a[href$='lessons/{lesson.pk}/']")
    # (The browser keeps the "#wechat_redirect" of the stand-in's URL through the redirects.)
    page.wait_for_url(re.compile(rf"{re.escape(course.url)}lessons/{lesson.pk}/(#.*)?$"))
    assert eventually(lambda: page.evaluate("document.getElementById('player').readyState") >= 1)
    logins = [(status, url) for status, url in seen if "/accounts/login/" in url]
    assert logins and all(status == 302 for status, _url in logins), logins  # never the form
    assert any("/connect/oauth2/authorize" in url for _status, url in seen)
    assert len(wechat.calls_to("sns/oauth2/access_token")) == 1
    assert page.locator("#lesson").get_attribute("data-channel") == "wechat"
    page.screenshot(path=str(ARTIFACTS / "wechat-lesson-phone.png"), full_page=True)

    page.evaluate("document.getElementById('player').play()")

    def credited():
        progress = LessonProgress.objects.filter(lesson=lesson, learner=learner).first()
        return progress is not None and progress.credited_seconds >= 3 and progress

    progress = eventually(credited)
    assert progress, "no credit while playing in WeChat"
    assert progress.last_channel == "wechat"
    events = ProgressEvent.objects.filter(learner=learner)
    assert events.filter(status="accepted", credited_seconds__gt=0).exists()
    assert set(events.values_list("channel", flat=True)) == {"wechat"}
    assert set(PlaybackSession.objects.filter(learner=learner).values_list("channel", flat=True)) == {
        "wechat"
    }
    assert all("MicroMessenger" in agent for agent in events.values_list("user_agent", flat=True))

    # The same session as the PC web: 我的学习 opens without another login.
    page.goto(f"{live_server.url}/me/learning/")
    assert page.locator("h1").inner_text() == "我的学习"


# A stand-in for WeChat's JS-SDK (window.wx), recording what the page asks of it.
FAKE_WX = """
window.wxCalls = [];
window.wx = {
  config: function (c) { window.wxCalls.push(["config", c]); },
  ready: function (f) { setTimeout(f, 0); },
  updateAppMessageShareData: function (d) { window.wxCalls.push(["appMessage", d]); },
  updateTimelineShareData: function (d) { window.wxCalls.push(["timeline", d]); }
};
"""


def test_a_course_page_in_wechat_configures_sharing_with_a_valid_signature(browser, live_server, wechat):
    course, _lesson = video_course()
    page = browser(PHONE)
    page.add_init_script(FAKE_WX)
    page.goto(f"{live_server.url}{course.url}?from=singlemessage#lessons")
    # Polled from here (page.evaluate, through DevTools): Playwright's wait_for_function compiles
    # its string in the page, which the pages' Content-Security-Policy (no 'unsafe-eval') refuses.
    assert eventually(lambda: page.evaluate("window.wxCalls.length") >= 3)
    calls = dict(page.evaluate("window.wxCalls"))
    config = calls["config"]
    assert config["appId"] == wechat.appid
    assert set(config["jsApiList"]) == {"updateAppMessageShareData", "updateTimelineShareData"}
    # WeChat checks the signature of the page's URL without its fragment, with the shared ticket.
    signed = f"{live_server.url}{course.url}?from=singlemessage"
    plain = (
        f"jsapi_ticket=TICKET-1&noncestr={config['nonceStr']}&timestamp={config['timestamp']}&url={signed}"
    )
    assert config["signature"] == hashlib.sha1(plain.encode()).hexdigest()  # noqa: S324
    share = calls["appMessage"]
    assert share["title"] == "养老护理员（五级）" and share["desc"] == "居家养老护理基础"
    assert share["link"] == f"{live_server.url}{course.url}"
    assert share["imgUrl"] == f"{live_server.url}/static/icons/icon-512.png"
    assert calls["timeline"]["link"] == share["link"]
