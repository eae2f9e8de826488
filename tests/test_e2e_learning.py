"""Learning end to end in a real browser (Chromium via Playwright) against a live server, on a
desktop and on a phone with WeChat's user agent: register, enrol, play a lesson and see the
credited time grow, keep studying offline and see the queue flushed, resume on another device
at the same second, get the takeover notice, and miss an attention check. The heartbeat is made
short (2 s) so that honest playback of a few seconds is enough. Screenshots go to
test-artifacts/."""

import time

import pytest

from progress.models import LessonProgress, ProgressEvent
from tests.e2e import ARTIFACTS, CHROMIUM, DESKTOP, PHONE, media_through_the_app, wait_until
from tests.factories import make_course, valid_id_number

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} for Playwright"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _media_through_the_app(monkeypatch):
    """The live server's media requests reach config.media (byte ranges), as under make run."""
    media_through_the_app(monkeypatch)


def video_course(**fields):
    course = make_course(lessons=1, duration=120, **fields)
    lesson = course.lessons.get()
    lesson.media.name = "lessons/care-1.mp4"
    lesson.save()
    return course, lesson


def eventually(check, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def credited(lesson) -> float:
    progress = LessonProgress.objects.filter(lesson=lesson).first()
    return progress.credited_seconds if progress else 0.0


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def register_and_enrol(page, live_server, course, username: str, n: int) -> None:
    page.goto(f"{live_server.url}/accounts/register/?next={course.url}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-word-123")
    page.fill("#id_real_name", "王秀兰")
    page.fill("#id_id_number", valid_id_number(n))
    page.fill("#id_phone", f"1385330{n:04d}")
    page.evaluate(
        """() => document.querySelectorAll("form.form select").forEach(s => {
             if (!s.value) s.selectedIndex = 1; })"""
    )
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"**{course.url}")
    status = page.evaluate(
        """async (id) => {
             const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
             const r = await fetch(`/api/v1/courses/${id}/enroll/`, {method: "POST",
               credentials: "same-origin", headers: {"X-CSRFToken": token}});
             return r.status; }""",
        course.pk,
    )
    assert status in (200, 201), status


def open_lesson(page, live_server, course, lesson) -> None:
    page.goto(f"{live_server.url}{course.url}lessons/{lesson.pk}/")
    wait_until(page, "document.getElementById('player').readyState >= 1")


def play(page) -> None:
    page.evaluate("document.getElementById('player').play()")


def position(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def test_a_desktop_learner_studies_offline_resumes_elsewhere_and_is_taken_over(browser, live_server):
    course, lesson = video_course(title="养老护理员（五级）")
    page = browser(DESKTOP)
    page.goto(live_server.url + "/")
    shot(page, "home-desktop")
    register_and_enrol(page, live_server, course, "wangxl-desktop", 11)
    page.reload()
    shot(page, "course-desktop")

    open_lesson(page, live_server, course, lesson)
    play(page)
    assert eventually(lambda: credited(lesson) >= 3), "no credit while playing"
    shot(page, "lesson-playing-desktop")

    # Offline: playback goes on, the events wait in the queue, nothing reaches the server.
    page.context.set_offline(True)
    before_offline = credited(lesson)
    page.wait_for_timeout(7000)
    assert page.evaluate("window.lessonPlayer.queued()") >= 2
    assert credited(lesson) <= before_offline + 2.5
    offline_position = position(page)
    page.context.set_offline(False)
    assert eventually(lambda: page.evaluate("window.lessonPlayer.queued()") == 0), "queue not flushed"
    # Everything played offline is credited: nothing was lost.
    assert eventually(lambda: credited(lesson) >= offline_position - 3), (credited(lesson), offline_position)
    assert ProgressEvent.objects.filter(status="rejected").count() == 0

    # Another device resumes at the same second.
    page.evaluate("document.getElementById('player').pause()")
    paused_at = position(page)
    assert eventually(lambda: abs(LessonProgress.objects.get(lesson=lesson).position - paused_at) < 0.5)
    # The second device fetches the video by byte range from the server itself (config.media).
    other = browser(DESKTOP)
    media_statuses = []
    other.on("response", lambda r: "/media/" in r.url and media_statuses.append(r.status))
    other.goto(f"{live_server.url}/accounts/login/?next={course.url}lessons/{lesson.pk}/")
    other.fill("#id_username", "wangxl-desktop")
    other.fill("#id_password", "pass-word-123")
    other.click("form.form button[type=submit]")
    wait_until(
        other, "document.getElementById('player') && document.getElementById('player').readyState >= 1"
    )
    given = float(other.locator("#lesson").get_attribute("data-position"))
    assert abs(given - paused_at) <= 1, (given, paused_at)
    # The player itself stands at that second before anything is played.
    assert eventually(lambda: abs(position(other) - paused_at) <= 1), (position(other), paused_at)
    assert other.evaluate("document.getElementById('player').paused")
    assert 206 in media_statuses, media_statuses
    shot(other, "resumed-elsewhere-desktop")

    # The first device plays on, the second starts: the first stops with a notice (over HTTP:
    # its next heartbeat is answered "superseded").
    play(page)
    page.wait_for_timeout(3000)
    play(other)
    page.locator("#notice").wait_for(state="visible", timeout=15000)
    assert page.evaluate("document.getElementById('player').paused")
    shot(page, "takeover-desktop")

    other.goto(f"{live_server.url}/me/learning/")
    assert other.locator("#resume").get_attribute("href").endswith(f"lessons/{lesson.pk}/")
    shot(other, "my-learning-desktop")


def test_a_wechat_learner_who_misses_an_attention_check_stops_being_credited(browser, live_server, settings):
    settings.ATTENTION_CHECK_SECONDS_OVERRIDE = 3
    course, lesson = video_course(
        title="家政服务员（五级）", attention_check_minutes=30, attention_timeout_seconds=10
    )
    page = browser(PHONE)
    page.goto(live_server.url + "/")
    shot(page, "home-phone")
    register_and_enrol(page, live_server, course, "lixf-wechat", 12)
    page.reload()
    shot(page, "course-phone")

    open_lesson(page, live_server, course, lesson)
    play(page)
    page.wait_for_timeout(1000)
    shot(page, "lesson-playing-phone")
    page.locator("#attention-confirm").wait_for(state="visible", timeout=10000)
    assert page.evaluate("document.getElementById('player').paused")
    shot(page, "attention-dialog-phone")

    page.locator("#attention-missed").wait_for(state="visible", timeout=20000)
    missed = eventually(
        lambda: ProgressEvent.objects.filter(type="attention", reason="missed", lesson_ref=lesson.pk).first()
    )
    assert missed is not None and missed.status == "accepted" and missed.channel == "pc"
    assert "MicroMessenger" in missed.user_agent
    assert page.evaluate("document.getElementById('player').paused")
    stopped_at = credited(lesson)
    page.wait_for_timeout(4000)
    assert credited(lesson) == stopped_at, "credit went on after a missed check"

    page.goto(f"{live_server.url}/me/learning/")
    shot(page, "my-learning-phone")
