# ruff: noqa: F811  (the fixtures lesson, questions and quiz come from tests.quiz_setup)
"""Quizzes in a real browser on a phone screen, and the races of starting and submitting on
PostgreSQL (split from test_quizzes.py)."""

import os
import shutil
import threading

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory

from progress.models import LessonProgress
from quizzes.models import Attempt, Question, QuestionKind
from quizzes.services import attempt_start, attempt_submit
from tests.factories import LearnerFactory, enroll, make_course
from tests.quiz_setup import (  # noqa: F401  (fixtures: lesson, questions, quiz)
    all_right,
    lesson,
    questions,
    quiz,
    start,
    start_url,
    submit,
    submit_url,
    summary_url,
)
from tests.quizzes_factories import QuestionFactory, correct_ids, make_quiz, quiz_lesson

pytestmark = pytest.mark.django_db


# --- the web player in a browser ----------------------------------------------------------------


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or next(
        (path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))),
        None,
    )


@pytest.mark.skipif(
    _chromium() is None, reason="needs a Chromium (set CHROMIUM_PATH or put chromium on PATH)"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_learner_takes_the_quiz_in_the_web_player_on_a_phone_screen(live_server):
    from django.test import Client
    from playwright.sync_api import sync_playwright

    from quizzes.demo import seed_quizzes

    learner = LearnerFactory()
    course = make_course(lessons=1)
    enroll(learner, course)
    lesson = quiz_lesson(course)
    seed_quizzes(lesson)
    browser_client = Client()
    browser_client.force_login(learner.user)
    request = RequestFactory().get("/")
    request.user = learner.user
    fragment = render_to_string("quizzes/quiz_player.html", {"lesson": lesson}, request=request)
    page_html = (
        '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f"<body><main>{fragment}</main></body></html>"
    )
    answers = {question.pk: correct_ids(question) for question in Question.objects.all()}
    host = live_server.url.split("//")[1].split(":")[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": browser_client.cookies["sessionid"].value,
                    "domain": host,
                    "path": "/",
                },
                {"name": "csrftoken", "value": request.META["CSRF_COOKIE"], "domain": host, "path": "/"},
            ]
        )
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: dialog.accept())
        # The lesson page will embed the fragment; here a stand-in page on the server's origin.
        page.route(
            f"{live_server.url}/quiz-page/",
            lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page_html),
        )
        page.goto(f"{live_server.url}/quiz-page/")
        page.get_by_role("button", name="开始测验").wait_for()
        assert "满分 100" not in page.inner_text("#quiz")
        assert page.inner_text(".quiz-scale") == "满分 12 分 · 及格 8 分 · 共 9 题"
        page.get_by_role("button", name="开始测验").click()
        page.wait_for_selector("fieldset.quiz-question")
        shown = page.eval_on_selector_all(
            "fieldset.quiz-question", "nodes => nodes.map(n => n.dataset.question)"
        )
        for question_id in shown:  # answer every question right, by clicking the labels
            for choice_id in answers[int(question_id)]:
                page.click(f"label[for=quiz-q{question_id}-c{choice_id}]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("button", name="交卷").click()
        page.wait_for_selector(".quiz-score")
        assert "恭喜，测验通过" in page.inner_text(".quiz-status")
        # One scale: the demo quiz's points (9 questions, 12 points; 60 % is 8 points).
        assert "12 分" in page.inner_text(".quiz-score-value")
        assert "满分 12 分，及格 8 分" in page.inner_text(".quiz-score")
        assert page.inner_text(".quiz-scale") == "满分 12 分 · 及格 8 分 · 共 9 题"
        assert page.locator(".quiz-explanation").count() == len(shown)
        browser.close()
    assert errors == []
    attempt = Attempt.objects.get(learner=learner)
    assert attempt.question_ids == [int(question_id) for question_id in shown]
    assert (attempt.status, attempt.passed, attempt.channel) == (Attempt.Status.SUBMITTED, True, "pc")
    assert LessonProgress.objects.get(learner=learner, lesson=lesson).completed_at is not None


# --- races (PostgreSQL) ---------------------------------------------------------------------------


def _run_together(jobs) -> list:
    barrier = threading.Barrier(len(jobs))
    results: list = []

    def runner(job):
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except Exception as error:  # noqa: BLE001 — reported by the test
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_starts_and_submits_cannot_exceed_the_rules():
    learner = LearnerFactory()
    questions = [QuestionFactory(kind=kind) for kind in QuestionKind.values]
    quiz = make_quiz(questions=questions, max_attempts=1)

    started = _run_together([lambda: attempt_start(learner=learner, quiz=quiz)] * 4)
    assert all(not isinstance(result, Exception) for result in started), started
    assert Attempt.objects.filter(quiz=quiz, learner=learner).count() == 1
    attempt_id = Attempt.objects.get().pk

    submitted = _run_together(
        [lambda: attempt_submit(learner=learner, attempt_id=attempt_id, answers=all_right(questions))] * 4
    )
    assert sum(1 for result in submitted if not isinstance(result, Exception)) == 1
    assert Attempt.objects.get().status == Attempt.Status.SUBMITTED
