"""The SCORM player in a real browser (Chromium via Playwright) against a live server: the SCO, in
its sandboxed frame, finds scorm-again's API (injected into its pages), its commits reach the
server through the signed link and complete the lesson, and a learner who leaves resumes where
they were. Rustici's Golf samples (tests/data/scorm/) and the demo's own Chinese packages
(scorm/demo_packages/), the latter on a 390 px phone screen.

Two ways of serving the files (scorm/README.md, "Isolation"): from this site in an opaque sandbox
(``opaque``, the default without SCORM_CONTENT_ORIGIN), and from a separate origin
(``separate_origin``: the live server is at localhost, the files at 127.0.0.1). Packages whose
pages script each other's frames (the demo packages' shell reads its page's form; Golf's quiz
calls parent.RecordTest) need the separate origin: in an opaque sandbox every document is an
origin of its own."""

import re
import time
from pathlib import Path

import pytest
from django.db import connections

from courses.models import Lesson
from progress.models import LessonProgress
from scorm.demo import package_zip
from scorm.models import ScormAttempt
from scorm.services import package_import
from tests.e2e import wait_until
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


@pytest.fixture
def opaque(settings):
    settings.SCORM_CONTENT_ORIGIN = ""


@pytest.fixture
def separate_origin(settings, live_server):
    assert "://localhost:" in live_server.url
    settings.SCORM_CONTENT_ORIGIN = live_server.url.replace("://localhost:", "://127.0.0.1:")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1", "localhost"]
    return settings.SCORM_CONTENT_ORIGIN


def sco_frame(page):
    """The package's frame (sandboxed, of another origin: Playwright evaluates in it all the same)."""
    return page.locator("#scorm-frame").element_handle().content_frame()


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


def test_the_authored_package_completes_the_lesson_in_the_browser(chromium_page, live_server, opaque):
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


@pytest.mark.parametrize("mode", ["opaque", "separate_origin"])
def test_the_golf_scorm_12_sample_finds_the_api_saves_on_leaving_and_resumes(
    chromium_page, live_server, mode, request
):
    request.getfixturevalue(mode)
    page = chromium_page
    course, lesson = scorm_course(GOLF_12.read_bytes(), name="golf12.zip")
    package_import(lesson=lesson)
    learner = enrolled_learner_in(course)
    page.on("dialog", lambda dialog: dialog.accept())  # Golf asks "resume where you left off?"

    log_in_and_launch(page, live_server, learner, lesson)
    wait_until(page, "window.scormRuntime && window.scormRuntime.initialized === true")
    golf = page.frame_locator("#scorm-frame")
    golf.frame_locator("#contentFrame").locator("body").wait_for()
    golf.locator("#butNext").click()
    golf.locator("#butNext").click()
    assert sco_frame(page).evaluate("window.API.LMSGetValue('cmi.core.lesson_location')") == "2"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"scorm-golf-12-{mode}.png"), full_page=True)

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
    wait_until(page, "window.scormRuntime.initialized === true")
    assert sco_frame(page).evaluate("window.API.LMSGetValue('cmi.core.entry')") == "resume"
    assert sco_frame(page).evaluate("window.API.LMSGetValue('cmi.core.lesson_location')") == "2"


