"""The SCORM player in a real browser (Chromium via Playwright) against a live server: the SCO
finds scorm-again's API, its commits reach the runtime data API and complete the lesson, and a
learner who leaves resumes where they were."""

import time
from pathlib import Path

import pytest
from django.db import connections

from courses.models import Lesson
from progress.models import LessonProgress
from scorm.models import ScormAttempt
from scorm.services import package_import
from tests.factories import LearnerFactory, enroll
from tests.scorm_factories import GOLF_12, GOLF_2004, minimal_package, scorm_course

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} for Playwright"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def chromium_page(monkeypatch, settings, tmp_path):
    """A headless Chromium page. Playwright's sync API runs an event loop on this thread, so
    Django's guard against database calls from async code must be lifted for the test's own
    queries (the live server answers from its own thread)."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MEDIA_ROOT = tmp_path
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = chromium.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.set_default_timeout(15000)
        yield page
        # Leave the player while the test's data still exists, and give the commit the SCO
        # sends on leaving time to arrive, so that no request reaches the server afterwards.
        page.goto("about:blank")
        page.wait_for_timeout(1000)
        chromium.close()
        # The test's own queries ran while Playwright's loop was running, on connections of
        # their own: close them here, or PostgreSQL keeps the test database in use.
        connections.close_all()


def enrolled_learner_in(course):
    learner = LearnerFactory()
    enroll(learner, course)
    return learner


def log_in_and_launch(page, live_server, learner, lesson: Lesson) -> None:
    launch = f"/scorm/lessons/{lesson.pk}/launch/"
    page.goto(f"{live_server.url}/accounts/login/?next={launch}")
    page.fill("#id_username", learner.user.username)
    page.fill("#id_password", "pass-word-123")
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"**{launch}")


def eventually(check, seconds: float = 8.0):
    """Poll the database until ``check()`` returns something truthy."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_the_authored_package_completes_the_lesson_in_the_browser(chromium_page, live_server):
    page = chromium_page
    course, lesson = scorm_course(minimal_package())
    package_import(lesson=lesson)
    learner = enrolled_learner_in(course)

    log_in_and_launch(page, live_server, learner, lesson)

    page.frame_locator("#scorm-frame").locator("#out").filter(has_text="done true").wait_for()
    progress = eventually(
        lambda: LessonProgress.objects.filter(
            learner=learner, lesson=lesson, completed_at__isnull=False
        ).first()
    )
    assert progress is not None, "the SCO's completion did not reach LessonProgress"
    assert progress.last_channel == "pc"
    attempt = ScormAttempt.objects.get(learner=learner, lesson=lesson)
    assert attempt.lesson_status == "completed"
    assert page.evaluate("window.scormRuntime.failures") == 0
    assert page.locator("#scorm-status").text_content() == "已完成"


def test_the_golf_scorm_12_sample_finds_the_api_saves_on_leaving_and_resumes(chromium_page, live_server):
    page = chromium_page
    course, lesson = scorm_course(GOLF_12.read_bytes(), name="golf12.zip")
    package_import(lesson=lesson)
    learner = enrolled_learner_in(course)
    page.on("dialog", lambda dialog: dialog.accept())  # Golf asks "resume where you left off?"

    log_in_and_launch(page, live_server, learner, lesson)
    page.wait_for_function("window.scormRuntime && window.scormRuntime.initialized === true")
    golf = page.frame_locator("#scorm-frame")
    golf.frame_locator("#contentFrame").locator("body").wait_for()
    golf.locator("#butNext").click()
    golf.locator("#butNext").click()
    assert page.evaluate("window.API.LMSGetValue('cmi.core.lesson_location')") == "2"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scorm-golf-12.png"), full_page=True)

    page.goto(f"{live_server.url}/")  # leaving: Golf's unload handler calls LMSFinish

    def saved():
        attempt = ScormAttempt.objects.filter(learner=learner, lesson=lesson).first()
        core = attempt.cmi.get("core", {}) if attempt else {}
        return attempt if core.get("lesson_location") == "2" and core.get("exit") == "suspend" else None

    attempt = eventually(saved)
    assert attempt is not None, "Golf's data was not saved when the learner left"
    assert attempt.lesson_status == "incomplete"
    assert "total_time" in attempt.cmi["core"]  # sent only with the final (LMSFinish) commit

    log_in_and_launch(page, live_server, learner, lesson)  # already signed in: straight back
    page.wait_for_function("window.scormRuntime.initialized === true")
    assert page.evaluate("window.API.LMSGetValue('cmi.core.entry')") == "resume"
    assert page.evaluate("window.API.LMSGetValue('cmi.core.lesson_location')") == "2"


def test_the_golf_scorm_2004_sample_finds_api_1484_11(chromium_page, live_server):
    page = chromium_page
    course, lesson = scorm_course(GOLF_2004.read_bytes(), name="golf2004.zip")
    package_import(lesson=lesson)
    learner = enrolled_learner_in(course)

    log_in_and_launch(page, live_server, learner, lesson)

    page.wait_for_function("window.scormRuntime && window.scormRuntime.initialized === true")
    assert page.evaluate("window.API_1484_11.GetValue('cmi.completion_status')") == "incomplete"
    assert page.evaluate("window.API_1484_11.GetValue('cmi.learner_name')") == learner.real_name
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scorm-golf-2004.png"), full_page=True)