def test_the_golf_scorm_12_quiz_records_its_score_through_the_shell_on_a_separate_origin(
    chromium_page, live_server, separate_origin
):
    """Golf's quiz page, in a frame of the SCO's page, calls parent.RecordTest(score): pages of
    one package script each other, which needs the separate origin (both pages share it)."""
    page = chromium_page
    course, lesson = scorm_course(GOLF_12.read_bytes(), name="golf12.zip")
    package_import(lesson=lesson)
    learner = enrolled_learner_in(course)

    log_in_and_launch(page, live_server, learner, lesson)
    wait_until(page, "window.scormRuntime && window.scormRuntime.initialized === true")
    assert page.get_attribute("#scorm-frame", "src").startswith(separate_origin + "/scorm/content/")
    golf = page.frame_locator("#scorm-frame")
    golf.frame_locator("#contentFrame").locator("body").wait_for()
    for _ in range(14):
        golf.locator("#butNext").click()
    quiz = golf.frame_locator("#contentFrame")
    quiz.locator("h1").filter(has_text="Knowledge Check").wait_for()
    for choice in quiz.locator(".correctAnswer input[type=radio]").all():
        choice.check()
    for box in quiz.locator(".correctAnswer input[type=text]").all():
        box.fill(re.search(r"\((.+)\)", box.locator("xpath=..").text_content()).group(1).strip())
    quiz.locator("input[value='Submit Answers']").click()
    quiz.locator("h3").filter(has_text="Score: 100").wait_for()
    assert sco_frame(page).evaluate("window.API.LMSGetValue('cmi.core.lesson_status')") == "passed"

    page.goto(f"{live_server.url}/")  # leaving: LMSFinish commits the score

    passed = eventually(
        lambda: ScormAttempt.objects.filter(learner=learner, lesson=lesson, lesson_status="passed").first()
    )
    assert passed is not None, "Golf's quiz score did not reach the server"
    assert (passed.score_raw, passed.score_min, passed.score_max) == (100, 0, 100)
    assert passed.completed_at is not None


def test_the_golf_scorm_2004_sample_finds_api_1484_11(chromium_page, live_server, opaque):
    page = chromium_page
    course, lesson = scorm_course(GOLF_2004.read_bytes(), name="golf2004.zip")
    package_import(lesson=lesson)
    learner = enrolled_learner_in(course)

    log_in_and_launch(page, live_server, learner, lesson)

    wait_until(page, "window.scormRuntime && window.scormRuntime.initialized === true")
    assert sco_frame(page).evaluate("window.API_1484_11.GetValue('cmi.completion_status')") == "incomplete"
    assert sco_frame(page).evaluate("window.API_1484_11.GetValue('cmi.learner_name')") == learner.real_name
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scorm-golf-2004.png"), full_page=True)


# --- the demo's own packages (scorm/demo_packages/), on a phone-sized screen ---------------------

PHONE = {"width": 390, "height": 844}


def demo_lesson(source: str):
    course, lesson = scorm_course(package_zip(source), name=f"{source}.zip")
    package_import(lesson=lesson)
    return course, lesson


def fits_the_screen(page) -> bool:
    """No frame of the player is wider than the screen (nothing to scroll sideways)."""
    return all(
        frame.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")
        for frame in page.frames
        if frame.url.startswith("http")
    )


def answer(course_page, choices: dict[str, str]) -> None:
    for question, value in choices.items():
        course_page.locator(f"input[name={question}][value={value}]").check()
    course_page.locator("button.submit").click()


def test_the_demo_scorm_12_package_resumes_where_the_learner_left_and_passes(
    chromium_page, live_server, separate_origin
):
    page = chromium_page
    page.set_viewport_size(PHONE)
    course, lesson = demo_lesson("fall-prevention-scorm12")
    learner = enrolled_learner_in(course)

    log_in_and_launch(page, live_server, learner, lesson)
    wait_until(page, "window.scormRuntime && window.scormRuntime.initialized === true")
    sco = page.frame_locator("#scorm-frame")
    sco.locator("#where").filter(has_text="第 1 / 5 页").wait_for()
    sco.frame_locator("#page").locator("h2").filter(has_text="跌倒为什么危险").wait_for()
    sco.locator("#next").click()
    sco.locator("#next").click()
    sco.frame_locator("#page").locator("h2").filter(has_text="日常照护要点").wait_for()
    assert sco_frame(page).evaluate("window.API.LMSGetValue('cmi.core.lesson_location')") == "3"
    assert sco_frame(page).evaluate("window.API.LMSGetValue('cmi.core.lesson_status')") == "incomplete"
    assert fits_the_screen(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scorm-demo-12-phone.png"), full_page=True)

    page.goto(f"{live_server.url}/")  # leaving: the SCO's unload handler calls LMSFinish

    def saved():
        attempt = ScormAttempt.objects.filter(learner=learner, lesson=lesson).first()
        core = attempt.cmi.get("core", {}) if attempt else {}
        return attempt if core.get("lesson_location") == "3" and core.get("exit") == "suspend" else None

    attempt = eventually(saved)
    assert attempt is not None, "the page the learner was on was not saved when they left"
    assert attempt.lesson_status == "incomplete"
    assert attempt.cmi["suspend_data"] == '{"visited":[1,2,3]}'

    log_in_and_launch(page, live_server, learner, lesson)  # already signed in: straight back
    wait_until(page, "window.scormRuntime.initialized === true")
    assert sco_frame(page).evaluate("window.API.LMSGetValue('cmi.core.entry')") == "resume"
    sco.locator("#where").filter(has_text="第 3 / 5 页").wait_for()
    sco.locator("#next").click()
    sco.locator("#next").click()
    quiz = sco.frame_locator("#page")
    quiz.locator("h2").filter(has_text="自我检测").wait_for()
    answer(quiz, {"q1": "b", "q2": "c", "q3": "a"})
    quiz.locator("#result").filter(has_text="自测通过").wait_for()
    assert sco_frame(page).evaluate("window.API.LMSGetValue('cmi.core.lesson_status')") == "passed"
    page.screenshot(path=str(ARTIFACTS / "scorm-demo-12-passed.png"), full_page=True)

    passed = eventually(
        lambda: ScormAttempt.objects.filter(learner=learner, lesson=lesson, lesson_status="passed").first()
    )
    assert passed is not None, "the passed self-check did not reach the server"
    assert (passed.score_raw, passed.score_min, passed.score_max) == (100, 0, 100)
    assert passed.completed_at is not None
    assert page.evaluate("window.scormRuntime.failures") == 0


def test_the_demo_scorm_2004_package_reports_a_failed_then_a_passed_self_check(
    chromium_page, live_server, separate_origin
):
    page = chromium_page
    page.set_viewport_size(PHONE)
    course, lesson = demo_lesson("feeding-scorm2004")
    learner = enrolled_learner_in(course)

    log_in_and_launch(page, live_server, learner, lesson)
    wait_until(page, "window.scormRuntime && window.scormRuntime.initialized === true")
    sco = page.frame_locator("#scorm-frame")
    sco.frame_locator("#page").locator("h2").filter(has_text="进食前的准备").wait_for()
    assert sco_frame(page).evaluate("window.API_1484_11.GetValue('cmi.completion_status')") == "incomplete"
    for _ in range(4):
        sco.locator("#next").click()
    quiz = sco.frame_locator("#page")
    quiz.locator("h2").filter(has_text="自我检测").wait_for()
    assert sco_frame(page).evaluate("window.API_1484_11.GetValue('cmi.location')") == "5"
    assert sco_frame(page).evaluate("window.API_1484_11.GetValue('cmi.progress_measure')") == "0.80"
    assert fits_the_screen(page)

    answer(quiz, {"q1": "b", "q2": "a", "q3": "b"})  # 1 of 3
    quiz.locator("#result").filter(has_text="请看解析").wait_for()
    assert sco_frame(page).evaluate("window.API_1484_11.GetValue('cmi.success_status')") == "failed"
    assert sco_frame(page).evaluate("window.API_1484_11.GetValue('cmi.completion_status')") == "incomplete"

    answer(quiz, {"q2": "c"})  # 2 of 3: passed
    quiz.locator("#result").filter(has_text="自测通过").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scorm-demo-2004-phone.png"), full_page=True)

    def passed():
        return ScormAttempt.objects.filter(
            learner=learner, lesson=lesson, completion_status="completed", success_status="passed"
        ).first()

    attempt = eventually(passed)
    assert attempt is not None, "the passed self-check did not reach the server"
    assert attempt.score_scaled == pytest.approx(0.6667)
    assert (attempt.score_raw, attempt.score_max) == (67, 100)
    assert attempt.completed_at is not None

    page.goto(f"{live_server.url}/")  # leaving: Terminate, with the session time

    def terminated():
        cmi = ScormAttempt.objects.get(pk=attempt.pk).cmi
        return cmi if cmi.get("exit") == "normal" and cmi.get("session_time") else None

    cmi = eventually(terminated)
    assert cmi is not None, "Terminate's commit did not reach the server"
    assert cmi["session_time"].startswith("PT") and cmi.get("total_time")
